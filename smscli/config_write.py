"""Writing the config file: atomically with mode 0600 (``write_config``), and editing it
key by key so the user's comments and layout survive (``update_config``,
``replace_profile``). Only the commands that change the file (``config set``/``unset``/
``use``/``init``) import this module.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smscli.config import ensure_private_dir, read_config
from smscli.errors import ConfigError


def write_config(path: Path, data: Mapping[str, Any], *, text: str | None = None) -> None:
    """Write atomically (temp file in the same dir, fsync, ``os.replace``) with mode 0600.

    ``text`` is the exact file content when the caller edited the old text in place;
    otherwise ``data`` is serialised with tomli_w.
    """
    if text is None:
        import tomli_w

        text = _dump(data, tomli_w)
    target = path.resolve() if path.is_symlink() else path
    ensure_private_dir(target.parent)
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            os.chmod(tmp, 0o600)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # the old file is untouched
            raise _write_error(target, exc) from None
        raise


def _write_error(path: Path, exc: OSError) -> ConfigError:
    from smscli import disk

    if disk.full(exc, path.parent):
        return disk.full_error(f"the config file {path}", path.parent,
                               hint="free some space there; the file was left as it was")
    return ConfigError(f"cannot write the config file {path}: {exc.strerror or exc}",
                       hint="check the directory's permissions, or pass --config / set SMSCLI_CONFIG")


def _dump(data: Mapping[str, Any], tomli_w: Any) -> str:
    top = {k: v for k, v in data.items() if k != "profiles"}
    text = tomli_w.dumps(top) if top else ""
    for name, table in data.get("profiles", {}).items():
        text += ("\n" if text else "") + tomli_w.dumps({"profiles": {name: table}})
    return text


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return ""


def update_config(path: Path, edits: list[tuple[str | None, str, Any]]) -> dict[str, Any]:
    """Apply ``(profile or None for top level, key, value or None to delete)`` edits and
    write the file. The old text is edited line by line so comments survive; if that
    does not give exactly the intended data, the file is rewritten from the data."""
    data = read_config(path, check_permissions=False)  # the rewrite leaves it 0600
    text = _read_text(path)
    for profile, key, value in edits:
        table = data if profile is None else data.setdefault("profiles", {}).setdefault(profile, {})
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    import tomllib

    new_text: str | None = text
    for profile, key, value in edits:
        new_text = _edit_line(new_text, profile, key, value) if new_text is not None else None
    try:
        if new_text is None or tomllib.loads(new_text) != data:
            new_text = None
    except tomllib.TOMLDecodeError:
        new_text = None
    write_config(path, data, text=new_text)
    return data


def replace_profile(path: Path, name: str, table: dict[str, Any], *, default: bool = False) -> None:
    """Create or replace the whole ``[profiles.NAME]`` table (``config init``)."""
    data = read_config(path, check_permissions=False)
    profiles = data.setdefault("profiles", {})
    old = set(profiles.get(name, {}))
    edits: list[tuple[str | None, str, Any]] = [(name, k, None) for k in old - set(table)]
    edits += [(name, k, v) for k, v in table.items()]
    if default:
        edits.append((None, "default_profile", name))
    update_config(path, edits)


_HEADER = r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$"  # a [table] line


def _table_span(lines: list[str], profile: str | None) -> tuple[int, int] | None:
    """[start, end) line range of a table's body (the top level when ``profile`` is None)."""
    headers = [(i, m.group(1)) for i, ln in enumerate(lines) if (m := re.match(_HEADER, ln))]
    if profile is None:
        return 0, headers[0][0] if headers else len(lines)
    wanted = {f"profiles.{profile}", f'profiles."{profile}"', f"profiles.'{profile}'"}
    for n, (i, header) in enumerate(headers):
        if re.sub(r"\s*\.\s*", ".", header) in wanted:
            return i + 1, headers[n + 1][0] if n + 1 < len(headers) else len(lines)
    return None


def _key_line(line: str, key: str) -> bool:
    m = re.match(r"""^\s*("([^"]*)"|'([^']*)'|[A-Za-z0-9_-]+)\s*=""", line)
    return bool(m) and key in (m.group(1), m.group(2), m.group(3))


def _edit_line(text: str, profile: str | None, key: str, value: Any) -> str | None:
    """Set or delete one key in the TOML text; None when the layout is beyond this editor."""
    import tomli_w

    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    new = None if value is None else tomli_w.dumps({key: value})
    span = _table_span(lines, profile)
    if span is None:
        if new is None:
            return text
        header = tomli_w.dumps({"profiles": {profile: {}}}).strip() or f"[profiles.{profile}]"
        sep = "\n" if lines and lines[-1].strip() else ""
        return "".join(lines) + f"{sep}{header}\n{new}"
    start, end = span
    hits = [i for i in range(start, end) if _key_line(lines[i], key)]
    if len(hits) > 1:
        return None
    if hits:
        i = hits[0]
        if new is None:
            del lines[i]
        else:
            lines[i] = _replace_value(lines[i], tomli_w.dumps({"x": value})[4:])
        return "".join(lines)
    if new is None:
        return text
    body = [i for i in range(start, end) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    at = body[-1] + 1 if body else start
    if at < len(lines) and re.match(_HEADER, lines[at]):
        new += "\n"  # keep a blank line before the next table
    lines.insert(at, new)
    return "".join(lines)


def _replace_value(old: str, value_text: str) -> str:
    """Swap the value of a ``key = value  # comment`` line, keeping layout and comment."""
    import tomllib

    head, _, rest = old.partition("=")
    pad = rest[: len(rest) - len(rest.lstrip(" \t"))]
    comment = ""
    for i, ch in enumerate(rest):
        if ch == "#":
            try:
                tomllib.loads("x =" + rest[:i])
            except tomllib.TOMLDecodeError:
                continue
            gap = rest[:i][len(rest[:i].rstrip()):]
            comment = (gap or "  ") + rest[i:].rstrip("\r\n")
            break
    return f"{head}={pad}{value_text.rstrip(chr(10))}{comment}\n"
