// The shared vectors (tests/vectors, written by tests/vectors/generate.py) against the web
// client: the same fields give the same canonical bytes, digest and message as in Python.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  base64Decode,
  base64Encode,
  canonicalJson,
  contentDigest,
  deviceRequestMessage,
  proofMessage,
  requestContent,
  signatureRawToDer,
} from "../src/proof.js";

const VECTORS = new URL("../../../tests/vectors/", import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, VECTORS), "utf-8"));

for (const vector of load("device_requests.json")) {
  test(`device request: ${vector.name}`, async () => {
    assert.equal(canonicalJson(vector.fields), vector.content);
    assert.equal(await contentDigest(requestContent(vector.fields)), vector.digest);
    const message = await deviceRequestMessage({
      purpose: vector.purpose,
      tenantId: vector.tenantId,
      challengeId: vector.challengeId,
      fields: vector.fields,
    });
    assert.equal(message, vector.message);
  });

  test(`device request survives the request body: ${vector.name}`, () => {
    // What the client sends is JSON.stringify(fields); the server signs what it parses.
    assert.equal(canonicalJson(JSON.parse(JSON.stringify(vector.fields))), vector.content);
  });
}

for (const vector of load("proofs.json")) {
  test(`proof: ${vector.name}`, async () => {
    assert.equal(
      await proofMessage(vector.challengeId, base64Decode(vector.content)),
      vector.message,
    );
  });
}

for (const vector of load("signatures.json")) {
  test(`raw signature to DER: ${vector.name}`, () => {
    assert.equal(base64Encode(signatureRawToDer(base64Decode(vector.raw))), vector.der);
  });
}

for (const vector of load("public_keys.json")) {
  test(`public key as SPKI: ${vector.name}`, async () => {
    const key = await crypto.subtle.importKey(
      "jwk",
      vector.jwk,
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["verify"],
    );
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", key));
    assert.equal(base64Encode(spki), vector.spki);
  });
}

test("base64 in both alphabets, with or without padding", () => {
  const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00, 0x01]);
  assert.equal(base64Encode(bytes), "+/+/AAE=");
  assert.deepEqual(base64Decode("-_-_AAE"), bytes);
  assert.deepEqual(base64Decode("+/+/AAE="), bytes);
});

test("what the server could never read back is refused, not signed", () => {
  assert.throws(() => canonicalJson({ name: "\ud800" }), TypeError);
  assert.throws(() => canonicalJson({ when: () => 1 }), TypeError);
});

test("undefined fields are left out, as JSON.stringify leaves them out of the body", () => {
  assert.equal(canonicalJson({ b: undefined, a: 1, signature: "x" }), '{"a":1}');
});
