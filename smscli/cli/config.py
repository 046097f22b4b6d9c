"""``smscli config``: create, inspect and change profiles."""

import sys
from typing import Annotated, Any

import typer

from smscli.cli.commands import CommandsOf
from smscli.cli.common import ConfigOpt, JsonOpt, ProfileOpt, choose

config_commands = typer.Typer()  # its sub-commands, each built only when it runs (CommandsOf)


class ConfigGroup(CommandsOf):
    source = config_commands


config_app = typer.Typer(
    name="config",
    help="Create, inspect and change profiles (vendor, host, credentials...).",
    no_args_is_help=True,
    cls=ConfigGroup,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ShowSecretsOpt = Annotated[bool, typer.Option("--show-secrets", help="Print secrets instead of masking them.")]


def _examples(*lines: str) -> str:
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


# --------------------------------------------------------------------------- helpers
def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _info(message: str) -> None:
    sys.stderr.write(message + "\n")


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _print_columns(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)] + [row[-1]]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


def _read_secret_stdin(what: str) -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        from smscli.errors import UsageError

        raise UsageError(f"no {what} on stdin", hint="pipe it in, e.g. `pass show sms | smscli ...`")
    return line


def _warn_argv_secret(key: str) -> None:
    from smscli.config import warn

    warn(f"{key} given on the command line is visible in `ps` and your shell history; "
         f"prefer {key}_env, {key}_command, or reading it from stdin with '-'")


# --------------------------------------------------------------------------- show / get
@config_commands.command("show", epilog=_examples(
    "smscli config show",
    "smscli config show -p prod --json",
    "SMSCLI_SENDER=0212345678 smscli config show   # the sender shows as coming from env",
))
def show(
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    show_secrets: ShowSecretsOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Show the active profile: every value and where it comes from (secrets masked)."""
    from smscli.cli.output import Output
    from smscli.config import load_profile
    from smscli.config_keys import mask

    name, path = choose(profile, config)
    prof = load_profile(name, config=path, validate=False)
    rows = []
    for key in prof:
        raw = prof.vendor if key == "vendor" else prof.get(key)
        rows.append({"profile": prof.name, "key": key, "value": raw if show_secrets else mask(key, raw),
                     "source": prof.source(key), "origin": prof.origin(key)})
    if json_:
        out = Output(json_mode=True)
        for row in rows:
            out.emit(row)
    else:
        sys.stdout.write(f"# profile {prof.name} (from {prof.name_origin}); "
                         f"config file {prof.paths.config_file}\n")
        _print_columns([
            [r["key"], _display(r["value"]),
             r["source"] + (f" {r['origin']}" if r["source"] == "env" else "")]
            for r in rows
        ])
    prof.check()


@config_commands.command("get", epilog=_examples(
    "smscli config get host",
    "smscli config get password --show-secrets   # runs password_command if that is how it is set",
    "smscli config get default_profile",
))
def get(
    key: Annotated[str, typer.Argument(metavar="KEY", help="The key to print, or default_profile.")],
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    show_secrets: ShowSecretsOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Print one value of the active profile (secrets masked unless --show-secrets)."""
    from smscli.config import ConfigError, load_profile, read_config, resolve_paths
    from smscli.config_checks import no_key_error
    from smscli.config_keys import mask

    name, path = choose(profile, config)
    if key == "default_profile":
        paths = resolve_paths(path)
        value = read_config(paths.config_file).get("default_profile")
        if value is None:
            raise ConfigError(f"default_profile is not set in {paths.config_file}",
                              hint="the active profile is sandbox; set one with `smscli config use NAME`")
        _emit_value(json_, {"key": key, "value": value, "source": "file", "origin": str(paths.config_file)})
        return
    prof = load_profile(name, config=path, validate=False)
    members = [k for k in (key, f"{key}_env", f"{key}_command") if k in prof]
    if key == "vendor":
        value, given = prof.vendor, key
    elif not members:
        raise no_key_error(prof, key)
    else:
        given = members[0]
        if show_secrets:
            value = prof.secret(key) if given != key else prof.get(key)
        else:
            value = mask(key, prof.get(key)) if given == key else mask(key, "x")
    _emit_value(json_, {"profile": prof.name, "key": key, "value": value,
                        "source": prof.source(given), "origin": prof.origin(given)})


def _emit_value(json_: bool, row: dict[str, Any]) -> None:
    if json_:
        from smscli.cli.output import Output

        Output(json_mode=True).emit(row)
    else:
        sys.stdout.write(_display(row["value"]) + "\n")


# --------------------------------------------------------------------------- set / unset / use
@config_commands.command("set", epilog=_examples(
    "smscli config set host 10.0.0.5",
    "smscli config set port 9000 -p prod",
    "smscli config set password_env SMS_PASSWORD",
    "smscli config set password            # asks for it without echo (or reads a line from stdin)",
    "smscli config set default_profile prod",
))
def set_(
    key: Annotated[str, typer.Argument(metavar="KEY", help="The key (e.g. host, port, password_env), or default_profile.")],
    value: Annotated[str | None, typer.Argument(
        metavar="VALUE",
        help="The value; '-' reads it from stdin. Omit it for a secret to be asked for it.",
        show_default=False)] = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Store a key smscli does not know for the vendor.")] = False,
) -> None:
    """Set KEY to VALUE in the active profile (or --profile); default_profile at top level."""
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
        _use(value, paths)
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
        if value is None and _is_tty(sys.stdin):
            value = typer.prompt(f"{key} for profile '{target}'", hide_input=secret, err=True)
        else:
            value = _read_secret_stdin(key)
    elif secret and unknown is None:
        _warn_argv_secret(key)
    elif secret:
        cfg.warn(f"if {key} is a secret, the command line shows it in `ps` and your shell history; "
                 f"give it as '-' to read it from stdin")
    typed = keys.coerce(key, value, like=table.get(key), where=where)
    _check_value(key, typed, where)
    group = keys.reference_group(key)
    replaced: list[str] = []
    if keys.is_reference_base(group):
        replaced = [k for k in (group, f"{group}_env", f"{group}_command") if k != key and k in table]
    edits: list[tuple[str | None, str, Any]] = [(target, key, typed), *((target, k, None) for k in replaced)]
    config_write.update_config(paths.config_file, edits)
    shown = _display(keys.mask(key, typed))
    if secret and unknown is not None:
        shown += " (masked: the name looks like a secret's)"
    _info(f"set {key} = {shown} in {where} ({paths.config_file})")
    for k in replaced:  # one way per secret: say which form went
        _info(f"smscli: replaced {k} with {key} in {where}")
    for k in (key, group):
        var = cfg.env_name(k)
        if os.environ.get(var):
            cfg.warn(f"{var} is set in the environment and takes precedence over the file")
            break


def _check_value(key: str, value: Any, where: str) -> None:
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


@config_commands.command("unset", epilog=_examples("smscli config unset sender", "smscli config unset timeout -p prod"))
def unset(
    key: Annotated[str, typer.Argument(metavar="KEY", help="The key to remove, or default_profile.")],
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove KEY from the active profile (or --profile); default_profile at top level."""
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
    _info(f"removed {key}" + (f" from profile '{target}'" if target else "") + f" ({paths.config_file})")


@config_commands.command("use", epilog=_examples("smscli config use prod", "smscli config use sandbox"))
def use(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The profile to make the default.")],
    config: ConfigOpt = None,
) -> None:
    """Make NAME the default profile (sets default_profile)."""
    from smscli.config import resolve_paths

    _, path = choose(None, config)
    _use(name, resolve_paths(path))


def _use(name: str, paths: Any) -> None:
    import os

    from smscli import config as cfg
    from smscli import config_checks as checks
    from smscli import config_write

    data = cfg.read_config(paths.config_file, check_permissions=False)
    if name not in cfg.profile_names(data):
        raise checks.unknown_profile(name, data, paths.config_file)
    config_write.update_config(paths.config_file, [(None, "default_profile", name)])
    _info(f"default profile is now '{name}' ({paths.config_file})")
    if os.environ.get("SMSCLI_PROFILE") and os.environ["SMSCLI_PROFILE"] != name:
        cfg.warn(f"SMSCLI_PROFILE={os.environ['SMSCLI_PROFILE']} is set and still takes precedence")


# --------------------------------------------------------------------------- profiles / path
@config_commands.command("profiles", epilog=_examples("smscli config profiles", "smscli config profiles --json"))
def profiles(profile: ProfileOpt = None, config: ConfigOpt = None, json_: JsonOpt = False) -> None:
    """List the profiles; '*' marks the active one and says what chose it."""
    from smscli import config as cfg
    from smscli import config_checks as checks

    name, path = choose(profile, config)
    paths = cfg.resolve_paths(path)
    data = cfg.read_config(paths.config_file)
    active, source, how = cfg.active_name(data, name, paths.config_file)
    rows = []
    for pname, vendor, builtin in cfg.iter_profiles(data):
        is_active = pname == active
        rows.append({"name": pname, "vendor": vendor, "active": is_active, "builtin": builtin,
                     "selected_by": source if is_active else None})
    if json_:
        from smscli.cli.output import Output

        out = Output(json_mode=True)
        for row in rows:
            out.emit(row)
    else:
        _print_columns([
            ["*" if r["active"] else " ", r["name"], r["vendor"],
             ", ".join(x for x in ("built-in" if r["builtin"] else "",
                                   f"active (from {how})" if r["active"] else "") if x)]
            for r in rows
        ])
    if active not in cfg.profile_names(data):
        raise checks.unknown_profile(active, data, paths.config_file, "" if name else f" (from {how})")


@config_commands.command("path", epilog=_examples("smscli config path", "smscli config path --data-dir",
                                             "$EDITOR \"$(smscli config path)\""))
def path_(
    config: ConfigOpt = None,
    data_dir: Annotated[bool, typer.Option("--data-dir", help="Print the data dir (journal, caches) instead.")] = False,
) -> None:
    """Print the config file path (or, with --data-dir, the data dir)."""
    from smscli.config import resolve_paths

    _, cpath = choose(None, config)
    paths = resolve_paths(cpath)
    target = paths.data_dir if data_dir else paths.config_file
    sys.stdout.write(f"{target}\n")
    if not target.exists():
        _info("(does not exist yet" + ("" if data_dir else "; create it with `smscli config init`") + ")")


# --------------------------------------------------------------------------- init
@config_commands.command("init", epilog=_examples(
    "smscli config init                       # asks, on a terminal",
    "smscli config init --vendor bizppurio --name biz --set base_url=https://api.bizppurio.com "
    "--set account=me --password-env BIZ_PASSWORD",
    "pass show sms | smscli config init --vendor netshot --set url=http://... --set user=me --password-stdin",
))
def init(
    vendor: Annotated[str | None, typer.Option("--vendor", help="oneshot, bizppurio, netshot, bizclient or sandbox.",
                                               show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Profile name (default: the vendor's name).",
                                             show_default=False)] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE",
                                                   help="A profile value (repeatable).")] = None,
    password_env: Annotated[str | None, typer.Option(
        "--password-env", metavar="VAR", help="Read the password from this environment variable when needed.")] = None,
    password_command: Annotated[str | None, typer.Option(
        "--password-command", metavar="CMD", help="Run this (no shell) to get the password, e.g. 'pass show sms'.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin and store it in the file.")] = False,
    default: Annotated[bool | None, typer.Option(
        "--default/--no-default", help="Make it the default profile (default: if there is none yet).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing profile of that name; accept --set keys smscli does not know.")] = False,
    interactive: Annotated[bool | None, typer.Option(
        "--interactive/--no-interactive", help="Ask for what is missing (default: when stdin is a terminal).",
        show_default=False)] = None,
    config: ConfigOpt = None,
) -> None:
    """Create a profile, by asking on a terminal or from flags; never needs a password on argv."""
    from smscli import config as cfg
    from smscli import config_checks as checks
    from smscli import config_keys as keys
    from smscli import config_write
    from smscli.errors import UsageError

    _, path = choose(None, config)
    paths = cfg.resolve_paths(path)
    data = cfg.read_config(paths.config_file, check_permissions=False)  # the write leaves it 0600
    ask = _is_tty(sys.stdin) if interactive is None else interactive
    values = _parse_sets(sets or [])
    given = [x for x in (password_env, password_command, password_stdin or None, values.get("password")) if x]
    if len(given) > 1:
        raise UsageError("give the password one way only: --password-env, --password-command, "
                         "--password-stdin or --set password=...")
    if "password" in values:
        _warn_argv_secret("password")
    if password_env:
        values["password_env"] = password_env
    if password_command:
        values["password_command"] = password_command
    if password_stdin:
        values["password"] = _read_secret_stdin("password")

    if vendor is None and not ask:
        raise UsageError("--vendor is required when stdin is not a terminal",
                         hint=f"one of {', '.join(keys.VENDORS)}; or pass --interactive")
    if ask:
        vendor = vendor or _ask_valid("Vendor (" + ", ".join(keys.VENDORS) + ")",
                                      lambda v: _checked_vendor(v), default="oneshot")
    assert vendor is not None
    _checked_vendor(vendor)
    if name is None:
        name = typer.prompt("Profile name", default=vendor, err=True) if ask else vendor
    exists = name in data.get("profiles", {})
    if exists and not force and not (
        ask and typer.confirm(f"Profile '{name}' exists in {paths.config_file}; replace it?", default=False, err=True)
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
        _check_value(key, typed, f"profile '{name}'")
        table[key] = typed
    if ask:
        _ask_missing(vendor, table)
    if default is None:
        current = data.get("default_profile")
        default = (typer.confirm(f"Make '{name}' the default profile?", default=True, err=True) if ask
                   else current is None or current not in cfg.profile_names(data))
    prof = cfg.resolve_profile(name, table, paths)
    if missing := prof.missing():
        raise _missing_error(name, vendor, missing)
    prof.check()
    config_write.replace_profile(paths.config_file, name, table, default=default)
    _info(f"wrote profile '{name}' ({vendor}) to {paths.config_file}"
          + (" and made it the default" if default else f"; use it with -p {name}"))
    _info("check it with: smscli config show" + ("" if default else f" -p {name}"))


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
    _check_value("vendor", value, "init")
    return value


def _ask_valid(label: str, check: Any, **kwargs: Any) -> Any:
    """Prompt until ``check`` accepts the answer (it raises ConfigError otherwise)."""
    from smscli.errors import SmscliError

    while True:
        answer = typer.prompt(label, err=True, **kwargs)
        try:
            return check(answer)
        except SmscliError as exc:
            _info(f"smscli: {exc}")


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
            _check_value(key, typed, "init")
            return typed

        table[key] = _ask_valid(key, check, hide_input=hide)
    if vendor == "oneshot" and "encrypt" not in table:
        table["encrypt"] = typer.confirm("Encrypt every body (encrypt = true; needs the encrypted port)?",
                                         default=False, err=True)
    if "sender" not in table:
        sender = typer.prompt("Default sender number (empty: none)", default="", show_default=False, err=True)
        if sender.strip():
            table["sender"] = sender.strip()


def _ask_password(table: dict[str, Any]) -> None:
    how = _ask_valid("Password from: file (stored in the config, mode 0600), env (a variable), "
                     "command (e.g. 'pass show sms')", _choice(("file", "env", "command")), default="file")
    if how == "env":
        table["password_env"] = typer.prompt("Environment variable name", err=True)
    elif how == "command":
        table["password_command"] = typer.prompt("Command", err=True)
    else:
        table["password"] = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


def _choice(options: tuple[str, ...]) -> Any:
    def check(answer: str) -> str:
        from smscli.errors import UsageError

        picked = [o for o in options if o.startswith(answer.strip().lower())] if answer.strip() else []
        if len(picked) != 1:
            raise UsageError(f"answer one of: {', '.join(options)}")
        return picked[0]

    return check
