"""``smscli packet``: encode OneShot frames, and decode them from dumps, hex, base64 or captures."""

import enum
import errno
import os
import sys
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from smscli.cli.commands import CommandsOf
from smscli.cli.common import ConfigOpt, JsonOpt, MetavarCommand, ProfileOpt, choose, is_tty
from smscli.cli.output import json_line
from smscli.errors import ConfigError, RejectedError, UsageError

packet_commands = typer.Typer()  # its sub-commands, each built only when it runs (CommandsOf)


class PacketGroup(CommandsOf):
    source = packet_commands


packet_app = typer.Typer(
    name="packet",
    help="Encode and decode OneShot wire frames (raw bytes, hex, base64, pcap captures).",
    no_args_is_help=True,
    cls=PacketGroup,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def register(app: typer.Typer) -> None:
    app.add_typer(packet_app, name="packet")


def _examples(*lines: str) -> str:
    return "Examples:\n\n" + "\n\n".join(f"\b\n  {line}" for line in lines)  # \b: not re-wrapped


class EncodeFormat(enum.StrEnum):
    raw = "raw"
    hex = "hex"
    base64 = "base64"


class DecodeFormat(enum.StrEnum):
    auto = "auto"
    raw = "raw"
    hex = "hex"
    base64 = "base64"
    pcap = "pcap"


KeyOpt = Annotated[
    str | None,
    typer.Option("--key", metavar="KEY", help="AES key: 16 characters or hex:<32 hex digits> (default: the profile's aes_key).",
                 show_default=False),
]
IvOpt = Annotated[
    str | None,
    typer.Option("--iv", metavar="IV", help="AES IV: 16 characters or hex:<32 hex digits> (default: the profile's aes_iv).",
                 show_default=False),
]


# --------------------------------------------------------------------------- keys
def _key_material(key: str | None, iv: str | None, profile: str | None, config: Path | None,
                  *, required: bool) -> Any:
    """Key and IV from the flags, else from the active profile; None parts when absent.

    With ``required``, a missing key or IV is a ConfigError (exit 3); a malformed flag is a
    UsageError (exit 2), a malformed profile value a ConfigError.
    """
    from smscli.packet_input import KeyMaterial
    from smscli.protocol.oneshot.crypto import parse_iv, parse_key_material
    from smscli.protocol.oneshot.errors import OneShotError

    prof = None
    if key is None or iv is None:
        prof = _profile_quietly(profile, config, explicit=bool(choose(profile, config)[0]))

    def pick(flag: str | None, name: str, parse: Any) -> tuple[bytes | None, str]:
        if flag is not None:
            try:
                return parse(flag), "--" + name.split("_")[1]
            except OneShotError as exc:
                raise UsageError(f"--{name.split('_')[1]}: {exc}") from None
        if prof is None or not any(k in prof for k in (name, f"{name}_env", f"{name}_command")):
            return None, ""
        try:
            return parse(prof.secret(name)), f"profile '{prof.name}'"
        except OneShotError as exc:
            raise ConfigError(f"profile '{prof.name}': {name}: {exc}") from None

    key_bytes, key_src = pick(key, "aes_key", parse_key_material)
    iv_bytes, iv_src = pick(iv, "aes_iv", parse_iv)
    if required and (key_bytes is None or iv_bytes is None):
        missing = " and ".join(w for w, v in (("key", key_bytes), ("IV", iv_bytes)) if v is None)
        raise ConfigError(
            f"this body must be encrypted, and there is no AES {missing}",
            hint="pass --key and --iv, or set aes_key and aes_iv in the profile",
        )
    if key_bytes is not None and iv_bytes is None:
        raise UsageError("an AES key was given without an IV", hint="pass --iv, or set aes_iv in the profile")
    source = key_src if key_src == iv_src or not iv_src else f"{key_src} and {iv_src}"
    return KeyMaterial(key_bytes, iv_bytes, source)


def _profile_quietly(profile: str | None, config: Path | None, *, explicit: bool) -> Any:
    """The active profile, unvalidated: decoding needs only its keys. A profile named on
    the command line must exist; an unreadable default is ignored."""
    from smscli.config import load_profile

    name, path = choose(profile, config)
    try:
        return load_profile(name, config=path, validate=False)
    except ConfigError:
        if explicit:
            raise
        return None


# --------------------------------------------------------------------------- encode
@packet_commands.command(
    "encode",
    cls=MetavarCommand,
    help="Build the wire bytes of OneShot frames from JSON.",
    epilog=_examples(
        "smscli packet encode '{\"Header\":{\"Method\":\"AliveReq\"}}' --format hex",
        "smscli packet encode --method MsgSendReq '{\"UserMsgId\":\"1\",\"MsgType\":4}' > frame.bin",
        "smscli packet encode --method BindReq '{\"BindId\":\"me\",\"BindPwd\":\"pw\",\"Version\":1}' "
        "--key 0123456789abcdef --iv fedcba9876543210 --format base64",
        "smscli packet encode - < frames.jsonl | nc 127.0.0.1 9000",
    )
    + "\n\nJSON is a whole frame {\"Header\":{\"Method\":M},\"Body\":B}, or with --method just the body; "
    "several JSON values (JSON Lines) make several frames. BindReq/BindRes/UnBindReq/UnBindRes bodies "
    "are always encrypted, as the protocol requires; --encrypt encrypts any other object body.",
)
def encode(
    json_text: Annotated[
        str | None,
        typer.Argument(metavar="[JSON|-|@FILE]", help="The frame or body as JSON; - or nothing reads stdin.",
                       show_default=False),
    ] = None,
    method: Annotated[str | None, typer.Option("--method", "-m", metavar="METHOD", help="Method of the frame when JSON is a body.",
                                               show_default=False)] = None,
    fmt: Annotated[EncodeFormat, typer.Option("--format", "-f", help="raw wire bytes, hex like the document, "
                                              "or base64 (one line per frame).")] = EncodeFormat.raw,
    key: KeyOpt = None,
    iv: IvOpt = None,
    encrypt: Annotated[bool, typer.Option("--encrypt", help="Encrypt the body (as in an encrypted session).")] = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    import base64

    from smscli.protocol.oneshot.errors import OneShotError
    from smscli.protocol.oneshot.frames import PREFIX, encode_frame
    from smscli.protocol.oneshot.messages import ALWAYS_ENCRYPTED, MESSAGE_TYPES

    if fmt is EncodeFormat.raw and is_tty(sys.stdout):
        raise UsageError("refusing to write binary frame bytes to a terminal",
                         hint="use --format hex or --format base64, or redirect: > frame.bin")
    frames = list(_frames_from_json(_encode_input(json_text, method), method))
    cipher: Any = None
    out: list[bytes] = []
    for name, body in frames:
        if name not in MESSAGE_TYPES:
            _warn(f"{name!r} is not a method of the OneShot document; encoding it anyway")
        if isinstance(body, dict) and (encrypt or name in ALWAYS_ENCRYPTED):
            if cipher is None:
                from smscli.protocol.oneshot.crypto import BodyCipher

                keys = _key_material(key, iv, profile, config, required=True)
                cipher = BodyCipher(keys.key, keys.iv)
            body = cipher.encrypt(body)
        try:
            wire = encode_frame(name, body)
        except OneShotError as exc:
            raise UsageError(f"cannot encode {name}: {exc}") from None
        if fmt is EncodeFormat.raw:
            out.append(wire)
        elif fmt is EncodeFormat.hex:
            payload = wire[wire.index(b"\r\n", len(PREFIX)) + 2:]
            out.append(b"Content-Length:%d\n%s\n" % (len(payload), payload.hex().upper().encode()))
        else:
            out.append(base64.b64encode(wire) + b"\n")
    stdout = sys.stdout.buffer
    stdout.write(b"".join(out))
    stdout.flush()


def _encode_input(text: str | None, method: str | None) -> str:
    if text is None:
        if method is not None or is_tty(sys.stdin):
            if method is None:
                raise UsageError("no JSON given", hint="pass the frame as an argument, '-' for stdin, "
                                 "or --method M for a frame without a body")
            return ""
        text = "-"
    if text == "-":
        data = sys.stdin.buffer.read()
    elif text.startswith("@"):
        data = _read_file(text[1:])
    else:
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the JSON input is not UTF-8 (byte {exc.start})") from None


def _frames_from_json(text: str, method: str | None) -> Any:
    """(method, body) for each JSON value in ``text`` (one value, or JSON Lines)."""
    import json

    decoder = json.JSONDecoder()
    pos, count = 0, 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise UsageError(f"the input is not valid JSON: {exc}") from None
        count += 1
        yield _frame_parts(value, method, count)
    if not count:
        if method is None:
            raise UsageError("no JSON given", hint="pass the frame as an argument or on stdin")
        yield method, None


def _frame_parts(value: Any, method: str | None, n: int) -> tuple[str, Any]:
    where = f"JSON value {n}"
    if isinstance(value, dict) and "Header" in value:
        header = value["Header"]
        name = header.get("Method") if isinstance(header, dict) else None
        if not isinstance(name, str) or not name:
            raise UsageError(f"{where}: Header has no Method", hint='a frame is {"Header":{"Method":M},"Body":B}')
        extra = [k for k in value if k not in ("Header", "Body")] + [f"Header.{k}" for k in header if k != "Method"]
        if extra:
            raise UsageError(f"{where}: unexpected key {extra[0]!r}",
                             hint="a frame has only Header.Method and Body")
        if method is not None and method != name:
            raise UsageError(f"{where}: --method {method} but the frame's Header.Method is {name}")
        body = value.get("Body")
    elif method is None:
        raise UsageError(f"{where} has no Header.Method",
                         hint='pass --method M with a body, or a whole frame {"Header":{"Method":M},"Body":B}')
    else:
        name, body = method, value
    if body is not None and not isinstance(body, dict | str):
        raise UsageError(f"{where}: the body must be a JSON object or an (encrypted) string, "
                         f"not {type(body).__name__}")
    return name, body


# --------------------------------------------------------------------------- decode
@packet_commands.command(
    "decode",
    cls=MetavarCommand,
    help="Show the OneShot frames in a stream dump, hex or base64 text, or a pcap/pcapng capture.",
    epilog=_examples(
        "smscli packet decode samples/oneshot-session.hex",
        "smscli packet decode capture.pcap --port 9000 --json | jq .method",
        "smscli packet encode --method AliveReq | smscli packet decode -",
        "smscli packet decode dump.bin --key 0123456789abcdef --iv fedcba9876543210 --show-secrets",
    )
    + "\n\nExit status: 0 all frames decoded, 1 some frames damaged or the capture cut short,"
    " 2 unreadable input.",
)
def decode(
    file: Annotated[str | None, typer.Argument(metavar="[FILE|-]", help="Input file; - or nothing reads stdin.",
                                               show_default=False)] = None,
    fmt: Annotated[DecodeFormat, typer.Option("--format", "-f", help="Input format; auto detects it.")]
    = DecodeFormat.auto,
    key: KeyOpt = None,
    iv: IvOpt = None,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Show passwords, keys and tokens (BindPwd, "
                                               "PrivateKey, ...; in header and body) instead of ********.")]
    = False,
    json_out: JsonOpt = False,
    port: Annotated[list[int] | None, typer.Option("--port", metavar="PORT", help="Captures: only TCP connections on this port "
                                                   "(the server's); repeatable.", show_default=False)] = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    from smscli.packet_input import DamagedInput, decode_batches, read_chunks

    keys = _key_material(key, iv, profile, config, required=False)
    stream, name = _open_input(file)
    stdout = sys.stdout
    total = damaged = 0
    cut_short = ""
    held: list[str] = []  # notes while nothing was decoded: they may explain why (one line)

    def note(message: str) -> None:
        if total:
            _warn(message)
        else:
            held.append(message)

    try:
        with stream:
            batches = decode_batches(read_chunks(stream), fmt.value, keys=keys, show_secrets=show_secrets,
                                     ports=port or (), notes=note)
            render = json_line() if json_out else None
            masked = None if show_secrets else _masker()
            for batch in batches:
                if batch and held:  # frames after all: the notes held so far are only notes
                    for message in held:
                        _warn(message)
                    held.clear()
                lines = []
                for rec in batch:
                    if masked is not None:
                        rec = masked(rec)
                    total += 1
                    if "error" in rec:
                        damaged += 1
                    lines.append(render(rec) if render else _block(rec, total))
                stdout.write("".join(lines))
                stdout.flush()
    except DamagedInput as exc:
        cut_short = str(exc)
    except BrokenPipeError:  # stdout is a closed pipe (`| head`): exit 141, quietly
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # writing the output: main() says so
            raise
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    if total == 0 and held:  # e.g. nothing on --port: say why in the one error line
        if cut_short:
            raise RejectedError(f"{name}: {cut_short}; no frames decoded before it ({'; '.join(held)})")
        raise UsageError(f"no OneShot frames found in {name}: {'; '.join(held)}",
                         hint="check --port and that the capture holds the OneShot connection")
    for message in held:
        _warn(message)
    if cut_short:
        raise RejectedError(f"{name}: {cut_short}; {_frames(total)} decoded before it"
                            + (f", {damaged} damaged" if damaged else ""))
    if damaged:
        raise RejectedError(f"{damaged} of {_frames(total)} damaged",
                            hint="see the error of each damaged frame above")
    if total == 0:  # e.g. a capture with no OneShot traffic (on --port): nothing was decoded
        raise UsageError(f"no OneShot frames found in {name}",
                         hint="check --port and that the capture holds the OneShot connection")
    if not json_out:
        sys.stderr.write(f"{_frames(total)}, none damaged\n")


def _frames(n: int) -> str:
    return f"{n} frame{'s' if n != 1 else ''}"


def _open_input(file: str | None) -> tuple[BinaryIO, str]:
    if file is None or file == "-":
        if file is None and is_tty(sys.stdin):
            raise UsageError("no input", hint="give a FILE, or pipe frames on stdin (use - for stdin)")
        return os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0) if _has_fd(sys.stdin) \
            else sys.stdin.buffer, "stdin"
    try:
        return open(file, "rb"), file  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _masker() -> Any:
    """A function: a record with secrets masked (``smscli.masking``): every secret-named
    key of header and body at any depth; a body that is a plain string (not decrypted)
    keeps its text but loses the values of secret-named ``name=value`` /
    ``"name": "value"`` pairs (Base64 cipher text has none)."""
    from smscli.masking import mask_text, mask_tree

    def masked(rec: dict[str, Any]) -> dict[str, Any]:
        header, body = rec["header"], rec["body"]
        shown_header = mask_tree(header)
        shown_body = mask_text(body) if type(body) is str else mask_tree(body)
        if shown_header is header and shown_body is body:
            return rec
        return {**rec, "header": shown_header, "body": shown_body}

    return masked


def _block(rec: dict[str, Any], n: int) -> str:
    """One human-readable block per frame."""
    import json

    head = [f"#{n}", rec["method"] or "DAMAGED", f"offset {rec['offset']}", f"length {rec['length']}"]
    if "direction" in rec:
        head.append(f"{rec['direction']} {rec['src']} → {rec['dst']} (connection {rec['connection']})")
    if "time" in rec:
        head.append(rec["time"])
    lines = ["  ".join(head)]
    if rec.get("error"):
        lines.append(f"  error: {rec['error']}")
    header = rec["header"]
    if isinstance(header, dict) and any(k != "Method" for k in header):
        extra = {k: v for k, v in header.items() if k != "Method"}
        lines.append(f"  header: {json.dumps(extra, ensure_ascii=False)}")
    body = rec["body"]
    if rec["method"] is not None:
        if body is None:
            lines.append("  (no body)")
        elif isinstance(body, str):
            lines.append(f"  body (encrypted): {body}")
            if rec.get("note"):
                lines.append(f"  note: {rec['note']}")
        else:
            label = "body (decrypted):" if rec.get("encrypted") else "body:"
            text = json.dumps(body, ensure_ascii=False, indent=2)
            lines.append(f"  {label}")
            lines.append("    " + text.replace("\n", "\n    "))  # one string, however many lines
    return "\n".join(lines) + "\n\n"


# --------------------------------------------------------------------------- helpers
def _has_fd(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, ValueError, OSError):
        return False
    return True


def _warn(message: str) -> None:
    sys.stderr.write(f"smscli: {message}\n")

