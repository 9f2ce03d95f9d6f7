"""Command line for the reference device: ``python -m recognize_sdk --help``."""

import argparse
import json
import os
import sys
from pathlib import Path

from recognize_sdk.client import RecognizeClient, RecognizeError
from recognize_sdk.device import InAppDevice
from recognize_sdk.face.errors import FaceError
from recognize_sdk.face_device import FaceDevice
from recognize_sdk.push_device import PushDevice
from recognize_sdk.recovery import deep_link_parse, recover


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recognize_sdk", description="Act as a user's device against Recognize."
    )
    parser.add_argument(
        "--server", default=os.environ.get("RECOGNIZE_SERVER", "http://127.0.0.1:8000")
    )
    parser.add_argument(
        "--tenant",
        default=os.environ.get("RECOGNIZE_TENANT_ID"),
        help="public tenant id (or RECOGNIZE_TENANT_ID)",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        default=Path(
            os.environ.get("RECOGNIZE_KEY_FILE", Path.home() / ".recognize" / "device.json")
        ),
        help="where the device key is kept (mode 0600)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="bind this device with a token from track")
    add.add_argument("--token", required=True)
    add.add_argument("--name", default="Python device")
    verify = commands.add_parser("verify", help="prove possession of the key for an action")
    verify.add_argument("--token", help="the action's token from track")
    verify.add_argument("--action", help="an action code, for app-initiated verification")
    for name, text in [
        ("enroll", "enroll your face (token with add:authenticators)"),
        ("authenticate", "prove it is you with your face, for an action"),
    ]:
        face = commands.add_parser(name, help=text)
        face.add_argument("--token", required=True)
        face.add_argument("--image", type=Path, required=True, help="a photo of your face")
        face.add_argument(
            "--upload",
            action="store_true",
            help="send the photo to the server instead of analysing it here",
        )
    client_state = commands.add_parser(
        "client-state", help="get a client state of your face, for a later recovery"
    )
    client_state.add_argument("--token", required=True, help="a token with add:authenticators")
    client_state.add_argument("--type", choices=["BACKUP", "TEMPORARY"], default="BACKUP")
    recover = commands.add_parser(
        "recover", help="on a new device: restore your account with a client state and a selfie"
    )
    given = recover.add_mutually_exclusive_group(required=True)
    given.add_argument("--token", help="the recovery token")
    given.add_argument("--link", help="the recognize://recover#... link (sets server and token)")
    recover.add_argument("--client-state", required=True, help="the stored client state")
    recover.add_argument("--image", type=Path, required=True, help="a selfie")
    recover.add_argument("--name", default="Python device")
    deenroll = commands.add_parser("deenroll", help="delete your face (after authenticating)")
    deenroll.add_argument("--token", required=True, help="the token from 'authenticate'")
    push = commands.add_parser("push", help="push challenges: register, poll, approve, deny")
    push_commands = push.add_subparsers(dest="push_command", required=True)
    push_add = push_commands.add_parser("add", help="receive push challenges on this device")
    push_add.add_argument("--token", required=True, help="a token with add:authenticators")
    push_poll = push_commands.add_parser("poll", help="show the pending challenge, if any")
    push_poll.add_argument("--wait", type=float, default=0, help="poll up to this many seconds")
    for name, text in [("approve", "approve the pending challenge"), ("deny", "it wasn't me")]:
        answer = push_commands.add_parser(name, help=text)
        answer.add_argument("--challenge", help="the challengeId (default: the pending one)")
        if name == "approve":
            answer.add_argument("--code", help="the number the sign-in page shows")
            answer.add_argument("--image", type=Path, help="a selfie, when the face is asked")
    commands.add_parser("remove", help="unbind this device and delete its key")
    commands.add_parser("status", help="show the credential bound to this device's key")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; prints the server's JSON answer, or the error, and returns an exit code."""
    args = _parser().parse_args(argv)
    if not args.tenant:
        print("error: --tenant (or RECOGNIZE_TENANT_ID) is required", file=sys.stderr)
        return 2
    if args.command == "recover" and args.link:
        try:
            args.server, args.token = deep_link_parse(args.link)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    device = InAppDevice(RecognizeClient(args.server, args.tenant), args.key_file)
    try:
        if args.command == "add":
            result = device.bind(token=args.token, name=args.name)
        elif args.command == "verify":
            result = device.verify(token=args.token, action=args.action)
        elif args.command in ("enroll", "authenticate"):
            face = getattr(FaceDevice(device), args.command)
            result = face(token=args.token, image=args.image.read_bytes(), upload=args.upload)
        elif args.command == "client-state":
            result = FaceDevice(device).create_client_state(token=args.token, type=args.type)
            print(result["clientState"])
            return 0
        elif args.command == "recover":
            result = recover(
                device,
                token=args.token,
                client_state=args.client_state,
                image=args.image.read_bytes(),
                name=args.name,
            )
        elif args.command == "deenroll":
            result = FaceDevice(device).deenroll(token=args.token)
        elif args.command == "push":
            result = _push(PushDevice(device), args)
        elif args.command == "remove":
            result = device.remove()
        else:
            result = device.client.get_in_app_credential(public_key=device.key().public_key)
    except RecognizeError as error:
        print(json.dumps(error.body or {"errorCode": error.code}), file=sys.stderr)
        return 1
    except FileNotFoundError as missing:
        if Path(missing.filename or "") == args.key_file:
            print(f"error: no device key at {args.key_file}; run 'add' first", file=sys.stderr)
        else:
            print(f"error: {missing.filename}: no such file", file=sys.stderr)
        return 1
    except (LookupError, FaceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


def _push(push: PushDevice, args: argparse.Namespace) -> dict:
    if args.push_command == "add":
        return push.register(token=args.token)
    if args.push_command == "poll":
        return push.wait(timeout=args.wait) if args.wait else push.poll()
    approved = args.push_command == "approve"
    image = getattr(args, "image", None)
    return push.answer(
        approved=approved,
        challenge_id=args.challenge,
        code=getattr(args, "code", None),
        image=image.read_bytes() if image else None,
    )
