// @ts-check
/**
 * @module recognize-web
 *
 * The browser as a Recognize device: a non-extractable WebCrypto P-256 key in IndexedDB,
 * bound with an `add:authenticators` token, answering challenges and signing its own
 * requests, speaking the Client API as the Python reference SDK (`recognize_sdk`) does.
 */

export { RecognizeClient, RecognizeError } from "./client.js";
export { DeviceKeyLostError, FaceSeedMissingError, SEED_BYTES, WebDevice } from "./device.js";
export { KeyStore, keyGenerate, keySign } from "./keystore.js";
export {
  base64Decode,
  base64Encode,
  base64UrlEncode,
  canonicalJson,
  contentDigest,
  deviceRequestMessage,
  proofMessage,
  requestContent,
  signatureRawToDer,
} from "./proof.js";

/** The package's version (semver), as in package.json. */
export const VERSION = "0.1.0";
export {
  CHIP_SIZE,
  EMBEDDING_DIM,
  FaceEmbedder,
  ModelIntegrityError,
  cosine,
  faceRuntimeLoad,
  l2Normalize,
  modelBytesLoad,
} from "./face.js";
export { MIN_SEED_BYTES, protect, rotationFromSeed } from "./protect.js";
export { alignFace, chipTemplate, similarityTransform } from "./align.js";
