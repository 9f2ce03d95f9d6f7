// @ts-check
/**
 * @module recognize-web/protect
 *
 * Protected face templates by secret orthonormal rotation, as `recognize_sdk/face/protect.py`
 * makes them: the seed goes through HKDF-Extract (HMAC-SHA256, salt
 * `recognize/face-template-rotation/v1`), SHAKE-256 expands the key with the dimension as
 * context, the bytes become uniform doubles (53 bits each), Box-Muller makes standard normals,
 * and a QR decomposition with `R`'s diagonal positive orthonormalises them. The template is
 * the unit embedding rotated by that matrix, unit norm, float32. The same seed gives the same
 * matrix as in Python up to the rounding of `log`/`cos` (~1e-15); shared vectors in
 * `tests/vectors/face_protection.json` check it.
 *
 * WebCrypto has no SHAKE, so Keccak-f[1600] is here (64-bit lanes as pairs of 32-bit words,
 * as noble-hashes and other JavaScript SHA-3s do: ~1 000 permutations per 128-d matrix).
 */

export const MIN_SEED_BYTES = 16;
const SALT = new TextEncoder().encode("recognize/face-template-rotation/v1");
const ROUND_CONSTANTS = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
  0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
  0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
  0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];
const IOTA_LOW = Uint32Array.from(ROUND_CONSTANTS, (c) => Number(c & 0xffffffffn));
const IOTA_HIGH = Uint32Array.from(ROUND_CONSTANTS, (c) => Number(c >> 32n));
/** The ρ and π steps as one walk over the lanes: where each goes and by how much it turns. */
const PI_WORDS = [];
const RHO_SHIFTS = [];
for (let t = 0, x = 1, y = 0; t < 24; t += 1) {
  [x, y] = [y, (2 * x + 3 * y) % 5];
  PI_WORDS.push(2 * (5 * y + x));
  RHO_SHIFTS.push((((t + 1) * (t + 2)) / 2) % 64);
}

/**
 * The low word of a 64-bit lane (`low`, `high`) rotated left by `shift` (1..63, not 32).
 * @param {number} low
 * @param {number} high
 * @param {number} shift
 */
function rotlLow(low, high, shift) {
  return shift < 32 ? (low << shift) | (high >>> (32 - shift)) : (high << (shift - 32)) | (low >>> (64 - shift));
}

/**
 * The high word of the same rotation.
 * @param {number} low
 * @param {number} high
 * @param {number} shift
 */
function rotlHigh(low, high, shift) {
  return shift < 32 ? (high << shift) | (low >>> (32 - shift)) : (low << (shift - 32)) | (high >>> (64 - shift));
}

/**
 * Keccak-f[1600] in place on 25 lanes as 50 little-endian 32-bit words (lane i: words 2i, 2i+1).
 * @param {Uint32Array} state
 */
function keccakF(state) {
  const c = new Uint32Array(10);
  for (let round = 0; round < 24; round += 1) {
    for (let x = 0; x < 10; x += 1) {
      c[x] = state[x] ^ state[x + 10] ^ state[x + 20] ^ state[x + 30] ^ state[x + 40];
    }
    for (let x = 0; x < 10; x += 2) {
      const next = (x + 2) % 10;
      const previous = (x + 8) % 10;
      const low = rotlLow(c[next], c[next + 1], 1) ^ c[previous];
      const high = rotlHigh(c[next], c[next + 1], 1) ^ c[previous + 1];
      for (let y = 0; y < 50; y += 10) {
        state[x + y] ^= low;
        state[x + y + 1] ^= high;
      }
    }
    let low = state[2];
    let high = state[3];
    for (let t = 0; t < 24; t += 1) {
      const shift = RHO_SHIFTS[t];
      const turnedLow = rotlLow(low, high, shift);
      const turnedHigh = rotlHigh(low, high, shift);
      const target = PI_WORDS[t];
      low = state[target];
      high = state[target + 1];
      state[target] = turnedLow;
      state[target + 1] = turnedHigh;
    }
    for (let y = 0; y < 50; y += 10) {
      for (let x = 0; x < 10; x += 1) c[x] = state[y + x];
      for (let x = 0; x < 10; x += 1) state[y + x] ^= ~c[(x + 2) % 10] & c[(x + 4) % 10];
    }
    state[0] ^= IOTA_LOW[round];
    state[1] ^= IOTA_HIGH[round];
  }
}

/**
 * SHAKE-256 (FIPS 202) of `data`, `length` bytes.
 * @param {Uint8Array} data
 * @param {number} length
 * @returns {Uint8Array}
 */
export function shake256(data, length) {
  const rate = 136;
  const padded = new Uint8Array(Math.floor(data.length / rate) * rate + rate);
  padded.set(data);
  padded[data.length] ^= 0x1f;
  padded[padded.length - 1] ^= 0x80;
  const state = new Uint32Array(50);
  const view = new DataView(padded.buffer);
  for (let offset = 0; offset < padded.length; offset += rate) {
    for (let word = 0; word < rate / 4; word += 1) {
      state[word] ^= view.getUint32(offset + word * 4, true);
    }
    keccakF(state);
  }
  const out = new Uint8Array(Math.ceil(length / rate) * rate);
  const outView = new DataView(out.buffer);
  for (let offset = 0; offset < length; offset += rate) {
    if (offset > 0) keccakF(state);
    for (let word = 0; word < rate / 4; word += 1) {
      outView.setUint32(offset + word * 4, state[word], true);
    }
  }
  return out.slice(0, length);
}

/**
 * HKDF-Extract (HMAC-SHA256) of the seed, expanded to `length` bytes by SHAKE-256.
 * @param {Uint8Array} seed
 * @param {number} length
 * @param {Uint8Array} info
 */
export async function expand(seed, length, info) {
  const key = await crypto.subtle.importKey("raw", SALT, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const prk = new Uint8Array(await crypto.subtle.sign("HMAC", key, seed));
  const input = new Uint8Array(prk.length + info.length);
  input.set(prk);
  input.set(info, prk.length);
  return shake256(input, length);
}

/**
 * `count` standard normals from the seed (Box-Muller on 53-bit uniforms).
 * @param {Uint8Array} seed
 * @param {number} count
 * @param {Uint8Array} info
 * @returns {Promise<Float64Array>}
 */
export async function standardNormals(seed, count, info) {
  const pairs = Math.ceil(count / 2);
  const bytes = await expand(seed, pairs * 16, info);
  const view = new DataView(bytes.buffer);
  const uniform = (/** @type {number} */ i) =>
    (Number(view.getBigUint64(i * 8, false) >> 11n) + 0.5) / 2 ** 53;
  const normals = new Float64Array(2 * pairs);
  for (let pair = 0; pair < pairs; pair += 1) {
    const radius = Math.sqrt(-2 * Math.log(uniform(2 * pair)));
    const angle = 2 * Math.PI * uniform(2 * pair + 1);
    normals[2 * pair] = radius * Math.cos(angle);
    normals[2 * pair + 1] = radius * Math.sin(angle);
  }
  return normals.subarray(0, count);
}

/**
 * The secret orthonormal `dim`×`dim` matrix of `seed`, row-major: the Q of the QR
 * decomposition of the seed's Gaussian matrix with R's diagonal positive (Householder
 * reflections, as LAPACK; the sign fix makes Q unique).
 * @param {Uint8Array} seed
 * @param {number} [dim]
 * @returns {Promise<Float64Array>}
 */
export async function rotationFromSeed(seed, dim = 128) {
  if (!(seed instanceof Uint8Array) || seed.length < MIN_SEED_BYTES) {
    throw new TypeError(`seed must be at least ${MIN_SEED_BYTES} random bytes`);
  }
  const info = new TextEncoder().encode(`dim=${dim}`);
  const r = Float64Array.from(await standardNormals(seed, dim * dim, info)); // becomes R
  const q = new Float64Array(dim * dim); // Q, built as the identity times the reflections
  for (let i = 0; i < dim; i += 1) q[i * dim + i] = 1;
  const v = new Float64Array(dim);
  for (let k = 0; k < dim - 1; k += 1) {
    let norm = 0;
    for (let i = k; i < dim; i += 1) norm += r[i * dim + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = r[k * dim + k] > 0 ? -norm : norm;
    let vNorm = 0;
    for (let i = k; i < dim; i += 1) {
      v[i] = r[i * dim + k] - (i === k ? alpha : 0);
      vNorm += v[i] ** 2;
    }
    if (vNorm === 0) continue;
    for (let j = 0; j < dim; j += 1) {
      let dot = 0;
      for (let i = k; i < dim; i += 1) dot += v[i] * r[i * dim + j];
      const scale = (2 * dot) / vNorm;
      for (let i = k; i < dim; i += 1) r[i * dim + j] -= scale * v[i];
    }
    for (let row = 0; row < dim; row += 1) {
      let dot = 0;
      for (let i = k; i < dim; i += 1) dot += q[row * dim + i] * v[i];
      const scale = (2 * dot) / vNorm;
      for (let i = k; i < dim; i += 1) q[row * dim + i] -= scale * v[i];
    }
  }
  for (let column = 0; column < dim; column += 1) {
    if (r[column * dim + column] < 0) {
      for (let row = 0; row < dim; row += 1) q[row * dim + column] = -q[row * dim + column];
    }
  }
  return q;
}

/** The last seed's matrix: enrolling and authenticating again reuse it. */
let remembered = { key: "", rotation: new Float64Array(0) };

/**
 * {@link rotationFromSeed}, remembered for the last seed and dimension.
 * @param {Uint8Array} seed
 * @param {number} dim
 */
async function rotationRemembered(seed, dim) {
  const key = `${dim}:${Array.from(seed).join(",")}`;
  if (remembered.key !== key) remembered = { key, rotation: await rotationFromSeed(seed, dim) };
  return remembered.rotation;
}

/**
 * The protected template of `embedding`: rotated by the seed's matrix, unit norm, float32.
 * @param {ArrayLike<number>} embedding
 * @param {Uint8Array} seed
 * @returns {Promise<Float32Array>}
 */
export async function protect(embedding, seed) {
  const dim = embedding.length;
  let norm = 0;
  for (let i = 0; i < dim; i += 1) norm += embedding[i] ** 2;
  norm = Math.sqrt(norm);
  if (!Number.isFinite(norm) || norm === 0) {
    throw new TypeError("embedding must be a finite non-zero vector");
  }
  const rotation = await rotationRemembered(seed, dim);
  const rotated = new Float64Array(dim);
  let rotatedNorm = 0;
  for (let row = 0; row < dim; row += 1) {
    let sum = 0;
    for (let i = 0; i < dim; i += 1) sum += rotation[row * dim + i] * (embedding[i] / norm);
    rotated[row] = sum;
    rotatedNorm += sum * sum;
  }
  rotatedNorm = Math.sqrt(rotatedNorm);
  return Float32Array.from(rotated, (value) => value / rotatedNorm);
}
