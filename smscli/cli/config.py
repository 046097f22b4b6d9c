"""``smscli config``: create, inspect and change profiles.

Every sub-command is declared here (its options and help); ``show``, ``get``, ``profiles``
and ``path`` run here too. The bodies of ``set``, ``unset`` and ``use`` are in
``smscli.cli.config_edit``, that of ``init`` in ``smscli.cli.config_init``: imported only
when those run.
"""

import sys
from typing import Annotated, Any

import typer

from smscli.cli.commands import CommandsOf
from smscli.cli.common import ConfigOpt, JsonOpt, ProfileOpt, choose, display, info

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
    return "Examples:\n\n" + "\n\n".join(f"\b\n  {line}" for line in lines)  # \b: not re-wrapped


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


# --------------------------------------------------------------------------- helpers
def _print_columns(rows: list[list[str]]) -> None:
    """``rows`` in columns lined up on a terminal: Hangul and other wide characters take two cells."""
    widths = [max(_cells(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [c + " " * (w - _cells(c)) for c, w in zip(row[:-1], widths, strict=False)] + [row[-1]]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


def _cells(text: str) -> int:
    """How many terminal cells ``text`` takes, as the tables count them (rich's, imported
    only for text that is not ASCII)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


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
            [r["key"], display(r["value"]),
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
            if given == f"{key}_env":
                prof.secret(key)  # its variable unset: exit 3 saying so (the value stays masked)
            value = mask(key, prof.get(key)) if given == key else mask(key, "x")
    _emit_value(json_, {"profile": prof.name, "key": key, "value": value,
                        "source": prof.source(given), "origin": prof.origin(given)})


def _emit_value(json_: bool, row: dict[str, Any]) -> None:
    if json_:
        from smscli.cli.output import Output

        Output(json_mode=True).emit(row)
    else:
        sys.stdout.write(display(row["value"]) + "\n")



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
    from smscli.cli.config_edit import set_value

    set_value(key, value, profile, config, force)


@config_commands.command("unset", epilog=_examples("smscli config unset sender", "smscli config unset timeout -p prod"))
def unset(
    key: Annotated[str, typer.Argument(metavar="KEY", help="The key to remove, or default_profile.")],
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove KEY from the active profile (or --profile); default_profile at top level."""
    from smscli.cli.config_edit import unset_key

    unset_key(key, profile, config)


@config_commands.command("use", epilog=_examples("smscli config use prod", "smscli config use sandbox"))
def use(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The profile to make the default.")],
    config: ConfigOpt = None,
) -> None:
    """Make NAME the default profile (sets default_profile)."""
    from smscli.cli.config_edit import use_profile
    from smscli.config import resolve_paths

    _, path = choose(None, config)
    use_profile(name, resolve_paths(path))


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
        info("(does not exist yet" + ("" if data_dir else "; create it with `smscli config init`") + ")")


# --------------------------------------------------------------------------- init
@config_commands.command("init", epilog=_examples(
    "smscli config init                       # asks, on a terminal",
    "smscli config init --vendor bizppurio --name biz --set base_url=https://api.bizppurio.com "
    "--set account=me --password-env BIZ_PASSWORD",
    "pass show sms | smscli config init --vendor netshot --set url=https://sms.example.com/send --set user=me --password-stdin",
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
    from smscli.cli.config_init import init_profile

    init_profile(vendor=vendor, name=name, sets=sets, password_env=password_env,
                 password_command=password_command, password_stdin=password_stdin, default=default,
                 force=force, interactive=interactive, config=config)
