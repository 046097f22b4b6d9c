"""`smscli result show ID`: one message's story (``Client.story``) for people, or as one
JSON object with ``--json``."""

from __future__ import annotations

from typing import Any

# The row's fields, in the order a person reads them ("" values are left out).
_FIELDS = ("message_id", "status", "code", "meaning", "category", "detail", "to", "sender", "type",
           "kind", "subject", "text", "tag", "name", "parent", "vendor", "profile", "server_id",
           "telecom", "attempts", "send_at", "created_at", "updated_at")


def render(story: dict[str, Any], *, json_mode: bool, stream: Any) -> None:
    if json_mode:
        import json

        stream.write(json.dumps(story, ensure_ascii=False) + "\n")
        stream.flush()
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=stream, highlight=False)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    for key in _FIELDS:
        value = story.get(key)
        if value not in (None, "", 0) or key in ("status", "to"):
            head.add_row(key, escape(str(value)))
    if story.get("images"):
        head.add_row("images", escape(", ".join(story["images"])))
    if story.get("content"):
        import json

        head.add_row("content", escape(json.dumps(story["content"], ensure_ascii=False)))
    console.print(head)
    steps = Table(title="history", title_justify="left", show_lines=False)
    for name in ("at", "event", "state", "code", "meaning", "detail"):
        steps.add_column(name, overflow="fold", no_wrap=name in ("at", "state", "code"))
    for step in story["history"]:
        event = step["event"]
        if step.get("message_id"):  # a fallback: which message it is
            event = f"{event} {step['message_id']} ({step.get('type', '')})"
        elif step.get("channel"):
            event = f"{event} ({step['channel']})"
        steps.add_row(*(escape(str(x)) for x in (step["at"], event, step["state"], step["code"],
                                                  step.get("meaning", ""), step["detail"])))
    console.print(steps)
    for i, rep in enumerate(story["reports"], 1):
        fields = {"server_id": rep.get("server_id", ""), "delivered_at": rep.get("delivered_at", ""),
                  **({"fallback": rep["fallback"]} if rep.get("fallback") else {}), **rep["extra"]}
        shown = "  ".join(f"{k}={v}" for k, v in fields.items() if v not in ("", None))
        if shown:
            console.print(f"report {i} ({escape(rep['at'])}): {escape(shown)}", soft_wrap=True)
    stream.flush()
