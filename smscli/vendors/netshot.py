"""BizNetShot (Coaintec): an HTTP form POST in EUC-KR/CP949; results are pushed back by GET.

Profile keys: ``url`` (the full ``.../corp/send_message.php`` address), ``user``,
``password`` (via ``profile.secret()``), ``sender``; optional ``timeout`` (read seconds),
``connect_timeout``, ``concurrency`` (requests in flight, default 4).

Batching: messages with the same text, sender, subject, image and reservation time go in
one request, up to 1500 numbers in its ``toNumber`` (a number appears at most once per
request, else the server refuses it all with 305); different texts go in different requests.

``m_corpfrcode`` (≤ 20 characters, unique per request) is derived from the request's
message ids: the first 20 characters of the lower-case Base32 SHA-256 of the ids, sorted
and joined with U+001F (:func:`corpfrcode_for`). Re-sending the same ids after a crash or
a lost answer therefore reuses the corpfrcode; the server answers 314 if it had accepted
them, and those messages are reported ``duplicate``. Each result carries the corpfrcode
as ``server_id`` ``"<corpfrcode>:<number>"`` (one corpfrcode covers up to 1500 numbers), so
the journal matches the server's GET callbacks (corpfrcode + sendNumber) to message ids.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote_plus, urlsplit

from smscli import clock as wall_clock
from smscli.errors import AuthError, ConfigError, UsageError
from smscli.models import (
    ACCEPTED,
    DUPLICATE,
    INVALID,
    REJECTED,
    SCHEDULED,
    UNKNOWN,
    Message,
    SendResult,
)
from smscli.vendors.base import (
    Limits,
    OnReports,
    OnResult,
    Vendor,
    VendorEvents,
    profile_number,
)

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.transports.http import HttpClient, RetryPolicy

KST = timezone(timedelta(hours=9), "KST")
MAX_RECIPIENTS = 1500
MAX_HELD = 2 * MAX_RECIPIENTS  # messages held back for batching before the oldest batch goes
CORPFRCODE_LEN = 20
IMAGE_BYTES = 100_000
SMS_BYTES = 80
MIN_AHEAD = timedelta(minutes=30)
MAX_AHEAD = timedelta(days=30)
AUTH_CODES = frozenset({"201", "202", "203", "204"})
OK_CODE = "300"
DUPLICATE_CODE = "314"


def corpfrcode_for(message_ids: Iterable[str]) -> str:
    """The request's ``m_corpfrcode``: a stable 20-character name for this set of ids."""
    digest = hashlib.sha256("\x1f".join(sorted(message_ids)).encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:CORPFRCODE_LEN]


def server_id(corpfrcode: str, number: str) -> str:
    """A message's server id: its request's corpfrcode and its number (digits)."""
    return f"{corpfrcode}:{number}"


def parse_answer(body: bytes) -> dict[str, str]:
    """The ``key: value`` lines of a send answer (EUC-KR/CP949)."""
    answer: dict[str, str] = {}
    for line in body.decode("cp949", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            answer.setdefault(key.strip(), value.strip())
    return answer


def reservation_window(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest reservation time BizNetShot accepts, in KST."""
    now = now.astimezone(KST)
    return now + MIN_AHEAD, now + MAX_AHEAD


@dataclass
class _Batch:
    """One request: messages sharing text/sender/subject/image/time, distinct numbers."""

    key: tuple[Any, ...]
    messages: list[Message] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    @property
    def first(self) -> Message:
        return self.messages[0]

    @property
    def corpfrcode(self) -> str:
        return corpfrcode_for(m.id for m in self.messages)


class _Batcher:
    """Groups messages into batches; hands back batches that are full or held too long."""

    def __init__(self, size: int = MAX_RECIPIENTS, max_held: int = MAX_HELD) -> None:
        self.size = size
        self.max_held = max_held
        self.groups: dict[tuple[Any, ...], list[tuple[_Batch, set[str]]]] = {}
        self.held = 0

    def add(self, key: tuple[Any, ...], number: str, message: Message) -> list[_Batch]:
        slots = self.groups.setdefault(key, [])
        slot = next((s for s in slots if number not in s[1]), None)
        if slot is None:
            slot = (_Batch(key), set())
            slots.append(slot)
        batch, seen = slot
        batch.messages.append(message)
        batch.numbers.append(number)
        seen.add(number)
        self.held += 1
        ready = []
        if len(batch.messages) >= self.size:
            ready.append(self._take(key, slot))
        while self.held > self.max_held:
            oldest = next(iter(self.groups))
            ready.append(self._take(oldest, self.groups[oldest][0]))
        return ready

    def drain(self) -> list[_Batch]:
        return [batch for slots in self.groups.values() for batch, _ in slots]

    def _take(self, key: tuple[Any, ...], slot: tuple[_Batch, set[str]]) -> _Batch:
        slots = self.groups[key]
        slots.remove(slot)
        if not slots:
            del self.groups[key]
        self.held -= len(slot[0].messages)
        return slot[0]


class NetshotVendor(Vendor):
    """BizNetShot: form POSTs of up to 1500 numbers; results by HTTP GET to a listener."""

    name: ClassVar[str] = "netshot"
    limits: ClassVar[Limits] = Limits(
        sms_bytes=SMS_BYTES,
        max_images=1,
        image_bytes=IMAGE_BYTES,
        images_total_bytes=IMAGE_BYTES,
        image_max_wh=None,
        server_decides_type=True,
    )
    can_schedule: ClassVar[bool] = True
    can_cancel: ClassVar[bool] = False
    can_upload: ClassVar[bool] = False

    def __init__(
        self,
        profile: Profile,
        events: VendorEvents,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(profile, events)
        self.policy = policy
        self.clock = clock or wall_clock.now
        self._images: dict[str, tuple[str, bytes]] = {}
        self._checked_at: datetime | None = None  # the last reservation time found inside the window

    # ------------------------------------------------------------------ public
    def send(
        self,
        messages: Iterable[Message],
        on_result: OnResult,
        *,
        on_reports: OnReports | None = None,
        wait: float = 0.0,
    ) -> None:
        if wait > 0:
            raise UsageError(
                "BizNetShot pushes results to the URL registered with it; --wait cannot collect them",
                hint="run `smscli result listen` at that URL and drop --wait",
            )
        url = str(self.profile.require("url"))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"profile {self.profile.name!r}: url {url!r} is not an http(s) URL",
                              hint="e.g. http://biz.netshot.co.kr/corp/send_message.php")
        user = str(self.profile.require("user"))
        batcher = _Batcher()
        concurrency = self._concurrency()
        session: dict[str, Any] = {}  # client, pool, password: made when the first batch goes
        in_flight: dict[Future[tuple[int, bytes]], _Batch] = {}
        failures: list[BaseException] = []

        def settle(done: Iterable[Future[tuple[int, bytes]]]) -> None:
            for future in done:
                batch = in_flight.pop(future)
                try:
                    status, body = future.result()
                    self._answered(batch, status, body, on_result)
                except Exception as exc:  # first one re-raised after the rest settle
                    failures.append(exc)
                    self._lost(batch, exc, on_result)

        def submit(batch: _Batch) -> None:
            if not session:
                password = self.profile.secret()
                session["client"] = self._client(parts, concurrency)
                session["pool"] = ThreadPoolExecutor(concurrency, thread_name_prefix="netshot")
                session["password"] = password
            future = session["pool"].submit(self._post, session["client"], parts, user,
                                            session["password"], batch)
            in_flight[future] = batch
            if len(in_flight) >= concurrency:
                settle(_first_done(in_flight))

        try:
            for message in messages:
                prepared = self._prepare(message, on_result)
                if prepared is None:
                    continue
                for batch in batcher.add(*prepared, message):
                    submit(batch)
                    if failures:
                        break
                if failures:
                    break
            for batch in [] if failures else batcher.drain():
                submit(batch)
                if failures:
                    break
        finally:
            while in_flight:
                settle(_first_done(in_flight))
            if "pool" in session:
                session["pool"].shutdown(wait=True)
            if "client" in session:
                session["client"].close()
        if failures:
            raise failures[0]

    def upload(self, paths: Sequence[Path]) -> list[str]:
        raise UsageError("BizNetShot has no separate upload step: the image goes with each send",
                         hint="use `smscli send --image FILE`, one JPEG of at most 100 kB")

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        raise UsageError("BizNetShot cannot be polled: it pushes results by HTTP GET to the URL "
                         "registered with it",
                         hint="run `smscli result listen` at that URL")

    # ------------------------------------------------------------------ checks
    def _prepare(self, message: Message, on_result: OnResult) -> tuple[tuple[Any, ...], str] | None:
        """Check one message; report it ``invalid`` (None) or return its batch key and number."""
        from smscli.phone import normalize, recipient_problem

        to = message.to
        number = to if to.isdigit() and to.isascii() else normalize(to)
        problem = recipient_problem(number)
        if problem:
            problem = f"invalid number {to!r}: {problem}"
        else:
            problem = _content_problem(message.text, message.subject)
        if problem:
            on_result(SendResult(to=to, status=INVALID, message_id=message.id, vendor=self.name,
                                 type=self._type(message), code="", detail=problem))
            return None
        sender = _sender(message.sender or str(self.profile.get("sender") or ""))
        if not sender:
            raise UsageError("no sender number", hint="pass --from or set `sender` in the profile")
        if len(message.images) > 1:
            raise UsageError(f"BizNetShot takes one image per message, got {len(message.images)}",
                             hint="attach a single JPEG of at most 100 kB")
        image = self._image(message.images[0]) if message.images else None
        if message.send_at is not None and message.send_at != self._checked_at:
            self._check_reservation(message.send_at)
            self._checked_at = message.send_at
        key = (message.text, sender, message.subject, image[0] if image else "", message.send_at, message.tag)
        return key, number

    def _type(self, message: Message) -> str:
        if message.images:
            return "mms"
        return "lms" if _byte_length(message.text) > SMS_BYTES else "sms"

    def _image(self, path: str) -> tuple[str, bytes]:
        """Read and check one image once: a JPEG (by content) of at most 100 kB."""
        if path in self._images:
            return self._images[path]
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read image {path}: {exc.strerror or exc}") from None
        if len(data) > IMAGE_BYTES:
            raise UsageError(f"image {path} is {len(data) / 1000:.0f} kB; BizNetShot takes at most "
                             f"100 kB ({IMAGE_BYTES} bytes)", hint="shrink or recompress the JPEG")
        if not data.startswith(b"\xff\xd8\xff"):
            raise UsageError(f"image {path} is not a JPEG; BizNetShot takes JPEG images only",
                             hint="convert it to JPEG (at most 100 kB)")
        self._images[path] = (path, data)
        return self._images[path]

    def _check_reservation(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=KST)
        earliest, latest = reservation_window(self.clock())
        if not earliest <= when <= latest:
            fmt = "%Y-%m-%d %H:%M"
            raise UsageError(
                f"reservation time {when.astimezone(KST).strftime(fmt)} KST is outside BizNetShot's "
                f"window: 30 minutes to 30 days ahead ({earliest.strftime(fmt)} to {latest.strftime(fmt)} KST)",
                hint="pick an --at inside the window",
            )

    # ------------------------------------------------------------------ wire
    def _concurrency(self) -> int:
        return profile_number(self.profile, "concurrency", 4, int, 1)

    def _client(self, parts: Any, concurrency: int) -> HttpClient:
        from smscli.transports.http import HttpClient, HttpSettings, RetryPolicy

        settings = HttpSettings(
            base_url=f"{parts.scheme}://{parts.netloc}",
            connect_timeout=profile_number(self.profile, "connect_timeout", 5.0),
            read_timeout=profile_number(self.profile, "timeout", 30.0),
            max_connections=concurrency,
            config_key="url",
        )
        return HttpClient(settings, self.policy or RetryPolicy(attempts=3))

    def _post(self, client: HttpClient, parts: Any, user: str, password: str, batch: _Batch) -> tuple[int, bytes]:
        """Send one batch (on a worker thread); return the HTTP status and body."""
        fields_ = self._form(user, password, batch)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        image = self._images.get(batch.first.images[0]) if batch.first.images else None
        if image:
            body, ctype = encode_multipart(fields_, image[1])
        else:
            body, ctype = encode_form(fields_), "application/x-www-form-urlencoded"
        response = client.request(
            "POST", target, content=body, headers={"Content-Type": ctype},
            retry_on=lambda r: r.status_code in (429, 502, 503, 504), idempotent=True,
        )
        return response.status_code, response.content

    def _form(self, user: str, password: str, batch: _Batch) -> list[tuple[str, str]]:
        first = batch.first
        sender = _sender(first.sender or str(self.profile.get("sender") or ""))
        form = [
            ("m_id", user),
            ("m_pw", password),
            ("m_corpfrcode", batch.corpfrcode),
            ("fromNumber", sender),
            ("toNumber", ",".join(batch.numbers)),
            ("subject", first.subject),
            ("contents", first.text),
        ]
        if first.tag:  # the campaign tag: one per batch (the batch key holds it)
            form.append(("etc1", first.tag))
        if first.send_at is not None:
            at = first.send_at.astimezone(KST) if first.send_at.tzinfo else first.send_at
            form += [("reserveSend", "Y"), ("ryear", f"{at.year:04d}"), ("rmonth", f"{at.month:02d}"),
                     ("rday", f"{at.day:02d}"), ("rhour", f"{at.hour:02d}"), ("rmin", f"{at.minute:02d}")]
        return form

    # ------------------------------------------------------------------ answers
    def _answered(self, batch: _Batch, status: int, body: bytes, on_result: OnResult) -> None:
        corpfrcode = batch.corpfrcode
        answer = parse_answer(body) if status == 200 else {}
        code = answer.get("sendCode", "")
        if not code:
            snippet = body[:60].decode("cp949", "replace").strip().replace("\n", " ")
            gone = 400 <= status < 500
            detail = f"HTTP {status}" + (f": {snippet}" if snippet else "") if status != 200 else (
                f"unreadable answer: {snippet!r}")
            self._report(batch, REJECTED if gone else UNKNOWN, f"HTTP {status}" if gone else "",
                         detail, corpfrcode, on_result)
            return
        meaning = _meaning(code)
        if code in AUTH_CODES:  # nothing was sent: the messages stay pending in the journal
            raise AuthError(f"BizNetShot refused the login for user {self.profile.get('user')!r}: "
                            f"{code} {meaning}".rstrip(), hint="check `user` and the password of the profile")
        if code == OK_CODE:
            status_ = SCHEDULED if batch.first.send_at is not None else ACCEPTED
            reserved = answer.get("reserveTime", "")
            detail = f"{meaning} (reserved {reserved} KST)" if reserved and status_ == SCHEDULED else meaning
            self._report(batch, status_, code, detail, corpfrcode, on_result)
        elif code == DUPLICATE_CODE:
            self._report(batch, DUPLICATE, code, f"{meaning}: already accepted under corpfrcode {corpfrcode}",
                         corpfrcode, on_result)
        else:
            self._report(batch, REJECTED, code, meaning, corpfrcode, on_result)

    def _lost(self, batch: _Batch, exc: BaseException, on_result: OnResult) -> None:
        """A request that failed in transport: ``unknown`` if it may have arrived."""
        from smscli.transports.http import AnswerLost

        if isinstance(exc, AnswerLost):
            self._report(batch, UNKNOWN, "", str(exc), batch.corpfrcode, on_result)

    def _report(self, batch: _Batch, status: str, code: str, detail: str, corpfrcode: str,
                on_result: OnResult) -> None:
        for message, number in zip(batch.messages, batch.numbers, strict=True):
            on_result(SendResult(to=message.to, status=status, message_id=message.id, vendor=self.name,
                                 type=self._type(message), code=code, detail=detail,
                                 server_id=server_id(corpfrcode, number)))


def _first_done(in_flight: dict[Future[Any], Any]) -> set[Future[Any]]:
    done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
    return done


def _meaning(code: str) -> str:
    from smscli.transports.http import code_meaning

    return code_meaning("netshot", code, code)


@lru_cache(maxsize=4096)
def _content_problem(text: str, subject: str) -> str:
    """Why this text/subject cannot be sent (empty, not CP949), or "" (cached: texts repeat)."""
    from smscli.text import describe_chars, unencodable

    if not text.strip():
        return "the message is empty"
    for what, value in (("text", text), ("subject", subject)):
        bad = unencodable(value)
        if bad:
            return f"{what} has characters EUC-KR/CP949 cannot carry: {describe_chars(bad)}"
    return ""


@lru_cache(maxsize=4096)
def _byte_length(text: str) -> int:
    from smscli.text import byte_length

    return byte_length(text)


@lru_cache(maxsize=64)
def _sender(number: str) -> str:
    from smscli.phone import normalize

    return normalize(number)


def encode_form(form: Sequence[tuple[str, str]]) -> bytes:
    """``application/x-www-form-urlencoded`` in CP949."""
    return "&".join(f"{k}={quote_plus(v, encoding='cp949')}" for k, v in form).encode("ascii")


def encode_multipart(form: Sequence[tuple[str, str]], jpeg: bytes) -> tuple[bytes, str]:
    """``multipart/form-data`` with CP949 field values and the JPEG as ``file``."""
    boundary = "smscli-" + secrets.token_hex(16)
    out = bytearray()
    for name, value in form:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("ascii")
        out += value.encode("cp949") + b"\r\n"
    out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="image.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode("ascii")
    out += jpeg + f"\r\n--{boundary}--\r\n".encode("ascii")
    return bytes(out), f"multipart/form-data; boundary={boundary}"
