"""The browser SDK's passkey and security key calls, made with Django's test client from a
page on the tenant's site (request shapes: @authsignal/browser 1.16.0 dist/index.js
``PasskeyApiClient``, headers from ``buildHeaders``)."""

import base64

from django.test import Client

from tests.webauthn_soft import SoftAuthenticator

SITE = "https://shop.example.com"


class Browser:
    """The browser SDK's HTTP calls, from a page on ``origin``."""

    def __init__(self, ctx, origin: str = SITE) -> None:
        self.ctx, self.origin, self.http = ctx, origin, Client()

    def post(self, path: str, body: dict, *, token: str | None = None):
        if token:
            auth = f"Bearer {token}"
        else:  # buildHeaders: btoa(encodeURIComponent(tenantId)), no colon
            auth = "Basic " + base64.b64encode(self.ctx.tenant_id.encode()).decode()
        return self.http.post(
            f"/v1/client{path}",
            body,
            content_type="application/json",
            HTTP_ORIGIN=self.origin,
            HTTP_AUTHORIZATION=auth,
        )

    def sign_up(self, authenticator: SoftAuthenticator, token: str, **create):
        options = self.post(
            "/user-authenticators/passkey/registration-options",
            {"username": "alice@example.com", "authenticatorAttachment": "platform"},
            token=token,
        )
        assert options.status_code == 200, options.json()
        body = options.json()
        credential = authenticator.create(body["options"], **create)
        return self.post(
            "/user-authenticators/passkey",
            {
                "registrationCredential": credential,
                "conditionalCreate": False,
                "challengeId": body["challengeId"],
            },
            token=token,
        )

    def options(self, *, token: str | None = None, challenge_id: str | None = None) -> dict:
        body = {"challengeId": challenge_id} if challenge_id else {}
        response = self.post(
            "/user-authenticators/passkey/authentication-options", body, token=token
        )
        assert response.status_code == 200, response.json()
        return response.json()

    def verify(self, options: dict, credential: dict, *, token: str | None = None):
        return self.post(
            "/verify/passkey",
            {
                "authenticationCredential": credential,
                "deviceId": "anon-device-1",
                "challengeId": options["challengeId"],
            },
            token=token,
        )
