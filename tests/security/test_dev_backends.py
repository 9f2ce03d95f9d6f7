"""Item 12 of the security audit: the development backends keep codes out of shared output.

A code shows up only in an owner-only file (0600, directory 0700), and for SMS only when DEBUG
is on; the console, which is the server's shared log, never carries one.
"""

import re
import stat

from django.core.mail import get_connection, send_mail

from devices.factors.sms import sms_backend

CODE = "493817"


def test_item12_console_sms_never_prints_the_code(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    settings.RECOGNIZE_SMS_BACKEND = "console"
    settings.DEBUG = False
    sms_backend().send(to="+15550001234", body=f"{CODE} is your acme code.")
    assert CODE not in capsys.readouterr().out
    assert not (tmp_path / "sms").exists()  # not DEBUG: not kept anywhere

    settings.DEBUG = True
    sms_backend().send(to="+15550001234", body=f"{CODE} is your acme code.")
    out = capsys.readouterr().out
    assert CODE not in out and "+15550001234" not in out
    (kept,) = (tmp_path / "sms").iterdir()
    assert CODE in kept.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "sms").stat().st_mode) == 0o700


def _send(backend: str, folder):
    connection = get_connection(backend, file_path=str(folder))
    send_mail(
        f"Your acme sign-in code: {CODE}",
        f"Your code: {CODE}",
        None,
        ["alice@example.com"],
        connection=connection,
    )


def test_item12_mail_files_are_owner_only(tmp_path, capsys):
    folder = tmp_path / "mail"
    folder.mkdir(mode=0o755)  # left over from an older version, world-readable
    _send("recognize_project.dev_backends.PrivateFileEmailBackend", folder)  # "file", the default
    _send("recognize_project.dev_backends.NoticeEmailBackend", folder)  # "console"
    assert CODE not in capsys.readouterr().out
    files = list(folder.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert all(re.search(CODE, f.read_text()) for f in files)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
