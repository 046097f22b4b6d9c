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

The parts: :mod:`smscli.sim.netshot_rules` (constants, records, the form's checks),
:mod:`smscli.sim.netshot_form` (EUC-KR urlencoded/multipart forms, the query encoding),
:mod:`smscli.sim.netshot_handler` (the HTTP server and request handler) and the mixin
:mod:`smscli.sim.netshot_callbacks` (the result callbacks); this module keeps the
simulator, its lifecycle and the judging of a send.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from smscli import clock as wall_clock
from smscli.httpd import MAX_BODY, REQUEST_TIMEOUT
from smscli.sim.netshot_callbacks import Callback, CallbacksMixin
from smscli.sim.netshot_form import FormError, parse_multipart, parse_urlencoded
from smscli.sim.netshot_handler import NetshotHandler, NetshotServer
from smscli.sim.netshot_rules import (
    ACCOUNT_STATES,
    ANSWER_KEYS,
    CORPFRCODE_MAX,
    FAILURE_CODES,
    KST,
    MAX_AHEAD,
    MAX_FILE_BYTES,
    MAX_RECIPIENTS,
    MIN_AHEAD,
    SEND_PATH,
    SMS_BYTES,
    TARIFF,
    Accepted,
    Account,
    check_content,
    check_numbers,
    digits,
    reservation,
)

__all__ = [
    "ACCOUNT_STATES",
    "ANSWER_KEYS",
    "CORPFRCODE_MAX",
    "FAILURE_CODES",
    "KST",
    "MAX_AHEAD",
    "MAX_FILE_BYTES",
    "MAX_RECIPIENTS",
    "MIN_AHEAD",
    "SEND_PATH",
    "SMS_BYTES",
    "TARIFF",
    "Accepted",
    "Account",
    "FormError",
    "NetshotSim",
    "main_log",
    "parse_multipart",
    "parse_urlencoded",
]


class NetshotSim(CallbacksMixin):
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
        self._callbacks: list[Callback] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._workers = callback_workers
        self.httpd = NetshotServer((host, port), NetshotHandler, max_body=max_body, request_timeout=request_timeout,
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
        valid = [n for n in numbers if digits(n)]
        if code == "300":
            code = check_numbers(numbers, valid)
        if code == "300":
            code = check_content(form, file)
        if code == "300" and form.get("reserveSend", "") == "Y":
            reserve_at = reservation(form, now)
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
                pairs = [Accepted(corpfrcode, digits(n), kind, reserve_at) for n in valid]
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


def main_log(line: str) -> None:
    print(f"smscli sim netshot: {line}", file=sys.stderr, flush=True)
