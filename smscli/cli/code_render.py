"""What ``smscli code lookup|search|list`` do and print, without Typer.

Both the Typer commands (``smscli.cli.code``) and the lean entry point
(``smscli.cli.main``) call these, so the two paths print the same bytes.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs more than this whole command
if TYPE_CHECKING:
    from smscli.codes import CodeEntry
    from smscli.errors import RejectedError

    class CodeNotFound(RejectedError):
        """No table knows the code or the text (exit 1)."""

COLUMNS = ("vendor", "table", "code", "meaning", "meaning_en", "category", "retryable")


def _code_not_found() -> type[RejectedError]:
    """``CodeNotFound``, made on first use: smscli.errors (its IntEnum imports enum, a
    tenth of a lookup's start-up) is imported only when something fails."""
    made = globals().get("CodeNotFound")
    if made is None:
        from smscli.errors import RejectedError

        class CodeNotFound(RejectedError):
            """No table knows the code or the text (exit 1)."""

        made = globals()["CodeNotFound"] = CodeNotFound
    return made


def __getattr__(name: str) -> type:
    if name == "CodeNotFound":
        return _code_not_found()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _usage(message: str, hint: str) -> Exception:
    from smscli.errors import UsageError

    return UsageError(message, hint=hint)


def lookup(code: str, vendor: str | None, json_mode: bool) -> None:
    """Print every entry for ``code``; CodeNotFound (naming the nearest codes) when none."""
    from smscli import codes

    if not code.strip():
        raise _usage("give a code to look up", "e.g. smscli code lookup 4100")
    entries = codes.lookup(code, vendor)
    if not entries:
        near = codes.nearest(code, vendor)
        where = f" for {codes.normalize_vendor(vendor)}" if vendor else ""
        raise _code_not_found()(
            f"unknown code {code.strip()!r}{where}",
            hint=f"nearest known codes: {', '.join(near)}" if near else None,
        )
    show(entries, json_mode)


def search(text: str, vendor: str | None, json_mode: bool) -> None:
    """Print every entry whose meaning contains ``text``; CodeNotFound when none."""
    from smscli import codes

    if not text.strip():
        raise _usage("give some text to search for", "e.g. smscli code search 음영")
    entries = codes.search(text, vendor)
    if not entries:
        raise _code_not_found()(
            f"no code meaning contains {text.strip()!r}",
            hint="try a shorter word, in Korean or English, or 'smscli code list'",
        )
    show(entries, json_mode)


def list_all(vendor: str | None, json_mode: bool) -> None:
    """Print every known entry (of one vendor)."""
    from smscli import codes

    show(codes.all_entries(vendor), json_mode)


def show(entries: list[CodeEntry], json_mode: bool) -> None:
    """JSON Lines, a table on a terminal, or tab-separated lines in a pipe."""
    from smscli.cli.output import Output

    out = Output(json_mode, columns=COLUMNS)
    for entry in entries:
        row = entry.to_json()
        if not json_mode:
            row["retryable"] = "yes" if entry.retryable else "no"
        out.emit(row)
    out.flush()
