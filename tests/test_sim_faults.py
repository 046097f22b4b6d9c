"""The simulators' fault knobs for lost answers (accept, then no answer / a late answer) and
their ``--record`` files as acceptance counts (`smscli.sim.record`), over real sockets."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from smscli.sim.bizppurio import BizppurioSim, SimConfig
from smscli.sim.netshot import NetshotSim
from smscli.sim.oneshot import OneShotSimulator
from smscli.sim.record import Acceptance, acceptances, read_record
from tests.conftest import run_cli
from tests.sim_oneshot_raw import RawClient, msg_body

pytestmark = pytest.mark.timeout(60)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# Bizppurio --------------------------------------------------------------------------------


def token_of(client: httpx.Client) -> dict[str, str]:
    answer = client.post("/v1/token", auth=("test", "test")).json()
    return {"Authorization": f"Bearer {answer['accesstoken']}"}


def sms(refkey: str, to: str = "01012345678") -> dict:
    return {"account": "test", "type": "sms", "from": "0212341234", "to": to, "refkey": refkey,
            "content": {"sms": {"message": "안녕하세요"}}}


def raw_post(port: int, headers: dict[str, str], body: dict) -> bytes:
    """One request on a fresh connection; everything the server sends until it closes."""
    data = json.dumps(body).encode()
    head = (f"POST /v3/message HTTP/1.1\r\nHost: x\r\nAuthorization: {headers['Authorization']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(head.encode() + data)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    return got


def test_bizppurio_accepts_a_refkey_again_and_records_every_acceptance(tmp_path):
    record = tmp_path / "rec.jsonl"
    with BizppurioSim(SimConfig(record=record, report_delay=0)) as sim, \
            httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        for refkey in ("a", "b", "a", "a"):
            assert client.post("/v3/message", json=sms(refkey), headers=headers).json()["code"] == 1000
        assert sim.accepted() == {"a": 3, "b": 1}
        assert sim.stats()["accepted"] == 4 and sim.stats()["accepted_again"] == 2
    assert [(line["refkey"], line["times"]) for line in lines(record)] == [("a", 1), ("b", 1), ("a", 2), ("a", 3)]
    assert acceptances(record) == {"a": 3, "b": 1}
    assert acceptances(record, by="to") == {"01012345678": 4}


def test_bizppurio_drop_id_accepts_then_closes_without_an_answer_once(tmp_path):
    record = tmp_path / "rec.jsonl"
    with BizppurioSim(SimConfig(record=record, drop_ids=frozenset({"lost"}))) as sim, \
            httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        assert raw_post(sim.port, headers, sms("lost")) == b""  # closed, not a byte of answer
        assert sim.accepted() == {"lost": 1} and sim.stats()["dropped"] == 1
        again = raw_post(sim.port, headers, sms("lost"))  # the second acceptance is answered
        assert again.startswith(b"HTTP/1.1 200 ") and b'"code": 1000' in again
        assert raw_post(sim.port, headers, sms("kept")).startswith(b"HTTP/1.1 200 ")
        assert sim.accepted() == {"lost": 2, "kept": 1} and sim.stats()["dropped"] == 1
    assert [(line["refkey"], line["times"], line.get("answer")) for line in lines(record)] == [
        ("lost", 1, "dropped"), ("lost", 2, None), ("kept", 1, None)]


def test_bizppurio_drop_rate_loses_that_share_of_answers_the_same_way_for_a_seed():
    def dropped_refkeys(seed: int) -> tuple[set[str], int]:
        lost = set()
        with BizppurioSim(SimConfig(drop_rate=0.1, seed=seed, report_delay=0)) as sim, \
                httpx.Client(base_url=sim.base_url) as client:
            headers = token_of(client)
            for i in range(200):
                try:
                    client.post("/v3/message", json=sms(f"k{i}"), headers=headers)
                except httpx.RemoteProtocolError:  # "Server disconnected without sending a response"
                    lost.add(f"k{i}")
            assert len(sim.accepted()) == 200 and sim.stats()["dropped"] == len(lost)
            return lost, sim.stats()["accepted"]

    first, accepted = dropped_refkeys(7)
    assert accepted == 200 and 8 <= len(first) <= 40
    assert dropped_refkeys(7)[0] == first
    assert dropped_refkeys(8)[0] != first


def test_bizppurio_delay_answers_late_after_accepting():
    with BizppurioSim(SimConfig(delay=2.0, report_delay=0)) as sim, \
            httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        with pytest.raises(httpx.ReadTimeout):
            client.post("/v3/message", json=sms("slow"), headers=headers, timeout=0.3)
        assert sim.accepted() == {"slow": 1}  # the client gave up on an accepted message


def test_bizppurio_cli_checks_drop_rate_and_documents_the_knobs():
    bad = run_cli("sim", "bizppurio", "--drop-rate", "1.5")
    assert bad.returncode == 2
    assert bad.stderr.decode().strip() == "smscli: --drop-rate must be between 0 and 1"
    shown = " ".join(run_cli("sim", "bizppurio", "--help").stdout.decode().split())
    assert "--drop-rate" in shown and "--drop-id REFKEY" in shown and '"times": 2' in shown


# OneShot ----------------------------------------------------------------------------------


@pytest.fixture
def oneshot_sim():
    started: list[OneShotSimulator] = []

    def make(**overrides: object) -> OneShotSimulator:
        sim = OneShotSimulator(report_delay=30.0, speed=0, **overrides)  # type: ignore[arg-type]
        sim.start_in_thread()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.close()


def test_oneshot_drop_rate_closes_the_connection_upon_an_accepted_message(oneshot_sim, tmp_path):
    record = tmp_path / "rec.jsonl"
    sim = oneshot_sim(drop_rate=0.2, seed=5, record=record)
    answered: list[str] = []
    for i in range(60):
        uid = f"m{i}"
        with RawClient(sim.address) as c:
            c.bind()
            c.send_msg(uid, phone=f"0101000{i:04d}")
            try:
                res = c.expect("MsgSendRes", timeout=2)
                assert res["Result"] == 0
                answered.append(uid)
            except Exception:  # noqa: BLE001 - Closed: dropped
                assert c.closed_within(1)
    accepted = [m.user_msg_id for m in sim.accepted]
    assert len(accepted) == 60
    dropped = sim.stats["dropped"]
    assert dropped == 60 - len(answered) and 4 <= dropped <= 25
    with RawClient(sim.address) as c:  # a dropped one sent again is a duplicate, answered
        c.bind()
        lost = next(uid for uid in accepted if uid not in answered)
        c.send_msg(lost, phone=f"0101000{int(lost[1:]):04d}")
        assert c.expect("MsgSendRes")["Result"] == 320
    sim.close()
    counted = acceptances(record)
    assert len(counted) == 60 and set(counted.values()) == {1}


def test_oneshot_delay_answers_each_message_late_after_accepting(oneshot_sim):
    sim = oneshot_sim(delay=0.6)
    with RawClient(sim.address) as c:
        c.bind()
        started = time.monotonic()
        c.send_raw(b"".join(c.frame("MsgSendReq", msg_body(f"d{i}")) for i in range(3)))
        assert sim.wait_until(lambda: len(sim.accepted) == 3, timeout=0.5)  # accepted at once
        assert [r["UserMsgId"] for r in c.collect("MsgSendRes", 3)] == ["d0", "d1", "d2"]
        assert time.monotonic() - started >= 0.6


def test_oneshot_cli_checks_the_new_knobs():
    bad = run_cli("sim", "oneshot", "--drop-rate", "2")
    assert bad.returncode == 2 and bad.stderr.decode().strip() == (
        "smscli: --drop-rate must be between 0 and 1, got 2.0")
    neg = run_cli("sim", "oneshot", "--delay", "-1")
    assert neg.returncode == 2 and neg.stderr.decode().strip() == "smscli: --delay must not be negative"


# BizNetShot -------------------------------------------------------------------------------


def post_form(url: str, corpfrcode: str, number: str, timeout: float = 5.0) -> httpx.Response:
    body = (f"m_id=test&m_pw=test&m_corpfrcode={corpfrcode}&fromNumber=0212341234"
            f"&toNumber={number}&contents=hi")
    return httpx.post(url, content=body, timeout=timeout, trust_env=False,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_netshot_drop_rate_accepts_then_closes_without_an_answer(tmp_path):
    record = tmp_path / "rec.jsonl"
    answered, lost = [], []
    with NetshotSim(drop_rate=0.2, seed=3, record=record) as sim:
        for i in range(60):
            code = f"c{i}"
            try:
                response = post_form(sim.url, code, f"0101000{i:04d}")
                assert response.text.startswith("sendCode: 300\n")
                answered.append(code)
            except httpx.RemoteProtocolError:
                lost.append(code)
        assert sim.counts["accepted_pairs"] == 60 and sim.counts["dropped"] == len(lost)
        assert 4 <= len(lost) <= 25
        again = post_form(sim.url, lost[0], "01010009999")  # the corpfrcode was taken: 314
        assert again.text.startswith("sendCode: 314\n")
    counted = acceptances(record, by="to")
    assert len(counted) == 60 and set(counted.values()) == {1}
    assert list(read_record(record))[0] == Acceptance("netshot", "c0:01010000000", "01010000000")


def test_netshot_delay_comes_after_the_request_is_accepted():
    with NetshotSim(delay=2.0) as sim:
        with pytest.raises(httpx.ReadTimeout):
            post_form(sim.url, "slow1", "01012345678", timeout=0.3)
        assert sim.counts["accepted_pairs"] == 1  # accepted although the client gave up
        assert post_form(sim.url, "slow1", "01012345678").text.startswith("sendCode: 314\n")


def test_netshot_cli_documents_the_knobs():
    shown = " ".join(run_cli("sim", "netshot", "--help").stdout.decode().split())
    assert "--drop-rate" in shown and "after the request is accepted" in shown
    bad = run_cli("sim", "netshot", "--drop-rate", "3")
    assert bad.returncode == 2


# BIZCLIENT --------------------------------------------------------------------------------


def test_bizclient_record_lists_each_row_taken_and_a_cmid_taken_again(tmp_path):
    from smscli.sim.bizclient import AgentConfig, BizclientAgent
    from smscli.vendors.bizclient_db import now_kst

    record = tmp_path / "taken.jsonl"
    url = f"sqlite:///{tmp_path / 'biz.db'}"
    agent = BizclientAgent(AgentConfig(database_url=url, file_path=str(tmp_path), send_delay=0,
                                       move_delay=0, record=record))
    agent.prepare()
    db = agent.db
    msg = db.table("BIZ_MSG")

    def insert(cmid: str, phone: str) -> None:
        with db.connect() as conn, db.begin(conn):
            conn.execute(msg.insert().values(CMID=cmid, MSG_TYPE=0, STATUS=0, REQUEST_TIME=now_kst(),
                                             SEND_TIME=now_kst(), DEST_PHONE=phone, SEND_PHONE="0212341234",
                                             MSG_BODY="안녕"))

    insert("c1", "01011112222")
    insert("c2", "01033334444")
    agent.step()  # taken
    agent.step()  # reported, moved to the log
    agent.step()
    insert("c1", "01011112222")  # the CMID is free again in BIZ_MSG: the agent takes it again
    agent.step()
    agent.stop()
    assert agent.accepted == {"c1": 2, "c2": 1}
    assert [(line["cmid"], line["times"], line["to"]) for line in lines(record)] == [
        ("c1", 1, "01011112222"), ("c2", 1, "01033334444"), ("c1", 2, "01011112222")]
    assert acceptances(record) == {"c1": 2, "c2": 1}


def test_bizclient_cli_has_record():
    shown = " ".join(run_cli("sim", "bizclient", "--help").stdout.decode().split())
    assert "--record FILE" in shown


def test_read_record_ignores_a_line_cut_short_and_other_events(tmp_path):
    record = tmp_path / "rec.jsonl"
    record.write_text(
        '{"event": "accepted", "user_msg_id": "u1", "phone": "01012345678"}\n'
        '{"event": "uploaded", "file_name": "x.jpg", "size": 3}\n'
        '{"event": "report_acked", "server_msg_id": "100001"}\n'
        '{"refkey": "r1", "to": "0109', encoding="utf-8")
    assert list(read_record(record)) == [Acceptance("oneshot", "u1", "01012345678")]
    assert list(read_record(tmp_path / "missing.jsonl")) == []
