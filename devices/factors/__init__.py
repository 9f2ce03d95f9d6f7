"""First factors: e-mail and SMS codes with magic links, TOTP and recovery codes.

Each is an authenticator of the user (``devices.Authenticator``), which carries the lockout
shared by every method; the secrets live beside it, hashed or sealed, never in the clear.
"""
