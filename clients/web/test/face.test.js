// The pure parts of the on-device face embedding: normalisation, similarity, and the model
// integrity check that keeps a corrupted or substituted model from running.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { ModelIntegrityError, cosine, l2Normalize, modelBytesLoad } from "../src/face.js";

test("embeddings are scaled to unit length", () => {
  const unit = l2Normalize([3, 4]);
  assert.deepEqual(Array.from(unit), [0.6000000238418579, 0.800000011920929]);
  assert.deepEqual(Array.from(l2Normalize([0, 0])), [0, 0]);
});

test("cosine similarity", () => {
  assert.equal(cosine([1, 0], [0, 2]), 0);
  assert.ok(Math.abs(cosine([1, 2, 3], [2, 4, 6]) - 1) < 1e-12);
});

const bytes = new TextEncoder().encode("model bytes");
const served = (body) => async () => new Response(body);
const model = { url: "https://recognize.test/m", sha256: createHash("sha256").update(bytes).digest("hex") };

test("a model is used only when its bytes match the listed SHA-256", async () => {
  assert.deepEqual(await modelBytesLoad("m.onnx", model, served(bytes)), bytes);
  await assert.rejects(
    modelBytesLoad("m.onnx", model, served(new TextEncoder().encode("tampered"))),
    (error) => error instanceof ModelIntegrityError && error.code === "model_integrity",
  );
});
