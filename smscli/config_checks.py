"""Checks of single values (``check_key_material`` for ``aes_key``/``aes_iv``,
``host_problem`` for host names and URLs) and the errors that say what to type instead of
a missing or unknown key or an unknown profile. ``Profile.problems`` imports this module
only when a profile has such a value or lacks a required key; ``config set``/``get``/
``init`` import it to check what they are given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.config import env_name, profile_names
from smscli.config_keys import (
    REQUIRED,
    VENDORS,
    _known_keys,
    close_match,
    is_reference_base,
    reference_group,
)
from smscli.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from smscli.config import Profile


def check_key_material(key: str, value: str) -> None:
    """``aes_key``/``aes_iv``: 16 bytes of text, or ``hex:`` and 32 hex digits.

    A longer ``aes_key`` is accepted: OneShot uses its first 16 bytes (spec README)."""
    rule = f"{key} must be 16 bytes of text or 'hex:' followed by 32 hex digits"
    if key == "aes_key" and not value.startswith("hex:") and len(value.encode()) > 16:
        return
    if value.startswith("hex:"):
        digits = value[4:]
        if not re.fullmatch(r"[0-9A-Fa-f]{32}", digits):
            raise ConfigError(f"{rule}; the value after 'hex:' has {len(digits)} characters"
                              + ("" if len(digits) != 32 else " that are not all hex digits"))
    elif len(value.encode()) != 16:
        raise ConfigError(f"{rule}; got {len(value.encode())} bytes of text")


def host_problem(value: str, *, url: bool = False) -> str | None:
    """What makes ``value`` (a host name or address; with ``url``, a URL's host) unusable
    for a connection, as the end of a sentence, or None. Resolvers refuse a name over 253
    characters or with a label (between dots) empty or over 63 characters (after IDNA
    encoding); Python raises a bare UnicodeError for them deep inside a connect."""
    host = value
    if url:
        from urllib.parse import urlsplit

        try:
            host = urlsplit(value).hostname or ""
        except ValueError as exc:
            return f"is not a valid URL ({exc})"
        if not host:
            return None  # sqlite:///path, or a URL the vendor's own check reports
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return "names no host"
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253:
        return f"has a host name of {len(name)} characters; at most 253 are allowed"
    for label in name.split("."):
        if not label:
            return f"has an empty label in host name {_short(host)!r} (two dots in a row, or a leading dot)"
        try:
            encoded = label.encode("idna")
        except UnicodeError:
            encoded = b""
            if len(label) <= 63:
                return f"has {_short(label, 24)!r} in its host name, which is not a valid host name label"
        if len(label) > 63 or len(encoded) > 63:
            return (f"has a label of {max(len(label), len(encoded))} characters "
                    f"({_short(label, 24)!r}); a label (the text between dots) is at most 63")
    return None


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def unknown_key_error(vendor: str, key: str, where: str) -> UsageError | None:
    """None when ``key`` is one smscli reads for ``vendor`` (or the vendor is a plugin,
    whose keys we cannot know); otherwise the error that says what to type instead."""
    found = _unknown_key(vendor, key)
    if found is None:
        return None
    what, guess, known = found
    if guess:
        return UsageError(f"{where}: {what} (did you mean '{guess}'?)",
                          hint="or pass --force to store it anyway")
    return UsageError(f"{where}: {what}", hint=f"{known}; pass --force to store it anyway")


def no_key_error(profile: Profile, key: str) -> ConfigError:
    """``config get KEY`` of a key the profile does not set: what to set, or, for a key
    the vendor does not read, the nearest key it does (``prot`` → ``port``)."""
    missing = f"profile '{profile.name}' has no '{key}'"
    found = _unknown_key(profile.vendor, key)
    if found is None:
        return ConfigError(missing, hint=how_to_set(key, profile.name))
    what, guess, known = found
    if guess:
        return ConfigError(f"{missing}: {what} (did you mean '{guess}'?)",
                           hint=f"run `smscli config get {guess}`")
    return ConfigError(f"{missing}: {what}", hint=known)


def _unknown_key(vendor: str, key: str) -> tuple[str, str | None, str] | None:
    """None for a key ``vendor`` reads (or a plugin vendor's); else (what is wrong, the
    nearest known key or None, the known keys as a sentence)."""
    if vendor not in REQUIRED:
        return None
    known = _known_keys(vendor)
    if key in known:
        return None
    what = f"'{key}' is not a {vendor} key"
    guess = close_match(key, known)
    others = [v for v in VENDORS if key in _known_keys(v)]
    if others and not guess:
        what += f" (only {', '.join(others)} read it)"
    base = [k for k in known if reference_group(k) == k or reference_group(k) not in known]
    refs = [k for k in base if is_reference_base(k)]
    also = f"; {', '.join(refs)} also as KEY_env or KEY_command" if refs else ""
    return what, guess, f"known keys: {', '.join(base)}{also}"


def how_to_set(key: str, profile: str) -> str:
    if is_reference_base(key):
        return (f"set {key}_env or {key}_command with `smscli config set -p {profile}`, "
                f"type it with `smscli config set {key} -p {profile}`, or export {env_name(key)}")
    return f"run `smscli config set {key} VALUE -p {profile}` or export {env_name(key)}"


def unknown_profile(name: str, data: Mapping[str, Any], path: Path, how: str = "") -> ConfigError:
    known = profile_names(data)
    guess = close_match(name, known, cutoff=0.7)
    where = f"in {path}" if data else f"(no config file at {path})"
    hint = f"did you mean '{guess}'? Or create" if guess else "create"
    return ConfigError(
        f"no profile '{name}'{how} {where}; known profiles: {', '.join(known)}",
        hint=f"{hint} it with `smscli config init --name {name}`")
