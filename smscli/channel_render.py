"""Kakao/RCS content → one rendered channel per row (the "rendered-message contract" of
docs/DEVELOPING.md): ``{col}`` and ``#{col}`` filled in the text, the title, the button URLs
and the fallback; the fallback's type made concrete; the checks of
:mod:`smscli.kakao_rules` applied. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace

from smscli import kakao_rules, text
from smscli.content import BUTTON_FIELDS, Button, Channel, Kakao, Text, json_text

_HASH_VAR = r"#\{([^{}]*)\}"  # compiled on first use (re's cache), not at import
# The button fields {col} fills: the URLs, and the RCS suggestions' numbers and texts.
URL_FIELDS = ("url_mobile", "url_pc", "scheme_ios", "scheme_android", "phone_number", "text",
              "label", "fallback_url", "start_time", "end_time", "title", "description")
BUTTONS_COLUMN = "buttons"  # a CSV column naming a buttons file per row
USER_KEY_COLUMN = "user_key"  # a CSV column with the FriendTalk recipient's Kakao user key
# The text fields of the kinds without buttons or fallback (filled per row).
PLAIN_FIELDS = {"fax": ("cover_title", "cover_text"), "voice": ("body",)}


def as_template(source: str) -> str:
    """Kakao's ``#{name}`` written as ``{name}``, so both fill from the same column."""
    return re.sub(_HASH_VAR, r"{\1}", source)


class ChannelRender:
    """Compiled once per send; :meth:`render` per row (raises ``text.InvalidInput``)."""

    def __init__(self, channel: Channel, *, allow_unicode: bool = False) -> None:
        self.channel = channel
        self.allow_unicode = allow_unicode
        plain = PLAIN_FIELDS.get(channel.kind)
        self.sources: list[str] = ([getattr(channel, f) for f in plain] if plain is not None
                                   else [channel.body, channel.title])
        self.source_names = ["the message"] * len(self.sources)  # for errors: what names it
        self._quick = channel.quick_replies if isinstance(channel, Kakao) else ()
        buttons = (*getattr(channel, "buttons", ()), *self._quick)
        urls = [getattr(b, f) for b in buttons for f in URL_FIELDS if getattr(b, f)]
        self.sources += urls
        self.source_names += ["a button URL"] * len(urls)
        fb = getattr(channel, "fallback", None)
        if fb is not None:
            self.sources += [fb.body, fb.subject]
            self.source_names += ["the fallback"] * 2
        self.templates = {s: text.compile_template(as_template(s)) for s in self.sources if s}
        self.names = tuple(dict.fromkeys(n for t in self.templates.values() for n in t.names))
        # a CSV `buttons` column: (buttons, quick replies) per file, or why it cannot be used
        self._button_files: dict[str, tuple[tuple[Button, ...], tuple[Button, ...]] | str] = {}
        # what render() copies: the fields as given (dataclasses.replace costs more, per row)
        self._fields = {f.name: getattr(channel, f.name) for f in fields(channel)}
        self._fixed_buttons = not any(self.templates[getattr(b, f)].names for b in buttons
                                      for f in URL_FIELDS if getattr(b, f))

    def fill(self, source: str, row: Mapping[str, str]) -> str:
        """``source`` filled from ``row`` (a row's own buttons file: compiled on first use;
        a column it lacks makes the row invalid)."""
        if not source:
            return ""
        template = self.templates.get(source)
        if template is None:
            template = text.compile_template(as_template(source))
        return template.render(row)

    def render(self, row: Mapping[str, str], to: str) -> Channel:
        ch = self.channel
        plain = PLAIN_FIELDS.get(ch.kind)
        if plain is not None:  # a fax or a call: its text fields filled, then checked
            from smscli import fax_voice_rules

            values = dict(self._fields)
            values.update({f: text.normalize_text(self.fill(getattr(ch, f), row)) for f in plain})
            out = type(ch)(**values)
            fax_voice_rules.check_rendered(out)  # type: ignore[arg-type]
            return out
        body = text.normalize_text(self.fill(ch.body, row))
        if not body.strip():
            raise text.InvalidInput("empty message")
        own, quick = self._buttons_of(row)
        if own is ch.buttons and self._fixed_buttons:
            buttons = ch.buttons
        else:
            buttons = tuple(self._button(b, row) for b in own)
            quick = tuple(self._button(b, row) for b in quick)
        values = dict(self._fields, body=body, buttons=buttons, fallback=None)
        if isinstance(ch, Kakao):
            values["quick_replies"] = quick
            user_key = (row.get(USER_KEY_COLUMN) or "").strip()
            if user_key and ch.type == "friendtalk":
                values["user_key"] = user_key
        if ch.title:
            values["title"] = text.normalize_text(self.fill(ch.title, row))
        fb, wrong = ch.fallback, None
        if fb is not None:
            try:
                values["fallback"] = kakao_rules.fallback_for(
                    Text(body=self.fill(fb.body, row), subject=self.fill(fb.subject, row), type=fb.type,
                         images=fb.images), allow_unicode=self.allow_unicode)
            except text.InvalidInput as exc:
                wrong = exc  # said after what is wrong with the message itself
        out = type(ch)(**values)
        kakao_rules.check_rendered(out, to)
        if wrong is not None:
            raise wrong
        return out

    def _buttons_of(self, row: Mapping[str, str]) -> tuple[tuple[Button, ...], tuple[Button, ...]]:
        """The row's buttons and quick replies: from the file its ``buttons`` column names
        (read once), else the send's. ``-`` there is not stdin (only ``--buttons -`` is)."""
        path = (row.get(BUTTONS_COLUMN) or "").strip()
        if not path:
            return self.channel.buttons, self._quick
        if path == "-":
            raise text.InvalidInput("the buttons column names a file; '-' (stdin) is for --buttons - only")
        if path not in self._button_files:
            from smscli.errors import UsageError

            try:
                loaded = kakao_rules.load_buttons(path)
                kakao_rules.check_buttons(loaded[0], kind=self.channel.type,
                                          base=getattr(self.channel, "base_id", ""))
                kakao_rules.check_buttons(loaded[1], kind=self.channel.type, quick=True)
                self._button_files[path] = loaded
            except UsageError as exc:
                self._button_files[path] = str(exc)
        found = self._button_files[path]
        if isinstance(found, str):
            raise text.InvalidInput(found)
        return found

    def _button(self, button: Button, row: Mapping[str, str]) -> Button:
        filled = {f: self.fill(getattr(button, f), row) for f in URL_FIELDS if getattr(button, f)}
        if not filled:
            return button
        values = {f: getattr(button, f) for f in BUTTON_FIELDS}
        values.update(filled)
        return Button(**values)


def without_secrets(channel: Channel) -> Channel:
    """The channel as the journal keeps it: no sender key. A send takes it from the profile
    (smscli.sending), and so does ``reserve flush`` for a journaled one
    (:func:`smscli.dispatch.sender_keyed`)."""
    if isinstance(channel, Kakao) and channel.sender_key:
        return replace(channel, sender_key="")
    return channel


def journal_json(channel: Channel) -> str:
    """The journal's ``content`` column for ``channel``: its JSON without the sender key."""
    return json_text(channel, leave_out="sender_key")


def describe(channel: Channel) -> dict[str, object]:
    """What ``--dry-run`` shows of a rendered channel: characters, the RCS image, buttons,
    fallback (a fax or a call: pages or characters and the attachments)."""
    if channel.kind in PLAIN_FIELDS:
        from smscli import fax_voice_rules

        return fax_voice_rules.describe(channel)  # type: ignore[arg-type]
    out: dict[str, object] = {"characters": len(channel.body), "buttons": len(channel.buttons)}
    image = [*map(str, getattr(channel, "images", ())), *getattr(channel, "media", ())]
    if image:  # an RCS MMS: its file or its RCS Biz Center id
        out["image"] = image[0]
    fb = channel.fallback
    out["fallback"] = ({"type": fb.type, "bytes": text.byte_length(fb.body)} if fb is not None
                       else None)
    return out
