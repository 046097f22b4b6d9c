"""OneShot simulator: what it keeps and shows. The state file (accepted ids and
unacknowledged reports across restarts), the thread-safe views (``accepted``, ``files``,
``acks``, ``pending_reports``, ``stats``, ``bound_connections``, ``wait_until``), the
counters, the log line, the seeded fault decisions and the record file. Mixed into
:class:`smscli.sim.oneshot.OneShotSimulator`, whose ``__init__`` sets the state used here."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smscli.sim.oneshot_config import STATE_MAX_IDS, AcceptedMessage, HeldReport


class StoreMixin:
    """State file, views, bookkeeping and record file (see the module docstring)."""

    # state across restarts (``state_file``) ------------------------------------------
    def _load_state(self, path: Path) -> None:
        """Take back the accepted ids and unacknowledged reports of an earlier run; those
        reports are due at once (pushed after the next bind). An unreadable file is
        ignored (and replaced at stop)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = [tuple(map(str, k)) for k in data["accepted"]]
            reports = [r for r in data["reports"] if isinstance(r, dict) and "ServerMsgId" in r]
            next_msg = int(data["next_msg"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._emit(f"state file {path} unreadable ({type(exc).__name__}); starting afresh")
            return
        with self._lock:
            self._earlier_keys.update(dict.fromkeys(k for k in keys if len(k) == 3))
            for body in reports:
                if not body.get("DeliveryTime"):  # was not due yet when the last run stopped
                    body["DeliveryTime"] = self._delivery_time()
                self._reports[str(body["ServerMsgId"])] = HeldReport(body, 0, due=True)
            self._next_msg = max(self._next_msg, next_msg)
        self._emit(f"state: {len(keys)} earlier message id(s), {len(reports)} report(s) to push")

    def _save_state(self, path: Path) -> None:
        with self._lock:
            keys = [*self._earlier_keys, *self._accepted]
            data = {
                "version": 1,
                "next_msg": self._next_msg,
                "accepted": [list(k) for k in keys[-STATE_MAX_IDS:]],
                "reports": [r.body for r in self._reports.values()],
            }
        tmp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(data, ensure_ascii=False))
            os.replace(tmp, path)
        except OSError as exc:
            self._emit(f"state file {path} not written: {exc}")

    # thread-safe views ---------------------------------------------------------
    @property
    def accepted(self) -> list[AcceptedMessage]:
        with self._lock:
            return sorted(self._accepted.values(), key=lambda m: int(m.server_msg_id))

    @property
    def files(self) -> dict[str, bytes]:
        with self._lock:
            return dict(self._files)

    @property
    def acks(self) -> list[tuple[str, dict[str, Any]]]:
        """(method, body) of every ReportRes/SpamRes/ChangePhoneRes received."""
        with self._lock:
            return list(self._acks)

    @property
    def pending_reports(self) -> list[dict[str, Any]]:
        """Report bodies not yet acknowledged (due or not)."""
        with self._lock:
            return [dict(r.body) for r in self._reports.values()]

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._stats)

    @property
    def bound_connections(self) -> int:
        with self._lock:
            return sum(1 for s in self._sessions.values() if s.bound and not s.closed)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until true or ``timeout`` seconds pass (for tests)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    # bookkeeping -------------------------------------------------------------------
    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._stats[name] = self._stats.get(name, 0) + n

    def _emit(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    def _fraction(self, purpose: str, key: tuple[str, ...]) -> float:
        """A deterministic number in [0, 1) for this seed, purpose and message."""
        text = f"{self.config.seed}|{purpose}|" + "|".join(key)
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def _pick(self, purpose: str, key: tuple[str, ...], choices: tuple[Any, ...]) -> Any:
        return choices[int(self._fraction(purpose, key) * len(choices))]

    def _write_record(self, obj: dict[str, Any]) -> None:
        if self._record is not None:
            self._record.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self._record_dirty = True

    def _flush_record(self) -> None:
        if self._record_dirty and self._record is not None:
            self._record.flush()
            self._record_dirty = False
