"""Parsing the config file once it has been read: UTF-8 and TOML errors with their line
and column, the nesting and shape checks, and the warning about a file readable by others
that holds a secret. ``smscli.config.read_config`` imports this module only when the file
exists (most commands run without one).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from smscli.config import MAX_CONFIG_BYTES, warn
from smscli.config_keys import INHERITED_KEYS, TOP_LEVEL_KEYS, close_match, holds_inline_secret
from smscli.errors import ConfigError

MAX_DEPTH = 8  # nesting of tables and arrays in the config file (profiles.NAME.key[...] is 3)


def parse_config(path: Path, raw: bytes, *, check_permissions: bool = True) -> dict[str, Any]:
    """The data of the config file ``path`` whose first bytes (up to one past
    ``MAX_CONFIG_BYTES``) are ``raw``, its shape checked; see ``read_config``."""
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // 1024 // 1024} MiB: not an smscli config",
                          hint="check --config / SMSCLI_CONFIG")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw[: exc.start].decode("utf-8", "replace"))
        raise ConfigError(f"{path}: line {line}, column {col}: not UTF-8 text",
                          hint="save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, text, exc) from None
    except RecursionError:  # tomllib recurses per level of nesting
        raise _too_deep(path, "") from None
    _check_depth(path, data)
    _check_shape(path, data)
    if check_permissions:
        _check_permissions(path, data)
    return data


def _line_col(prefix: str) -> tuple[int, int]:
    return prefix.count("\n") + 1, len(prefix) - (prefix.rfind("\n") + 1) + 1


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    msg = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        msg = msg[: m.start()]
    else:
        line, col = _line_col(text)
        msg = re.sub(r"\s*\(at end of document\)$", "", msg) + " at end of file"
    return ConfigError(f"{path}: line {line}, column {col}: invalid TOML: {msg}",
                       hint="fix the file, or move it away and run `smscli config init`")


def _too_deep(path: Path, where: str) -> ConfigError:
    at = f" ({where})" if where else ""
    return ConfigError(f"{path}: a value{at} is nested more than {MAX_DEPTH} levels deep "
                       "(arrays or inline tables inside each other)",
                       hint="profile values are strings, numbers, booleans or a list of strings")


def _check_depth(path: Path, data: dict[str, Any]) -> None:
    """Refuse values nested deeper than ``MAX_DEPTH`` (walked without recursion), so nothing
    later (display, rewriting the file) can hit Python's recursion limit on them."""
    todo: list[tuple[Any, int, str]] = [(data, 0, "")]
    while todo:
        value, depth, where = todo.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(path, where.split("[", 1)[0])
        if isinstance(value, dict):
            todo.extend((v, depth + 1, f"{where}.{k}" if where else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(value))


def _check_shape(path: Path, data: dict[str, Any]) -> None:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table of [profiles.NAME] tables")
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table ([profiles.{name}])")
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"{path}: default_profile must be a string (a profile name)")
    for key in INHERITED_KEYS:
        wanted = (int, float) if key == "journal_lease" else str
        if key in data and (not isinstance(data[key], wanted) or isinstance(data[key], bool)):
            raise ConfigError(f"{path}: {key} must be a {'number (seconds)' if key == 'journal_lease' else 'string'}")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            hint = close_match(key, TOP_LEVEL_KEYS)
            warn(f"{path}: unknown top-level key '{key}' is ignored"
                 + (f" (did you mean '{hint}'?)" if hint else ""))


def _check_permissions(path: Path, data: dict[str, Any]) -> None:
    if os.name == "nt":
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not mode & 0o044:  # neither group- nor world-readable
        return
    found = next(((name, k) for name, table in data.get("profiles", {}).items()
                  for k, v in table.items() if holds_inline_secret(k, v)), None)
    if found:
        name, key = found
        what = "a password" if "pass" in key.lower() else "a secret"
        warn(f"{path} holds {what} ({key} in profile '{name}') and is readable by others "
             f"(mode {mode & 0o777:03o}); run: chmod 600 {path}")
