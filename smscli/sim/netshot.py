"""A BizNetShot (Coaintec) simulator: a real HTTP server speaking the vendor's send form.

``POST .../corp/send_message.php`` with form fields in EUC-KR/CP949 (urlencoded, or
multipart/form-data when a ``file`` is attached). The answer is ``key: value`` lines in
EUC-KR (or, with ``returnURL``, a 302 redirect carrying the same values as a query).
Accepted recipients get a delivery report later as an HTTP GET to ``callback``.

The simulator is stricter than the vendor's document where it is vague, to catch client
bugs early:

- form bytes that are not valid CP949 (e.g. UTF-8 text) → HTTP 400, no sendCode;
- ``m_corpfrcode`` longer than 20 characters → 313 (as if missing);
- 304 when the form has no ``contents`` field and no file, 307 when ``contents`` is blank;
- a file is JPEG by its content (``FF D8 FF``): a name not ending ``.jpg``/``.jpeg`` →
  401, more than 100,000 bytes → 402, empty or not JPEG → 403;
- a corpfrcode is taken only when its request is accepted (300): a rejected request
  may be sent again with the same corpfrcode.

Faults: ``rate`` (requests per second, waited before a request is judged), ``delay``
(seconds between judging a request and answering it: a client that times out first has
lost the answer to an accepted request), ``drop_rate`` (that fraction of accepted requests
gets no answer: the connection is closed; a hash of ``seed`` and the corpfrcode decides).

Send codes (document section 2.4): 201/202/203/204 account, 300 OK, 301 no credit,
302 reservation time, 303 no valid number, 304/307 no content, 305 duplicate number,
306 more than 1500 numbers, 313/314 corpfrcode missing/duplicate, 401/402/403 file.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote_from_bytes, unquote_to_bytes, urlsplit

from smscli import clock as wall_clock
from smscli.httpd import MAX_BODY, REQUEST_TIMEOUT, BoundedHTTPServer, BufferedHandler
from smscli.listen import BadPush, read_body, send_text
from smscli.masking import mask_target

KST = timezone(timedelta(hours=9), "KST")
SEND_PATH = "/corp/send_message.php"
MAX_RECIPIENTS = 1500
MAX_FILE_BYTES = 100_000
CORPFRCODE_MAX = 20
SMS_BYTES = 80
MIN_AHEAD = timedelta(minutes=30)
MAX_AHEAD = timedelta(days=30)
# resultCode values used for simulated failures (document section 3.2)
FAILURE_CODES = ("101", "103", "104", "106", "109", "110", "117")
# the simulator's own tariff: (page, price) per message type
TARIFF = {"sms": ("1", "1"), "lms": ("3", "3"), "mms": ("6", "6")}
ANSWER_KEYS = ("sendCode", "corpfrcode", "reserveTime", "mergeUse", "fromNumber", "toNumber",
               "subject", "etc1", "etc2", "etc3")
ACCOUNT_STATES = {"active": "300", "suspended": "203", "waiting": "204"}


@dataclass(frozen=True)
class Accepted:
    """One accepted (corpfrcode, number) pair."""

    corpfrcode: str
    number: str
    type: str
    reserve_at: datetime | None


@dataclass
class Account:
    password: str
    state: str = "active"  # active | suspended (203) | waiting (204)


@dataclass(order=True)
class _Callback:
    due: float
    seq: int
    params: dict[str, str] = field(compare=False)
    attempt: int = field(default=0, compare=False)


class FormError(Exception):
    """The request body is not a readable form (HTTP 400)."""


class NetshotSim:
    """The simulator. ``start()``/``stop()`` (or ``with``) run it on background threads.

    ``clock`` returns the server's aware "now" (default: :func:`smscli.clock.now`), so tests
    can check reservation windows; ``credit`` limits the total recipients (then 301).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        accounts: dict[str, str | Account] | None = None,
        callback: str | None = None,
        report_delay: float = 1.0,
        fail_rate: float = 0.0,
        seed: int | None = None,
        rate: float | None = None,
        delay: float = 0.0,
        drop_rate: float = 0.0,
        record: Path | None = None,
        credit: int | None = None,
        clock: Callable[[], datetime] | None = None,
        callback_retries: int = 3,
        callback_workers: int = 4,
        log: Callable[[str], None] | None = None,
        max_body: int = MAX_BODY,
        request_timeout: float = REQUEST_TIMEOUT,
        max_workers: int = 32,
        **limits: Any,
    ) -> None:
        self.accounts = {u: a if isinstance(a, Account) else Account(a)
                         for u, a in (accounts or {"test": "test"}).items()}
        self.callback = callback
        self.report_delay = report_delay
        self.fail_rate = fail_rate
        self.rate = rate
        self.delay = delay
        self.drop_rate = drop_rate
        self.seed = seed
        self.credit = credit
        self.clock = clock or wall_clock.now
        self.callback_retries = callback_retries
        self.log = log or (lambda line: None)
        self.counts: Counter[str] = Counter()  # requests, accepted_requests, accepted_pairs, ...
        self.codes: Counter[str] = Counter()  # sendCode → requests answered with it
        self.accepted: list[Accepted] = []
        self.requests: list[dict[str, str]] = []  # accepted forms without m_pw, in order
        self._random = random.Random(seed)
        self._corpfrcodes: set[str] = set()
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._record: IO[str] | None = record.open("a", encoding="utf-8") if record else None
        self._callbacks: list[_Callback] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._workers = callback_workers
        self.httpd = _Server((host, port), _Handler, max_body=max_body, request_timeout=request_timeout,
                             max_workers=max_workers, **limits)
        self.httpd.sim = self
        self.httpd.log_line = self.log

    # ------------------------------------------------------------------ lifecycle
    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """The send URL (what a netshot profile's ``url`` holds)."""
        host, port = self.address
        return f"http://{host}:{port}{SEND_PATH}"

    def start(self) -> NetshotSim:
        threads = [threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="netshot-sim", daemon=True)]
        if self.callback:
            threads += [threading.Thread(target=self._callback_worker, name="netshot-cb", daemon=True)
                        for _ in range(max(1, self._workers))]
        for thread in threads:
            thread.start()
        self._threads += threads
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread (callbacks on background threads) until Ctrl-C/stop."""
        self.start()
        try:
            while self._threads[0].is_alive():
                self._threads[0].join(timeout=0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        self.httpd.shutdown()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._threads.clear()
        self.httpd.server_close()
        if self._record:
            self._record.close()
            self._record = None

    def __enter__(self) -> NetshotSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pending_callbacks(self) -> int:
        with self._cond:
            return len(self._callbacks)

    def wait_callbacks(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` callbacks were answered 2xx (or failed for good)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.counts["callbacks_sent"] + self.counts["callbacks_failed"] >= count:
                return True
            time.sleep(0.01)
        return False

    # ------------------------------------------------------------------ requests
    def throttle(self) -> None:
        """Keep to ``rate`` requests per second (before the request is judged)."""
        if not self.rate:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.rate
        if slot > now:
            time.sleep(slot - now)

    def linger(self) -> None:
        """Wait ``delay`` seconds after judging a request, before answering it: a client that
        times out first has lost the answer to an accepted message, like with a slow server."""
        if self.delay > 0:
            time.sleep(self.delay)

    def drops(self, answer: dict[str, str]) -> bool:
        """Whether the answer to this accepted request is never sent (the connection is closed):
        a hash of the seed and the corpfrcode against ``drop_rate``."""
        if answer.get("sendCode") != "300" or self.drop_rate <= 0:
            return False
        text = f"{self.seed}|drop|{answer.get('corpfrcode', '')}".encode()
        digest = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")
        if digest / 2**64 >= self.drop_rate:
            return False
        with self._lock:
            self.counts["dropped"] += 1
        return True

    def handle_send(self, form: dict[str, str], file: tuple[str, bytes] | None) -> dict[str, str]:
        """Check one send form; return the answer fields (``sendCode`` first)."""
        now = self.clock()
        numbers = [n.strip() for n in form.get("toNumber", "").split(",") if n.strip()]
        answer = {
            "sendCode": "300",
            "corpfrcode": form.get("m_corpfrcode", ""),
            "reserveTime": "",
            "mergeUse": "N",
            "fromNumber": form.get("fromNumber", ""),
            "toNumber": ",".join(numbers),
            "subject": form.get("subject", ""),
            "etc1": form.get("etc1", ""),
            "etc2": form.get("etc2", ""),
            "etc3": form.get("etc3", ""),
        }
        reserve_at = None
        code = self._check_account(form)
        corpfrcode = form.get("m_corpfrcode", "").strip()
        if code == "300" and (not corpfrcode or len(corpfrcode) > CORPFRCODE_MAX):
            code = "313"
        valid = [n for n in numbers if _digits(n)]
        if code == "300":
            code = _check_numbers(numbers, valid)
        if code == "300":
            code = _check_content(form, file)
        if code == "300" and form.get("reserveSend", "") == "Y":
            reserve_at = _reservation(form, now)
            if reserve_at is None:
                code = "302"
            else:
                answer["reserveTime"] = reserve_at.strftime("%Y-%m-%d %H:%M")
        text = form.get("contents", "")
        kind = "mms" if file else ("lms" if len(text.encode("cp949", "replace")) > SMS_BYTES else "sms")
        with self._lock:
            self.counts["requests"] += 1
            if code == "300" and corpfrcode in self._corpfrcodes:
                code = "314"
            if code == "300" and self.credit is not None:
                if self.credit < len(valid):
                    code = "301"
                else:
                    self.credit -= len(valid)
            if code == "300":
                self._corpfrcodes.add(corpfrcode)
                self.counts["accepted_requests"] += 1
                self.counts["accepted_pairs"] += len(valid)
                pairs = [Accepted(corpfrcode, _digits(n), kind, reserve_at) for n in valid]
                self.accepted += pairs
                self.requests.append({k: v for k, v in form.items() if k != "m_pw"})
                self._write_record(pairs, form, file)
            self.codes[code] += 1
        answer["sendCode"] = code
        if code == "300" and self.callback:
            self._queue_callbacks(corpfrcode, valid, kind, now, reserve_at)
        return answer

    def _check_account(self, form: dict[str, str]) -> str:
        account = self.accounts.get(form.get("m_id", ""))
        if account is None:
            return "202"
        if account.password != form.get("m_pw", ""):
            return "201"
        return ACCOUNT_STATES.get(account.state, "203")

    def _write_record(self, pairs: list[Accepted], form: dict[str, str],
                      file: tuple[str, bytes] | None) -> None:
        if not self._record:
            return
        for pair in pairs:
            self._record.write(json.dumps({
                "corpfrcode": pair.corpfrcode, "to": pair.number, "type": pair.type,
                "from": form.get("fromNumber", ""), "subject": form.get("subject", ""),
                "contents": form.get("contents", ""), "etc1": form.get("etc1", ""), "file_bytes": len(file[1]) if file else 0,
                "reserve_at": pair.reserve_at.isoformat() if pair.reserve_at else "",
            }, ensure_ascii=False) + "\n")
        self._record.flush()

    # ------------------------------------------------------------------ callbacks
    def _queue_callbacks(self, corpfrcode: str, numbers: list[str], kind: str, accepted: datetime,
                         reserve_at: datetime | None) -> None:
        start = reserve_at or accepted
        wait = max(0.0, (start - self.clock()).total_seconds()) + self.report_delay
        page, price = TARIFF[kind]
        with self._cond:
            due = time.monotonic() + wait
            for number in numbers:
                failed = self.fail_rate > 0 and self._random.random() < self.fail_rate
                params = {
                    "resultCode": self._random.choice(FAILURE_CODES) if failed else "1",
                    "corpfrcode": corpfrcode,
                    "sendNumber": _hyphenate(_digits(number)),
                    "sdate": start.strftime("%Y-%m-%d"),
                    "stime": start.strftime("%H:%M:%S"),
                    "page": page,
                    "price": price,
                }
                self._seq += 1
                heapq.heappush(self._callbacks, _Callback(due, self._seq, params))
            self._cond.notify_all()

    def _callback_worker(self) -> None:
        import http.client

        assert self.callback
        target = urlsplit(self.callback)
        conn: http.client.HTTPConnection | None = None
        while True:
            with self._cond:
                while not self._stopping:
                    now = time.monotonic()
                    if self._callbacks and self._callbacks[0].due <= now:
                        break
                    self._cond.wait(self._callbacks[0].due - now if self._callbacks else None)
                if self._stopping:
                    break
                job = heapq.heappop(self._callbacks)
            done = self.clock()
            params = dict(job.params, edate=done.strftime("%Y-%m-%d"), etime=done.strftime("%H:%M:%S"))
            sep = "&" if target.query else "?"
            path = (target.path or "/") + (f"?{target.query}" if target.query else "") + sep + _encode(params)
            try:
                if conn is None:
                    cls = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
                    conn = cls(target.netloc, timeout=10)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                ok = False
                if conn is not None:
                    conn.close()
                conn = None
            self._callback_done(job, ok)
        if conn is not None:
            conn.close()

    def _callback_done(self, job: _Callback, ok: bool) -> None:
        with self._cond:
            if ok:
                self.counts["callbacks_sent"] += 1
            elif job.attempt < self.callback_retries:
                job.attempt += 1
                job.due = time.monotonic() + 0.2 * 2 ** (job.attempt - 1)
                heapq.heappush(self._callbacks, job)
                self._cond.notify_all()
            else:
                self.counts["callbacks_failed"] += 1
                self.log(f"gave up a callback for {job.params['corpfrcode']} after "
                         f"{job.attempt + 1} attempts")


# ---------------------------------------------------------------------- checks


def _digits(number: str) -> str:
    """The number without hyphens/spaces if it looks like a phone number, else ""."""
    compact = number.replace("-", "").replace(" ", "")
    return compact if compact.isdigit() and 8 <= len(compact) <= 12 else ""


def _hyphenate(number: str) -> str:
    """``01012345678`` → ``010-1234-5678`` (the document's format for sendNumber)."""
    if len(number) == 11:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if len(number) == 10:
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return number


def _check_numbers(numbers: list[str], valid: list[str]) -> str:
    if len(numbers) > MAX_RECIPIENTS:
        return "306"
    if not valid:
        return "303"
    if len({_digits(n) for n in valid}) != len(valid):
        return "305"
    return "300"


def _check_content(form: dict[str, str], file: tuple[str, bytes] | None) -> str:
    if "contents" not in form and file is None:
        return "304"
    if not form.get("contents", "").strip():
        return "307"
    if file is None:
        return "300"
    name, data = file
    if not name.lower().endswith((".jpg", ".jpeg")):
        return "401"
    if len(data) > MAX_FILE_BYTES:
        return "402"
    if not data.startswith(b"\xff\xd8\xff"):
        return "403"
    return "300"


def _reservation(form: dict[str, str], now: datetime) -> datetime | None:
    """The reservation time in KST if the fields are valid and 30 min – 30 days ahead."""
    try:
        when = datetime(*(int(form.get(k, "")) for k in ("ryear", "rmonth", "rday", "rhour", "rmin")),
                        tzinfo=KST)
    except (TypeError, ValueError):
        return None
    if not now + MIN_AHEAD <= when <= now + MAX_AHEAD:
        return None
    return when


# ---------------------------------------------------------------------- wire


def _encode(params: dict[str, str]) -> str:
    """A query string in EUC-KR/CP949 percent-encoding."""
    return "&".join(f"{k}={quote_from_bytes(v.encode('cp949', 'replace'), safe='')}"
                    for k, v in params.items())


def parse_urlencoded(body: bytes) -> dict[str, str]:
    """Decode an EUC-KR/CP949 urlencoded form strictly (FormError on bad bytes)."""
    form: dict[str, str] = {}
    for part in body.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        try:
            name = unquote_to_bytes(key.replace(b"+", b" ")).decode("cp949")
            form[name] = unquote_to_bytes(value.replace(b"+", b" ")).decode("cp949")
        except UnicodeDecodeError:
            raise FormError("form field is not valid EUC-KR/CP949") from None
    return form


_PARAM = re.compile(rb';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def _params(header: bytes) -> dict[str, bytes]:
    return {m.group(1).lower().decode("ascii"): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM.finditer(header)}


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """Split multipart/form-data: (fields decoded as CP949, the ``file`` part as (name, bytes))."""
    boundary = _params(content_type.encode("latin-1")).get("boundary")
    if not boundary:
        raise FormError("multipart body without a boundary")
    delimiter = b"--" + boundary
    start = body.find(delimiter)
    if start < 0:
        raise FormError("multipart boundary not found")
    form: dict[str, str] = {}
    file: tuple[str, bytes] | None = None
    sections = body[start + len(delimiter):].split(b"\r\n" + delimiter)
    for section in sections:
        if section.startswith(b"--"):
            break
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            raise FormError("multipart part without headers")
        disposition = next((line for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-disposition:")), b"")
        params = _params(disposition)
        name = params.get("name", b"").decode("cp949", "replace")
        if "filename" in params:
            if name == "file":
                file = (params["filename"].decode("cp949", "replace"), data)
            continue
        try:
            form[name] = data.decode("cp949")
        except UnicodeDecodeError:
            raise FormError(f"form field {name!r} is not valid EUC-KR/CP949") from None
    else:
        raise FormError("multipart body without a closing boundary")
    return form, file


class _Server(BoundedHTTPServer):
    sim: NetshotSim


class _Handler(BufferedHandler):
    server: _Server

    def do_POST(self) -> None:
        sim = self.server.sim
        if not urlsplit(self.path).path.endswith(SEND_PATH):
            send_text(self, 404, f"not found: POST .{SEND_PATH}\n")
            return
        try:
            body = read_body(self, limit=self.server.max_body)
            ctype = self.headers.get("Content-Type", "")
            if ctype.lower().startswith("multipart/form-data"):
                form, file = parse_multipart(body, ctype)
            else:
                form, file = parse_urlencoded(body), None
        except (BadPush, FormError) as exc:
            status = getattr(exc, "status", 400)
            sim.log(f"POST {mask_target(self.path)} -> {status} {exc}")
            send_text(self, status, f"{exc}\n", "text/plain; charset=euc-kr")
            return
        sim.throttle()
        answer = sim.handle_send(form, file)
        dropped = sim.drops(answer)
        sim.log(f"POST {mask_target(self.path)} -> sendCode {answer['sendCode']} "
                f"corpfrcode {answer['corpfrcode']!r} ({len(answer['toNumber'].split(',')) if answer['toNumber'] else 0} numbers)"
                + (" (answer dropped)" if dropped else ""))
        sim.linger()
        if dropped:
            self.close_connection = True  # no answer: the server closes the connection
            return
        return_url = form.get("returnURL", "")
        if return_url:
            sep = "&" if "?" in return_url else "?"
            self.send_response(302)
            self.send_header("Location", return_url + sep + _encode(answer))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        text = "".join(f"{k}: {answer.get(k, '')}\n" for k in ANSWER_KEYS)
        send_text(self, 200, "", "text/plain; charset=euc-kr", body=text.encode("cp949", "replace"))

    def do_GET(self) -> None:
        send_text(self, 405, f"BizNetShot simulator: POST the send form to {SEND_PATH}\n")


def main_log(line: str) -> None:
    print(f"smscli sim netshot: {line}", file=sys.stderr, flush=True)
