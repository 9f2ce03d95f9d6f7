// @ts-check
/**
 * @module recognize-web/proof
 *
 * What a device signs, byte for byte as `recognize_sdk/proof.py` builds it (the server uses
 * that module to check): the canonical JSON of a request's fields, its SHA-256 content digest,
 * `proofMessage` for content under a challenge and `deviceRequestMessage` for a request that
 * changes the device's own credentials. Shared test vectors in `tests/vectors/` keep the two
 * implementations equal.
 *
 * The canonical form is Python's `json.dumps(fields, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False)` of the fields *as the server parses them from the request body*: so an
 * integral number is written as an integer (the body carries `1`, which Python reads as int),
 * and any other number in Python's `repr` of a float (`1e-05`, `1e+16`, `0.5`).
 */

const encoder = new TextEncoder();

/**
 * Standard base64 of `bytes`, padded.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64Encode(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Bytes of standard or URL-safe base64, with or without padding (as the server accepts).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64Decode(text) {
  const cleaned = text.trim().replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(cleaned + "=".repeat((4 - (cleaned.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/**
 * URL-safe base64 of `bytes`, unpadded.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64UrlEncode(bytes) {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Compare two strings by Unicode code point, as Python orders `str` (JavaScript's `<` compares
 * UTF-16 code units, which differs for characters beyond U+FFFF against U+E000..U+FFFF).
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
function compareCodePoints(a, b) {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = /** @type {number} */ (a.codePointAt(i));
    const y = /** @type {number} */ (b.codePointAt(j));
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

/**
 * Python's `repr` of the float nearest `value` (finite, written by JSON with "." or "e").
 * Both languages print the shortest digits that round-trip; they differ in where they switch
 * to exponent notation and in how they write it.
 * @param {number} value
 * @returns {string}
 */
function pythonFloatRepr(value) {
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  const sign = value < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1) || "0";
  return `${sign}${whole}.${fraction}`;
}

/**
 * One JSON value in the canonical form.
 * @param {unknown} value
 * @returns {string}
 */
function canonicalValue(value) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      if (!value.isWellFormed()) throw new TypeError("a string holds a lone surrogate");
      return JSON.stringify(value);
    case "number": {
      const text = JSON.stringify(value);
      return /^-?\d+$/.test(text) || text === "null" ? text : pythonFloatRepr(value);
    }
    case "object":
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined ? "null" : canonicalValue(item))).join(",")}]`;
      }
      return canonicalObject(/** @type {Record<string, unknown>} */ (value), () => true);
    default:
      throw new TypeError(`cannot sign a ${typeof value}`);
  }
}

/**
 * @param {Record<string, unknown>} object
 * @param {(key: string) => boolean} keep
 * @returns {string}
 */
function canonicalObject(object, keep) {
  const keys = Object.keys(object)
    .filter((key) => keep(key) && object[key] !== undefined)
    .sort(compareCodePoints);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalValue(object[key])}`).join(",")}}`;
}

/**
 * The canonical text of a request's fields, all but `signature`: sorted keys, compact, as
 * `recognize_sdk.proof.request_content` (decoded from UTF-8).
 * @param {Record<string, unknown>} fields
 * @returns {string}
 */
export function canonicalJson(fields) {
  return canonicalObject(fields, (key) => key !== "signature");
}

/**
 * The canonical bytes of a request's fields (UTF-8 of {@link canonicalJson}).
 * @param {Record<string, unknown>} fields
 * @returns {Uint8Array}
 */
export function requestContent(fields) {
  return encoder.encode(canonicalJson(fields));
}

/**
 * URL-safe base64 SHA-256 of `content`, unpadded.
 * @param {Uint8Array} content
 * @returns {Promise<string>}
 */
export async function contentDigest(content) {
  const digest = await crypto.subtle.digest("SHA-256", content);
  return base64UrlEncode(new Uint8Array(digest));
}

/**
 * The message a device signs for `content` under `challengeId`.
 * @param {string} challengeId
 * @param {Uint8Array} content
 * @returns {Promise<string>}
 */
export async function proofMessage(challengeId, content) {
  return `${challengeId}.${await contentDigest(content)}`;
}

/**
 * The message a device signs for one request of `purpose` under a server-issued nonce.
 * @param {{purpose: string, tenantId: string, challengeId: string,
 *          fields: Record<string, unknown>}} request
 * @returns {Promise<string>}
 */
export async function deviceRequestMessage({ purpose, tenantId, challengeId, fields }) {
  return `${purpose}.${tenantId}.${await proofMessage(challengeId, requestContent(fields))}`;
}

/**
 * One ECDSA integer (32 big-endian bytes) as a DER INTEGER.
 * @param {Uint8Array} bytes
 * @returns {number[]}
 */
function derInteger(bytes) {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const body = Array.from(bytes.subarray(start));
  if (body[0] & 0x80) body.unshift(0);
  return [0x02, body.length, ...body];
}

/**
 * An ECDSA P-256 signature as WebCrypto gives it (raw r‖s, 64 bytes) in DER (X9.62), the
 * form the other SDKs send: unambiguous for the server whatever its first byte is.
 * @param {Uint8Array} raw
 * @returns {Uint8Array}
 */
export function signatureRawToDer(raw) {
  if (raw.length !== 64) throw new TypeError("a P-256 signature is 64 bytes");
  const body = [...derInteger(raw.subarray(0, 32)), ...derInteger(raw.subarray(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

/**
 * UTF-8 bytes of `text`.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8(text) {
  return encoder.encode(text);
}
