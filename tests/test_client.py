"""smscli.Client against each simulator over real sockets (through the pytest plugin's
fixtures): send, send_many with a template, reserve, poll, result; errors; one Client
shared by 8 threads; AsyncClient inside a running loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest

from smscli import Client, ConfigError, SendResult, Text, UnreachableError, UsageError
from smscli.timeutil import now_kst

VENDORS = ["oneshot", "bizppurio", "netshot", "bizclient"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_send_send_many_reserve_result(vendor: str, request: pytest.FixtureRequest) -> None:
    sim = request.getfixturevalue(f"smscli_{vendor}_sim")
    with Client() as sms:  # the fixture's SMSCLI_PROFILE / CONFIG / DATA_DIR
        assert (sms.profile, sms.vendor) == (sim.profile, vendor)
        one = sms.send("010-1234-5678", "내일 점검이 있습니다", id="notice-1")
        assert isinstance(one, SendResult)
        assert (one.status, one.message_id, one.to) == ("accepted", "notice-1", "01012345678")
        again = sms.send("010-1234-5678", "내일 점검이 있습니다", id="notice-1")
        assert again.status == "duplicate"
        rows = [{"phone": f"0102000000{i}", "name": f"고객{i}"} for i in range(3)]
        rows.append({"phone": "12", "name": "bad"})
        batch = sms.send_many(rows, template="{name}님 안녕하세요")
        assert sorted(r.status for r in batch.results) == ["accepted"] * 3 + ["invalid"]
        assert batch.counts == {"accepted": 3, "invalid": 1} and batch.exit_code == 1
        assert batch.run_id and all(r.message_id for r in batch.results)
        at = now_kst() + timedelta(days=2)
        reserved = sms.reserve("01033334444", Text("예약 안내", subject="안내"), at=at, id="later-1")
        assert reserved.status == "scheduled"
        story = sms.result("notice-1")
        assert story is not None and story.status == "accepted" and story.to == "01012345678"
        assert sms.result("no-such-id") is None
        assert {m.message_id for m in sms.messages(status="scheduled")} == {"later-1"}
        if vendor in ("bizppurio", "netshot"):  # their servers keep it and cannot cancel it
            with pytest.raises(UsageError, match="cannot cancel"):
                sms.cancel("later-1")
        else:
            assert sms.cancel("later-1").status == "cancelled"
            with pytest.raises(UsageError, match="not scheduled"):
                sms.cancel("later-1")
    accepted = sim.wait_accepted(4)
    by_to = {a.to: a for a in accepted}
    assert by_to["01020000001"].text in ("", "고객1님 안녕하세요")  # where the vendor's record has it
    assert Counter(a.to for a in accepted)["01012345678"] == 1


@pytest.mark.parametrize("vendor", ["oneshot", "bizppurio"])
def test_deliver_then_poll(vendor: str, request: pytest.FixtureRequest) -> None:
    sim = request.getfixturevalue(f"smscli_{vendor}_sim")
    fail = {"oneshot": 7, "bizppurio": "3002"}[vendor]
    with sim.client() as sms:
        sms.send("01012345678", "hello", id="ok-1")
        sms.send("01012345679", "hello", id="bad-1")
        sim.wait_accepted(2)
        sim.deliver("ok-1")
        sim.deliver("bad-1", code=fail)
        got: dict[str, str] = {}
        for _ in range(3):  # a poll ends on silence; the reports are due already
            got.update({r.message_id: r.status for r in sms.poll(timeout=3)})
            if len(got) == 2:
                break
        assert got == {"ok-1": "delivered", "bad-1": "failed"}
        story = sms.result("bad-1")
        assert story is not None and story.status == "failed"
        assert [r.status for r in story.reports] == ["failed"]


def test_errors_carry_exit_codes(smscli_oneshot_sim) -> None:
    with pytest.raises(ConfigError) as bad:
        Client("no-such-profile")
    assert bad.value.exit_code == 3 and not bad.value.retryable
    with smscli_oneshot_sim.client(connect_timeout=0.5, reconnect_attempts=0) as sms:
        with pytest.raises(UsageError) as usage:
            sms.send("01012345678", "   ")
        assert usage.value.exit_code == 2
        with pytest.raises(UsageError):
            sms.send("01012345678,01012345679", "two")
        smscli_oneshot_sim.stop()
        with pytest.raises(UnreachableError) as down:
            sms.send("01012345678", "hello", id="down-1")
        assert down.value.exit_code == 4 and down.value.retryable
        smscli_oneshot_sim.start()
    with smscli_oneshot_sim.client() as sms:  # the new port: the same id is sent, once
        assert sms.send("01012345678", "hello", id="down-1").status == "accepted"


def test_one_client_shared_by_8_threads(smscli_oneshot_sim) -> None:
    """Threads 0-3 and 4-7 send the same ids: each id is sent once, the other is a duplicate."""
    results: list[SendResult] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    with smscli_oneshot_sim.client() as sms:
        def work(t: int) -> None:
            try:
                for j in range(6):
                    r = sms.send(f"0103000{t % 4:02d}{j:02d}", "hello", id=f"t{t % 4}-{j}")
                    with lock:
                        results.append(r)
            except BaseException as exc:  # pragma: no cover - shown below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert not errors, errors
        by_id: dict[str, list[str]] = {}
        for r in results:
            by_id.setdefault(r.message_id, []).append(r.status)
        assert len(by_id) == 24
        assert all(sorted(s) == ["accepted", "duplicate"] for s in by_id.values()), by_id
        journal = list(sms.messages())
        assert sorted(m.message_id for m in journal) == sorted(by_id)
        assert {m.status for m in journal} == {"accepted"}
    accepted = Counter(a.id for a in smscli_oneshot_sim.accepted)
    assert len(accepted) == 24 and set(accepted.values()) == {1}


def test_async_client_inside_a_running_loop(smscli_bizppurio_sim) -> None:
    async def main() -> tuple[str, dict[str, int], str, int]:
        asyncio.get_running_loop()
        async with smscli_bizppurio_sim.async_client() as sms:
            first, many = await asyncio.gather(
                sms.send("01012345678", "hello", id="a-1"),
                sms.send_many([{"phone": "01022223333", "n": "1"}], template="no. {n}"))
            smscli_bizppurio_sim.deliver("a-1")
            polled = await sms.poll(timeout=2)
            story = await sms.result("a-1")
            assert story is not None
            return first.status, many.counts, story.status, len(polled)

    status, counts, story, polled = asyncio.run(main())
    assert (status, counts, story, polled) == ("accepted", {"accepted": 1}, "delivered", 1)


def test_import_smscli_is_lean() -> None:
    code = ("import sys, smscli; heavy = [m for m in ('httpx', 'rich', 'typer', 'smscli.client') "
            "if m in sys.modules]; assert not heavy, heavy; assert 'Client' in smscli.__all__")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_two_processes_on_one_journal(smscli_oneshot_sim) -> None:
    """Two processes sending the same ids at once behave as two `smscli send`: each id is
    accepted once, by one of them; the other reports it duplicate."""
    import json
    import os

    from tests.conftest import ROOT

    child = ("import json, sys\nfrom smscli import Client\n"
             "rows = [{'phone': f'0104000{i:04d}', 'id': f'p-{i}'} for i in range(60)]\n"
             "with Client() as sms:\n"
             "    batch = sms.send_many(rows, template='hello')\n"
             "print(json.dumps({r.message_id: r.status for r in batch.results}))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", child], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    first, second = (json.loads(out) for out, _ in outs)
    assert set(first) == set(second) == {f"p-{i}" for i in range(60)}
    for mid in first:
        assert sorted((first[mid], second[mid])) == ["accepted", "duplicate"], mid
    accepted = Counter(a.id for a in smscli_oneshot_sim.accepted)
    assert len(accepted) == 60 and set(accepted.values()) == {1}


def test_reservations_confirm_and_upload(smscli_bizppurio_sim, tmp_path) -> None:
    from smscli.images import make_jpeg

    sim = smscli_bizppurio_sim
    with sim.client() as sms:
        at = now_kst() + timedelta(days=2)
        sms.reserve("01033334444", "예약 안내", at=at, id="r-1")
        sms.send("01012345678", "hello", id="c-1")
        (rec,) = list(sms.reservations())
        assert (rec.message_id, rec.text, rec.profile, rec.status) == ("r-1", "예약 안내", sim.profile, "scheduled")
        assert rec.send_at.startswith(at.strftime("%Y-%m-%d"))
        sim.wait_accepted(2)
        sim.deliver("c-1")
        polled = sms.poll(timeout=2, confirm=False)
        msgid = next(r.extra["msgid"] for r in polled if r.message_id == "c-1")
        assert sms.confirm([msgid, "no-such-msgid", msgid]) == {msgid: True, "no-such-msgid": False}
        with pytest.raises(UsageError, match="nothing confirmed"):
            sms.confirm(["no-such-msgid"])
        image = tmp_path / "photo.jpg"
        image.write_bytes(make_jpeg(64, 48))
        (up,) = sms.upload([image])
        assert (up.file, up.vendor, up.width, up.height) == (str(image), "bizppurio", 64, 48) and up.key


def test_confirm_is_a_bizppurio_operation(smscli_oneshot_sim) -> None:
    with smscli_oneshot_sim.client() as sms, pytest.raises(UsageError, match="Bizppurio operation"):
        sms.confirm(["x"])
