"""Profiles: where the config file and data dir live, how the active profile is resolved
(flag > env > file > default, keeping the source of every value), and how the file is
written (atomically, mode 0600, keeping the user's comments where possible).

Secrets: a key is *secret* when ``is_secret_key`` says so; its value is masked in every
display. Any key can also be given indirectly as ``<key>_env`` (an environment variable
name) or ``<key>_command`` (a command whose stdout is the value); ``Profile.secret``
resolves them lazily, and within one profile exactly one of the three may be set.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from smscli.errors import ConfigError, UsageError
from smscli.masking import MASK, is_secret_name
from smscli.records import record

if TYPE_CHECKING:
    import tomllib

    from smscli.config_journal import JournalTarget

Source = Literal["flag", "env", "file", "default"]

SANDBOX = "sandbox"
ENV_PREFIX = "SMSCLI_"
# SMSCLI_* variables that are never profile keys.
RESERVED_ENV = frozenset({"CONFIG", "DATA_DIR", "PROFILE", "DEBUG", "NO_PROGRESS", "CLOCK_OFFSET"})
COMMAND_TIMEOUT = 30.0  # seconds for a `<key>_command`; profile key `command_timeout`
COMMAND_OUTPUT_BYTES = 4096  # what a `<key>_command` may print: a secret is a line, not a stream
MAX_CONFIG_BYTES = 1024 * 1024  # a config file is a few hundred bytes; refuse absurd ones
MAX_DEPTH = 8  # nesting of tables and arrays in the config file (profiles.NAME.key[...] is 3)
HOST_KEYS = ("host", "base_url", "url", "database_url")  # keys naming a host (checked on load)

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
_warned: set[str] = set()


# --------------------------------------------------------------------------- secrets
@functools.lru_cache(maxsize=256)
def is_secret_key(key: str) -> bool:
    """The masking rule: ``smscli.masking.is_secret_name`` (a password, PIN, key or token
    by meaning: ``password``, ``aes_key``, ``aes_iv``, ``api_token``, ``sender_key``, ...;
    not a reference such as ``password_env``/``password_command``, nor ``*_timeout``), or
    a name that looks like a typo of ``password``/``aes_key``/``aes_iv`` (``pasword``)."""
    k = key.lower()
    if k.endswith((*_REFERENCE_SUFFIXES, "_timeout")):
        return False
    return is_secret_name(key) or _close_match(k, ("password", "aes_key", "aes_iv")) is not None


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


# --------------------------------------------------------------------------- paths
@record
class Paths:
    """Where the config file and the data dir are, and what chose the config file."""

    config_file: Path
    data_dir: Path
    config_source: Source = "default"

    def __init__(self, config_file: Path, data_dir: Path, config_source: Source = "default") -> None:
        self.__dict__.update(config_file=config_file, data_dir=data_dir, config_source=config_source)


def resolve_paths(config: Path | None = None) -> Paths:
    """``--config`` > ``SMSCLI_CONFIG`` > platform config dir; ``SMSCLI_DATA_DIR`` >
    platform data dir."""
    source: Source
    if config is not None:
        config_file, source = Path(config).expanduser(), "flag"
    elif os.environ.get("SMSCLI_CONFIG"):
        config_file, source = Path(os.environ["SMSCLI_CONFIG"]).expanduser(), "env"
    else:
        from platformdirs import user_config_path

        config_file, source = user_config_path("smscli") / "config.toml", "default"
    if os.environ.get("SMSCLI_DATA_DIR"):
        data_dir = Path(os.environ["SMSCLI_DATA_DIR"]).expanduser()
    else:
        from platformdirs import user_data_path

        data_dir = user_data_path("smscli")
    return Paths(config_file, data_dir, source)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if it does not exist; leave an existing one alone.
    A ConfigError (exit 3) says why it cannot be created (a full disk, permissions)."""
    if not path.is_dir():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:
                pass
            else:
                os.chmod(path, 0o700)
        except OSError as exc:
            from smscli import disk

            if disk.full(exc, path):
                raise disk.full_error(f"the directory {path}", path.parent) from None
            raise ConfigError(f"cannot create the directory {path}: {exc.strerror or exc}",
                              hint="check SMSCLI_DATA_DIR / SMSCLI_CONFIG and the permissions") from None
    return path


# --------------------------------------------------------------------------- reading
def warn(message: str) -> None:
    """One ``smscli: warning: ...`` line on stderr, once per process."""
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"smscli: warning: {message}\n")


def read_config(path: Path, *, check_permissions: bool = True) -> dict[str, Any]:
    """Parse the config file (a missing file is an empty config) and check its shape.

    ``check_permissions`` False skips the "readable by others" warning: for callers about
    to rewrite the file, which leaves it with mode 0600."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)  # bounded: --config /dev/zero must not eat memory
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // 1024 // 1024} MiB: not an smscli config",
                          hint="check --config / SMSCLI_CONFIG")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw[: exc.start].decode("utf-8", "replace"))
        raise ConfigError(f"{path}: line {line}, column {col}: not UTF-8 text",
                          hint="save the file as UTF-8") from None
    import tomllib  # here: most commands run without a config file

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
            hint = _close_match(key, TOP_LEVEL_KEYS)
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


def _close_match(word: str, candidates: Any, cutoff: float = 0.75) -> str | None:
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
        known = key in _all_known_keys()
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
    refs = tuple(f"{k}{s}" for k in base if _is_reference_base(k) for s in _REFERENCE_SUFFIXES)
    return base + refs


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
        return ConfigError(missing, hint=_how_to_set(key, profile.name))
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
    guess = _close_match(key, known)
    others = [v for v in VENDORS if key in _known_keys(v)]
    if others and not guess:
        what += f" (only {', '.join(others)} read it)"
    base = [k for k in known if _reference_group(k) == k or _reference_group(k) not in known]
    refs = [k for k in base if _is_reference_base(k)]
    also = f"; {', '.join(refs)} also as KEY_env or KEY_command" if refs else ""
    return what, guess, f"known keys: {', '.join(base)}{also}"


def _all_known_keys() -> set[str]:
    return {k for v in VENDORS for k in _known_keys(v)}


def _is_reference_base(key: str) -> bool:
    return is_secret_key(key) or key == "database_url"


def _reference_group(key: str) -> str:
    """``password_env`` -> ``password``; keys that are not references map to themselves."""
    for suffix in _REFERENCE_SUFFIXES:
        if key.endswith(suffix) and _is_reference_base(key[: -len(suffix)]):
            return key[: -len(suffix)]
    return key


def _vendor_is_known(vendor: str) -> bool:
    if vendor in REQUIRED:
        return True
    from importlib.metadata import entry_points

    return any(ep.name == vendor for ep in entry_points(group="smscli.vendors"))


# --------------------------------------------------------------------------- profiles
class Profile:
    """One resolved profile. Values keep their source (``flag``/``env``/``file``/
    ``default``); ``secret()`` resolves passwords lazily; ``items()`` is the masked view."""

    def __init__(
        self,
        name: str,
        vendor: str,
        values: dict[str, Any],
        sources: dict[str, Source],
        origins: dict[str, str],
        paths: Paths,
        name_source: Source = "flag",
        name_origin: str = "",
    ) -> None:
        self.name = name
        self.vendor = vendor
        self.paths = paths
        self.name_source = name_source  # what chose this profile: flag/env/file/default
        self.name_origin = name_origin
        self._values = values
        self._sources = sources
        self._origins = origins
        self._secrets: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Profile(name={self.name!r}, vendor={self.vendor!r})"

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def require(self, key: str) -> Any:
        """The value of ``key`` (resolving ``<key>_env``/``<key>_command``), or a
        ConfigError naming the key and the profile."""
        if key in self._values and key not in self._secret_members(key):
            return self._values[key]
        if self._secret_members(key):
            return self.secret(key)
        raise ConfigError(
            f"profile '{self.name}' has no '{key}'",
            hint=f"run `smscli config set {key} VALUE -p {self.name}` or set {env_name(key)}",
        )

    def secret(self, key: str = "password") -> str:
        """The secret's value from ``key``, ``<key>_env`` or ``<key>_command``; cached."""
        if key in self._secrets:
            return self._secrets[key]
        if key in self._values:
            value = str(self._values[key])
        elif f"{key}_env" in self._values:
            var = str(self._values[f"{key}_env"])
            value = os.environ.get(var, "")
            if not value:
                raise ConfigError(f"profile '{self.name}': {key}_env names ${var}, which is not set",
                                  hint=f"export {var}, or change {key}_env")
        elif f"{key}_command" in self._values:
            value = self._run_command(key)
        else:
            raise ConfigError(
                f"profile '{self.name}' has no {key}",
                hint=f"set {key}, {key}_env or {key}_command with `smscli config set`, or export {env_name(key)}",
            )
        if key in KEY_MATERIAL:
            try:
                check_key_material(key, value)
            except ConfigError as exc:
                raise ConfigError(f"profile '{self.name}': {exc}") from None
        self._secrets[key] = value
        return value

    def _run_command(self, key: str) -> str:
        """Run ``<key>_command`` and return what it printed (stripped). At most
        ``COMMAND_OUTPUT_BYTES`` are read and ``command_timeout`` seconds waited: a command
        that prints more (``yes``), hangs, fails or is missing is a ConfigError. What it
        printed is never shown (it may be the secret); its stderr goes to ours."""
        import shlex
        import subprocess

        ref = f"{key}_command"
        command = self._values[ref]
        try:
            argv = [str(a) for a in command] if isinstance(command, list) else shlex.split(str(command))
        except ValueError as exc:
            raise ConfigError(f"profile '{self.name}': {ref} cannot be parsed: {exc}") from None
        if not argv:
            raise ConfigError(f"profile '{self.name}': {ref} is empty")
        timeout = float(self._values.get("command_timeout", COMMAND_TIMEOUT))
        failed = f"profile '{self.name}': {ref} ({argv[0]})"
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        except FileNotFoundError:
            raise ConfigError(f"{failed}: command not found", hint=f"check {ref} in the profile") from None
        except PermissionError:
            raise ConfigError(f"{failed}: permission denied", hint=f"check {ref} in the profile") from None
        except OSError as exc:
            raise ConfigError(f"{failed}: cannot run it: {exc.strerror or exc}") from None
        try:
            output, status = _bounded_run(proc, COMMAND_OUTPUT_BYTES, timeout)
        except subprocess.TimeoutExpired:
            raise ConfigError(f"{failed} timed out after {timeout:g} s",
                              hint="raise command_timeout in the profile") from None
        except _TooMuchOutput:
            raise ConfigError(f"{failed} printed more than {COMMAND_OUTPUT_BYTES} bytes; it was stopped",
                              hint=f"{ref} must print the {key} and nothing else; "
                                   "what it printed is not shown") from None
        if status != 0:
            how = f"was killed by signal {-status}" if status < 0 else f"failed with exit status {status}"
            raise ConfigError(f"{failed} {how}", hint=f"run it yourself to see why; check {ref}")
        value = output.decode("utf-8", "replace").strip()
        if not value:
            raise ConfigError(f"{failed} printed nothing", hint=f"{ref} must print the {key}")
        return value

    def _secret_members(self, key: str) -> list[str]:
        return [k for k in (f"{key}_env", f"{key}_command") if k in self._values]

    def source(self, key: str) -> Source | None:
        """Where ``key``'s value came from: ``flag``, ``env``, ``file`` or ``default``."""
        if key == "vendor":
            return self._sources.get("vendor", "default")
        return self._sources.get(key)

    def origin(self, key: str) -> str | None:
        """The detail of ``source``: the env variable, the file path, ``built-in``..."""
        return self._origins.get(key)

    def keys(self) -> list[str]:
        """Keys in display order: vendor, the vendor's keys, then the rest as written."""
        known = _known_keys(self.vendor)

        def rank(key: str) -> tuple[int, int]:
            group = _reference_group(key)
            return known.index(group if group in known else key), known.index(key)

        ordered = sorted((k for k in self._values if k in known), key=rank)
        return ["vendor", *ordered, *[k for k in self._values if k not in known]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def items(self) -> list[tuple[str, Any]]:
        """``(key, value)`` pairs with secrets masked: safe to display or log."""
        return [(k, mask(k, self.vendor if k == "vendor" else self._values.get(k))) for k in self.keys()]

    @property
    def data_dir(self) -> Path:
        """The data dir (journal, caches), created with mode 0700 on first use."""
        return ensure_private_dir(self.paths.data_dir)

    @property
    def journal(self) -> JournalTarget:
        """Where this profile's journal is (``journal_url``), its password resolved."""
        from smscli import config_journal

        return config_journal.from_values(self)

    @property
    def journal_url(self) -> str | None:
        """``journal_url`` as given (may hold a password: never display it; see
        :attr:`JournalTarget.location`)."""
        return self._values.get("journal_url")

    @property
    def journal_password(self) -> str | None:
        """The journal's password: from the URL or ``journal_password_env`` (None: libpq's
        ``PGPASSWORD`` / ``.pgpass``, or none needed)."""
        return self.journal.password

    def problems(self) -> list[ConfigError]:
        """Everything wrong with this profile (missing or malformed keys), first first."""
        from smscli import config_journal

        found: list[ConfigError] = []
        where = f"profile '{self.name}'"
        try:
            config_journal.parse(self._values.get("journal_url"),
                                 where=f"{where}: {config_journal.where(self)}")
        except ConfigError as exc:
            found.append(exc)
        if not _vendor_is_known(self.vendor):
            hint = _close_match(self.vendor, VENDORS, cutoff=0.7)
            found.append(ConfigError(
                f"{where}: unknown vendor '{self.vendor}'"
                + (f" (did you mean '{hint}'?)" if hint else ""),
                hint=f"known vendors: {', '.join(VENDORS)}"))
            return found
        for key in self.missing():
            typo = next((k for k in self._values if _close_match(k, [key])), None)
            found.append(ConfigError(
                f"{where} ({self.vendor}) is missing required key '{key}'"
                + (f" (is '{typo}' a typo?)" if typo else ""),
                hint=_how_to_set(key, self.name)))
        for key in KEY_MATERIAL:
            value = self._values.get(key)
            if isinstance(value, str):
                try:
                    check_key_material(key, value)
                except ConfigError as exc:
                    found.append(ConfigError(f"{where}: {exc}"))
        for key in HOST_KEYS:
            value = self._values.get(key)
            problem = host_problem(value, url=key != "host") if isinstance(value, str) else None
            if problem:
                found.append(ConfigError(f"{where}: {key} {problem}",
                                         hint=f"fix it with `smscli config set {key} VALUE -p {self.name}`"))
        return found

    def missing(self) -> list[str]:
        """The vendor's required keys this profile does not give (in any form)."""
        return [key for key in REQUIRED.get(self.vendor, ())
                if key not in self._values and not self._secret_members(key)]

    def check(self) -> Profile:
        """Raise the first problem, if any."""
        problems = self.problems()
        if problems:
            raise problems[0]
        return self


class _TooMuchOutput(Exception):
    pass


def _bounded_run(proc: Any, limit: int, timeout: float) -> tuple[bytes, int]:
    """Read ``proc``'s stdout until it ends; (output, exit status). Kills the process and
    raises ``_TooMuchOutput`` past ``limit`` bytes, ``subprocess.TimeoutExpired`` after
    ``timeout`` seconds (the output so far is dropped)."""
    import selectors
    import subprocess
    import time

    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(proc.args, timeout)
                if not sel.select(left):
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    break
                size += len(data)
                if size > limit:
                    raise _TooMuchOutput
                chunks.append(data)
        return b"".join(chunks), proc.wait(timeout=max(deadline - time.monotonic(), 0.001))
    except BaseException:
        proc.kill()
        raise
    finally:
        proc.stdout.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper().replace("-", "_").replace(".", "_")


def _how_to_set(key: str, profile: str) -> str:
    if _is_reference_base(key):
        return (f"set {key}_env or {key}_command with `smscli config set -p {profile}`, "
                f"type it with `smscli config set {key} -p {profile}`, or export {env_name(key)}")
    return f"run `smscli config set {key} VALUE -p {profile}` or export {env_name(key)}"


def profile_names(data: Mapping[str, Any]) -> list[str]:
    """Profiles in the file, in file order, plus the built-in sandbox if not redefined."""
    names = list(data.get("profiles", {}))
    return names if SANDBOX in names else [*names, SANDBOX]


def active_name(data: Mapping[str, Any], name: str | None, path: Path) -> tuple[str, Source, str]:
    """The active profile's name, its source, and the detail of the source."""
    if name:
        return name, "flag", "--profile"
    if os.environ.get("SMSCLI_PROFILE"):
        return os.environ["SMSCLI_PROFILE"], "env", "SMSCLI_PROFILE"
    if data.get("default_profile"):
        return data["default_profile"], "file", f"default_profile in {path}"
    return SANDBOX, "default", "the built-in default"


def unknown_profile(name: str, data: Mapping[str, Any], path: Path, how: str = "") -> ConfigError:
    known = profile_names(data)
    guess = _close_match(name, known, cutoff=0.7)
    where = f"in {path}" if data else f"(no config file at {path})"
    hint = f"did you mean '{guess}'? Or create" if guess else "create"
    return ConfigError(
        f"no profile '{name}'{how} {where}; known profiles: {', '.join(known)}",
        hint=f"{hint} it with `smscli config init --name {name}`")


def load_profile(
    name: str | None = None,
    *,
    config: Path | None = None,
    overrides: Mapping[str, object] | None = None,
    validate: bool = True,
) -> Profile:
    """Resolve a profile: ``overrides`` (flags) > ``SMSCLI_<KEY>`` > file > defaults.

    ``name`` None picks ``SMSCLI_PROFILE``, then ``default_profile``, then ``sandbox``.
    With ``validate`` (the default), a missing required key or a malformed value is a
    ConfigError (exit 3); ``config show`` loads without it to display what is there.
    """
    paths = resolve_paths(config)
    data = read_config(paths.config_file)
    chosen, name_source, how = active_name(data, name, paths.config_file)
    tables = data.get("profiles", {})
    if chosen not in tables and chosen != SANDBOX:
        via = "" if name_source == "flag" else f" (from {how})"
        raise unknown_profile(chosen, data, paths.config_file, via)
    top = {k: data[k] for k in INHERITED_KEYS if k in data}
    profile = resolve_profile(chosen, tables.get(chosen, {}), paths, overrides=overrides, top=top)
    profile.name_source, profile.name_origin = name_source, how
    return profile.check() if validate else profile


def resolve_profile(
    name: str,
    table: Mapping[str, Any],
    paths: Paths,
    *,
    overrides: Mapping[str, object] | None = None,
    top: Mapping[str, Any] | None = None,
) -> Profile:
    """Layer ``overrides`` > ``SMSCLI_<KEY>`` > ``table`` (the file's) > ``top`` (the
    file's top-level ``journal_url``/``journal_password_env``) > vendor defaults."""
    file_layer = dict(table)
    flag_layer = {k: v for k, v in (overrides or {}).items() if v is not None}
    where = f"profile '{name}'"
    vendor_source: Source
    if "vendor" in flag_layer:
        vendor, vendor_source = str(flag_layer["vendor"]), "flag"
    elif "vendor" in file_layer:
        vendor, vendor_source = str(file_layer["vendor"]), "file"
    elif name == SANDBOX:
        vendor, vendor_source = SANDBOX, "default"
    else:
        raise ConfigError(f"{where} in {paths.config_file} has no 'vendor' key",
                          hint=f"add vendor = one of {', '.join(VENDORS)}")

    env_layer: dict[str, Any] = {}
    env_origins: dict[str, str] = {}
    for key in sorted({*_known_keys(vendor), *file_layer, *flag_layer} - {"vendor"}):
        var = env_name(key)
        if var[len(ENV_PREFIX):] not in RESERVED_ENV and os.environ.get(var):
            env_layer[key] = coerce(key, os.environ[var], like=file_layer.get(key), where=var)
            env_origins[key] = var
    in_file = f"{where} in {paths.config_file}"
    layers: list[tuple[Source, dict[str, Any], dict[str, str] | str]] = [
        ("flag", {k: coerce(k, v, like=file_layer.get(k), where=f"--{k}") for k, v in flag_layer.items()}, "flag"),
        ("env", env_layer, env_origins),
        ("file", {k: coerce(k, v, where=in_file) for k, v in file_layer.items()}, str(paths.config_file)),
        ("file", dict(top or {}), f"{paths.config_file} (top level)"),
        ("default", dict(DEFAULTS.get(vendor, {})), "built-in"),
    ]
    values, sources, origins = _merge(layers, where)
    values.pop("vendor", None)
    sources["vendor"] = vendor_source
    origins["vendor"] = {"flag": "flag", "file": str(paths.config_file), "default": "built-in"}[vendor_source]
    if vendor in REQUIRED:
        known = _known_keys(vendor)
        for key in file_layer:
            hint = None if key in known else _close_match(key, known)
            if hint:
                warn(f"{where}: unknown key '{key}' (did you mean '{hint}'?)")
    return Profile(name, vendor, values, sources, origins, paths)


def _merge(
    layers: list[tuple[Source, dict[str, Any], dict[str, str] | str]], where: str
) -> tuple[dict[str, Any], dict[str, Source], dict[str, str]]:
    """Highest layer wins per key; a secret given as key/_env/_command is one group, taken
    whole from the highest layer that sets any member of it."""
    for source, layer, _ in layers:
        groups: dict[str, list[str]] = {}
        for key in layer:
            groups.setdefault(_reference_group(key), []).append(key)
        for base, members in groups.items():
            if len(members) > 1:
                raise ConfigError(f"{where} sets {' and '.join(repr(m) for m in members)} ({source}); keep one",
                                  hint=f"all of them give the {base}")
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    origins: dict[str, str] = {}
    decided: set[str] = set()  # secret groups already given by a higher layer
    for source, layer, origin in layers:
        given: set[str] = set()
        for key, value in layer.items():
            group = _reference_group(key)
            secretish = _is_reference_base(group)
            if key in values or (secretish and group in decided):
                continue
            values[key], sources[key] = value, source
            origins[key] = origin if isinstance(origin, str) else origin[key]
            if secretish:
                given.add(group)
        decided |= given
    return values, sources, origins


# --------------------------------------------------------------------------- writing
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


def iter_profiles(data: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """``(name, vendor, built_in)`` for every profile, the built-in sandbox included."""
    tables = data.get("profiles", {})
    for name in profile_names(data):
        table = tables.get(name)
        vendor = str(table.get("vendor", SANDBOX if name == SANDBOX else "?")) if table is not None else SANDBOX
        yield name, vendor, table is None
