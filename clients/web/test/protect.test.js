// Template protection against the shared vectors of recognize_sdk/face/protect.py, and SHAKE-256
// against Node's own.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { base64Decode } from "../src/proof.js";
import { expand, protect, rotationFromSeed, shake256 } from "../src/protect.js";

const VECTORS = new URL("../../../tests/vectors/face_protection.json", import.meta.url);
const hex = (bytes) => Buffer.from(bytes).toString("hex");

function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i += 1) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test("SHAKE-256 equals Node's on every padding boundary", () => {
  for (const size of [0, 1, 135, 136, 137, 271, 272, 300]) {
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 255);
    for (const length of [1, 32, 136, 137, 500]) {
      const expected = createHash("shake256", { outputLength: length }).update(data).digest("hex");
      assert.equal(hex(shake256(data, length)), expected, `${size} bytes → ${length}`);
    }
  }
});

for (const vector of JSON.parse(readFileSync(VECTORS, "utf-8"))) {
  test(`face protection: ${vector.name}`, async () => {
    const seed = base64Decode(vector.seed);
    const dim = vector.dim;
    const info = new TextEncoder().encode(`dim=${dim}`);
    assert.equal(hex(await expand(seed, 64, info)), vector.expanded);
    const rotation = await rotationFromSeed(seed, dim);
    const shown = Math.min(8, dim);
    assertClose(rotation.subarray(0, shown), vector.rotationFirstRow, 1e-12, "first row");
    assertClose(rotation.subarray(dim * dim - shown), vector.rotationLastRow, 1e-12, "last row");
    const diagonal = Array.from({ length: shown }, (_, i) => rotation[i * dim + i]);
    assertClose(diagonal, vector.rotationDiagonal, 1e-12, "diagonal");
    assertClose(await protect(vector.embedding, seed), vector.protected, 1e-6, "protected");
  });
}

test("a short seed is refused", async () => {
  await assert.rejects(rotationFromSeed(new Uint8Array(15)), TypeError);
});
