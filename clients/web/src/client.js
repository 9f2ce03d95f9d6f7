// @ts-check
/**
 * @module recognize-web/client
 *
 * HTTP client for Recognize's Client API (the paths of Authsignal's mobile SDKs), the same
 * calls as `recognize_sdk/client.py`. Requests carry an action token (Bearer) or the public
 * tenant id (Basic); never cookies.
 */

import { base64UrlEncode, utf8 } from "./proof.js";

/** An error answer from the server: HTTP status, `errorCode` and description. */
export class RecognizeError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} description
   * @param {Record<string, unknown>} [body]
   */
  constructor(status, code, description, body = {}) {
    super(`${status} ${code}: ${description}`);
    this.name = "RecognizeError";
    this.status = status;
    this.code = code;
    this.description = description;
    this.body = body;
  }
}

/**
 * @typedef {object} InAppCredential
 * @property {string} userAuthenticatorId
 * @property {string} userId
 * @property {string} deviceId
 * @property {string} verifiedAt
 * @property {string | null} [lastVerifiedAt]
 */

/**
 * @typedef {object} VerifyResult
 * @property {string} token the action's new token, for the tenant's backend to validate
 * @property {string} [state] e.g. `CHALLENGE_SUCCEEDED`
 */

/** Calls the Client API as an app: with an action token, or with the public tenant id. */
export class RecognizeClient {
  /**
   * @param {object} options
   * @param {string} options.baseUrl the server, e.g. `https://recognize.example.com`
   * @param {string} options.tenantId the tenant's public id
   * @param {typeof fetch} [options.fetch] the transport (default: the global `fetch`)
   */
  constructor({ baseUrl, tenantId, fetch: transport }) {
    const base = new URL(baseUrl);
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError("baseUrl must be an http(s) URL");
    }
    this.baseUrl = base.href.replace(/\/+$/, "");
    this.tenantId = tenantId;
    this.fetch = transport ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * Send one request and return the decoded JSON, throwing {@link RecognizeError}.
   * @param {string} method
   * @param {string} path
   * @param {{body?: Record<string, unknown>, token?: string,
   *          headers?: Record<string, string>}} [options]
   * @returns {Promise<Record<string, any>>}
   */
  async request(method, path, { body, token, headers = {} } = {}) {
    const authorization = token
      ? `Bearer ${token}`
      : `Basic ${base64UrlEncode(utf8(`${this.tenantId}:`))}`;
    const response = await this.fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: authorization, "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
    const text = await response.text();
    let payload = {};
    try {
      payload = text ? JSON.parse(text) : {};
    } catch {
      payload = {};
    }
    if (response.status >= 400) {
      throw new RecognizeError(
        response.status,
        payload.errorCode ?? "http_error",
        payload.errorDescription ?? `HTTP ${response.status}`,
        payload,
      );
    }
    return payload;
  }

  /**
   * Bind `publicKey` to the token's user (needs scope `add:authenticators`).
   * @param {{token: string, publicKey: string, deviceName?: string, platform?: string}} args
   * @returns {Promise<InAppCredential>}
   */
  async addInAppCredential({ token, publicKey, deviceName = "", platform = "" }) {
    const body = { publicKey, deviceName, devicePlatform: platform };
    return /** @type {any} */ (
      this.request("POST", "/v1/client/user-authenticators/in-app", { body, token })
    );
  }

  /**
   * The credential bound to `publicKey` (a 404 `credential_not_found` when there is none).
   * @param {{publicKey: string}} args
   * @returns {Promise<InAppCredential>}
   */
  async getInAppCredential({ publicKey }) {
    const encoded = base64UrlEncode(utf8(publicKey));
    const path = `/v1/client/user-authenticators/in-app?publicKey=${encoded}`;
    return /** @type {any} */ (this.request("GET", path));
  }

  /**
   * A fresh single-use challenge, bound to the token's action when a token is given.
   * @param {{token?: string, action?: string}} [args]
   * @returns {Promise<{challengeId: string}>}
   */
  async challenge({ token, action } = {}) {
    const body = action ? { action } : {};
    return /** @type {any} */ (this.request("POST", "/v1/client/challenge", { body, token }));
  }

  /**
   * Answer a challenge with the device key's signature; returns the new token.
   * @param {{challengeId: string, publicKey: string, signature: string, token?: string}} args
   * @returns {Promise<VerifyResult>}
   */
  async verifyInApp({ challengeId, publicKey, signature, token }) {
    const body = { challengeId, publicKey, signature };
    return /** @type {any} */ (this.request("POST", "/v1/client/verify/in-app", { body, token }));
  }

  /**
   * A single-use nonce for one request of `purpose` signed by `publicKey`'s key
   * (`device.remove`, `push.register`, `push.remove`, `push.poll`).
   * @param {{publicKey: string, purpose: string}} args
   * @returns {Promise<{challengeId: string, purpose: string, expiresAt: string}>}
   */
  async deviceChallenge({ publicKey, purpose }) {
    const body = { publicKey, purpose };
    return /** @type {any} */ (this.request("POST", "/v1/client/device-challenge", { body }));
  }

  /**
   * Unbind the device; `fields` are signed for `device.remove`.
   * @param {{fields: Record<string, unknown>}} args
   * @returns {Promise<{removedAuthenticatorId: string}>}
   */
  async removeInAppCredential({ fields }) {
    const path = "/v1/client/user-authenticators/in-app/remove";
    return /** @type {any} */ (this.request("POST", path, { body: fields }));
  }

  /**
   * Make `publicKey`'s install a push authenticator (scope `add:authenticators`).
   * @param {{token: string, publicKey: string, channel?: string,
   *          registration?: Record<string, unknown>, deviceName?: string}} args
   */
  async addPushCredential({ token, publicKey, channel = "POLL", registration, deviceName = "" }) {
    /** @type {Record<string, unknown>} */
    const body = { publicKey, deviceName, channel };
    if (registration) body.registration = registration;
    return this.request("POST", "/v1/client/user-authenticators/push", { body, token });
  }

  /**
   * The pending push challenge for this install (`challengeId` null when there is none);
   * `signature` is the device key's for `push.poll` under `challengeId`.
   * @param {{publicKey: string, challengeId: string, signature: string}} args
   */
  async getPushChallenge({ publicKey, challengeId, signature }) {
    const query = new URLSearchParams({
      publicKey: base64UrlEncode(utf8(publicKey)),
      challengeId,
    });
    return this.request("GET", `/v1/client/user-authenticators/push/challenge?${query}`, {
      headers: { "X-Recognize-Signature": signature },
    });
  }

  /**
   * A new gateway registration; `fields` are signed for `push.register`.
   * @param {{fields: Record<string, unknown>}} args
   */
  async updatePushRegistration({ fields }) {
    const path = "/v1/client/user-authenticators/push/registration";
    return this.request("POST", path, { body: fields });
  }

  /**
   * Stop push on this install; `fields` are signed for `push.remove`.
   * @param {{fields: Record<string, unknown>}} args
   */
  async removePushCredential({ fields }) {
    const path = "/v1/client/user-authenticators/push/remove";
    return this.request("POST", path, { body: fields });
  }

  /**
   * Approve or deny a push challenge; `signature` is over `challengeId`.
   * @param {{challengeId: string, publicKey: string, signature: string, approved: boolean,
   *          verificationCode?: string | null}} args
   */
  async answerPushChallenge({ challengeId, publicKey, signature, approved, verificationCode }) {
    const body = {
      challengeId,
      publicKey,
      signature,
      approved,
      verificationCode: verificationCode ?? null,
    };
    return this.request("POST", "/v1/client/user-authenticators/push/challenge", { body });
  }
}
