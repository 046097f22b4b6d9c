"""One HTTP layer for the HTTP vendors (Bizppurio, BizNetShot): timeouts, retries with
exponential backoff and jitter that honour ``RateLimit-Reset`` / ``Retry-After``, a sync and
an async client over keep-alive sharing one policy, and transport errors mapped to smscli
errors naming only the host.

httpx is imported inside functions so that importing this module stays cheap.

Which answers are worth retrying is the caller's business (a predicate on the response);
what this layer decides is *whether a failed exchange may be repeated*: a request that never
left (connect refused, connect timeout, no pool slot) is always safe to repeat; one that may
have reached the server (read timeout, dropped connection) is repeated only when the caller
says the request is idempotent, else it ends in :class:`AnswerLost` so the caller can record
the message as ``unknown`` rather than risk sending it twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from smscli import clock
from smscli.errors import ConfigError, UnreachableError
from smscli.models import REJECTED, SendResult

if TYPE_CHECKING:
    import httpx

RetryOn = Callable[["httpx.Response"], bool]


class AnswerLost(UnreachableError):
    """The request may have reached the server but no answer came back (read timeout,
    connection dropped mid-exchange). Not repeated for non-idempotent requests."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    ``attempts`` counts every try of one request (1 = no retry). Server-directed waits
    (a retryable answer carrying ``RateLimit-Reset`` or ``Retry-After``) do not use up
    attempts; they are bounded by ``patience`` seconds in total per request instead, and
    each such wait by ``wait_cap``.
    """

    attempts: int = 5
    backoff_base: float = 0.25  # first backoff delay, doubled on every further attempt
    backoff_max: float = 8.0  # cap of one exponential backoff delay
    jitter: float = 0.5  # fraction of each delay drawn at random (0 = none)
    wait_cap: float = 60.0  # cap of one server-requested wait
    patience: float = 300.0  # total seconds of server-requested waits per request

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """Delay before the retry that follows ``failures`` failed attempts (>= 1)."""
        delay = min(self.backoff_max, self.backoff_base * (2 ** max(0, failures - 1)))
        return _jittered(delay, self.jitter, rng)


@dataclass(frozen=True)
class HttpSettings:
    """Connection settings: where, how long, how many, which certificates."""

    base_url: str
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_connections: int = 8
    verify_tls: bool = True
    ca_file: str | None = None
    headers: Mapping[str, str] | None = None
    user_agent: str = "smscli"
    config_key: str = "base_url"  # the profile key that holds base_url, named in hints

    @property
    def host(self) -> str:
        """``host[:port]`` of the base URL, without credentials (safe to print)."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or self.base_url
        return f"{host}:{parts.port}" if parts.port else host

    def verify(self) -> Any:
        """The ``verify`` argument for httpx: False, or an SSL context (system CAs or ca_file)."""
        if not self.verify_tls:
            return False
        import ssl

        try:
            return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"cannot read ca_file {self.ca_file}: {exc.strerror or exc}",
                hint="point ca_file at a PEM certificate file",
            ) from None

    def client_kwargs(self) -> dict[str, Any]:
        import httpx

        headers = {"User-Agent": self.user_agent, **(self.headers or {})}
        return {
            "base_url": self.base_url,
            "timeout": httpx.Timeout(
                connect=self.connect_timeout, read=self.read_timeout, write=self.read_timeout, pool=None
            ),
            "limits": httpx.Limits(
                max_connections=self.max_connections,
                max_keepalive_connections=self.max_connections,
                keepalive_expiry=30.0,
            ),
            "verify": self.verify(),
            "headers": headers,
            "follow_redirects": False,
            "trust_env": False,
        }


# ---------------------------------------------------------------------------------------
# The policy, shared by both clients: given what happened, wait how long (or give up).


def _jittered(delay: float, jitter: float, rng: random.Random | None) -> float:
    if delay <= 0 or jitter <= 0:
        return max(0.0, delay)
    draw = (rng or random).random()
    return delay * (1 - jitter) + delay * jitter * draw


def server_wait(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``RateLimit-Reset`` or ``Retry-After``), or None.

    ``RateLimit-Reset`` is delta seconds (a value that looks like a Unix time is taken as
    one); ``Retry-After`` is delta seconds or an HTTP date. Negative values become 0.
    """
    now = clock.time() if now is None else now
    for name in ("RateLimit-Reset", "X-RateLimit-Reset", "Retry-After"):
        raw = headers.get(name)
        if raw is None or not raw.strip():
            continue
        raw = raw.strip()
        try:
            value = float(raw)
        except ValueError:
            try:
                value = parsedate_to_datetime(raw).timestamp() - now
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
        else:
            if value > 1e9:  # an absolute Unix time, not a delta
                value -= now
        return max(0.0, value)
    return None


class _Tries:
    """Book-keeping of one request's retries; says how long to wait before the next try."""

    def __init__(self, policy: RetryPolicy, rng: random.Random | None) -> None:
        self.policy = policy
        self.rng = rng
        self.failures = 0  # failed attempts that count against policy.attempts
        self.waited = 0.0  # server-directed waiting so far

    def after_answer(self, response: httpx.Response) -> float | None:
        """A retryable answer came: the delay before retrying, or None to give up."""
        asked = server_wait(response.headers)
        if asked is not None:
            delay = min(asked, self.policy.wait_cap)
            # spread the herd a little: up to 10% (at most 1 s) on top of the server's figure
            delay += min(1.0, 0.1 * max(delay, 0.05)) * (self.rng or random).random()
            if self.waited + delay > self.policy.patience:
                return None
            self.waited += delay
            return delay
        return self._count_failure()

    def after_error(self) -> float | None:
        """A transport error: the delay before retrying, or None to give up."""
        return self._count_failure()

    def _count_failure(self) -> float | None:
        self.failures += 1
        if self.failures >= self.policy.attempts:
            return None
        return self.policy.backoff(self.failures, self.rng)


# ---------------------------------------------------------------------------------------
# Transport errors → smscli errors.


def _not_sent_errors() -> tuple[type[BaseException], ...]:
    import httpx

    return (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes / contexts, outermost first."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and all(cur is not s for s in seen):
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _cert_failure(exc: BaseException) -> bool:
    import ssl

    chain = _chain(exc)
    return any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or any(
        "CERTIFICATE_VERIFY_FAILED" in str(e) for e in chain
    )


def _reason(exc: BaseException) -> str:
    import httpx

    reason = getattr(exc, "reason", None)  # the lean client's errors say it themselves
    if isinstance(reason, str) and reason and not isinstance(exc, httpx.HTTPError):
        return reason

    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, httpx.ReadTimeout):
        return "no answer within the read timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection closed by the server"
    import socket

    for cause in _chain(exc):  # the OS error underneath says more than "all attempts failed"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host name not found"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "host name not found"
    return text[:120]


def _final_error(exc: BaseException, settings: HttpSettings, tries: int, lost: bool) -> Exception:
    """The error to raise after the last try; ``lost``: the last try may have reached the
    server (a non-idempotent request is never repeated then; an idempotent one was, in vain)."""
    host = settings.host
    if _cert_failure(exc):
        return ConfigError(
            f"TLS certificate of {host} is not trusted",
            hint="set ca_file to the server's CA certificate, or verify_tls = false for a local simulator",
        )
    times = f" after {tries} attempts" if tries > 1 else ""
    if lost:
        return AnswerLost(f"no answer from {host}: {_reason(exc)}{times}", hint="the request may have arrived")
    return UnreachableError(
        f"cannot reach {host}: {_reason(exc)}{times}", hint=f"check {settings.config_key} and the network"
    )


def _invalid_url(settings: HttpSettings) -> ConfigError:
    return ConfigError(f"invalid {settings.config_key} for host {settings.host!r}", hint="use https://host[:port]")


# ---------------------------------------------------------------------------------------
# The clients.


class HttpClient:
    """A synchronous client: ``request()`` retries by the policy and maps errors."""

    def __init__(
        self,
        settings: HttpSettings,
        policy: RetryPolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        import httpx

        self.settings = settings
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = rng
        try:
            self._client = httpx.Client(transport=transport, **settings.client_kwargs())
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise _invalid_url(settings) from None

    def request(
        self,
        method: str,
        url: str,
        *,
        retry_on: RetryOn | None = None,
        idempotent: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send; retry answers ``retry_on`` accepts and transport errors the policy allows.
        The last answer is returned even when still retryable (the caller reads its code)."""
        import httpx

        tries = _Tries(self.policy, self._rng)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._client.request(method, url, **kwargs)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol):
                raise _invalid_url(self.settings) from None
            except httpx.TransportError as exc:
                sent_maybe = not isinstance(exc, _not_sent_errors())
                delay = None if _cert_failure(exc) or (sent_maybe and not idempotent) else tries.after_error()
                if delay is None:
                    raise _final_error(exc, self.settings, attempt, sent_maybe) from None
                self._sleep(delay)
                continue
            if retry_on is None or not retry_on(response):
                return response
            response.read()
            delay = tries.after_answer(response)
            if delay is None:
                return response
            self._sleep(delay)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_LEAN_KWARGS = frozenset({"json", "headers"})


class AsyncHttpClient:
    """The asyncio twin of :class:`HttpClient`: one bounded pool of keep-alive connections
    shared by every concurrent ``request()``; same policy, same error mapping."""

    def __init__(
        self,
        settings: HttpSettings,
        policy: RetryPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        import asyncio

        import httpx

        self.settings = settings
        self.policy = policy or RetryPolicy()
        self._sleep = sleep or asyncio.sleep
        self._rng = rng
        kwargs = settings.client_kwargs()
        try:
            self._client = httpx.AsyncClient(transport=transport, **kwargs)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise _invalid_url(settings) from None
        # Plain JSON requests go over the lean HTTP/1.1 client (httpx's per-request cost
        # is most of a Bizppurio send); a test transport keeps everything on httpx.
        self._lean = None
        if transport is None:
            from smscli.transports.http1 import LeanClient

            try:
                self._lean = LeanClient(
                    settings.base_url, connect_timeout=settings.connect_timeout,
                    read_timeout=settings.read_timeout, max_connections=settings.max_connections,
                    verify=kwargs["verify"], headers=dict(kwargs["headers"]))
            except ValueError:
                self._lean = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        retry_on: RetryOn | None = None,
        idempotent: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """See :meth:`HttpClient.request`."""
        import httpx

        from smscli.transports.http1 import LeanError, NotSent

        lean = self._lean if self._lean is not None and url.startswith("/") and kwargs.keys() <= _LEAN_KWARGS else None
        tries = _Tries(self.policy, self._rng)
        attempt = 0
        while True:
            attempt += 1
            try:
                if lean is not None:
                    response = await lean.request(method, url, **kwargs)
                else:
                    response = await self._client.request(method, url, **kwargs)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol):
                raise _invalid_url(self.settings) from None
            except (httpx.TransportError, LeanError) as exc:
                sent_maybe = not isinstance(exc, _not_sent_errors() + (NotSent,))
                delay = None if _cert_failure(exc) or (sent_maybe and not idempotent) else tries.after_error()
                if delay is None:
                    raise _final_error(exc, self.settings, attempt, sent_maybe) from None
                await self._sleep(delay)
                continue
            if retry_on is None or not retry_on(response):
                return response
            await response.aread()
            delay = tries.after_answer(response)
            if delay is None:
                return response
            await self._sleep(delay)

    async def aclose(self) -> None:
        if self._lean is not None:
            await self._lean.aclose()
        await self._client.aclose()

    async def __aenter__(self) -> AsyncHttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# ---------------------------------------------------------------------------------------
# Vendor codes → meanings / rejected results.


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when the body is not a JSON object."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def code_meaning(vendor: str, code: str, fallback: str = "") -> str:
    """The meaning of a vendor result code from ``smscli.codes``, else ``fallback`` (the
    server's own description)."""
    try:
        from smscli.codes import describe  # type: ignore[attr-defined]
    except ImportError:
        return fallback
    try:
        entry = describe(vendor, str(code))
    except (LookupError, ValueError):
        return fallback
    meaning = getattr(entry, "meaning", None) if entry is not None else None
    return str(meaning) if meaning else fallback


def rejected_result(
    *, to: str, message_id: str, vendor: str, type: str, code: str, description: str = ""
) -> SendResult:
    """A ``rejected`` result carrying the code, its meaning from the code tables and the
    server's own description when it adds something (``메시지가 유효하지 않음 (refkey too long)``)."""
    meaning = code_meaning(vendor, str(code), description)
    if description and description != meaning:
        meaning = f"{meaning} ({description})"
    return SendResult(
        to=to,
        status=REJECTED,
        message_id=message_id,
        vendor=vendor,
        type=type,
        code=str(code),
        detail=meaning,
    )
