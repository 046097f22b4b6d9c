"""Bizppurio's bearer token for one operation (:class:`Session`: got with Basic auth,
shared by its concurrent requests, cached in the journal through the vendor's events,
renewed on 3002/3005) and how its answers are read (:func:`result_code`, :func:`retryable`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smscli import clock
from smscli.errors import AuthError, UnreachableError, VendorError
from smscli.vendors.bizppurio_reports import KST, NAME

if TYPE_CHECKING:
    import httpx

    from smscli.transports.http import AsyncHttpClient
    from smscli.vendors.bizppurio import BizppurioVendor

TOKEN_CODES = frozenset({"3002", "3005"})  # invalid / expired token: get a new one, retry
TOKEN_TRIES = 3  # tries of one request with a token the server refuses as invalid or expired
RETRY_CODES = frozenset({"5002", "5003", "5004", "5005"})  # rate limited / temporary


def result_code(data: Mapping[str, Any]) -> str:
    value = data.get("code", "")
    return "" if value is None else str(value).strip()


def retryable(response: httpx.Response) -> bool:
    """Worth repeating: HTTP 429, codes 5002–5005, or a bare 503 (nothing processed)."""
    from smscli.transports.http import json_body

    if response.status_code == 429:
        return True
    code = result_code(json_body(response))
    return code in RETRY_CODES or (not code and response.status_code == 503)


class Session:
    """One operation's client plus the bearer token its concurrent requests share."""

    def __init__(self, vendor: BizppurioVendor, client: AsyncHttpClient) -> None:
        import asyncio

        self.vendor = vendor
        self.client = client
        self.current: str | None = None
        self.use_until = 0.0
        self.lock = asyncio.Lock()

    async def token(self) -> str:
        if self.current and clock.time() < self.use_until:
            return self.current
        async with self.lock:
            if self.current and clock.time() < self.use_until:
                return self.current
            cached = self._cached()
            if cached is not None:
                self.current, self.use_until = cached
                return self.current
            return await self._fetch()

    async def refresh(self, stale: str) -> str:
        async with self.lock:
            if self.current and self.current != stale and clock.time() < self.use_until:
                return self.current
            forget = getattr(self.vendor.events, "token_delete", None)
            if forget:
                forget(self.vendor.token_key)
            self.current = None
            return await self._fetch()

    def _cached(self) -> tuple[str, float] | None:
        getter = getattr(self.vendor.events, "token_get", None)
        entry = getter(self.vendor.token_key) if getter else None
        if entry and entry[0] and clock.time() < float(entry[1]):
            token = self.vendor.credentials.open(str(entry[0]))  # None: not one this password sealed
            return None if token is None else (token, float(entry[1]))
        return None

    async def _fetch(self) -> str:
        from smscli.transports.http import code_meaning, json_body

        vendor = self.vendor
        password = vendor.profile.secret("password")
        response = await self.client.request(
            "POST", "/v1/token", auth=(vendor.account, password), retry_on=retryable, idempotent=True,
        )
        data = json_body(response)
        token = data.get("accesstoken")
        code = result_code(data)
        if response.status_code < 300 and isinstance(token, str) and token and not code:
            expires = _expiry(data.get("expired"))
            now = clock.time()
            lifetime = max(0.0, expires - now)
            use_until = expires - min(3600.0, 0.05 * lifetime)
            self.current, self.use_until = token, use_until
            putter = getattr(vendor.events, "token_put", None)
            if putter:
                putter(vendor.token_key, vendor.credentials.seal(token), use_until)  # never in the clear
            return token
        meaning = code_meaning(NAME, code, str(data.get("description") or "no description"))
        if response.status_code in (401, 403) or code.startswith("30"):
            raise AuthError(
                f"bizppurio refused account {vendor.account!r}: {code or response.status_code} {meaning}",
                hint=f"check account and password of profile {getattr(vendor.profile, 'name', '?')!r}",
            )
        shown = f"{code or 'HTTP ' + str(response.status_code)} {meaning}"
        if code in RETRY_CODES or (not code and response.status_code >= 500):
            raise UnreachableError(f"bizppurio at {self.client.settings.host} keeps failing: {shown}",
                                   hint="try again later")
        raise VendorError(f"bizppurio token request failed: {shown}", code=code or None)

    async def call(self, path: str, body: dict[str, Any], *, idempotent: bool) -> tuple[httpx.Response, dict[str, Any]]:
        """POST JSON with the bearer token; on 3002/3005 a new token and a retry, at most
        ``TOKEN_TRIES`` tries in all (the token another request renewed a moment ago may
        itself run out on its way, when the machine is slow and the token short-lived)."""
        from smscli.transports.http import json_body

        token = await self.token()
        for tried in range(1, TOKEN_TRIES + 1):
            response = await self.client.request(
                "POST", path, json=body, headers={"Authorization": f"Bearer {token}"},
                retry_on=retryable, idempotent=idempotent,
            )
            data = json_body(response)
            if result_code(data) not in TOKEN_CODES or tried == TOKEN_TRIES:
                return response, data
            token = await self.refresh(token)
        raise AssertionError("unreachable")


def _expiry(value: Any) -> float:
    """``yyyyMMddHHmmss`` in Korea time → Unix seconds; 24 h from now if unreadable."""
    try:
        return datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=KST).timestamp()
    except ValueError:
        return clock.time() + 86400.0
