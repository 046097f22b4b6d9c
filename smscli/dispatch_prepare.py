"""Input rows → validated Messages (or ``invalid`` results) for the send pipeline, no
I/O but the 080 opt-out lookup: :class:`Prepared`, the chunks the pipeline claims
(:func:`prepared_chunks`) and the notes on message types (``smscli.dispatch``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from smscli import campaign, ids, phone, text
from smscli.models import INVALID, Message, SendResult

if TYPE_CHECKING:
    from smscli.abroad import AbroadLimits
    from smscli.dispatch import SendOptions
    from smscli.journal import Journal
    from smscli.recipients import Row
    from smscli.vendors.base import Vendor

CLAIM_CHUNK = 500  # messages journaled per transaction before they are handed out


class Prepared:
    """Turns an input row into a Message or an ``invalid`` result (no I/O)."""

    def __init__(self, opts: SendOptions, vendor_name: str, limits, abroad: AbroadLimits | None = None,
                 *, profile: str = "") -> None:
        """``profile``: the profile the results of rows that are not sent are filed under."""
        self.opts = opts
        self.profile = profile
        self.vendor_name = vendor_name
        self.limits = limits
        self.abroad = abroad  # Vendor.abroad: what it sends outside Korea (None: nothing)
        self.template = text.compile_template(opts.template)
        self.render = None
        if opts.channel is not None:
            from smscli.channel_render import ChannelRender

            self.render = ChannelRender(opts.channel, allow_unicode=opts.allow_unicode)
        self.over_sms = 0  # messages past the SMS size (the server decides their type)
        self.position = 0  # rows seen: the next row's position in the input
        self._run_id = opts.run_id  # (read once per row)
        self._files = (*opts.images, *opts.attachments)  # what the type depends on
        self._images = tuple(str(p) for p in self._files)  # every Message's images
        # Type by size alone (auto, no files, no subject): what choose_type_sized says, without it.
        self._by_size = ((opts.type or "auto").strip().lower() == "auto" and not self._files
                         and not opts.subject and not opts.allow_unicode)
        # Read once, not per row: what every row's checks and Message take from opts.
        self._by_position = bool(self._run_id) and not opts.id_key  # a row without id: run id + position
        self._abroad_ok = abroad is not None
        self._plain = abroad is None and not opts.allow_unicode and not limits.server_decides_type
        self._tag, self._sender, self._subject, self._send_at, self._ad = (
            opts.tag, opts.sender, opts.subject, opts.send_at, opts.ad)

    def __call__(self, row: Row) -> Message | SendResult:
        to = row.phone or ""
        mid = ""
        position = self.position
        self.position = position + 1
        try:
            if self._by_position and not row.id:
                mid = ids.run_message_id(self._run_id, position)
            else:
                mid = self._message_id(row, position)
            if row.error:
                raise text.InvalidInput(row.error)
            try:
                to = phone.validate_recipient(to, abroad=self._abroad_ok)
            except phone.Abroad as exc:
                raise _abroad_said(exc) from None
            tag, name = campaign.tag_and_name(self.vendor_name, row.vars, self._tag)
            if self.render is not None:
                return self._channel_message(mid, to, row, tag, name)
            body = self.template.render(row.vars)
            if self._plain:  # in Korea, CP949 only, smscli picks the type (most sends)
                mtype, size = self._type_and_size(body)
            else:
                if self.abroad is not None and phone.is_international(to):
                    mtype, size = self.abroad_type(body)
                else:
                    mtype, size = self._type_and_size(body)
                if self.opts.allow_unicode:  # sized with "??" for what CP949 lacks; vendors count 1
                    size = text.byte_length(body)
                if self.limits.server_decides_type and size > self.limits.sms_bytes:
                    self.over_sms += 1
        except text.InvalidInput as exc:
            kind = self.opts.channel.type if self.opts.channel is not None else ""
            return SendResult(to=to, status=INVALID, message_id=mid, vendor=self.vendor_name,
                              type=kind, code="", detail=str(exc), profile=self.profile,
                              tag=(row.vars.get(campaign.TAG_COLUMN) or "").strip() or self._tag)
        # Message's fields in their order (keywords cost 0.8 µs a row)
        return Message(mid, to, body, self._sender, mtype, self._subject, self._images, (), self._send_at,
                       size, None, tag, name, "", self._ad)

    def abroad_type(self, body: str) -> tuple[str, int]:
        """(sms|lms by the vendor's international table, CP949 size) of a message abroad."""
        from smscli import abroad

        assert self.abroad is not None
        if not self.opts.allow_unicode:
            bad = text.unencodable(body)
            if bad:
                raise text.InvalidInput(f"message has characters CP949 cannot carry: {text.describe_chars(bad)}; "
                                        "remove or replace them (--allow-unicode sends them as they are)")
        kind = abroad.choose(self.abroad, body, requested=self.opts.type, subject=self.opts.subject,
                             images=self.opts.images)
        return kind, text.byte_length(body)

    def _channel_message(self, mid: str, to: str, row: Row, tag: str, name: str) -> Message:
        """A Kakao/RCS message (raises ``text.InvalidInput`` for an ``invalid`` row)."""
        assert self.render is not None
        channel = self.render.render(row.vars, to)
        if self.abroad is not None and phone.is_international(to):
            from smscli import abroad

            assert self.opts.channel is not None
            channel = abroad.channel_abroad(self.abroad, channel, self.opts.channel)
        return Message(id=mid, to=to, text=channel.body, sender=self.opts.sender, type=channel.type,
                       send_at=self.opts.send_at, size=text.byte_length(channel.body),
                       channel=channel, tag=tag, name=name, ad=self.opts.ad,
                       # an RCS MMS image: journaled with the message, so a later flush uploads it
                       images=tuple(str(p) for p in getattr(channel, "images", ())))

    def _message_id(self, row: Row, position: int) -> str:
        if row.id:
            problem = ids.id_problem(row.id)
            if problem:
                raise text.InvalidInput(f"bad id {row.id!r}: {problem}")
            return row.id
        if self.opts.id_key:
            if self.opts.single_recipient:
                return self.opts.id_key
            return ids.derive_id(self.opts.id_key, phone.normalize(row.phone or ""))
        if self._run_id:
            return ids.run_message_id(self._run_id, position)
        return ids.new_id()

    def choose_type(self, body: str) -> str:
        return self._type_and_size(body)[0]

    def _type_and_size(self, body: str) -> tuple[str, int]:
        """The message type and the CP949 size of ``body`` (encoded once)."""
        if not body.strip():
            raise text.InvalidInput("empty message")
        if self._by_size:
            try:
                size = len(body) if body.isascii() else len(body.encode("cp949"))  # (text.byte_length)
            except UnicodeEncodeError:
                pass  # choose_type_sized says which characters
            else:
                limits = self.limits
                if size <= limits.sms_bytes:
                    return "sms", size
                if size <= limits.lms_bytes:
                    return "lms", size
        if self.opts.allow_unicode:  # count what CP949 cannot carry as 2 bytes each
            for ch in set(text.unencodable(body)):
                body = body.replace(ch, "??")
        return text.choose_type_sized(
            body,
            images=self._files,
            requested=self.opts.type,
            sms_bytes=self.limits.sms_bytes,
            lms_bytes=self.limits.lms_bytes,
            subject=self.opts.subject,
        )


def _abroad_said(exc: phone.Abroad) -> phone.Abroad:
    """A number outside Korea for a vendor that does not send there: which vendors do."""
    from smscli.vendors.registry import abroad_vendors

    names = abroad_vendors()
    exc.reason = (f"{exc.reason}: only {' and '.join(names)} sends abroad" if names
                  else f"{exc.reason}: no vendor sends abroad")
    return exc


def type_notes(prepare: Prepared, opts: SendOptions, vendor: Vendor) -> list[str]:
    """What the user should know when the server, not smscli, picks SMS or LMS."""
    if not vendor.limits.server_decides_type:
        return []
    limit, notes = vendor.limits.sms_bytes, []
    if opts.type in ("sms", "lms"):
        notes.append(f"{vendor.name} picks SMS or LMS itself (LMS over {limit} bytes); "
                     f"--type {opts.type} is not sent")
    if prepare.over_sms:
        notes.append(f"{prepare.over_sms} message(s) are over {limit} bytes: "
                     f"{vendor.name} sends them as LMS")
    return notes


def prepared_chunks(prepare: Prepared, rows: Iterable[Row], journal: Journal,
                     ignore_optout: bool) -> Iterator[list[Message | SendResult]]:
    """Prepared rows in chunks, with numbers on the 080 opt-out list made ``invalid``; the
    results of rows that are not sent are filed under ``prepare.profile`` (and their tag)."""
    profile = prepare.profile

    def optout(chunk: list[Message | SendResult]) -> list[Message | SendResult]:
        if ignore_optout:
            return chunk
        blocked = journal.suppressed([m.to for m in chunk if isinstance(m, Message)])
        if not blocked:
            return chunk
        return [
            SendResult(to=m.to, status=INVALID, message_id=m.id, vendor=prepare.vendor_name,
                       type=m.type, detail="opted out (080); --ignore-optout sends anyway",
                       profile=profile, tag=m.tag)
            if isinstance(m, Message) and m.to in blocked else m
            for m in chunk
        ]

    rows = iter(rows)
    while True:  # a chunk's rows are read and prepared in one C loop (map over islice)
        chunk: list[Message | SendResult] = list(map(prepare, itertools.islice(rows, CLAIM_CHUNK)))
        if not chunk:
            return
        yield optout(chunk)


def fits_abroad(prepare: Prepared, body: str) -> bool:
    """Whether a text too long (or else wrong) at home may still go to numbers outside
    Korea, by the vendor's international table (each row then says which it is)."""
    if prepare.abroad is None:
        return False
    try:
        prepare.abroad_type(body)
    except text.InvalidInput:
        return False
    return True
