"""The Bizppurio simulator as an HTTP server: wire behaviour, validation, faults."""

from __future__ import annotations

import base64
import json
import socket
import time

import httpx
import pytest

from smscli import clock
from smscli.sim.bizppurio import BizppurioSim, SimConfig, euckr_len

pytestmark = pytest.mark.timeout(30)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def sim():
    with BizppurioSim(SimConfig(report_delay=0.0)) as running:
        yield running


def token_of(client: httpx.Client) -> dict[str, str]:
    answer = client.post("/v1/token", auth=("test", "test")).json()
    return {"Authorization": f"Bearer {answer['accesstoken']}"}


def sms(refkey: str = "r1", **changes: object) -> dict:
    body = {"account": "test", "type": "sms", "from": "0212341234", "to": "01012345678",
            "refkey": refkey, "content": {"sms": {"message": "안녕하세요"}}}
    body.update(changes)
    return body


def raw_exchange(port: int, data: bytes, responses: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        got = b""
        while got.count(b"HTTP/1.1 ") < responses or not got.endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def test_token_shape_and_expiry_in_korea_time(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        answer = client.post("/v1/token", auth=("test", "test"))
    data = answer.json()
    assert answer.status_code == 200 and data["type"] == "Bearer" and data["accesstoken"]
    from datetime import datetime, timedelta, timezone

    expired = datetime.strptime(data["expired"], "%Y%m%d%H%M%S").replace(tzinfo=timezone(timedelta(hours=9)))
    assert abs(expired.timestamp() - (clock.time() + 86400)) < 5


def test_wrong_password_missing_and_expired_tokens(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        bad = client.post("/v1/token", auth=("test", "wrong"))
        assert bad.status_code == 400 and bad.json()["code"] == 3001  # the document: all 400
        missing = client.post("/v3/message", json=sms())
        assert missing.status_code == 400 and missing.json()["code"] == 3002
        headers = token_of(client)
        sim.api.expire_tokens()
        expired = client.post("/v3/message", json=sms(), headers=headers)
        assert expired.status_code == 400 and expired.json()["code"] == 3005
    assert sim.accepted() == {}


def test_keep_alive_and_chunked_bodies_without_content_length(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
    payload = json.dumps(sms("chunked")).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (payload[:7], payload[7:])) + b"0\r\n\r\n"
    auth = headers["Authorization"].encode()
    first = (b"POST /v3/message HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth +
             b"\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" + chunked)
    second_body = json.dumps(sms("plain")).encode()
    second = (b"POST /v3/message HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth +
              b"\r\nContent-Length: %d\r\n\r\n" % len(second_body) + second_body)
    got = raw_exchange(sim.port, first + second, 2)  # both on one connection
    assert got.count(b"HTTP/1.1 200 OK") == 2
    assert sim.accepted() == {"chunked": 1, "plain": 1}


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"refkey": "x" * 33}, "refkey"),
        ({"type": "fax"}, "type"),
        ({"to": "010-1234"}, "to"),
        ({"content": {"sms": {"message": "가" * 46}}}, "92 bytes"),
        ({"content": {"sms": {"message": "😀"}}}, "EUC-KR"),
        ({"type": "lms", "content": {"lms": {"subject": "가" * 33, "message": "hi"}}}, "subject"),
        ({"type": "lms", "content": {"lms": {"message": "a" * 2001}}}, "2001 bytes"),
        ({"type": "mms", "content": {"mms": {"message": "hi", "file": []}}}, "1-3"),
        ({"type": "mms", "content": {"mms": {"message": "hi", "file": [{"type": "IMG", "key": "no.jpg"}]}}}, "no.jpg"),
        ({"sendtime": int(clock.time()) - 10}, "past"),
        ({"sendtime": int(clock.time()) + 31 * 86400}, "30 days"),
        ({"account": "other"}, "account"),
    ],
)
def test_message_validation(sim, changes, needle):
    with httpx.Client(base_url=sim.base_url) as client:
        answer = client.post("/v3/message", json=sms(**changes), headers=token_of(client))
    data = answer.json()
    assert answer.status_code == 400 and data["code"] in (2000, 3004)
    assert needle in data["description"]
    assert sim.accepted() == {}


def test_limits_are_inclusive():
    assert euckr_len("가" * 45) == 90
    with BizppurioSim(SimConfig()) as sim, httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        files = [client.post("/v1/file", data={"account": "test"}, files={"file": ("a.jpg", JPEG)}).json()["filekey"]
                 for _ in range(3)]
        ok = [
            sms("s90", content={"sms": {"message": "가" * 45}}),
            sms("l", type="lms", content={"lms": {"subject": "가" * 32, "message": "a" * 2000}}),
            sms("m", type="mms", content={"mms": {"message": "hi", "file": [{"type": "IMG", "key": k} for k in files]}}),
            sms("t", sendtime=int(clock.time()) + 30 * 86400 - 5),
        ]
        codes = [client.post("/v3/message", json=body, headers=headers).json()["code"] for body in ok]
    assert codes == [1000] * 4


def test_errors_in_200_mode():
    with BizppurioSim(SimConfig(errors_in_200=True)) as sim, httpx.Client(base_url=sim.base_url) as client:
        answer = client.post("/v3/message", json=sms(refkey="x" * 40), headers=token_of(client))
    assert answer.status_code == 200 and answer.json()["code"] == 2000


def test_rate_limit_answers_429_with_ratelimit_reset():
    with BizppurioSim(SimConfig(rate=3)) as sim, httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        answers = [client.post("/v3/message", json=sms(f"r{i}"), headers=headers) for i in range(6)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "six requests within a second must hit a limit of 3/s"
    assert limited[0].json()["code"] == 5002
    assert 0 < float(limited[0].headers["RateLimit-Reset"]) <= 1.0
    assert sum(a.status_code == 200 for a in answers) == len(sim.accepted())


def test_first_requests_fail_with_5003():
    with BizppurioSim(SimConfig(fail_5xx=2)) as sim, httpx.Client(base_url=sim.base_url) as client:
        first = client.post("/v1/token", auth=("test", "test"))
        second = client.post("/v1/token", auth=("test", "test"))
        third = client.post("/v1/token", auth=("test", "test"))
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.json()["code"] == 5003


def test_file_upload_checks_jpeg_by_content_and_size(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        good = client.post("/v1/file", data={"account": "test"}, files={"file": ("x.bin", JPEG)})
        newer = client.post("/v2/file", data={"account": "test"}, files={"file": ("y.jpg", JPEG)})
        png = client.post("/v1/file", data={"account": "test"}, files={"file": ("p.jpg", b"\x89PNG\r\n\x1a\n")})
        big = client.post("/v1/file", data={"account": "test"},
                          files={"file": ("b.jpg", JPEG[:-2] + b"\x00" * 300 * 1024 + b"\xff\xd9")})
        stranger = client.post("/v1/file", data={"account": "nobody"}, files={"file": ("x.jpg", JPEG)})
    assert good.json()["filekey"].endswith(".jpg") and newer.json()["filekey"].endswith(".jpg")
    assert png.status_code == 400 and "not a JPEG" in png.json()["description"]
    assert big.status_code == 400 and "at most" in big.json()["description"]
    assert stranger.status_code == 400 and stranger.json()["code"] == 3004
    assert len(sim.api.files) == 2


def test_results_poll_and_confirm(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        for i in range(3):
            client.post("/v3/message", json=sms(f"r{i}"), headers=headers)
        page = client.post("/v1/result/request", json={"account": "test"}, headers=headers).json()
        assert page["code"] == "1000" and len(page["report"]) == 3
        assert {r["refkey"] for r in page["report"]} == {"r0", "r1", "r2"}
        again = client.post("/v1/result/request", json={"account": "test"}, headers=headers).json()
        assert len(again["report"]) == 3  # unconfirmed reports come back
        ids = [{"msgid": r["msgid"]} for r in page["report"][:2]]
        done = client.post("/v1/result/confirm", json={"account": "test", "msgid": ids}, headers=headers).json()
        assert done == {"code": 1000, "description": "Success"}
        left = client.post("/v1/result/request", json={"account": "test"}, headers=headers).json()
    assert [r["refkey"] for r in left["report"]] == [page["report"][2]["refkey"]]


def test_reports_wait_for_report_delay():
    with BizppurioSim(SimConfig(report_delay=0.3)) as sim, httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        client.post("/v3/message", json=sms(), headers=headers)
        early = client.post("/v1/result/request", json={"account": "test"}, headers=headers).json()
        time.sleep(0.35)
        late = client.post("/v1/result/request", json={"account": "test"}, headers=headers).json()
    assert early["report"] == [] and len(late["report"]) == 1


def test_malformed_http_gets_400_and_close(sim):
    got = raw_exchange(sim.port, b"NONSENSE\r\n\r\n", 1)
    assert got.startswith(b"HTTP/1.1 400")
    basic = base64.b64encode(b"test:test").decode()
    got = raw_exchange(sim.port, f"GET /v1/token HTTP/1.1\r\nAuthorization: Basic {basic}\r\n\r\n".encode(), 1)
    assert got.startswith(b"HTTP/1.1 400") and b'"code": 5001' in got


def test_record_file_lists_accepted_messages(tmp_path):
    record = tmp_path / "accepted.jsonl"
    with BizppurioSim(SimConfig(record=record)) as sim, httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        client.post("/v3/message", json=sms("a"), headers=headers)
        client.post("/v3/message", json=sms("x" * 40), headers=headers)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [line["refkey"] for line in lines] == ["a"]


def test_cli_runs_the_simulator_until_terminated(tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "SMSCLI_SIM_PASSWORD": "s3cret"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", "sim", "bizppurio", "--port", "0", "--account", "acme", "--tls",
         "--record", str(tmp_path / "rec.jsonl")],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=root,
    )
    try:
        banner = ""
        while "ca_file" not in banner:
            line = proc.stderr.readline()
            assert line, f"simulator exited: {banner}"
            banner += line
        url = re.search(r"listening on (https://127\.0\.0\.1:\d+)", banner).group(1)
        ca_file = re.search(r'ca_file  = "([^"]+)"', banner).group(1)
        assert "s3cret" not in banner and 'password_env = "SMSCLI_SIM_PASSWORD"' in banner
        with httpx.Client(base_url=url, verify=__import__("ssl").create_default_context(cafile=ca_file)) as client:
            assert client.post("/v1/token", auth=("acme", "s3cret")).status_code == 200
            assert client.post("/v1/token", auth=("acme", "test")).json()["code"] == 3001
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert not Path(ca_file).exists()  # the certificate goes with the server


def test_cli_rejects_bad_options():
    from tests.conftest import run_cli

    result = run_cli("sim", "bizppurio", "--fail-rate", "2")
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "smscli: --fail-rate must be between 0 and 1"


def test_cli_port_in_use_is_a_usage_error():
    from tests.conftest import run_cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("sim", "bizppurio", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"smscli: cannot listen on 127.0.0.1:{port}")


def test_expect_100_continue_is_answered(sim):
    body = json.dumps(sms()).encode()
    head = (b"POST /v3/message HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as s:
        s.sendall(head)
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(body)
        got = s.recv(1000)  # no token: the body was read and judged
        assert got.startswith(b"HTTP/1.1 400") and b'"code": 3002' in got


# --- as Daou's public document has it (../shared/spec/bizppurio-v3-public-README.md) -------


def test_mms_message_is_optional(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        headers = token_of(client)
        key = client.post("/v1/file", data={"account": "test"}, files={"file": ("a.jpg", JPEG)}).json()["filekey"]
        images = [{"type": "IMG", "key": key}]
        bare = client.post("/v3/message", headers=headers,
                           json=sms("m1", type="mms", content={"mms": {"file": images}}))
        titled = client.post("/v3/message", headers=headers,
                             json=sms("m2", type="mms", content={"mms": {"subject": "제목", "file": images}}))
        empty = client.post("/v3/message", headers=headers,
                            json=sms("m3", type="mms", content={"mms": {"message": "", "file": images}}))
        no_sms_text = client.post("/v3/message", headers=headers, json=sms("s1", content={"sms": {}}))
    assert [a.json()["code"] for a in (bare, titled, empty)] == [1000, 1000, 1000]
    assert no_sms_text.status_code == 400 and no_sms_text.json()["code"] == 2000  # SMS: required
    assert sim.accepted() == {"m1": 1, "m2": 1, "m3": 1}


def test_file_account_is_optional(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        anonymous = client.post("/v1/file", files={"file": ("a.jpg", JPEG)})
        stranger = client.post("/v1/file", data={"account": "nobody"}, files={"file": ("a.jpg", JPEG)})
    assert anonymous.status_code == 200 and anonymous.json()["filekey"].endswith(".jpg")
    assert stranger.status_code == 400 and stranger.json()["code"] == 3004


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v2/message"), ("POST", "/nothing"), ("GET", "/v3/message")],
)
def test_unknown_resource_is_5001_with_http_400(sim, method, path):
    with httpx.Client(base_url=sim.base_url) as client:
        answer = client.request(method, path, json=sms())
    assert answer.status_code == 400 and answer.json()["code"] == 5001
    assert sim.accepted() == {}


def test_every_error_is_http_400_with_its_code_in_the_body(sim):
    with httpx.Client(base_url=sim.base_url) as client:
        answers = {
            3001: client.post("/v1/token", auth=("test", "nope")),
            3002: client.post("/v3/message", json=sms(), headers={"Authorization": "Bearer nope"}),
            2000: client.post("/v3/message", json=sms(type="fax"), headers=token_of(client)),
            3004: client.post("/v1/result/request", json={"account": "x"}, headers=token_of(client)),
        }
        sim.api.expire_tokens()
        answers[3005] = client.post("/v1/result/confirm", json={"account": "test", "msgid": []},
                                    headers={"Authorization": f"Bearer {next(iter(sim.api.tokens))}"})
    for code, answer in answers.items():
        assert (answer.status_code, answer.json()["code"]) == (400, code), answer.text
