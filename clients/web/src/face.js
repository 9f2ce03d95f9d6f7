// @ts-check
/**
 * @module recognize-web/face
 *
 * The face embedding on the device, mirroring `recognize_sdk/face/embed.py`: the same ONNX
 * model (dlib's ResNet converted by the server's setup), run by onnxruntime-web on an aligned
 * 150×150 RGB chip, L2-normalised. The model's bytes are checked against the SHA-256 the
 * server lists before they are run (`align.js` cuts the chip, `protect.js` rotates the
 * embedding). MTCNN detection (`mtcnn.py`) is not ported yet (issue 16).
 *
 * The runtime is passed in (`faceRuntimeLoad` imports the one the server serves): without a
 * bundler or an import map a module cannot name the npm package itself.
 */

export const CHIP_SIZE = 150;
export const EMBEDDING_DIM = 128;

/** A model file whose bytes are not the ones the server listed: it is not run. */
export class ModelIntegrityError extends Error {
  /** @param {string} name */
  constructor(name) {
    super(`The face model ${name} did not download intact; reload the page to try again.`);
    this.name = "ModelIntegrityError";
    this.code = "model_integrity";
  }
}

/**
 * @typedef {object} ModelAsset
 * @property {string} url where the server serves it (content-hashed, cached for good)
 * @property {string} sha256 hex digest of its bytes
 * @property {number} [bytes]
 */

/**
 * @typedef {object} FaceRuntime
 * @property {any} ort the onnxruntime-web module
 * @property {Record<string, ModelAsset>} models by the server's file names
 */

/**
 * Load the ONNX runtime and the model list a Recognize server serves for browsers
 * (`/web-client/assets.json`). The WASM backend runs with SIMD, and with threads when the
 * page is cross-origin isolated.
 * @param {{baseUrl?: string, fetch?: typeof fetch}} [options]
 * @returns {Promise<FaceRuntime>}
 */
export async function faceRuntimeLoad({ baseUrl = globalThis.location?.origin, fetch: get } = {}) {
  const transport = get ?? globalThis.fetch.bind(globalThis);
  const response = await transport(new URL("/web-client/assets.json", baseUrl), {
    cache: "no-cache",
    credentials: "omit",
  });
  const assets = await response.json();
  const runtime = assets.runtime ?? {};
  if (!runtime["ort.wasm.min.mjs"]) {
    throw new Error("This server does not serve the face runtime (run make setup).");
  }
  const absolute = (/** @type {string} */ path) => new URL(path, baseUrl).href;
  const ort = await import(absolute(runtime["ort.wasm.min.mjs"]));
  ort.env.wasm.wasmPaths = {
    mjs: absolute(runtime["ort-wasm-simd-threaded.mjs"]),
    wasm: absolute(runtime["ort-wasm-simd-threaded.wasm"]),
  };
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated
    ? Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1)
    : 1;
  /** @type {Record<string, ModelAsset>} */
  const models = {};
  for (const [name, model] of Object.entries(assets.models ?? {})) {
    models[name] = { ...model, url: absolute(model.url) };
  }
  return { ort, models };
}

/**
 * Hex SHA-256 of `bytes`.
 * @param {ArrayBuffer | Uint8Array} bytes
 */
async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The bytes of a model, after checking them against its SHA-256.
 * @param {string} name
 * @param {ModelAsset} model
 * @param {typeof fetch} [get]
 * @returns {Promise<Uint8Array>}
 */
export async function modelBytesLoad(name, model, get) {
  const transport = get ?? globalThis.fetch.bind(globalThis);
  const response = await transport(model.url, { credentials: "omit" });
  if (!response.ok) throw new Error(`The face model ${name} could not be downloaded.`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if ((await sha256Hex(bytes)) !== model.sha256) throw new ModelIntegrityError(name);
  return bytes;
}

/**
 * `values` scaled to unit L2 norm (summed in double precision, as the Python pipeline does).
 * @param {ArrayLike<number>} values
 * @returns {Float32Array}
 */
export function l2Normalize(values) {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += values[i] * values[i];
  const norm = Math.max(Math.sqrt(sum), 1e-12);
  return Float32Array.from(values, (value) => value / norm);
}

/**
 * Cosine similarity of two vectors.
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 */
export function cosine(a, b) {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return dot / Math.sqrt(aa * bb);
}

/** 128-d embeddings of aligned chips, by the server's recognition model. */
export class FaceEmbedder {
  /**
   * @param {any} ort the onnxruntime-web module
   * @param {any} session its InferenceSession of the recognition model
   */
  constructor(ort, session) {
    this.ort = ort;
    this.session = session;
  }

  /**
   * An embedder for the runtime's recognition model (`face_recognition.onnx`), checked first.
   * @param {FaceRuntime} runtime
   * @param {{fetch?: typeof fetch}} [options]
   */
  static async create({ ort, models }, { fetch: get } = {}) {
    const name = "face_recognition.onnx";
    if (!models[name]) throw new Error("This server does not serve the face model.");
    const bytes = await modelBytesLoad(name, models[name], get);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
    return new FaceEmbedder(ort, session);
  }

  /**
   * The L2-normalised embedding of one aligned RGB chip (150×150×3 bytes, row-major, as
   * `recognize_sdk.face.align.align_face` cuts it).
   * @param {Uint8Array | Uint8ClampedArray} chip
   * @returns {Promise<Float32Array>}
   */
  async embed(chip) {
    if (chip.length !== CHIP_SIZE * CHIP_SIZE * 3) {
      throw new TypeError(`a chip is ${CHIP_SIZE}×${CHIP_SIZE} RGB bytes`);
    }
    const input = new this.ort.Tensor("float32", Float32Array.from(chip), [
      1,
      CHIP_SIZE,
      CHIP_SIZE,
      3,
    ]);
    const outputs = await this.session.run({ [this.session.inputNames[0]]: input });
    const raw = outputs[this.session.outputNames[0]].data;
    if (raw.length !== EMBEDDING_DIM) throw new Error("the model gave no 128-d embedding");
    return l2Normalize(raw);
  }
}
