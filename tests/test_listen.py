"""The result listener over real sockets: Bizppurio POST JSON and BizNetShot GET, bad pushes."""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest

from smscli.errors import UsageError
from smscli.listen import ResultListener, parse_request, serve

HTTP = httpx.Client(timeout=5, trust_env=False)

PUSH = {  # the example of the Bizppurio push document (004)
    "DEVICE": "SMS", "CMSGID": "201027134355944sms027420servqer0",
    "MSGID": "1027se_SL4676027383600490148", "PHONE": "01000000000", "MEDIA": "SMS",
    "UNIXTIME": "1603773837", "RESULT": "4100", "USERDATA": "daoutech", "WAPINFO": "SKT",
    "REFKEY": "smstest00001",
}
NETSHOT = {"resultCode": "1", "corpfrcode": "2007102200001", "sendNumber": "011-1234-5678",
           "sdate": "2007-10-22", "stime": "17:35:40", "edate": "2007-10-22", "etime": "18:00:12",
           "page": "3", "price": "3"}


class Store:
    def __init__(self) -> None:
        self.reports: list = []
        self.threads: set[str] = set()
        self.fail = False

    def __call__(self, reports) -> None:
        self.threads.add(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("journal locked")
        self.reports.extend(reports)


@pytest.fixture
def store():
    return Store()


@pytest.fixture
def listener(store):
    lines: list[str] = []
    ids = {("bizppurio", "201027134355944sms027420servqer0", "01000000000"): "msg-1",
           ("netshot", "2007102200001", "01112345678"): "msg-2"}
    with ResultListener(store, resolve=lambda v, k, p: ids.get((v, k, p)), port=0,
                        log=lines.append) as server:
        server.lines = lines
        yield server


def test_bizppurio_push_becomes_a_delivered_report(listener, store):
    response = HTTP.post(listener.url + "bizppurio/result", json=PUSH)
    assert response.status_code == 200
    (report,) = store.reports
    assert report.to_json() == {
        "message_id": "msg-1", "to": "01000000000", "status": "delivered", "code": "4100",
        "detail": report.detail, "vendor": "bizppurio", "delivered_at": "2020-10-27T13:43:57+09:00",
    }
    assert report.detail  # the code's meaning, or the code itself without the code tables
    assert report.extra["msgid"] == PUSH["MSGID"] and report.extra["server_id"] == PUSH["CMSGID"]
    assert listener.lines[-1].endswith("-> 200 bizppurio 1 report(s)")


def test_bizppurio_list_and_failures_and_unknown_ids(listener, store):
    items = [dict(PUSH, RESULT=6600, MEDIA="LMS"), dict(PUSH, RESULT="4401", CMSGID="other",
                                                         PHONE="010-9999-0000"),
             dict(PUSH, CMSGID="third", REFKEY=None)]
    assert HTTP.post(listener.url, json=items).status_code == 200
    first, second, third = store.reports
    assert (first.status, first.code, first.message_id) == ("delivered", "6600", "msg-1")
    assert (second.status, second.code, second.to) == ("failed", "4401", "01099990000")
    assert second.message_id == "smstest00001"  # unresolved: the refkey (= the message id)
    assert second.extra["server_id"] == "other" and second.delivered_at == ""  # failed: no time
    assert third.message_id == "" and third.extra["server_id"] == "third"  # the journal matches it


def test_lower_case_keys_of_the_polling_format_are_read_too(listener, store):
    item = {k.lower(): v for k, v in PUSH.items()}
    assert HTTP.post(listener.url, json=item).status_code == 200
    assert store.reports[0].message_id == "msg-1"


def test_netshot_get_on_any_path(listener, store):
    response = HTTP.get(listener.url + "cgi/result.php", params=NETSHOT)
    assert response.status_code == 200
    (report,) = store.reports
    assert (report.message_id, report.to, report.status, report.code) == (
        "msg-2", "01112345678", "delivered", "1")
    assert report.delivered_at == "2007-10-22T18:00:12+09:00"
    assert report.extra["price"] == "3" and report.extra["corpfrcode"] == "2007102200001"
    assert "01112345678" not in " ".join(listener.lines)  # numbers stay out of the log


def test_netshot_failure_code_and_euc_kr_query(listener, store):
    query = "resultCode=104&corpfrcode=abc&sendNumber=01055556666&etc=%C7%D1"  # 한 in EUC-KR
    assert HTTP.get(listener.url + "?" + query).status_code == 200
    (report,) = store.reports
    assert (report.status, report.code, report.message_id) == ("failed", "104", "")
    assert report.extra["server_id"] == "abc:01055556666"


@pytest.mark.parametrize(("method", "kwargs", "reason"), [
    ("POST", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}, "bad JSON"),
    ("POST", {"content": b"\xff\xfe{}"}, "not UTF-8"),
    ("POST", {"content": b""}, "empty body"),
    ("POST", {"json": []}, "empty JSON list"),
    ("POST", {"json": [PUSH, "x"]}, "item 1"),
    ("POST", {"json": {"RESULT": "4100"}}, "without PHONE, CMSGID"),
    ("GET", {"params": {"resultCode": "1"}}, "without corpfrcode, sendNumber"),
    ("GET", {}, "no result"),
])
def test_bad_pushes_are_400_with_a_reason_and_nothing_stored(listener, store, method, kwargs, reason):
    response = HTTP.request(method, listener.url + "push", **kwargs)
    assert response.status_code == 400
    assert reason in response.text
    assert reason in listener.lines[-1] and "-> 400" in listener.lines[-1]
    assert store.reports == []
    assert HTTP.post(listener.url, json=PUSH).status_code == 200  # still serving
    assert len(store.reports) == 1


def test_store_failure_is_500_and_the_listener_keeps_serving(listener, store):
    store.fail = True
    response = HTTP.post(listener.url, json=PUSH)
    assert response.status_code == 500 and "try again" in response.text
    assert "journal locked" in listener.lines[-1]
    store.fail = False
    assert HTTP.post(listener.url, json=PUSH).status_code == 200
    assert len(store.reports) == 1


def test_chunked_body_and_size_limit(listener, store):
    def chunks():
        data = json.dumps(PUSH).encode()
        yield data[:10]
        yield data[10:]

    assert HTTP.post(listener.url, content=chunks()).status_code == 200
    assert len(store.reports) == 1
    assert HTTP.post(listener.url, content=b"[" + b" " * (5 * 1024 * 1024) + b"]").status_code == 413


def test_on_reports_runs_on_one_dispatcher_thread(listener, store):
    threads = [threading.Thread(target=HTTP.post, args=(listener.url,), kwargs={"json": PUSH})
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(store.reports) == 8 and len(store.threads) == 1


def test_serve_forever_calls_on_reports_on_the_serving_thread(store):
    server = ResultListener(store, port=0)
    runner = threading.Thread(target=server.serve_forever, name="the-caller")
    runner.start()
    try:
        assert HTTP.post(server.url, json=PUSH).status_code == 200
    finally:
        server.stop()
        runner.join(timeout=5)
    assert store.threads == {"the-caller"} and not runner.is_alive()


def test_serve_on_a_busy_port_is_a_usage_error(store):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}") as err:
            serve(port=port, on_reports=store, log=None)
    assert err.value.exit_status == 2


def test_parse_request_is_usable_without_a_server():
    (report,) = parse_request("POST", "/x", "application/x-www-form-urlencoded",
                              b"resultCode=1&corpfrcode=k&sendNumber=01012345678")
    assert (report.vendor, report.status, report.message_id) == ("netshot", "delivered", "")
    assert report.extra["server_id"] == "k:01012345678"


def test_json_with_too_many_values_or_too_deep_is_refused_before_parsing() -> None:
    from smscli.listen import BadPush, parse_request

    for body, reason in (
        (b"[" * 5000 + b"]" * 5000, "JSON nested deeper than 32 levels"),
        (b"[" + b"[]," * 300_000 + b"[]]", "bad JSON: JSON holds more than 200000 values and keys"),
    ):
        try:
            parse_request("POST", "/", "application/json", body)
        except BadPush as exc:
            assert str(exc) == reason and exc.status == 400
        else:
            raise AssertionError("accepted")


@pytest.mark.parametrize(("times", "when"), [
    ({"edate": "2007-10-22", "etime": ""}, "2007-10-22T00:00:00+09:00"),  # no time: midnight
    ({"edate": "2007-13-40", "etime": "18:00:12"}, "2007-10-22T17:35:40+09:00"),  # bad end: the start
    ({"edate": "", "etime": "18:00:12"}, "2007-10-22T17:35:40+09:00"),
    ({"edate": "x", "sdate": "2007-10-22", "stime": "25:00:00"}, ""),  # neither readable
])
def test_netshot_delivery_time_is_the_end_else_the_start(listener, store, times, when):
    assert HTTP.get(listener.url, params={**NETSHOT, **times}).status_code == 200
    (report,) = store.reports
    assert (report.status, report.delivered_at) == ("delivered", when)
