"""The body of ``smscli config init`` (declared in ``smscli.cli.config``): a profile from flags,
or by asking on a terminal for what the flags leave out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from smscli.cli.common import choose, info, is_tty
from smscli.cli.config_edit import check_value, read_secret_stdin, warn_argv_secret

if TYPE_CHECKING:
    from pathlib import Path


def init_profile(
    vendor: str | None,
    name: str | None,
    sets: list[str] | None,
    password_env: str | None,
    password_command: str | None,
    password_stdin: bool,
    default: bool | None,
    force: bool,
    interactive: bool | None,
    config: Path | None,
) -> None:
    """The body of ``smscli config init``."""
    from smscli import config as cfg
    from smscli import config_checks as checks
    from smscli import config_keys as keys
    from smscli import config_write
    from smscli.errors import UsageError

    _, path = choose(None, config)
    paths = cfg.resolve_paths(path)
    data = cfg.read_config(paths.config_file, check_permissions=False)  # the write leaves it 0600
    ask = is_tty(sys.stdin) if interactive is None else interactive
    values = _parse_sets(sets or [])
    given = [x for x in (password_env, password_command, password_stdin or None, values.get("password")) if x]
    if len(given) > 1:
        raise UsageError("give the password one way only: --password-env, --password-command, "
                         "--password-stdin or --set password=...")
    if "password" in values:
        warn_argv_secret("password")
    if password_env:
        values["password_env"] = password_env
    if password_command:
        values["password_command"] = password_command
    if password_stdin:
        values["password"] = read_secret_stdin("password")

    if vendor is None and not ask:
        raise UsageError("--vendor is required when stdin is not a terminal",
                         hint=f"one of {', '.join(keys.VENDORS)}; or pass --interactive")
    if ask:
        vendor = vendor or _ask_valid("Vendor (" + ", ".join(keys.VENDORS) + ")",
                                      lambda v: _checked_vendor(v), default="oneshot")
    assert vendor is not None
    _checked_vendor(vendor)
    if name is None:
        name = _answer(typer.prompt, "Profile name", default=vendor) if ask else vendor
    exists = name in data.get("profiles", {})
    if exists and not force and not (
        ask and _answer(typer.confirm, f"Profile '{name}' exists in {paths.config_file}; replace it?", default=False)
    ):
        raise UsageError(f"profile '{name}' already exists in {paths.config_file}",
                             hint="pass --force to replace it, or use `smscli config set`")
    table: dict[str, Any] = {"vendor": vendor}
    for key, raw in values.items():
        unknown = checks.unknown_key_error(vendor, key, f"--set {key}")
        if unknown is not None and not force:
            raise unknown
        if unknown is not None:
            cfg.warn(f"{unknown.message}; storing it anyway (--force)")
        typed = keys.coerce(key, raw, where=f"--set {key}")
        check_value(key, typed, f"profile '{name}'")
        table[key] = typed
    if ask:
        _ask_missing(vendor, table)
    if default is None:
        current = data.get("default_profile")
        default = (_answer(typer.confirm, f"Make '{name}' the default profile?", default=True) if ask
                   else current is None or current not in cfg.profile_names(data))
    _check_hosts(name, table)
    prof = cfg.resolve_profile(name, table, paths)
    if missing := prof.missing():
        raise _missing_error(name, vendor, missing)
    prof.check()
    config_write.replace_profile(paths.config_file, name, table, default=default)
    info(f"wrote profile '{name}' ({vendor}) to {paths.config_file}"
         + (" and made it the default" if default else f"; use it with -p {name}"))
    info("check it with: smscli config show" + ("" if default else f" -p {name}"))


def _missing_error(name: str, vendor: str, missing: list[str]) -> Exception:
    """Nothing was written, so `config set` cannot help: say what to add to `config init`."""
    from smscli.errors import ConfigError

    flags = " ".join(f"--set {k}=VALUE" for k in missing if k != "password")
    if "password" in missing:
        flags += (" and " if flags else "") + "one of --password-env VAR, --password-command CMD, --password-stdin"
    keys = ", ".join(missing)
    return ConfigError(
        f"profile '{name}' ({vendor}) is missing required key{'s' if len(missing) > 1 else ''} {keys}; "
        "nothing was written",
        hint=f"re-run `smscli config init` with your flags plus {flags}, "
             "or with --interactive to be asked for them")


def _check_hosts(name: str, table: dict[str, Any]) -> None:
    """A bad host or URL: nothing was written, so `config set` cannot help; say to run init again."""
    from smscli.config import HOST_KEYS
    from smscli.config_checks import host_problem
    from smscli.errors import ConfigError

    for key in HOST_KEYS:
        value = table.get(key)
        if isinstance(value, str) and (problem := host_problem(value, url=key != "host")):
            raise ConfigError(f"profile '{name}': {key} {problem}; nothing was written",
                              hint=f"run `smscli config init` again with a fixed --set {key}=VALUE")


def _parse_sets(items: list[str]) -> dict[str, str]:
    from smscli.errors import UsageError

    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        values[key.strip()] = value
    return values


def _checked_vendor(value: str) -> str:
    check_value("vendor", value, "init")
    return value


def _ask_valid(label: str, check: Any, **kwargs: Any) -> Any:
    """Prompt until ``check`` accepts the answer (it raises ConfigError otherwise)."""
    from smscli.errors import SmscliError

    while True:
        answer = _answer(typer.prompt, label, **kwargs)
        try:
            return check(answer)
        except SmscliError as exc:
            info(f"smscli: {exc}")


def _ask_missing(vendor: str, table: dict[str, Any]) -> None:
    """Ask for each required key not given yet, then the optional sender."""
    from smscli import config_keys as keys

    for key in keys.REQUIRED.get(vendor, ()):
        if key in table or f"{key}_env" in table or f"{key}_command" in table:
            continue
        if key == "password":
            _ask_password(table)
            continue
        hide = keys.is_secret_key(key)

        def check(raw: str, key: str = key) -> Any:
            typed = keys.coerce(key, raw, where=key)
            check_value(key, typed, "init")
            return typed

        table[key] = _ask_valid(key, check, hide_input=hide)
    if vendor == "oneshot" and "encrypt" not in table:
        table["encrypt"] = _answer(typer.confirm, "Encrypt every body (encrypt = true; needs the encrypted port)?",
                                   default=False)
    if "sender" not in table:
        sender = _answer(typer.prompt, "Default sender number (empty: none)", default="", show_default=False)
        if sender.strip():
            table["sender"] = sender.strip()


def _ask_password(table: dict[str, Any]) -> None:
    how = _ask_valid("Password from: file (stored in the config, mode 0600), env (a variable), "
                     "command (e.g. 'pass show sms')", _choice(("file", "env", "command")), default="file")
    if how == "env":
        table["password_env"] = _answer(typer.prompt, "Environment variable name")
    elif how == "command":
        table["password_command"] = _answer(typer.prompt, "Command")
    else:
        table["password"] = _answer(typer.prompt, "Password", hide_input=True, confirmation_prompt=True)


def _choice(options: tuple[str, ...]) -> Any:
    def check(answer: str) -> str:
        from smscli.errors import UsageError

        picked = [o for o in options if o.startswith(answer.strip().lower())] if answer.strip() else []
        if len(picked) != 1:
            raise UsageError(f"answer one of: {', '.join(options)}")
        return picked[0]

    return check


def _answer(ask: Any, label: str, **kwargs: Any) -> Any:
    """``typer.prompt`` or ``typer.confirm`` on stderr. Answers piped in that run out end
    the command as a usage error (exit 2), not as an interrupt; a hidden answer piped in is
    read without getpass's warning that there is no terminal to hide it on."""
    import getpass
    import warnings

    piped = not is_tty(sys.stdin)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            return ask(label, err=True, **kwargs)
    except typer.Abort:
        if not piped:
            raise  # Ctrl-C at the terminal
        from smscli.errors import UsageError

        raise UsageError(f"standard input ended before {label!r} was answered; nothing was written",
                         hint="give each answer on a line of its own, or pass the values as flags: "
                              "--set KEY=VALUE, --password-stdin") from None
