"""The shared HTTP layer: retry policy, server-directed waits, error mapping (MockTransport),
and real-socket failures on loopback."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from email.utils import formatdate

import httpx
import pytest

from smscli import clock
from smscli.errors import ConfigError, UnreachableError
from smscli.transports.http import (
    AnswerLost,
    AsyncHttpClient,
    HttpClient,
    HttpSettings,
    RetryPolicy,
    code_meaning,
    json_body,
    rejected_result,
    server_wait,
)

FAST = RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.05, wait_cap=5.0, patience=10.0)


def retry_5xx_and_429(response: httpx.Response) -> bool:
    return response.status_code >= 500 or response.status_code == 429


def scripted(answers: list):
    """A MockTransport handler answering from a script; records every request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def sync_client(handler, policy=FAST, base="http://user:s3cret@api.example.test:8443"):
    sleeps: list[float] = []
    client = HttpClient(
        HttpSettings(base_url=base), policy, transport=httpx.MockTransport(handler),
        sleep=sleeps.append, rng=random.Random(1),
    )
    return client, sleeps


# -- server_wait -------------------------------------------------------------------------


def test_server_wait_reads_delta_seconds_dates_and_unix_times():
    assert server_wait({"RateLimit-Reset": "3"}) == 3.0
    assert server_wait({"Retry-After": "1.5"}) == 1.5
    assert server_wait({"RateLimit-Reset": "2", "Retry-After": "9"}) == 2.0
    assert server_wait({"RateLimit-Reset": str(1_900_000_010)}, now=1_900_000_000) == 10.0
    date = formatdate(1_900_000_030, usegmt=True)
    assert server_wait({"Retry-After": date}, now=1_900_000_000) == pytest.approx(30.0)
    assert server_wait({"Retry-After": "-4"}) == 0.0
    assert server_wait({"Retry-After": "soon"}) is None
    assert server_wait({}) is None


def test_server_wait_skips_a_malformed_header_for_the_next_one():
    assert server_wait({"RateLimit-Reset": "Tuesday-ish", "Retry-After": "5"}) == 5.0
    assert server_wait({"X-RateLimit-Reset": "later", "Retry-After": "7"}) == 7.0


def test_server_wait_reads_values_above_1e9_as_unix_times():
    now = 999_999_990.0
    assert server_wait({"RateLimit-Reset": "1000000000"}, now=now) == 1e9  # still a delta
    assert server_wait({"RateLimit-Reset": "1000000000.5"}, now=now) == pytest.approx(10.5)
    assert server_wait({"RateLimit-Reset": "1000000001"}, now=now) == pytest.approx(11.0)


class FixedDraw(random.Random):
    """An rng whose every draw is ``value`` (to see exact delays)."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_default_policy_backoff_delays():
    policy = RetryPolicy()
    assert [RetryPolicy(jitter=0).backoff(n) for n in (1, 2, 3, 4, 5, 6, 10)] == [
        0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    # half of each delay is drawn at random
    assert policy.backoff(1, FixedDraw(0.0)) == 0.125 and policy.backoff(1, FixedDraw(1.0)) == 0.25
    assert policy.backoff(10, FixedDraw(0.0)) == 4.0 and policy.backoff(10, FixedDraw(1.0)) == 8.0


def test_default_policy_tries_five_times():
    handler, seen = scripted([httpx.Response(503)])
    sleeps: list[float] = []
    client = HttpClient(HttpSettings(base_url="http://api.example.test"), transport=httpx.MockTransport(handler),
                        sleep=sleeps.append, rng=FixedDraw(1.0))
    assert client.request("POST", "/x", retry_on=retry_5xx_and_429).status_code == 503
    assert len(seen) == 5 and sleeps == [0.25, 0.5, 1.0, 2.0]


def test_jitter_is_the_fraction_of_the_delay_drawn_at_random():
    for jitter in (0.2, 0.5, 1.0):
        policy = RetryPolicy(backoff_base=0.5, jitter=jitter)
        assert policy.backoff(1, FixedDraw(0.0)) == pytest.approx(0.5 * (1 - jitter))
        assert policy.backoff(1, FixedDraw(0.5)) == pytest.approx(0.5 * (1 - jitter / 2))
        assert policy.backoff(1, FixedDraw(1.0)) == pytest.approx(0.5)
    delays = {RetryPolicy(backoff_base=2.0).backoff(1, random.Random(s)) for s in range(20)}
    assert len(delays) > 10 and all(1.0 <= d <= 2.0 for d in delays)


def test_no_jitter_and_never_a_negative_delay():
    for jitter in (0.0, -0.5, -2.0):
        assert RetryPolicy(backoff_base=0.25, jitter=jitter).backoff(1, FixedDraw(0.0)) == 0.25
        assert RetryPolicy(backoff_base=3.0, jitter=jitter).backoff(1, FixedDraw(0.0)) == 3.0
    for base in (-0.5, -3.0):  # a sleep of less than 0 s would make time.sleep raise
        for jitter in (0.0, 0.5):
            assert RetryPolicy(backoff_base=base, jitter=jitter).backoff(1, FixedDraw(0.0)) == 0.0


def test_attempts_below_one_still_try_once():
    answers = [httpx.Response(503)] * 9 + [httpx.Response(200)]
    handler, seen = scripted(answers)
    client, sleeps = sync_client(handler, RetryPolicy(attempts=0, backoff_base=0.01))
    assert client.request("POST", "/x", retry_on=retry_5xx_and_429).status_code == 503
    assert len(seen) == 1 and sleeps == []


def test_backoff_grows_exponentially_with_bounded_jitter_and_cap():
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0, jitter=0.5)
    rng = random.Random(7)
    for failures, nominal in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        for _ in range(50):
            delay = policy.backoff(failures, rng)
            assert nominal * 0.5 <= delay <= nominal
    assert RetryPolicy(backoff_base=0.5, jitter=0).backoff(2) == 1.0


# -- retries on answers ------------------------------------------------------------------


def test_retryable_answers_are_retried_then_success_returned():
    handler, seen = scripted([httpx.Response(503), httpx.Response(503), httpx.Response(200, json={"ok": 1})])
    client, sleeps = sync_client(handler)
    response = client.request("POST", "/v3/message", json={"a": 1}, retry_on=retry_5xx_and_429)
    assert response.status_code == 200 and json_body(response) == {"ok": 1}
    assert len(seen) == 3 and len(sleeps) == 2
    assert sleeps[0] < sleeps[1] or sleeps[1] >= FAST.backoff_base


def test_attempts_exhausted_returns_last_answer_for_the_caller_to_read():
    handler, seen = scripted([httpx.Response(503, json={"code": 5003})])
    client, sleeps = sync_client(handler)
    response = client.request("POST", "/x", retry_on=retry_5xx_and_429)
    assert response.status_code == 503 and json_body(response)["code"] == 5003
    assert len(seen) == FAST.attempts and len(sleeps) == FAST.attempts - 1


def test_without_predicate_nothing_is_retried():
    handler, seen = scripted([httpx.Response(503)])
    client, _ = sync_client(handler)
    assert client.request("GET", "/x").status_code == 503
    assert len(seen) == 1


def test_rate_limit_waits_what_the_server_says_without_using_attempts():
    limited = httpx.Response(429, headers={"RateLimit-Reset": "1"}, json={"code": 5002})
    handler, seen = scripted([limited] * 6 + [httpx.Response(200)])
    client, sleeps = sync_client(handler)
    assert client.request("POST", "/x", retry_on=retry_5xx_and_429).status_code == 200
    assert len(seen) == 7  # six 429s though attempts = 3
    assert len(sleeps) == 6 and all(1.0 <= s <= 1.1 for s in sleeps)


def test_server_wait_is_capped_and_patience_bounds_the_total():
    limited = httpx.Response(429, headers={"Retry-After": "3600"})
    handler, seen = scripted([limited])
    client, sleeps = sync_client(handler)
    response = client.request("POST", "/x", retry_on=retry_5xx_and_429)
    assert response.status_code == 429
    assert all(s <= FAST.wait_cap + 1.0 for s in sleeps)
    assert sum(sleeps) <= FAST.patience
    assert len(seen) == len(sleeps) + 1 == 2  # 5 s + jitter fits once into 10 s of patience


def test_default_policy_caps_server_waits_at_60_s_and_300_s_in_all():
    long = httpx.Response(429, headers={"Retry-After": "3600"})
    handler, seen = scripted([long] * 5 + [httpx.Response(429, headers={"Retry-After": "0.5"}), httpx.Response(200)])
    sleeps: list[float] = []
    client = HttpClient(HttpSettings(base_url="http://api.example.test"), transport=httpx.MockTransport(handler),
                        sleep=sleeps.append, rng=FixedDraw(0.0))
    response = client.request("POST", "/x", retry_on=retry_5xx_and_429)
    assert sleeps == [60.0] * 5  # exactly 300 s fits; half a second more does not
    assert response.status_code == 429 and len(seen) == 6


def test_server_waits_get_up_to_a_tenth_more_at_most_one_second():
    for asked, extra in [("60", 1.0), ("5", 0.5), ("0.5", 0.05), ("0", 0.005)]:
        handler, _ = scripted([httpx.Response(503, headers={"Retry-After": asked}), httpx.Response(200)])
        sleeps: list[float] = []
        client = HttpClient(HttpSettings(base_url="http://api.example.test"), transport=httpx.MockTransport(handler),
                            sleep=sleeps.append, rng=FixedDraw(0.5))
        client.request("POST", "/x", retry_on=retry_5xx_and_429)
        assert sleeps == [pytest.approx(float(asked) + extra * 0.5)], asked


def test_retry_after_http_date_is_honoured():
    when = formatdate(clock.time() + 4, usegmt=True)
    handler, _ = scripted([httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200)])
    client, sleeps = sync_client(handler)
    client.request("GET", "/x", retry_on=retry_5xx_and_429)
    assert 2.5 <= sleeps[0] <= 5.5


# -- transport errors --------------------------------------------------------------------


def test_connect_errors_are_retried_then_unreachable_naming_host_not_credentials():
    handler, seen = scripted([httpx.ConnectError("[Errno 111] Connection refused")])
    client, sleeps = sync_client(handler)
    with pytest.raises(UnreachableError) as info:
        client.request("POST", "/v1/token")
    text = str(info.value)
    assert "api.example.test:8443" in text and "connection refused" in text and "3 attempts" in text
    assert "s3cret" not in text and "user" not in text
    assert info.value.exit_status == 4 and not isinstance(info.value, AnswerLost)
    assert len(seen) == 3 and len(sleeps) == 2


def test_connect_error_then_success():
    handler, seen = scripted([httpx.ConnectTimeout("slow"), httpx.Response(200)])
    client, _ = sync_client(handler)
    assert client.request("POST", "/x").status_code == 200 and len(seen) == 2


def test_read_timeout_on_a_non_idempotent_request_is_not_repeated():
    handler, seen = scripted([httpx.ReadTimeout("slow")])
    client, sleeps = sync_client(handler)
    with pytest.raises(AnswerLost) as info:
        client.request("POST", "/v3/message")
    assert len(seen) == 1 and sleeps == []
    assert "no answer from api.example.test:8443" in str(info.value)
    assert info.value.exit_status == 4


def test_read_timeout_on_an_idempotent_request_is_retried():
    handler, seen = scripted([httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("closed"), httpx.Response(200)])
    client, _ = sync_client(handler)
    assert client.request("POST", "/v1/result/request", idempotent=True).status_code == 200
    assert len(seen) == 3


def test_bad_base_url_is_a_config_error():
    with pytest.raises(ConfigError):
        client = HttpClient(HttpSettings(base_url="ftp://x.test"), FAST)
        client.request("GET", "/")


def test_unreadable_ca_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        HttpClient(HttpSettings(base_url="https://x.test", ca_file=str(tmp_path / "none.pem")), FAST)
    assert "ca_file" in str(info.value)


# -- async twin --------------------------------------------------------------------------


def test_async_client_shares_the_policy():
    async def main():
        limited = httpx.Response(429, headers={"RateLimit-Reset": "0.5"})
        answers = [limited, httpx.Response(503), httpx.Response(200, json={"code": 1000})]
        seen: list[httpx.Request] = []

        async def handler(request):
            seen.append(request)
            return answers.pop(0)

        sleeps: list[float] = []

        async def sleep(s):
            sleeps.append(s)

        async with AsyncHttpClient(
            HttpSettings(base_url="http://api.example.test"), FAST,
            transport=httpx.MockTransport(handler), sleep=sleep,
        ) as client:
            response = await client.request("POST", "/x", retry_on=retry_5xx_and_429)
        return response, seen, sleeps

    response, seen, sleeps = asyncio.run(main())
    assert json_body(response) == {"code": 1000} and len(seen) == 3
    assert 0.5 <= sleeps[0] <= 0.6 and sleeps[1] <= FAST.backoff_base


def test_async_connect_errors_end_unreachable():
    async def main():
        async def handler(request):
            raise httpx.ConnectError("refused")

        async with AsyncHttpClient(
            HttpSettings(base_url="http://api.example.test"), FAST, transport=httpx.MockTransport(handler),
            sleep=lambda s: asyncio.sleep(0),
        ) as client:
            await client.request("POST", "/x")

    with pytest.raises(UnreachableError, match="cannot reach api.example.test"):
        asyncio.run(main())


# -- real sockets on loopback -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(10)
def test_real_refused_port_is_unreachable_quickly():
    port = free_port()
    client = HttpClient(HttpSettings(base_url=f"http://127.0.0.1:{port}", connect_timeout=1), FAST)
    with pytest.raises(UnreachableError, match=f"cannot reach 127.0.0.1:{port}: connection refused"):
        client.request("POST", "/v1/token")


@pytest.mark.timeout(10)
def test_real_silent_server_gives_answer_lost_after_read_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]
    try:
        settings = HttpSettings(base_url=f"http://127.0.0.1:{port}", read_timeout=0.3)
        with HttpClient(settings, FAST) as client, pytest.raises(AnswerLost, match="read timeout"):
            client.request("POST", "/v3/message", json={})
    finally:
        for s in accepted:
            s.close()
        listener.close()


# -- codes ------------------------------------------------------------------------------


def test_rejected_result_carries_code_and_a_meaning():
    result = rejected_result(to="010", message_id="m1", vendor="bizppurio", type="sms",
                             code="2000", description="invalid message")
    assert result.status == "rejected" and result.code == "2000"
    assert result.detail  # the code table's meaning, or the server's description
    assert code_meaning("bizppurio", "no-such-code", "server says so") == "server says so"


@pytest.mark.timeout(10)
def test_async_refused_and_unknown_host_name_the_os_reason():
    port = free_port()

    async def attempt(url: str) -> None:
        async with AsyncHttpClient(HttpSettings(base_url=url, connect_timeout=2), FAST) as client:
            await client.request("GET", "/")

    with pytest.raises(UnreachableError, match=f"cannot reach 127.0.0.1:{port}: connection refused after 3"):
        asyncio.run(attempt(f"http://127.0.0.1:{port}"))
    with pytest.raises(UnreachableError, match="cannot reach nonexistent.invalid: host name not found"):
        asyncio.run(attempt("http://nonexistent.invalid"))
