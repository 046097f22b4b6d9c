"""The keys a profile may have: per vendor, which are required and which optional
(``REQUIRED``, ``OPTIONAL``, ``COMMON_KEYS``), their types (``coerce``), which are secrets
and how a value is masked for display (``is_secret_key``, ``mask``), and which may be given
as a reference, ``<key>_env`` or ``<key>_command`` (``reference_group``). Pure data and
rules: no file and no environment is read here.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from smscli.errors import ConfigError
from smscli.masking import MASK, is_secret_name

SANDBOX = "sandbox"

REQUIRED: dict[str, tuple[str, ...]] = {
    "oneshot": ("host", "port", "bind_id", "password", "aes_key", "aes_iv"),
    "bizppurio": ("base_url", "account", "password"),
    "netshot": ("url", "user", "password"),
    "bizclient": ("database_url", "file_path"),
    SANDBOX: (),
}
OPTIONAL: dict[str, tuple[str, ...]] = {  # tuning keys the vendors read (typo warnings)
    "oneshot": ("encrypt", "window", "connect_timeout", "response_timeout", "alive_interval",
                "login_retry_wait", "reconnect_attempts", "reconnect_backoff", "wait_window",
                "poll_silence"),
    "bizppurio": ("concurrency", "attempts", "connect_timeout", "backoff", "poll_interval",
                  "file_path", "verify_tls", "ca_file"),
    "netshot": ("concurrency", "connect_timeout"),
    "bizclient": ("connect_timeout", "poll_interval"),
}
# Kakao and RCS (the vendors that carry them) and what a tool for advertising needs.
KAKAO_KEYS = ("kakao_sender_key", "kakao_nation_code")
RCS_KEYS = ("rcs_chatbot_id", "rcs_agency_id", "rcs_brand_key", "rcs_agency_key")
OPTIONAL["oneshot"] += (*KAKAO_KEYS, *RCS_KEYS, "reseller_code")
OPTIONAL["bizppurio"] += (*KAKAO_KEYS, *RCS_KEYS)
OPTIONAL["bizclient"] += KAKAO_KEYS
# The sandbox runs the OneShot client against a simulator: its tuning keys pass through.
OPTIONAL[SANDBOX] = (*(k for k in OPTIONAL["oneshot"] if k != "encrypt"),
                     "kakao_misses")  # numbers the sandbox's Kakao does not reach (they fall back)
COMMON_KEYS = ("sender", "timeout", "command_timeout", "optout_number", "ad_name",
               "journal_url", "journal_password_env", "journal_lease")
INHERITED_KEYS = ("journal_url", "journal_password_env", "journal_lease")  # top level, unless the profile sets them
TOP_LEVEL_KEYS = ("default_profile", "profiles", *INHERITED_KEYS)
DEFAULTS: dict[str, dict[str, Any]] = {
    "oneshot": {"encrypt": False},
    # The sandbox carries every type with nothing to configure (its simulator approves any
    # template and sender key).
    SANDBOX: {"sender": "01000000000", "kakao_sender_key": "sandbox", "rcs_chatbot_id": "01000000000"},
}
VENDORS = tuple(REQUIRED)
KEY_TYPES: dict[str, type] = {
    "port": int, "encrypt": bool, "timeout": float, "command_timeout": float,
    "window": int, "reconnect_attempts": int, "concurrency": int, "attempts": int,
    "wait_window": bool, "verify_tls": bool, "journal_lease": float,
}
KEY_MATERIAL = ("aes_key", "aes_iv")

_REFERENCE_SUFFIXES = ("_env", "_command")


@functools.lru_cache(maxsize=256)
def is_secret_key(key: str) -> bool:
    """The masking rule: ``smscli.masking.is_secret_name`` (a password, PIN, key or token
    by meaning: ``password``, ``aes_key``, ``aes_iv``, ``api_token``, ``sender_key``, ...;
    not a reference such as ``password_env``/``password_command``, nor ``*_timeout``), or
    a name that looks like a typo of ``password``/``aes_key``/``aes_iv`` (``pasword``)."""
    k = key.lower()
    if k.endswith((*_REFERENCE_SUFFIXES, "_timeout")):
        return False
    return is_secret_name(key) or close_match(k, ("password", "aes_key", "aes_iv")) is not None


# (patterns as strings: ``re`` compiles them on first use, not in every command's start-up)
_URL_PASSWORD = r"^([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)([^@/\s]+)(@)"


def mask(key: str, value: Any) -> Any:
    """The display form of ``value``: secrets become ``MASK``; a password inside a URL
    (``mysql://user:pw@host``) is masked too."""
    if value is None:
        return None
    if is_secret_key(key):
        return MASK
    if isinstance(value, str):
        from smscli.masking import mask_target, mask_text

        value = re.sub(_URL_PASSWORD, lambda m: m.group(1) + MASK + m.group(3), value)
        # also ``?password=...`` in a URL's query, and libpq's ``password=...`` pairs
        return mask_target(value) if "?" in value else mask_text(value)
    return value


def holds_inline_secret(key: str, value: Any) -> bool:
    """True when ``key = value`` puts a secret itself in the file: a non-empty password,
    ``aes_key``, ``aes_iv`` or other secret key, or a URL with a password in it.
    References (``password_env``, ``password_command``) only say where a secret lives."""
    if value is None or value == "":
        return False
    return mask(key, value) != value

def close_match(word: str, candidates: Any, cutoff: float = 0.75) -> str | None:
    # Only the candidates whose lengths allow the ratio (difflib's own first bound,
    # real_quick_ratio): the secret-key rule asks this of every known key of a profile.
    possible = [c for c in candidates if _length_bound(len(word), len(c)) >= cutoff]
    if not possible:
        return None
    import difflib

    found = difflib.get_close_matches(word, possible, n=1, cutoff=cutoff)
    return found[0] if found else None


def _length_bound(a: int, b: int) -> float:
    """The highest ``SequenceMatcher.ratio`` two strings of these lengths can have."""
    return 2.0 * min(a, b) / (a + b) if a + b else 1.0


# --------------------------------------------------------------------------- typing
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


def coerce(key: str, value: Any, *, like: Any = None, where: str = "") -> Any:
    """Type a value: ``port`` int, ``encrypt`` bool, timeouts float; strings for other
    known keys; an unknown key from text takes the type of ``like`` (its file value)."""
    want = KEY_TYPES.get(key) or (type(like) if isinstance(like, (bool, int, float)) else None)
    where = f"{where}: " if where else ""
    if want is None:
        known = key in all_known_keys()
        return str(value) if known and isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if want is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ConfigError(f"{where}{key} must be true or false, not {value!r}")
    if want is int:
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or (key == "port" and not 0 < number < 65536):
            rule = "a port number (1-65535)" if key == "port" else "a whole number"
            raise ConfigError(f"{where}{key} must be {rule}, not {value!r}")
        return number
    try:
        number = float(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number != number or number in (float("inf"), float("-inf")) \
            or (key in KEY_TYPES and number <= 0):
        rule = "a positive number of seconds" if key in KEY_TYPES else "a number"
        raise ConfigError(f"{where}{key} must be {rule}, not {value!r}")
    return number


def _known_keys(vendor: str) -> tuple[str, ...]:
    base = ("vendor", *REQUIRED.get(vendor, ()), *OPTIONAL.get(vendor, ()), *COMMON_KEYS)
    refs = tuple(f"{k}{s}" for k in base if is_reference_base(k) for s in _REFERENCE_SUFFIXES)
    return base + refs


def all_known_keys() -> set[str]:
    return {k for v in VENDORS for k in _known_keys(v)}


def is_reference_base(key: str) -> bool:
    return is_secret_key(key) or key == "database_url"


def reference_group(key: str) -> str:
    """``password_env`` -> ``password``; keys that are not references map to themselves."""
    for suffix in _REFERENCE_SUFFIXES:
        if key.endswith(suffix) and is_reference_base(key[: -len(suffix)]):
            return key[: -len(suffix)]
    return key
