#!/usr/bin/env python3
"""The streaming yardstick: ../shared/bench/min_client.py's bare aiohttp loop, streamed.

It does what min_client.py does (K samples of every workload problem, at most C in flight,
429/5xx retried honouring Retry-After, the last \\boxed{} extracted and graded) but asks for
`stream: true` and reads the SSE body: each `data:` line's JSON is decoded and its delta
content, finish reason and usage kept. Nothing else — no timings, no store — so papertiger's
streaming mode has a bare loop to be compared with, as its `stream = false` mode has
min_client.py.

    python bench/min_stream.py --base-url http://127.0.0.1:8765/v1 --k 8 -c 64

Prints one JSON line of figures on stdout (the same keys as min_client.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

try:
    import orjson

    dumps = orjson.dumps
    loads = orjson.loads
except ImportError:  # pragma: no cover - orjson is in the dev environment
    def dumps(o: Any) -> bytes:  # type: ignore[misc]
        return json.dumps(o).encode()

    loads = json.loads  # type: ignore[assignment]

BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
WORKLOAD = Path(__file__).resolve().parents[2] / "shared" / "bench" / "workload" / "aime_synth.jsonl"


class Retryable(Exception):
    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def extract(text: str) -> str | None:
    found = BOXED.findall(text or "")
    return found[-1].strip() if found else None


async def read_sse(response: Any) -> tuple[str, str | None, Any]:
    """Content, finish reason and usage from an SSE body: each data line's JSON, decoded."""
    parts: list[str] = []
    finish, usage = None, None
    async for line in response.content:
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if data == b"[DONE]":
            break
        event = loads(data)
        usage = event.get("usage") or usage
        for choice in event.get("choices") or ():
            content = (choice.get("delta") or {}).get("content")
            if content:
                parts.append(content)
            finish = choice.get("finish_reason") or finish
    return "".join(parts), finish, usage


def backoff(error: Retryable, attempt: int, rng: random.Random) -> float:
    try:
        return float(error.retry_after) if error.retry_after else \
            min(30.0, 0.5 * 2 ** attempt) * (0.5 + rng.random())
    except ValueError:
        return min(30.0, 0.5 * 2 ** attempt) * (0.5 + rng.random())


async def run(args: argparse.Namespace) -> int:
    import aiohttp

    rows = [json.loads(line) for line in Path(args.workload).read_text().splitlines()]
    url = args.base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": "Bearer dummy", "Content-Type": "application/json"}
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency),
                                    timeout=aiohttp.ClientTimeout(total=args.timeout))
    stats: dict[str, Any] = {"ok": 0, "correct": 0, "true_correct": 0, "retries": 0, "failed": 0}
    rng = random.Random(0)

    async def send(payload: dict[str, Any]) -> tuple[str, str | None, Any] | None:
        for attempt in range(args.max_retries + 1):
            try:
                async with session.post(url, data=dumps(payload), headers=headers) as r:
                    if r.status == 200:
                        return await read_sse(r)
                    body = await r.read()
                    if r.status not in RETRY_STATUS:
                        raise RuntimeError(f"HTTP {r.status}: {body[:200]!r}")
                    raise Retryable(r.status, r.headers.get("retry-after"))
            except Retryable as e:
                if attempt == args.max_retries:
                    return None
                stats["retries"] += 1
                await asyncio.sleep(backoff(e, attempt, rng))
        return None

    queue: asyncio.Queue[tuple[dict[str, Any], int]] = asyncio.Queue()
    for epoch in range(args.k):
        for row in rows:
            queue.put_nowait((row, epoch))
    n_total = queue.qsize()

    async def worker() -> None:
        while not queue.empty():
            row, epoch = queue.get_nowait()
            reply = await send({"model": args.model,
                                "messages": [{"role": "user", "content": row["prompt"]}],
                                "temperature": 0.6, "max_tokens": 32768, "stream": True,
                                "stream_options": {"include_usage": True},
                                "seed": args.seed * 1_000_003 + epoch})
            if reply is None:
                stats["failed"] += 1
                continue
            got = extract(reply[0])
            stats["ok"] += 1
            stats["correct"] += got == str(row["fake_answer"])
            stats["true_correct"] += got == str(row["answer"])

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(args.concurrency, n_total))))
    dt = time.perf_counter() - t0
    await session.close()
    stats.update(lib="aiohttp-stream", requests=n_total, loop_wall_s=round(dt, 4),
                 loop_req_per_s=round(n_total / dt, 1),
                 accuracy_vs_server=stats["correct"] / max(1, stats["ok"]))
    print(json.dumps(stats), flush=True)
    return 0 if stats["failed"] == 0 else 1


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--base-url", default="http://127.0.0.1:8765/v1")
    ap.add_argument("--model", default="fake-model")
    ap.add_argument("--workload", default=str(WORKLOAD))
    ap.add_argument("--k", type=int, default=8, help="samples per problem")
    ap.add_argument("-c", "--concurrency", type=int, default=64)
    ap.add_argument("--max-retries", type=int, default=6)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=0)
    sys.exit(asyncio.run(run(ap.parse_args())))


if __name__ == "__main__":
    main()
