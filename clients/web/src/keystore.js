// @ts-check
/**
 * @module recognize-web/keystore
 *
 * The browser's device key: a WebCrypto ECDSA P-256 key pair whose private half is created
 * non-extractable and kept in IndexedDB (structured-cloned as a `CryptoKey`: script on the page
 * can use it to sign, never read it), with what the server said when it was bound. One key per
 * server and tenant.
 */

import { base64Encode, signatureRawToDer, utf8 } from "./proof.js";

const DATABASE = "recognize-web";
const STORE = "device-keys";
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };

/**
 * @typedef {object} StoredKey
 * @property {string} id which server and tenant the key is for
 * @property {CryptoKey} privateKey non-extractable
 * @property {string} publicKey base64 SubjectPublicKeyInfo, the form the API takes
 * @property {Record<string, unknown>} binding what the server answered when it was bound
 * @property {string} createdAt ISO time
 */

/**
 * @param {IDBRequest | IDBTransaction} request
 * @returns {Promise<any>}
 */
function settled(request) {
  return new Promise((resolve, reject) => {
    if ("oncomplete" in request) {
      request.oncomplete = () => resolve(undefined);
      request.onabort = () => reject(request.error);
    } else {
      request.onsuccess = () => resolve(request.result);
    }
    request.onerror = () => reject(request.error);
  });
}

/** Device keys in this browser's IndexedDB. */
export class KeyStore {
  /**
   * @param {object} [options]
   * @param {IDBFactory} [options.indexedDB] (default: the global one)
   * @param {string} [options.database] the database name (default `recognize-web`)
   */
  constructor({ indexedDB: factory, database = DATABASE } = {}) {
    this.factory = factory ?? globalThis.indexedDB;
    this.database = database;
  }

  /** @returns {Promise<IDBDatabase>} */
  async open() {
    const request = this.factory.open(this.database, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "id" });
    };
    return settled(request);
  }

  /**
   * @template T
   * @param {IDBTransactionMode} mode
   * @param {(store: IDBObjectStore) => IDBRequest<T>} operation
   * @returns {Promise<T>}
   */
  async run(mode, operation) {
    const db = await this.open();
    try {
      const transaction = db.transaction(STORE, mode);
      const [result] = await Promise.all([
        settled(operation(transaction.objectStore(STORE))),
        settled(transaction),
      ]);
      return result;
    } finally {
      db.close();
    }
  }

  /**
   * The key stored under `id`, or null.
   * @param {string} id
   * @returns {Promise<StoredKey | null>}
   */
  async get(id) {
    return (await this.run("readonly", (store) => store.get(id))) ?? null;
  }

  /**
   * Store (or replace) a key.
   * @param {StoredKey} key
   */
  async put(key) {
    await this.run("readwrite", (store) => store.put(key));
  }

  /**
   * Forget the key stored under `id`.
   * @param {string} id
   */
  async delete(id) {
    await this.run("readwrite", (store) => store.delete(id));
  }
}

/**
 * A new key pair for `id`: the private key non-extractable, the public one as base64 SPKI.
 * @param {string} id
 * @returns {Promise<StoredKey>}
 */
export async function keyGenerate(id) {
  const pair = /** @type {CryptoKeyPair} */ (
    await crypto.subtle.generateKey(ALGORITHM, false, ["sign"])
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return {
    id,
    privateKey: pair.privateKey,
    publicKey: base64Encode(spki),
    binding: {},
    createdAt: new Date().toISOString(),
  };
}

/**
 * ECDSA-SHA256 signature of `message` (UTF-8) by `privateKey`: base64 DER, as the other SDKs
 * send it.
 * @param {CryptoKey} privateKey
 * @param {string} message
 * @returns {Promise<string>}
 */
export async function keySign(privateKey, message) {
  const raw = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, utf8(message));
  return base64Encode(signatureRawToDer(new Uint8Array(raw)));
}
