"""`smscli result show ID`: one message's story (``Client.story``) for people, or as one
JSON object with ``--json``."""

from __future__ import annotations

from typing import Any

# The row's fields, in the order a person reads them ("" values are left out).
_FIELDS = ("message_id", "status", "code", "meaning", "category", "detail", "to", "sender", "type",
           "kind", "subject", "text", "tag", "name", "parent", "vendor", "profile", "server_id",
           "telecom", "attempts", "send_at", "created_at", "updated_at")


_STEP_COLUMNS = ("at", "event", "state", "code", "meaning", "detail")


def render(story: dict[str, Any], *, json_mode: bool, stream: Any) -> None:
    """One JSON object; on a terminal a key/value grid and a history table; in a pipe the
    same as tab-separated lines (``key<TAB>value``, then ``history`` and its rows under a
    header), so that grep and cut see one fact per line."""
    if json_mode:
        import json

        stream.write(json.dumps(story, ensure_ascii=False) + "\n")
        stream.flush()
        return
    from smscli.cli.output import Output

    head, steps, reports = _facts(story), _steps(story), _reports(story)
    if not Output.is_tty(stream):
        from smscli.cli.output import TSV_FLAT

        def line(*cells: str) -> str:
            return "\t".join(c.translate(TSV_FLAT) for c in cells) + "\n"

        stream.write("".join(line(k, v) for k, v in head) + "history\n" + line(*_STEP_COLUMNS)
                     + "".join(line(*row) for row in steps) + "".join(line(r) for r in reports))
        stream.flush()
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from smscli.cli.table_columns import column_options, whole_columns

    console = Console(file=stream, highlight=False)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in head:
        grid.add_row(key, escape(value))
    console.print(grid)
    table = Table(title="history", title_justify="left", show_lines=False)
    whole = whole_columns(_STEP_COLUMNS, steps, console.width)
    for name in _STEP_COLUMNS:
        table.add_column(name, **column_options(name, whole))
    for row in steps:
        table.add_row(*map(escape, row))
    console.print(table)
    for text in reports:
        console.print(escape(text), soft_wrap=True)
    stream.flush()


def _facts(story: dict[str, Any]) -> list[tuple[str, str]]:
    """The message's fields that say something, as (name, text)."""
    out = [(key, str(story[key])) for key in _FIELDS
           if story.get(key) not in (None, "", 0) or key in ("status", "to")]
    if story.get("images"):
        out.append(("images", ", ".join(story["images"])))
    if story.get("content"):
        import json

        out.append(("content", json.dumps(story["content"], ensure_ascii=False)))
    return out


def _steps(story: dict[str, Any]) -> list[tuple[str, ...]]:
    """Each step of the history as the columns' texts."""
    rows = []
    for step in story["history"]:
        event = step["event"]
        if step.get("message_id"):  # a fallback: which message it is
            event = f"{event} {step['message_id']} ({step.get('type', '')})"
        elif step.get("channel"):
            event = f"{event} ({step['channel']})"
        rows.append(tuple(str(x) for x in (step["at"], event, step["state"], step["code"],
                                           step.get("meaning", ""), step["detail"])))
    return rows


def _reports(story: dict[str, Any]) -> list[str]:
    """A line per report with the vendor's fields it carried."""
    out = []
    for i, rep in enumerate(story["reports"], 1):
        fields = {"server_id": rep.get("server_id", ""), "delivered_at": rep.get("delivered_at", ""),
                  **({"fallback": rep["fallback"]} if rep.get("fallback") else {}), **rep["extra"]}
        shown = "  ".join(f"{k}={v}" for k, v in fields.items() if v not in ("", None))
        if shown:
            out.append(f"report {i} ({rep['at']}): {shown}")
    return out
