// Five-point alignment against the shared vectors of recognize_sdk/face/align.py: the same chip,
// byte for byte, from the same synthetic pattern (drawn here as generate.py draws it).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { alignFace } from "../src/align.js";

const VECTORS = new URL("../../../tests/vectors/face_alignment.json", import.meta.url);

function syntheticImage(width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      for (let c = 0; c < 3; c += 1) data[(y * width + x) * 3 + c] = (7 * x + 3 * y + 50 * c + x * y) % 256;
    }
  }
  return { width, height, data };
}

for (const vector of JSON.parse(readFileSync(VECTORS, "utf-8"))) {
  test(`alignment: ${vector.name}`, () => {
    const chip = alignFace(syntheticImage(vector.width, vector.height), vector.landmarks);
    assert.deepEqual(Array.from(chip.subarray(0, 12)), vector.chipFirstPixels);
    assert.equal(createHash("sha256").update(chip).digest("hex"), vector.chipSha256);
  });
}
