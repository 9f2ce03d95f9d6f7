// @ts-check
/**
 * @module recognize-web/device
 *
 * What a browser does as a device, as `recognize_sdk/device.py` and `push_device.py` do for an
 * app install: bind its key with an `add:authenticators` token, answer challenges, sign the
 * requests that change its own credentials under a server nonce, register for push and answer
 * push challenges, unbind.
 *
 * Key loss is a normal event in a browser (the user clears site data, a private window
 * closes): it is reported as {@link DeviceKeyLostError}, which a page branches on to offer
 * binding this browser again or recovering the account, never as a failure page.
 */

import { RecognizeClient, RecognizeError } from "./client.js";
import { KeyStore, keyGenerate, keySign } from "./keystore.js";
import { base64Decode, base64Encode, deviceRequestMessage, proofMessage } from "./proof.js";
import { protect } from "./protect.js";

/** Bytes of the per-enrollment seed that defines the template's rotation. */
export const SEED_BYTES = 32;

/**
 * This browser has no usable device key for the server: `reason` is `missing` (no key is
 * stored: never bound here, or the site's storage was cleared) or `revoked` (the key is stored
 * but the server no longer knows it: the device was deleted, in the portal say). Either way
 * the page offers to bind this browser again, or to recover the account.
 */
export class DeviceKeyLostError extends Error {
  /**
   * @param {"missing" | "revoked"} reason
   * @param {RecognizeError} [cause]
   */
  constructor(reason, cause) {
    super(
      reason === "missing"
        ? "This browser holds no device key for this account."
        : "This browser's device key is no longer bound.",
      cause ? { cause } : undefined,
    );
    this.name = "DeviceKeyLostError";
    this.code = "device_key_lost";
    this.reason = reason;
  }
}

/**
 * No face is enrolled from this browser (or its seed went with the site's data): enroll again,
 * or recover the account with a backup client state.
 */
export class FaceSeedMissingError extends Error {
  constructor() {
    super("No face is enrolled on this browser.");
    this.name = "FaceSeedMissingError";
    this.code = "face_seed_missing";
  }
}

/**
 * Little-endian float32 bytes of `vector`, the form the API takes for templates and probes.
 * @param {Float32Array} vector
 */
function float32Bytes(vector) {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return bytes;
}

/**
 * @typedef {object} DeviceStatus
 * @property {boolean} hasKey whether this browser holds a key for the server and tenant
 * @property {string | null} publicKey the key's public half (base64 SPKI)
 * @property {Record<string, unknown>} binding what the server answered when it was bound
 */

/** A browser acting as an app install, its key in IndexedDB. */
export class WebDevice {
  /**
   * @param {object} options
   * @param {RecognizeClient} [options.client] or `baseUrl` and `tenantId` to make one
   * @param {string} [options.baseUrl]
   * @param {string} [options.tenantId]
   * @param {KeyStore} [options.keyStore] (default: IndexedDB's `recognize-web` database)
   */
  constructor({ client, baseUrl, tenantId, keyStore }) {
    this.client =
      client ??
      new RecognizeClient({ baseUrl: /** @type {string} */ (baseUrl), tenantId: String(tenantId) });
    this.keyStore = keyStore ?? new KeyStore();
    this.keyId = `${this.client.baseUrl}|${this.client.tenantId}`;
  }

  /**
   * Whether this browser holds a key, and what the server said when it bound it.
   * @returns {Promise<DeviceStatus>}
   */
  async status() {
    const key = await this.keyStore.get(this.keyId);
    return {
      hasKey: key !== null,
      publicKey: key?.publicKey ?? null,
      binding: key?.binding ?? {},
    };
  }

  /** The stored key, or {@link DeviceKeyLostError} `missing`. */
  async key() {
    const key = await this.keyStore.get(this.keyId);
    if (key === null) throw new DeviceKeyLostError("missing");
    return key;
  }

  /**
   * The stored key, or a new one stored first: the private key is kept before the server
   * ever learns the public one.
   */
  async keyOrCreate() {
    const stored = await this.keyStore.get(this.keyId);
    if (stored !== null) return stored;
    const key = await keyGenerate(this.keyId);
    await this.keyStore.put(key);
    return key;
  }

  /**
   * Create a key (or reuse the stored one) and bind it with a token from `track`.
   * @param {{token: string, name?: string, platform?: string}} args
   */
  async bind({ token, name = "", platform = "web" }) {
    const key = await this.keyOrCreate();
    const result = await this.client.addInAppCredential({
      token,
      publicKey: key.publicKey,
      deviceName: name,
      platform,
    });
    await this.keyStore.put({ ...key, binding: { ...result } });
    return result;
  }

  /**
   * Fetch a challenge, sign it and answer; returns the server's new token.
   * @param {{token?: string, action?: string}} [args]
   */
  async verify({ token, action } = {}) {
    const key = await this.key();
    const challenge = await this.client.challenge({ token, action });
    return this.known(() =>
      this.signWith(key.privateKey, challenge.challengeId).then((signature) =>
        this.client.verifyInApp({
          challengeId: challenge.challengeId,
          publicKey: key.publicKey,
          signature,
          token,
        }),
      ),
    );
  }

  /**
   * `fields` with this key, a fresh nonce for `purpose` and the key's signature over them all
   * (`deviceRequestMessage`): valid for one request.
   * @param {string} purpose
   * @param {Record<string, unknown>} [fields]
   * @returns {Promise<Record<string, unknown>>}
   */
  async signed(purpose, fields = {}) {
    const key = await this.key();
    const nonce = await this.client.deviceChallenge({ publicKey: key.publicKey, purpose });
    const signed = { ...fields, publicKey: key.publicKey, challengeId: nonce.challengeId };
    const message = await deviceRequestMessage({
      purpose,
      tenantId: this.client.tenantId,
      challengeId: nonce.challengeId,
      fields: signed,
    });
    return { ...signed, signature: await this.signWith(key.privateKey, message) };
  }

  /** Unbind this browser (a signed `device.remove` request) and delete the local key. */
  async remove() {
    const fields = await this.signed("device.remove");
    const result = await this.known(() => this.client.removeInAppCredential({ fields }));
    await this.keyStore.delete(this.keyId);
    return result;
  }

  /** Delete the local key without telling the server (the device stays listed until
   * deleted in the portal or by the tenant). */
  async forget() {
    await this.keyStore.delete(this.keyId);
  }

  /**
   * Make this browser a push authenticator (creating its key if it has none).
   * @param {{token: string, channel?: string, registration?: Record<string, unknown>,
   *          name?: string}} args
   */
  async pushRegister({ token, channel = "POLL", registration, name = "Web browser" }) {
    const key = await this.keyOrCreate();
    return this.client.addPushCredential({
      token,
      publicKey: key.publicKey,
      channel,
      registration,
      deviceName: name,
    });
  }

  /** The pending push challenge (`challengeId` null when there is none). */
  async pushPoll() {
    const key = await this.key();
    const nonce = await this.client.deviceChallenge({
      publicKey: key.publicKey,
      purpose: "push.poll",
    });
    const message = await deviceRequestMessage({
      purpose: "push.poll",
      tenantId: this.client.tenantId,
      challengeId: nonce.challengeId,
      fields: {},
    });
    const signature = await this.signWith(key.privateKey, message);
    return this.known(() =>
      this.client.getPushChallenge({
        publicKey: key.publicKey,
        challengeId: nonce.challengeId,
        signature,
      }),
    );
  }

  /**
   * Tell the server this browser's new gateway registration (e.g. a new Web Push
   * subscription, `subscription.toJSON()`).
   * @param {{channel: string, registration?: Record<string, unknown>}} args
   */
  async pushUpdateRegistration({ channel, registration }) {
    /** @type {Record<string, unknown>} */
    const fields = { channel };
    if (registration !== undefined) fields.registration = registration;
    const signed = await this.signed("push.register", fields);
    return this.known(() => this.client.updatePushRegistration({ fields: signed }));
  }

  /** Stop push challenges on this browser (its key and other credentials stay). */
  async pushRemove() {
    const fields = await this.signed("push.remove");
    return this.known(() => this.client.removePushCredential({ fields }));
  }

  /**
   * Approve (with the number shown on the sign-in page, if asked) or deny a push challenge.
   * @param {{challengeId: string, approved: boolean, code?: string}} args
   */
  async pushAnswer({ challengeId, approved, code }) {
    const key = await this.key();
    const signature = await this.signWith(key.privateKey, challengeId);
    return this.known(() =>
      this.client.answerPushChallenge({
        challengeId,
        publicKey: key.publicKey,
        signature,
        approved,
        verificationCode: code,
      }),
    );
  }

  /**
   * Enroll the face whose embedding (`FaceEmbedder.embed`) is given, under a new seed kept
   * with this browser's key: only the protected template leaves the page, signed by the key
   * over a fresh challenge. Needs a token with `add:authenticators`.
   * @param {{token: string, embedding: ArrayLike<number>}} args
   */
  async faceEnroll({ token, embedding }) {
    const key = await this.key();
    const seed = crypto.getRandomValues(new Uint8Array(SEED_BYTES));
    await this.keyStore.put({ ...key, binding: { ...key.binding, faceSeed: base64Encode(seed) } });
    return this.faceSubmit("enroll", "protectedTemplate", { token, embedding, seed });
  }

  /**
   * Prove the action's user is in front of this browser with the embedding of a live capture;
   * returns the server's new token (a mismatch is a `RecognizeError` `face_mismatch`).
   * @param {{token: string, embedding: ArrayLike<number>}} args
   */
  async faceAuthenticate({ token, embedding }) {
    const encoded = /** @type {string | undefined} */ ((await this.key()).binding.faceSeed);
    if (!encoded) throw new FaceSeedMissingError();
    const seed = base64Decode(encoded);
    return this.faceSubmit("authenticate", "protectedProbe", { token, embedding, seed });
  }

  /**
   * Delete the face (token from a recent face authentication) and forget the seed.
   * @param {{token: string}} args
   */
  async faceDeenroll({ token }) {
    const result = await this.client.request("POST", "/v1/client/face/deenroll", {
      body: {},
      token,
    });
    const key = await this.key();
    const { faceSeed: _forgotten, ...binding } = key.binding;
    await this.keyStore.put({ ...key, binding });
    return result;
  }

  /**
   * @param {string} operation `enroll` or `authenticate`
   * @param {string} field the body field of the protected vector
   * @param {{token: string, embedding: ArrayLike<number>, seed: Uint8Array}} args
   */
  async faceSubmit(operation, field, { token, embedding, seed }) {
    const key = await this.key();
    const vector = float32Bytes(await protect(embedding, seed));
    const { challengeId } = await this.client.challenge({ token });
    const signature = await this.signWith(key.privateKey, await proofMessage(challengeId, vector));
    const body = {
      [field]: base64Encode(vector),
      challengeId,
      publicKey: key.publicKey,
      signature,
    };
    let result = await this.known(() =>
      this.client.request("POST", `/v1/client/face/${operation}`, { body, token }),
    );
    const deadline = Date.now() + 60_000;
    while (result.status === "PENDING" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      result = await this.client.request("GET", `/v1/client/face/jobs/${result.jobId}`, { token });
    }
    return result;
  }

  /**
   * @param {CryptoKey} privateKey
   * @param {string} message
   */
  async signWith(privateKey, message) {
    return keySign(privateKey, message);
  }

  /**
   * Run a request that names this browser's key; the server not knowing the key becomes
   * {@link DeviceKeyLostError} `revoked`.
   * @template T
   * @param {() => Promise<T>} call
   * @returns {Promise<T>}
   */
  async known(call) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RecognizeError && error.code === "credential_not_found") {
        throw new DeviceKeyLostError("revoked", error);
      }
      throw error;
    }
  }
}
