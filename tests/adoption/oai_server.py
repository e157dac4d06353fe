"""A loopback OAI-PMH server (aiohttp, in a background thread) with scripted faults.

It serves `ListRecords` pages of synthetic records with resumption tokens `page-K`.
Faults are queued per page index and used up one per request to that page:
  "503"   — HTTP 503 with Retry-After (flow control, as arXiv does it)
  "drop"  — headers and half the body, then the connection is closed
  "block" — hold the request until the server closes (to kill a client mid-harvest)
  "expire"— an OAI badResumptionToken error
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from synthetic import Record

ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2024-06-02T00:00:00Z</responseDate>"
    '<request verb="ListRecords">http://127.0.0.1/oai</request>{}</OAI-PMH>'
)


class OaiServer:
    """Use as a context manager; `url` is the base URL, `requests` every query received."""

    def __init__(
        self, records: Sequence[Record], *, page_size: int = 50, retry_after: str = "7"
    ) -> None:
        self.records = list(records)
        self.page_size = page_size
        self.retry_after = retry_after
        self.faults: dict[int, list[str]] = {}
        self.requests: list[dict[str, str]] = []
        self.url = ""
        self._release = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.records) // self.page_size))

    def __enter__(self) -> OaiServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._release.set()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def release(self) -> None:
        """Let blocked requests go (they answer 503 so a still-running client just retries)."""
        self._release.set()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/oai", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/oai"

    def _page_index(self, query: dict[str, str]) -> int | str:
        token = query.get("resumptionToken")
        if token is None:
            if query.get("verb") != "ListRecords" or query.get("metadataPrefix") != "arXiv":
                return "badArgument"
            return 0
        if not token.startswith("page-") or not token[5:].isdigit() or int(token[5:]) >= self.pages:
            return "badResumptionToken"
        return int(token[5:])

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.requests.append(query)
        index = self._page_index(query)
        if isinstance(index, str):
            return self._xml(f'<error code="{index}">not accepted</error>')
        queue = self.faults.get(index, [])
        fault = queue.pop(0) if queue else None
        if fault == "503":
            return web.Response(status=503, headers={"Retry-After": self.retry_after}, text="busy")
        if fault == "expire":
            return self._xml('<error code="badResumptionToken">expired</error>')
        if fault == "block":
            while not self._release.is_set():
                await asyncio.sleep(0.02)
            return web.Response(status=503, headers={"Retry-After": "0"}, text="closing")
        body = self._body(index)
        if fault == "drop":
            response = web.StreamResponse(headers={"Content-Type": "text/xml"})
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            assert request.transport is not None
            request.transport.close()
            return response
        return web.Response(body=body, content_type="text/xml")

    def _body(self, index: int) -> bytes:
        chunk = self.records[index * self.page_size : (index + 1) * self.page_size]
        last = index + 1 >= self.pages
        token = (
            f'<resumptionToken cursor="{index * self.page_size}" completeListSize="{len(self.records)}"/>'
            if last
            else f'<resumptionToken cursor="{index * self.page_size}" completeListSize="{len(self.records)}">page-{index + 1}</resumptionToken>'
        )
        inner = "<ListRecords>" + "".join(r.oai_xml() for r in chunk) + token + "</ListRecords>"
        return ENVELOPE.format(inner).encode()

    @staticmethod
    def _xml(inner: str) -> web.Response:
        return web.Response(body=ENVELOPE.format(inner).encode(), content_type="text/xml")
