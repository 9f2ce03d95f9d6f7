"""Development delivery backends that keep codes out of shared logs.

On a laptop the sign-in codes, magic links and SMS have to land somewhere a developer can read
them, but never in the server's output, which is the access log that gets shared, pasted and
shipped: the e-mail and SMS "console" backends print one line saying where a message went and
write its text to a file only its owner can read (directory 0700, file 0600) under
``var/mail/`` or ``var/sms/``, and only when ``DEBUG`` is on for SMS. The "file" e-mail backend
(the embedded default) writes the same private files.
"""

import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: str | Path) -> Path:
    """``path``, created if missing, readable by this user only."""
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.chmod(directory, PRIVATE_DIR_MODE)
    return directory


def private_file_write(directory: str | Path, text: str) -> Path:
    """Write ``text`` to a new file (mode 0600) in ``directory`` and return its path."""
    folder = private_dir(directory)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S")
    # A random part: two messages in one second must not collide (O_EXCL would refuse the
    # second, and the message would be lost).
    path = folder / f"{stamp}-{os.getpid()}-{secrets.token_hex(6)}.log"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return path


def notice(line: str) -> None:
    """One line on the server's output (nothing secret in it)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def masked(address: str) -> str:
    """An address with all but its last two characters hidden."""
    return f"•••{address[-2:]}"


class PrivateFileEmailBackend(FileEmailBackend):
    """Django's file e-mail backend, but the directory is 0700 and each file 0600."""

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, file_path=file_path, **kwargs)
        private_dir(self.file_path)

    def open(self):
        if self.stream is None:
            descriptor = os.open(
                self._get_filename(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE
            )
            self.stream = os.fdopen(descriptor, "ab")
            return True
        return False


class NoticeEmailBackend(PrivateFileEmailBackend):
    """The "console" e-mail backend: the message goes to a private file under ``var/mail/``;
    the console gets only a line saying so (subjects carry codes, so not even the subject)."""

    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages or []:
            recipients = ", ".join(masked(address) for address in message.recipients())
            notice(f"E-mail to {recipients} written to {self.file_path}/ (owner-only files)")
        return sent


def dev_sms_write(*, to: str, body: str) -> None:
    """The console SMS backend's delivery: a private file when DEBUG, nothing otherwise."""
    if not settings.DEBUG:
        notice(f"SMS to {masked(to)} not shown (set RECOGNIZE_DEBUG=true to keep dev messages)")
        return
    path = private_file_write(Path(settings.VAR_DIR) / "sms", f"To: {to}\n\n{body}\n")
    notice(f"SMS to {masked(to)} written to {path} (owner-only file)")
