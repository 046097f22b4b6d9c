"""Profiles: where the config file and data dir live, and how the active profile is
resolved (flag > env > file > default, keeping the source of every value).

Secrets: a key is *secret* when ``smscli.config_keys.is_secret_key`` says so; its value
is masked in every display. Any key can also be given indirectly as ``<key>_env`` (an
environment variable name) or ``<key>_command`` (a command whose stdout is the value);
``Profile.secret`` resolves them lazily, and within one profile exactly one of the three
may be set.

Every command imports this module, so what only some need lives beside it, imported on
use: ``config_parse`` (a config file that exists), ``config_checks`` (checking values,
hints for unknown keys), ``config_key_command`` (running ``<key>_command``) and
``config_write`` (``config set``/``init``). The key tables are in ``config_keys``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from smscli.config_keys import (
    DEFAULTS,
    INHERITED_KEYS,
    KEY_MATERIAL,
    REQUIRED,
    SANDBOX,
    VENDORS,
    _known_keys,
    close_match,
    coerce,
    is_reference_base,
    mask,
    reference_group,
)
from smscli.errors import ConfigError
from smscli.records import record

if TYPE_CHECKING:
    from smscli.config_journal import JournalTarget

Source = Literal["flag", "env", "file", "default"]

ENV_PREFIX = "SMSCLI_"
# SMSCLI_* variables that are never profile keys.
RESERVED_ENV = frozenset({"CONFIG", "DATA_DIR", "PROFILE", "DEBUG", "NO_PROGRESS", "CLOCK_OFFSET"})
MAX_CONFIG_BYTES = 1024 * 1024  # a config file is a few hundred bytes; refuse absurd ones
HOST_KEYS = ("host", "base_url", "url", "database_url")  # keys naming a host (checked on load)

_warned: set[str] = set()


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
    """Parse the config file (a missing file is an empty config) and check its shape
    (``smscli.config_parse``).

    ``check_permissions`` False skips the "readable by others" warning: for callers about
    to rewrite the file, which leaves it with mode 0600."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)  # bounded: --config /dev/zero must not eat memory
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    from smscli.config_parse import parse_config  # here: most commands run without a config file

    return parse_config(path, raw, check_permissions=check_permissions)
def vendor_is_known(vendor: str) -> bool:
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
            from smscli.config_checks import check_key_material

            try:
                check_key_material(key, value)
            except ConfigError as exc:
                raise ConfigError(f"profile '{self.name}': {exc}") from None
        self._secrets[key] = value
        return value

    def _run_command(self, key: str) -> str:
        """Run ``<key>_command`` (``smscli.config_key_command``) and return what it printed."""
        from smscli.config_key_command import run_key_command

        return run_key_command(self.name, key, self._values[f"{key}_command"],
                               self._values.get("command_timeout"))
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
            group = reference_group(key)
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
        """Everything wrong with this profile (missing or malformed keys), first first.
        The checks of the values and the hints are in ``smscli.config_checks``, imported
        when there is a value to check or a problem to report."""
        from smscli import config_journal

        found: list[ConfigError] = []
        where = f"profile '{self.name}'"
        try:
            config_journal.parse(self._values.get("journal_url"),
                                 where=f"{where}: {config_journal.where(self)}")
        except ConfigError as exc:
            found.append(exc)
        if not vendor_is_known(self.vendor):
            hint = close_match(self.vendor, VENDORS, cutoff=0.7)
            found.append(ConfigError(
                f"{where}: unknown vendor '{self.vendor}'"
                + (f" (did you mean '{hint}'?)" if hint else ""),
                hint=f"known vendors: {', '.join(VENDORS)}"))
            return found
        for key in self.missing():
            from smscli.config_checks import how_to_set

            typo = next((k for k in self._values if close_match(k, [key])), None)
            found.append(ConfigError(
                f"{where} ({self.vendor}) is missing required key '{key}'"
                + (f" (is '{typo}' a typo?)" if typo else ""),
                hint=how_to_set(key, self.name)))
        checked = [k for k in (*KEY_MATERIAL, *HOST_KEYS) if isinstance(self._values.get(k), str)]
        if checked:
            from smscli.config_checks import check_key_material, host_problem

            for key in (k for k in checked if k in KEY_MATERIAL):
                try:
                    check_key_material(key, self._values[key])
                except ConfigError as exc:
                    found.append(ConfigError(f"{where}: {exc}"))
            for key in (k for k in checked if k in HOST_KEYS):
                problem = host_problem(self._values[key], url=key != "host")
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


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper().replace("-", "_").replace(".", "_")


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
        from smscli.config_checks import unknown_profile

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
            hint = None if key in known else close_match(key, known)
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
            groups.setdefault(reference_group(key), []).append(key)
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
            group = reference_group(key)
            secretish = is_reference_base(group)
            if key in values or (secretish and group in decided):
                continue
            values[key], sources[key] = value, source
            origins[key] = origin if isinstance(origin, str) else origin[key]
            if secretish:
                given.add(group)
        decided |= given
    return values, sources, origins

def iter_profiles(data: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """``(name, vendor, built_in)`` for every profile, the built-in sandbox included."""
    tables = data.get("profiles", {})
    for name in profile_names(data):
        table = tables.get(name)
        vendor = str(table.get("vendor", SANDBOX if name == SANDBOX else "?")) if table is not None else SANDBOX
        yield name, vendor, table is None
