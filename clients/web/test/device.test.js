// WebDevice against a stand-in server that checks signatures the way devices/proofs.py does:
// it rebuilds the message from the request body it parsed and verifies the DER signature
// with node:crypto. Keys live in an in-memory store (Node has no IndexedDB).
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { test } from "node:test";

import { DeviceKeyLostError, FaceSeedMissingError, RecognizeClient, WebDevice } from "../src/index.js";
import { base64Decode, deviceRequestMessage, proofMessage } from "../src/proof.js";

const TENANT = "6a0c8a34-4e0b-4d51-9a0e-7d1f2b3c4d5e";

class MemoryKeyStore {
  constructor() {
    this.keys = new Map();
  }
  async get(id) {
    return this.keys.get(id) ?? null;
  }
  async put(key) {
    this.keys.set(key.id, key);
  }
  async delete(id) {
    this.keys.delete(id);
  }
}

function verifies(publicKey, message, signature) {
  const key = createPublicKey({ key: Buffer.from(base64Decode(publicKey)), format: "der", type: "spki" });
  return verify("sha256", Buffer.from(message), key, Buffer.from(base64Decode(signature)));
}

/** A stand-in for the Client API: binds one key, issues nonces, checks signatures. */
function standIn() {
  const state = { bound: null, nonces: new Map(), requests: [] };
  const reply = (status, body) => new Response(JSON.stringify(body), { status });
  state.fetch = async (url, init) => {
    const path = new URL(url).pathname;
    const body = init.body ? JSON.parse(init.body) : {};
    state.requests.push({ path, init, body });
    if (path === "/v1/client/user-authenticators/in-app") {
      state.bound = body.publicKey;
      return reply(200, { userAuthenticatorId: "a1", userId: "alice", deviceId: "d1" });
    }
    if (path === "/v1/client/challenge") return reply(200, { challengeId: "challenge-1" });
    if (path === "/v1/client/verify/in-app") {
      if (body.publicKey !== state.bound) {
        return reply(404, { errorCode: "credential_not_found", errorDescription: "No." });
      }
      const ok = verifies(body.publicKey, body.challengeId, body.signature);
      return ok ? reply(200, { token: "new-token" }) : reply(401, { errorCode: "invalid_signature" });
    }
    if (path === "/v1/client/device-challenge") {
      const id = `nonce-${state.nonces.size}`;
      state.nonces.set(id, body.purpose);
      return reply(200, { challengeId: id, purpose: body.purpose });
    }
    if (path === "/v1/client/user-authenticators/in-app/remove") {
      const message = await deviceRequestMessage({
        purpose: state.nonces.get(body.challengeId),
        tenantId: TENANT,
        challengeId: body.challengeId,
        fields: body,
      });
      if (!verifies(body.publicKey, message, body.signature)) {
        return reply(401, { errorCode: "invalid_signature" });
      }
      state.bound = null;
      return reply(200, { removedAuthenticatorId: "a1" });
    }
    if (path === "/v1/client/face/enroll" || path === "/v1/client/face/authenticate") {
      const field = path.endsWith("enroll") ? "protectedTemplate" : "protectedProbe";
      const vector = base64Decode(body[field]);
      const message = await proofMessage(body.challengeId, vector);
      if (vector.length !== 512 || !verifies(body.publicKey, message, body.signature)) {
        return reply(401, { errorCode: "invalid_signature" });
      }
      state.vectors.push(new Float32Array(vector.buffer));
      return reply(202, { status: "PENDING", jobId: "job-1" });
    }
    if (path === "/v1/client/face/jobs/job-1") return reply(200, { status: "SUCCEEDED" });
    return reply(404, { errorCode: "not_found" });
  };
  state.vectors = [];
  return state;
}

function device(server, keyStore = new MemoryKeyStore()) {
  const client = new RecognizeClient({ baseUrl: "http://recognize.test", tenantId: TENANT, fetch: server.fetch });
  return new WebDevice({ client, keyStore });
}

test("bind, verify and unbind with a non-extractable key", async () => {
  const server = standIn();
  const browser = device(server);
  await browser.bind({ token: "enroll-token", name: "This browser" });
  const stored = await browser.key();
  assert.equal(stored.privateKey.extractable, false);
  assert.equal((await browser.status()).binding.deviceId, "d1");
  assert.equal(server.requests[0].init.headers.Authorization, "Bearer enroll-token");

  assert.deepEqual(await browser.verify({ token: "sign-in" }), { token: "new-token" });
  assert.deepEqual(await browser.remove(), { removedAuthenticatorId: "a1" });
  assert.equal((await browser.status()).hasKey, false);
  const removal = server.requests.at(-1).body;
  assert.deepEqual(Object.keys(removal).sort(), ["challengeId", "publicKey", "signature"]);
});

test("requests without a token name the tenant by its public id", async () => {
  const server = standIn();
  await device(server).client.deviceChallenge({ publicKey: "k", purpose: "push.poll" });
  const basic = server.requests[0].init.headers.Authorization.replace("Basic ", "");
  assert.equal(new TextDecoder().decode(base64Decode(basic)), `${TENANT}:`);
  assert.equal(server.requests[0].init.credentials, "omit");
});

test("a cleared storage is a lost key, not a crash", async () => {
  const server = standIn();
  const browser = device(server);
  await browser.bind({ token: "enroll-token" });
  await browser.forget();
  await assert.rejects(browser.verify(), (error) => {
    assert.ok(error instanceof DeviceKeyLostError);
    assert.equal(error.reason, "missing");
    return true;
  });
});

test("a key the server no longer knows is a lost key too", async () => {
  const server = standIn();
  const browser = device(server);
  await browser.bind({ token: "enroll-token" });
  server.bound = null;
  await assert.rejects(browser.verify(), (error) => error instanceof DeviceKeyLostError && error.reason === "revoked");
});

test("a face is sent only as a signed protected vector, and the seed stays here", async () => {
  const server = standIn();
  const browser = device(server);
  await browser.bind({ token: "enroll-token" });
  await assert.rejects(
    browser.faceAuthenticate({ token: "pay", embedding: [1, 0, 0] }),
    FaceSeedMissingError,
  );
  const embedding = Array.from({ length: 128 }, (_, i) => Math.sin(i));
  assert.deepEqual(await browser.faceEnroll({ token: "enroll", embedding }), { status: "SUCCEEDED" });
  assert.deepEqual(await browser.faceAuthenticate({ token: "pay", embedding }), { status: "SUCCEEDED" });
  const [template, probe] = server.vectors;
  assert.deepEqual(template, probe); // same seed, same embedding: same protected vector
  assert.notDeepEqual(Array.from(template), embedding.map(Math.fround));
  const sent = server.requests.filter((request) => request.path.startsWith("/v1/client/face/"));
  assert.ok(sent.every((request) => !JSON.stringify(request.body).includes("faceSeed")));
  assert.equal((await browser.status()).binding.faceSeed.length, 44);
});
