"""A lean asyncio HTTP/1.1 client for the hot path of the HTTP vendors: JSON requests to
one origin over a bounded pool of keep-alive connections (TLS when the URL says https).

httpx costs about 1.8 ms of CPU per request on this path, most of it its own request and
response models; this client writes the request in one buffer and parses the answer with
``StreamReader`` (Content-Length, chunked, or read to the end). :class:`AsyncHttpClient`
uses it for plain JSON requests and keeps httpx for everything else (multipart uploads, a
test transport). Errors say whether the request may have reached the server:
:class:`NotSent` (no connection) or :class:`MaybeSent` (written, no complete answer).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import zlib
from typing import Any
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024  # status line and headers
MAX_BODY = 16 * 1024 * 1024
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


class LeanError(Exception):
    """A transport failure; ``reason`` is short and names no secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotSent(LeanError):
    """No connection could carry the request: it never left (safe to repeat)."""


class MaybeSent(LeanError):
    """The request was written (or being written) and no complete answer came back."""


class Headers(dict[str, str]):
    """Response headers by lower-case name; ``get`` and ``[]`` ignore case."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


class Response:
    """The part of ``httpx.Response`` the vendors read."""

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        coding = headers.get("content-encoding", "").strip().lower()
        if content and coding in ("gzip", "deflate"):  # asked for identity; some send it anyway
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS)
            try:
                content = inflate.decompress(content, MAX_BODY)  # a small body may inflate to GBs
            except zlib.error as exc:
                raise ValueError(f"bad {coding} body") from exc
            if inflate.unconsumed_tail:
                raise ValueError(f"{coding} body inflates past {MAX_BODY} bytes")
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)

    async def aread(self) -> bytes:
        return self.content

    def read(self) -> bytes:
        return self.content


class LeanClient:
    """JSON over HTTP/1.1 to ``base_url``'s origin; at most ``max_connections`` at once."""

    def __init__(self, base_url: str, *, connect_timeout: float, read_timeout: float,
                 max_connections: int, verify: Any, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be http(s)://host[:port]")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.ssl: ssl.SSLContext | None = _ssl_context(verify) if parts.scheme == "https" else None
        default_port = (parts.scheme == "https" and self.port == 443) or self.port == 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        authority = host if default_port else f"{host}:{self.port}"
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self._head = "".join(
            f"{_clean(k)}: {_clean(v)}\r\n"
            for k, v in {"Host": authority, "Accept": "*/*", "Accept-Encoding": "identity",
                         "Connection": "keep-alive", **headers}.items())
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, method: str, path: str, *, json: Any = None,
                      headers: dict[str, str] | None = None) -> Response:
        """One exchange; raises :class:`NotSent` or :class:`MaybeSent`."""
        body = b"" if json is None else _ENCODE(json).encode("utf-8")
        extra = "".join(f"{_clean(k)}: {_clean(v)}\r\n" for k, v in (headers or {}).items())
        kind = "Content-Type: application/json\r\n" if json is not None else ""
        data = (f"{_clean(method)} {self.prefix}{_clean(path)} HTTP/1.1\r\n{self._head}{extra}{kind}"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body
        async with self._slots:
            reader, writer = await self._connection()
            try:
                writer.write(data)
                async with asyncio.timeout(self.read_timeout):
                    await writer.drain()
                    response, keep = await _read_response(reader, method)
            except TimeoutError:
                writer.close()
                raise MaybeSent("no answer within the read timeout") from None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                writer.close()
                raise MaybeSent(_broken(exc)) from exc
            except BaseException:
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return response

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self._idle:  # the newest idle one; one the server closed meanwhile is dropped
            reader, writer = self._idle.pop()
            if not reader.at_eof() and not writer.transport.is_closing():
                return reader, writer
            writer.close()
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=self.ssl, limit=MAX_HEAD,
                                        server_hostname=self.host if self.ssl else None),
                self.connect_timeout)
        except TimeoutError:
            raise NotSent("connect timed out") from None
        except ssl.SSLError as exc:
            raise NotSent(exc.reason or "TLS handshake failed") from exc
        except OSError as exc:
            reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else (
                "host name not found" if exc.errno in (-2, -3, -5)
                else (exc.strerror or type(exc).__name__))
            raise NotSent(reason[:1].lower() + reason[1:]) from exc

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for _reader, writer in idle:
            writer.close()


async def _read_response(reader: asyncio.StreamReader, method: str) -> tuple[Response, bool]:
    """Status, headers and body; whether the connection can carry another request."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise ConnectionResetError("connection closed by the server") from None
        raise
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ValueError("not an HTTP/1.x answer")
    status = int(code)
    headers = Headers()
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("malformed header line")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    keep = version == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Response(status, headers, b""), keep
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return Response(status, headers, await _chunked(reader)), keep
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit() or int(length) > MAX_BODY:
            raise ValueError("bad Content-Length")
        return Response(status, headers, await reader.readexactly(int(length))), keep
    content = await reader.read(MAX_BODY + 1)  # delimited by the end of the connection
    while chunk := await reader.read(MAX_BODY + 1 - len(content)):
        content += chunk
    if len(content) > MAX_BODY:
        raise ValueError("answer too large")
    return Response(status, headers, content), False


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise ValueError("answer too large")
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("bad chunk")


def _clean(text: str) -> str:
    """A header name or value as is; one carrying a line break is refused (no injection)."""
    if "\r" in text or "\n" in text:
        raise NotSent("a header carries a line break")
    return text


def _ssl_context(verify: Any) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    context = ssl.create_default_context()
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _broken(exc: BaseException) -> str:
    if isinstance(exc, asyncio.IncompleteReadError | ConnectionResetError | BrokenPipeError):
        return "connection closed by the server"
    if isinstance(exc, ValueError):
        return f"unreadable answer ({exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return type(exc).__name__
