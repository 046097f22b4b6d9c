"""`smscli result stats`: one row per group with its count, delivered, failed, waiting
and rate; a Rich table with a bar per row (on a terminal), TSV piped, or one JSON object
per group with ``--json``."""

from __future__ import annotations

from typing import Any

from smscli.cli.output import TSV_FLAT

BAR = 24  # characters of the longest bar


def render(groups: list[dict[str, Any]], by: str, *, json_mode: bool, stream: Any) -> None:
    if json_mode:
        import json

        stream.write("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in groups))
        stream.flush()
        return
    heads = (["vendor", by, "meaning", "category"] if by == "code" else [by])
    heads += ["count", "delivered", "failed", "waiting", "rate"]
    tty = _tty(stream)
    if not tty:
        stream.write("".join("\t".join(_cell(g, h).translate(TSV_FLAT) for h in heads) + "\n" for g in groups))
        stream.flush()
        return
    if not groups:
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from smscli.cli.table_columns import column_options, whole_columns

    top = max(g["count"] for g in groups)
    total = sum(g["count"] for g in groups)
    delivered = sum(g["delivered"] for g in groups)
    table = Table(caption=f"{total:,} messages, {delivered:,} delivered "
                          f"({delivered / total:.1%})" if total else None)
    rows = []
    for g in groups:
        cells = [escape(_cell(g, h)) or ("(none)" if h == by else "") for h in heads]
        cells[-1] = f"{g['rate']:.1%}"
        rows.append(cells)
    console = Console(file=stream, highlight=False)
    whole = whole_columns([*heads, ""], [[*cells, ""] for cells in rows], console.width)
    for h in heads:
        table.add_column(h, justify="right" if h in ("count", "delivered", "failed", "waiting", "rate")
                         else "left", **column_options(h, whole))
    table.add_column("", overflow="crop")  # the bar gives way first: it is cut short, never wrapped
    for g, cells in zip(groups, rows, strict=True):
        table.add_row(*cells, _bar(g, top))
    console.print(table)
    stream.flush()


def _bar(group: dict[str, Any], top: int) -> str:
    """A bar as long as the group's count (the longest: BAR): its delivered part green, the
    failed part red, the rest dim (no colour with NO_COLOR: rich reads it)."""
    size = round(BAR * group["count"] / top) if top else 0
    if group["count"] and not size:
        size = 1
    good = round(size * group["delivered"] / group["count"]) if group["count"] else 0
    bad = min(size - good, round(size * group["failed"] / group["count"])) if group["count"] else 0
    rest = size - good - bad
    return (f"[green]{'█' * good}[/green][red]{'█' * bad}[/red][dim]{'▒' * rest}[/dim]")


def _cell(group: dict[str, Any], key: str) -> str:
    value = group.get(key, "")
    if key == "rate":
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
