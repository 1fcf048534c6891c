"""The bot's HTTP connection to Telegram, on aiohttp instead of PTB's default httpx.

Measured against the local fake Bot API (benchmarks/README.md), httpx with httpcore and anyio
spends about 1.4 ms of CPU on one sendMessage call; aiohttp, whose HTTP parser is compiled, about
0.35 ms. Under load that was the largest single cost of an answered question. PTB supports this
through its ``BaseRequest`` interface: it builds the request data, this class only moves bytes, and
PTB turns the status code and body into results or Telegram errors as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

# PTB's own defaults for HTTPXRequest, in seconds.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0
# httpx's keep-alive expiry: an idle connection is closed by us before the server may drop it, so a
# message is not sent into a connection that is already gone.
KEEPALIVE_SECONDS = 5.0


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded pool of keep-alive connections to the Bot API."""

    def __init__(self, connection_pool_size: int = 1, read_timeout: float | None = READ_TIMEOUT) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """The session belongs to the running event loop, so it is made here and not in __init__."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = bool(request_data and request_data.multipart_data)
        timeout = _client_timeout(
            read=_given(read_timeout, self._read_timeout),
            write=_given(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT),
            connect=_given(connect_timeout, CONNECT_TIMEOUT),
            pool=_given(pool_timeout, POOL_TIMEOUT),
        )
        try:
            async with self._session.request(
                method,
                url,
                data=_body(request_data),
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout the caller passed, else ours (PTB marks "not passed" with its DEFAULT_NONE)."""
    return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]


def _client_timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """PTB's four timeouts in aiohttp's terms.

    aiohttp has no write timeout: the sum of all four bounds the whole request instead, so a
    stalled upload cannot hang a handler (None anywhere means: no bound, as in PTB).
    """
    parts = (read, write, connect, pool)
    total = None if any(part is None for part in parts) else sum(part for part in parts if part is not None)
    return aiohttp.ClientTimeout(
        total=total,
        connect=None if connect is None or pool is None else connect + pool,
        sock_connect=connect,
        sock_read=read,
    )


def _body(request_data: RequestData | None) -> dict[str, str] | aiohttp.FormData | None:
    """Form fields as PTB's httpx request sends them; multipart only when a file is uploaded."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.multipart_data:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
