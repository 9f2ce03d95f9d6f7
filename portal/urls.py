"""Routes of the user portal, under /portal/."""

from django.urls import path

from portal.views import account, passkeys, recovery, security, sign_in, web_device

app_name = "portal"

urlpatterns = [
    path("", sign_in.front_door_page, name="front-door"),
    path("portal/", account.home_page, name="home"),
    path("portal/t/<uuid:tenant_id>/", sign_in.sign_in_page, name="sign-in"),
    path("portal/code", sign_in.code_page, name="code"),
    path("portal/second-factor", sign_in.second_factor_page, name="second-factor"),
    path(
        "portal/second-factor/passkey/options",
        passkeys.sign_in_options,
        name="passkey-sign-in-options",
    ),
    path("portal/second-factor/passkey", passkeys.sign_in, name="passkey-sign-in"),
    path("portal/passkeys/options", passkeys.passkey_add_options, name="passkey-add-options"),
    path("portal/passkeys", passkeys.passkey_add, name="passkey-add"),
    path("portal/link", sign_in.magic_link_page, name="magic-link"),
    path("portal/sign-out", sign_in.sign_out_view, name="sign-out"),
    path("portal/signed-out", sign_in.signed_out_page, name="signed-out"),
    path("portal/reauth", account.reauth_page, name="reauth"),
    path(
        "portal/devices/<uuid:device_id>/delete", account.device_delete_page, name="device-delete"
    ),
    path(
        "portal/authenticators/<uuid:authenticator_id>/delete",
        account.authenticator_delete_page,
        name="authenticator-delete",
    ),
    path("portal/totp", security.totp_setup_page, name="totp"),
    path("portal/recovery-codes", security.recovery_codes_page, name="recovery-codes"),
    path("portal/recover", recovery.recovery_page, name="recover"),
    path("portal/this-browser", web_device.web_device_page, name="web-device"),
    path("portal/this-browser/grant", web_device.web_device_grant_view, name="web-device-grant"),
]
