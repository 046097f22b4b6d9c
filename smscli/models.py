"""Plain data passed between the CLI, the send pipeline, the journal and the vendors."""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from smscli.records import record

if TYPE_CHECKING:
    from smscli.content import Channel

# The wire types of plain text; Kakao and RCS messages carry their content's type
# ("alimtalk", "rcs-sms", ... see smscli.content.ALL_TYPES).
MessageType = Literal["sms", "lms", "mms"]

# Send statuses (CONTRACT.md, "JSON output").
ACCEPTED = "accepted"
REJECTED = "rejected"
INVALID = "invalid"
DUPLICATE = "duplicate"
SCHEDULED = "scheduled"
UNKNOWN = "unknown"
DELIVERED = "delivered"
FAILED = "failed"
# Journal-only states: journaled but never handed to the vendor / handed over (maybe sent),
# no answer yet / cancelled reservations.
QUEUED = "queued"
PENDING = "pending"
CANCELLED = "cancelled"

SEND_STATUSES = (ACCEPTED, REJECTED, INVALID, DUPLICATE, SCHEDULED, UNKNOWN, DELIVERED, FAILED)
OK_STATUSES = frozenset({ACCEPTED, SCHEDULED, DUPLICATE, DELIVERED})
# States a message can have in the journal (`result list --status`).
MESSAGE_STATES = frozenset({QUEUED, PENDING, ACCEPTED, REJECTED, INVALID, SCHEDULED, UNKNOWN, DELIVERED,
                            FAILED, CANCELLED})


@record
class Message:
    """One message to one recipient, ready for a vendor.

    ``id`` is the idempotency key (CSV ``id`` column, ``--id``, or fresh).
    ``images`` are local JPEG paths; ``file_keys`` the vendor's names after upload.
    ``send_at`` is an aware datetime for reservations, else None.
    ``channel`` is the rendered Kakao/RCS content (variables filled; ``type`` is then its
    type and ``text`` its body), None for SMS/LMS/MMS. ``tag`` is the campaign tag,
    ``name`` the recipient's name, ``parent`` the id of the message this one falls back
    for ("" when it is not a fallback).
    """

    id: str
    to: str
    text: str
    sender: str
    type: str = "sms"
    subject: str = ""
    images: tuple[str, ...] = ()
    file_keys: tuple[str, ...] = ()
    send_at: datetime | None = None
    size: int = field(default=-1, compare=False, repr=False)  # CP949 bytes of text, -1: not counted
    channel: Channel | None = None
    tag: str = ""
    name: str = ""
    parent: str = ""
    ad: int = 0  # 0 not advertising; 1 advertising, not between 21:00 and 08:00; 2 with night consent

    def __init__(self, id: str, to: str, text: str, sender: str, type: str = "sms", subject: str = "",
                 images: tuple[str, ...] = (), file_keys: tuple[str, ...] = (),
                 send_at: datetime | None = None, size: int = -1, channel: Channel | None = None,
                 tag: str = "", name: str = "", parent: str = "", ad: int = 0) -> None:
        # The fields at once: a frozen dataclass's own __init__ sets them one by one through
        # object.__setattr__, 2.5 times slower, once per row of every send.
        # (tests/test_records.py holds this signature to the fields.)
        self.__dict__.update(id=id, to=to, text=text, sender=sender, type=type, subject=subject,
                             images=images, file_keys=file_keys, send_at=send_at, size=size,
                             channel=channel, tag=tag, name=name, parent=parent, ad=ad)


class Encoded(dict[str, object]):
    """A JSON object that carries its own JSON line, ``json_line``: byte for byte
    ``json.dumps(obj, ensure_ascii=False) + "\\n"``, written by its maker, which knows the
    object's keys and the types of its values (``smscli.dispatch_dry_run.ValidObject``
    writes it when it is read). Output prints that line instead of encoding the dict again
    (the C encoder takes ~3 times as long for an object of eight keys). Not to be changed
    once made; a copy (``dict(obj)``) is a plain dict."""

    __slots__ = ("json_line",)


# The types that are a channel of their own (Kakao, RCS): their send results say ``channel``.
CHANNEL_TYPES = frozenset({"alimtalk", "alimtalk-image", "friendtalk", "rcs-sms", "rcs-lms", "rcs-mms",
                           "rcs-template"})


@record
class SendResult:
    """What became of one message; serialises to CONTRACT's send/reserve object."""

    to: str
    status: str
    message_id: str
    vendor: str
    type: str
    code: str = ""
    detail: str = ""
    server_id: str = field(default="", compare=False)  # the vendor's key (journal only, not in JSON)
    # For a row that was never journaled before its result (invalid, opted out): the
    # profile and campaign tag the journal files it under (journal only, not in JSON).
    profile: str = field(default="", compare=False)
    tag: str = field(default="", compare=False)
    # Kakao/RCS, as report objects have them: the channel that finally delivered or failed
    # (before a report: the type it was sent as), and the fallback's type and status.
    channel: str = field(default="", compare=False)
    fallback: dict[str, str] = field(default_factory=dict, compare=False)

    def __init__(self, to: str, status: str, message_id: str, vendor: str, type: str, code: str = "",
                 detail: str = "", server_id: str = "", profile: str = "", tag: str = "",
                 channel: str = "", fallback: dict[str, str] | None = None) -> None:
        # as Message.__init__: one result per message of every send
        self.__dict__.update(to=to, status=status, message_id=message_id, vendor=vendor, type=type,
                             code=code, detail=detail, server_id=server_id, profile=profile, tag=tag,
                             channel=channel, fallback={} if fallback is None else fallback)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "to": self.to, "status": self.status, "message_id": self.message_id,
            "vendor": self.vendor, "type": self.type, "code": self.code, "detail": self.detail}
        channel = self.channel or (self.type if self.type in CHANNEL_TYPES else "")
        if channel:
            out["channel"] = channel
        if self.fallback:
            out["fallback"] = dict(self.fallback)
        return out


@record
class Report:
    """A delivery report; serialises to CONTRACT's result object."""

    message_id: str
    to: str
    status: str  # delivered | failed
    code: str
    detail: str
    vendor: str
    delivered_at: str = ""  # ISO 8601 with offset, or ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    # Kakao/RCS: the channel that finally delivered (or failed): "alimtalk", "sms", ...;
    # with a fallback, its {"type": ..., "status": ...}. Empty for plain SMS/LMS/MMS.
    channel: str = ""
    fallback: dict[str, str] = field(default_factory=dict, compare=False)

    def __init__(self, message_id: str, to: str, status: str, code: str, detail: str, vendor: str,
                 delivered_at: str = "", extra: dict[str, str] | None = None, channel: str = "",
                 fallback: dict[str, str] | None = None) -> None:
        self.__dict__.update(message_id=message_id, to=to, status=status, code=code, detail=detail,
                             vendor=vendor, delivered_at=delivered_at, extra={} if extra is None else extra,
                             channel=channel, fallback={} if fallback is None else fallback)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "message_id": self.message_id, "to": self.to, "status": self.status,
            "code": self.code, "detail": self.detail, "vendor": self.vendor,
            "delivered_at": self.delivered_at}
        if self.channel:
            out["channel"] = self.channel
            # the vendor's per-channel fields (Bizppurio RESEND_FLAG, KAORES, TELRES, ...)
            out.update((k, self.extra[k]) for k in CHANNEL_EXTRA if self.extra.get(k))
        if self.fallback:
            out["fallback"] = dict(self.fallback)
        return out


# The vendor fields a Kakao/RCS report shows in JSON (Bizppurio's names, lower case), and
# a fax's / call's (BIZCLIENT USE_PAGE, USE_TIME, SN_RESULT).
CHANNEL_EXTRA = ("resend_flag", "kaores", "kaotime", "telres", "teltime", "rcsres", "rcstime", "wapinfo",
                 "use_page", "use_time", "sn_result")


@record
class Batch:
    """What ``Client.send_many`` did: each row's result in the order they were settled,
    not the input's (empty when the caller took them through ``on_result``), the count per status and the run's id.
    ``complete`` is false when a stop left rows for ``resume``."""

    run_id: str
    results: tuple[SendResult, ...]
    counts: dict[str, int]
    notes: tuple[str, ...] = ()
    complete: bool = True
    exit_code: int = 0  # the CLI's exit code for the same send: 0 all fine, 1 some not
    summary: str = ""  # one line for people: "sent 3: 2 accepted, 1 invalid (0.4 s)"

    def __init__(self, run_id: str, results: tuple[SendResult, ...], counts: dict[str, int],
                 notes: tuple[str, ...] = (), complete: bool = True, exit_code: int = 0,
                 summary: str = "") -> None:
        self.__dict__.update(run_id=run_id, results=results, counts=counts, notes=notes,
                             complete=complete, exit_code=exit_code, summary=summary)

    @property
    def ok(self) -> bool:
        """Every row accepted, scheduled, delivered or a duplicate of one that was."""
        return self.exit_code == 0 and self.complete


@record
class PollResult:
    """The reports one ``Client.poll`` stored (newly: a re-sent report is not repeated),
    and how many the vendor sent in all. Iterating gives the reports."""

    reports: tuple[Report, ...]
    received: int = 0

    def __init__(self, reports: tuple[Report, ...], received: int = 0) -> None:
        self.__dict__.update(reports=reports, received=received)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)


RESULT_FIELDS = ("message_id", "to", "status", "code", "detail", "vendor", "delivered_at")
"""The keys of ``MessageRecord.to_json`` (CONTRACT's result object), in order."""


@record
class MessageRecord:
    """The journal's story of one message: its latest state (CONTRACT's result object
    with ``to_json``) and every delivery report stored for it, oldest first."""

    message_id: str
    to: str
    status: str
    code: str
    detail: str
    vendor: str
    type: str
    profile: str
    created_at: str
    updated_at: str
    delivered_at: str = ""
    send_at: str = ""
    server_id: str = ""
    reports: tuple[Report, ...] = ()
    text: str = ""

    def __init__(self, message_id: str, to: str, status: str, code: str, detail: str, vendor: str,
                 type: str, profile: str, created_at: str, updated_at: str, delivered_at: str = "",
                 send_at: str = "", server_id: str = "", reports: tuple[Report, ...] = (),
                 text: str = "") -> None:
        self.__dict__.update(message_id=message_id, to=to, status=status, code=code, detail=detail,
                             vendor=vendor, type=type, profile=profile, created_at=created_at,
                             updated_at=updated_at, delivered_at=delivered_at, send_at=send_at,
                             server_id=server_id, reports=reports, text=text)

    def to_json(self) -> dict[str, str]:
        return {"message_id": self.message_id, "to": self.to, "status": self.status,
                "code": self.code, "detail": self.detail, "vendor": self.vendor,
                "delivered_at": self.delivered_at}


@record
class Upload:
    """An image handed to the vendor ahead of a send: the vendor's key for it (what
    ``--image`` takes on vendors that send by key), and what was checked of it."""

    file: str
    key: str
    bytes: int
    width: int
    height: int
    vendor: str

    def __init__(self, file: str, key: str, bytes: int, width: int, height: int, vendor: str) -> None:
        self.__dict__.update(file=file, key=key, bytes=bytes, width=width, height=height, vendor=vendor)

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "key": self.key, "bytes": self.bytes, "width": self.width,
                "height": self.height, "vendor": self.vendor}
