"""The bodies of ``smscli config set``, ``unset`` and ``use`` (declared in ``smscli.cli.config``),
the value checks they share with ``config init``, and reading a secret from stdin."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from smscli.cli.common import choose, display, info, is_tty

if TYPE_CHECKING:
    from pathlib import Path


def read_secret_stdin(what: str) -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        from smscli.errors import UsageError

        raise UsageError(f"no {what} on stdin", hint="pipe it in, e.g. `pass show sms | smscli ...`")
    return line


def warn_argv_secret(key: str) -> None:
    from smscli.config import warn

    warn(f"{key} given on the command line is visible in `ps` and your shell history; "
         f"prefer {key}_env, {key}_command, or reading it from stdin with '-'")


def set_value(key: str, value: str | None, profile: str | None, config: Path | None, force: bool) -> None:
    """The body of ``smscli config set``."""
    import os

    from smscli import config as cfg
    from smscli import config_checks as checks
    from smscli import config_keys as keys
    from smscli import config_write
    from smscli.errors import UsageError

    name, path = choose(profile, config)
    paths = cfg.resolve_paths(path)
    if key == "default_profile":
        if value is None:
            raise UsageError("missing VALUE: the profile name", hint="smscli config set default_profile NAME")
        use_profile(value, paths)
        return
    data = cfg.read_config(paths.config_file, check_permissions=False)  # the write leaves it 0600
    target, _, how = cfg.active_name(data, name, paths.config_file)
    tables = data.get("profiles", {})
    if target not in tables and target != keys.SANDBOX:
        raise checks.unknown_profile(target, data, paths.config_file, "" if name else f" (from {how})")
    table = tables.get(target, {})
    where = f"profile '{target}'"
    vendor = str(table.get("vendor", keys.SANDBOX if target == keys.SANDBOX else ""))
    unknown = None if key == "vendor" else checks.unknown_key_error(vendor, key, where)
    if unknown is not None:
        if not force:
            raise unknown
        cfg.warn(f"{unknown.message}; storing it anyway (--force)")
    secret = keys.is_secret_key(key)
    if value is None or value == "-":
        if value is None and not secret:
            raise UsageError(f"missing VALUE for {key}", hint=f"smscli config set {key} VALUE")
        if value is None and is_tty(sys.stdin):
            value = typer.prompt(f"{key} for profile '{target}'", hide_input=secret, err=True)
        else:
            value = read_secret_stdin(key)
    elif secret and unknown is None:
        warn_argv_secret(key)
    elif secret:
        cfg.warn(f"if {key} is a secret, the command line shows it in `ps` and your shell history; "
                 f"give it as '-' to read it from stdin")
    typed = keys.coerce(key, value, like=table.get(key), where=where)
    check_value(key, typed, where)
    group = keys.reference_group(key)
    replaced: list[str] = []
    if keys.is_reference_base(group):
        replaced = [k for k in (group, f"{group}_env", f"{group}_command") if k != key and k in table]
    edits: list[tuple[str | None, str, Any]] = [(target, key, typed), *((target, k, None) for k in replaced)]
    config_write.update_config(paths.config_file, edits)
    shown = display(keys.mask(key, typed))
    if secret and unknown is not None:
        shown += " (masked: the name looks like a secret's)"
    info(f"set {key} = {shown} in {where} ({paths.config_file})")
    for k in replaced:  # one way per secret: say which form went
        info(f"smscli: replaced {k} with {key} in {where}")
    for k in (key, group):
        var = cfg.env_name(k)
        if os.environ.get(var):
            cfg.warn(f"{var} is set in the environment and takes precedence over the file")
            break


def check_value(key: str, value: Any, where: str) -> None:
    from smscli import config as cfg
    from smscli import config_checks as checks
    from smscli import config_keys as keys

    if key == "vendor" and not cfg.vendor_is_known(str(value)):
        hint = keys.close_match(str(value), keys.VENDORS)
        raise cfg.ConfigError(f"{where}: unknown vendor '{value}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                              hint=f"known vendors: {', '.join(keys.VENDORS)}")
    if key in keys.KEY_MATERIAL:
        try:
            checks.check_key_material(key, str(value))
        except cfg.ConfigError as exc:
            raise cfg.ConfigError(f"{where}: {exc}") from None


def unset_key(key: str, profile: str | None, config: Path | None) -> None:
    """The body of ``smscli config unset``."""
    from smscli import config as cfg
    from smscli import config_checks as checks
    from smscli import config_write

    name, path = choose(profile, config)
    paths = cfg.resolve_paths(path)
    data = cfg.read_config(paths.config_file, check_permissions=False)  # the write leaves it 0600
    if key == "default_profile":
        target = None
        present = key in data
    else:
        target, _, how = cfg.active_name(data, name, paths.config_file)
        if target not in data.get("profiles", {}):
            raise checks.unknown_profile(target, data, paths.config_file, "" if name else f" (from {how})")
        present = key in data["profiles"][target]
    if not present:
        cfg.warn(f"'{key}' is not set" + (f" in profile '{target}'" if target else "") + "; nothing to do")
        return
    config_write.update_config(paths.config_file, [(target, key, None)])
    info(f"removed {key}" + (f" from profile '{target}'" if target else "") + f" ({paths.config_file})")


def use_profile(name: str, paths: Any) -> None:
    import os

    from smscli import config as cfg
    from smscli import config_checks as checks
    from smscli import config_write

    data = cfg.read_config(paths.config_file, check_permissions=False)
    if name not in cfg.profile_names(data):
        raise checks.unknown_profile(name, data, paths.config_file)
    config_write.update_config(paths.config_file, [(None, "default_profile", name)])
    info(f"default profile is now '{name}' ({paths.config_file})")
    if os.environ.get("SMSCLI_PROFILE") and os.environ["SMSCLI_PROFILE"] != name:
        cfg.warn(f"SMSCLI_PROFILE={os.environ['SMSCLI_PROFILE']} is set and still takes precedence")
