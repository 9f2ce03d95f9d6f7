// Drives the official @authsignal/node client (pinned in package.json) against a served
// Recognize: one scenario per public method of its `Authsignal` class, plus its webhook verifier.
//
//   AUTHSIGNAL_SECRET=... node harness.js <apiUrl> <scenario> <userId> [argsJson]
//
// Prints one JSON line: {"ok": true, "result": ...} or {"ok": false, "error": {...}}, where the
// error carries the AuthsignalError fields the SDK built from our error body (statusCode,
// errorCode from `error`, errorDescription). Request shapes follow the SDK's own types
// (node_modules/@authsignal/node/dist/types.d.ts) and its live tests (authsignal-node
// test/client.test.ts); each scenario asserts the response fields those types promise.
"use strict";

const assert = require("node:assert/strict");
const {Authsignal, AuthsignalError} = require("@authsignal/node");

const [apiUrl, scenario, userId, argsJson] = process.argv.slice(2);
const args = argsJson ? JSON.parse(argsJson) : {};
const client = new Authsignal({apiSecretKey: process.env.AUTHSIGNAL_SECRET, apiUrl, retries: 0});

const email = `${userId}@example.com`;

async function trackSignIn(attributes = {}) {
  const response = await client.track({
    userId,
    action: "signIn",
    attributes: {
      redirectUrl: "https://app.example.com/callback",
      ipAddress: "203.0.113.7",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) recognize-sdk-harness",
      deviceId: "web-7f3a",
      email,
      custom: {plan: "gold", amount: 120},
      ...attributes,
    },
  });
  assert.equal(typeof response.idempotencyKey, "string");
  assert.equal(typeof response.token, "string");
  assert.equal(typeof response.url, "string");
  assert.equal(typeof response.isEnrolled, "boolean");
  assert.ok(["ALLOW", "BLOCK", "CHALLENGE_REQUIRED", "REVIEW_REQUIRED"].includes(response.state));
  return response;
}

async function enrollEmailOtp() {
  const response = await client.enrollVerifiedAuthenticator({
    userId,
    attributes: {verificationMethod: "EMAIL_OTP", email},
  });
  assert.equal(response.authenticator.userId, userId);
  assert.equal(response.authenticator.verificationMethod, "EMAIL_OTP");
  assert.equal(response.authenticator.email, email);
  assert.equal(typeof response.authenticator.userAuthenticatorId, "string");
  return response.authenticator;
}

async function startEmailOtp() {
  const response = await client.challenge({
    verificationMethod: "EMAIL_OTP",
    action: "signIn",
    userId,
    email,
    ipAddress: "203.0.113.7",
    userAgent: "recognize-sdk-harness",
  });
  assert.equal(typeof response.challengeId, "string");
  assert.equal(typeof response.idempotencyKey, "string");
  assert.equal(typeof response.expiresAt, "number");
  return response;
}

// A session needs a token whose action may proceed: the test sets the outcome of the action
// code "session" to ALLOW before it runs (authsignal-node src/types.ts CreateSessionRequest).
async function newSession() {
  const {token} = await client.track({userId, action: "session", attributes: {email}});
  const session = await client.createSession({clientId: "web", token, action: "session"});
  assert.equal(typeof session.accessToken, "string");
  assert.equal(typeof session.refreshToken, "string");
  return session;
}

async function expectUnauthorizedSession(accessToken) {
  await assert.rejects(client.validateSession({accessToken, clientIds: ["web"]}), (error) => {
    assert.ok(error instanceof AuthsignalError);
    assert.equal(error.statusCode, 401);
    return true;
  });
}

const scenarios = {
  async getUser() {
    await client.updateUser({userId, attributes: {email, displayName: "Alice Example"}});
    const user = await client.getUser({userId});
    assert.equal(user.email, email);
    assert.equal(user.displayName, "Alice Example");
    assert.equal(user.isEnrolled, false);
    return user;
  },
  async queryUsers() {
    await client.updateUser({userId, attributes: {email}});
    const response = await client.queryUsers({email, limit: 10});
    assert.deepEqual(
      response.users.map((user) => user.userId),
      [userId],
    );
    return response;
  },
  async updateUser() {
    const attributes = {
      email,
      phoneNumber: "+64270000001",
      username: userId,
      displayName: "Alice Example",
      custom: {tier: "gold"},
    };
    const user = await client.updateUser({userId, attributes});
    assert.equal(user.email, email);
    assert.equal(user.phoneNumber, "+64270000001");
    assert.equal(user.displayName, "Alice Example");
    return user;
  },
  // UserAttributes fields of the SDK's types beyond the base ones (src/types.ts).
  async updateUserVerifiedFlags() {
    const attributes = {email, emailVerified: true, phoneNumber: "+64270000001",
      phoneNumberVerified: true, locale: "en-NZ"};
    const user = await client.updateUser({userId, attributes});
    assert.equal(user.emailVerified, true);
    assert.equal(user.phoneNumberVerified, true);
    return user;
  },
  async deleteUser() {
    await client.updateUser({userId, attributes: {email}});
    await enrollEmailOtp();
    await client.deleteUser({userId});
    const user = await client.getUser({userId});
    assert.equal(user.isEnrolled, false);
    assert.ok(!user.email);
    return user;
  },
  async getAuthenticators() {
    const enrolled = await enrollEmailOtp();
    const authenticators = await client.getAuthenticators({userId});
    assert.deepEqual(
      authenticators.map((a) => a.userAuthenticatorId),
      [enrolled.userAuthenticatorId],
    );
    return authenticators;
  },
  async enrollVerifiedAuthenticator() {
    return enrollEmailOtp();
  },
  // Authsignal's spelling of SMS OTP is "SMS" (src/types.ts VerificationMethod).
  async enrollVerifiedAuthenticatorSms() {
    const response = await client.enrollVerifiedAuthenticator({
      userId,
      attributes: {verificationMethod: "SMS", phoneNumber: "+64270000002"},
    });
    assert.equal(response.authenticator.verificationMethod, "SMS");
    return response;
  },
  async deleteAuthenticator() {
    const enrolled = await enrollEmailOtp();
    await client.deleteAuthenticator({userId, userAuthenticatorId: enrolled.userAuthenticatorId});
    assert.deepEqual(await client.getAuthenticators({userId}), []);
    return null;
  },
  async track() {
    return trackSignIn();
  },
  // TrackAttributes fields of the SDK's types that Recognize does not know (src/types.ts).
  async trackNewerAttributes() {
    const idempotencyKey = "0b6f9a0e-6d8a-4a3e-9d51-1f7c2b3a4d5e";
    const response = await trackSignIn({
      idempotencyKey,
      redirectToSettings: false,
      scope: "read:authenticators",
      locale: "en-NZ",
      customDomain: "auth.example.com",
    });
    assert.equal(response.idempotencyKey, idempotencyKey);
    return response;
  },
  async validateChallenge() {
    const tracked = await trackSignIn();
    const response = await client.validateChallenge({token: tracked.token, userId, action: "signIn"});
    assert.equal(typeof response.isValid, "boolean");
    assert.equal(response.userId, userId);
    assert.equal(response.action, "signIn");
    assert.equal(response.idempotencyKey, tracked.idempotencyKey);
    assert.equal(response.state, tracked.state);
    return response;
  },
  async claimChallenge() {
    const {challengeId} = await startEmailOtp();
    const response = await client.claimChallenge({challengeId, userId});
    assert.equal(typeof response.token, "string");
    assert.equal(response.verificationMethod, "EMAIL_OTP");
    return response;
  },
  async getAction() {
    const tracked = await trackSignIn();
    const action = await client.getAction({
      userId, action: "signIn", idempotencyKey: tracked.idempotencyKey,
    });
    assert.equal(action.state, tracked.state);
    assert.equal(typeof action.createdAt, "string");
    assert.equal(typeof action.stateUpdatedAt, "string");
    return action;
  },
  async queryUserActions() {
    const tracked = await trackSignIn();
    const actions = await client.queryUserActions({
      userId, actionCodes: ["signIn"], fromDate: "2020-01-01T00:00:00.000Z",
    });
    assert.deepEqual(
      actions.map((a) => [a.actionCode, a.idempotencyKey]),
      [["signIn", tracked.idempotencyKey]],
    );
    return actions;
  },
  async updateAction() {
    const tracked = await trackSignIn();
    const response = await client.updateAction({
      userId, action: "signIn", idempotencyKey: tracked.idempotencyKey,
      attributes: {state: "REVIEW_REQUIRED"},
    });
    assert.equal(response.state, "REVIEW_REQUIRED");
    return response;
  },
  async challenge() {
    return startEmailOtp();
  },
  async verify() {
    const {challengeId} = await startEmailOtp();
    const response = await client.verify({challengeId, verificationCode: "000000"});
    assert.equal(response.isVerified, false);
    assert.equal(response.failureReason, "CODE_INVALID_OR_EXPIRED");
    return response;
  },
  async getChallenge() {
    const started = await startEmailOtp();
    const response = await client.getChallenge({challengeId: started.challengeId});
    assert.equal(response.challengeId, started.challengeId);
    assert.equal(response.verificationMethod, "EMAIL_OTP");
    return response;
  },
  async createSession() {
    return newSession();
  },
  async validateSession() {
    const {accessToken} = await newSession();
    const response = await client.validateSession({accessToken, clientIds: ["web"]});
    assert.equal(response.user.userId, userId);
    assert.equal(typeof response.expiresAt, "number");
    return response;
  },
  async refreshSession() {
    const first = await newSession();
    const second = await client.refreshSession({refreshToken: first.refreshToken});
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal(typeof second.accessToken, "string");
    return second;
  },
  async revokeSession() {
    const {accessToken} = await newSession();
    await client.revokeSession({accessToken});
    await expectUnauthorizedSession(accessToken);
    return null;
  },
  async revokeUserSessions() {
    const {accessToken} = await newSession();
    await client.revokeUserSessions({userId});
    await expectUnauthorizedSession(accessToken);
    return null;
  },
  // Error mapping: src/error.ts reads `error` (as errorCode) and `errorDescription`.
  async badSecret() {
    const bad = new Authsignal({apiSecretKey: "bad-secret", apiUrl, retries: 0});
    await assert.rejects(bad.getUser({userId}), (error) => {
      assert.ok(error instanceof AuthsignalError);
      assert.equal(error.statusCode, 401);
      assert.equal(error.errorCode, "unauthorized");
      assert.equal(
        error.errorDescription,
        "The request is unauthorized. Check that your API key and region base URL are " +
          "correctly configured.",
      );
      return true;
    });
    return null;
  },
  // A delivery captured by the test, checked with the SDK's own verifier (src/webhook.ts).
  async webhookConstructEvent() {
    const event = client.webhook.constructEvent(args.payload, args.signature);
    for (const field of ["version", "type", "id", "source", "time", "tenantId", "data"]) {
      assert.ok(event[field] !== undefined, `envelope field ${field} is missing`);
    }
    return event;
  },
};

async function main() {
  const run = scenarios[scenario];
  if (!run) {
    throw new Error(`unknown scenario ${scenario}`);
  }
  try {
    const result = await run();
    process.stdout.write(JSON.stringify({ok: true, result: result ?? null}) + "\n");
  } catch (error) {
    const report = {name: error.name, message: error.message};
    if (error instanceof AuthsignalError) {
      Object.assign(report, {
        statusCode: error.statusCode,
        errorCode: error.errorCode,
        errorDescription: error.errorDescription,
      });
    }
    process.stdout.write(JSON.stringify({ok: false, error: report}) + "\n");
  }
}

main();
