"""The user portal: server-rendered pages where an end user signs in, sees and deletes their
devices, manages TOTP and recovery codes, and starts a recovery on a new phone."""
