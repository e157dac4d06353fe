"""The snapshot file as a stream of lines, whatever its compression (told by magic bytes).

Compressed input is inflated on a background thread: zlib releases the GIL while it
works, so on a two-core machine decompression overlaps the parsing instead of adding to
it (the stdlib's GzipFile inflates in 8 KB steps on the parsing thread, at about a third
of the speed). The queue between the threads is bounded, so memory stays flat.
"""

from __future__ import annotations

import io
import queue
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from papertiger.errors import InputError

CHUNK = 1 << 19  # 512 KiB of compressed input per step (a few MB inflated)
DEPTH = 6  # chunks in flight between the threads
_DONE = object()


@contextmanager
def open_snapshot(path: str | Path) -> Iterator[tuple[Iterable[bytes], Callable[[], int], int]]:
    """Yields (lines, position, total): `position()` is how far into the file on disk the
    reader is and `total` its size — the units of a progress bar. Lines keep their `\\n`."""
    path = Path(path)
    try:
        raw: BinaryIO = path.open("rb", buffering=1 << 20)
        magic = raw.read(4)
        raw.seek(0)
    except OSError as exc:
        raise InputError(f"cannot open the snapshot: {exc.strerror}", path=str(path)) from None
    with raw:
        chunks: Generator[bytes, None, None] | None = None
        if magic[:2] == b"\x1f\x8b":
            chunks = _background(_gunzip(raw))
        elif magic == b"PK\x03\x04":
            member = _zip_member(raw, path)
            chunks = _background(iter(lambda: member.read(CHUNK), b""))
        try:
            yield (raw if chunks is None else _lines(chunks)), raw.tell, path.stat().st_size
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise InputError(f"cannot read the snapshot: {exc}", path=str(path)) from None
        finally:
            if chunks is not None:
                chunks.close()  # stops the inflating thread before the file closes


def _gunzip(raw: IO[bytes]) -> Iterator[bytes]:
    """Inflate gzip data, member after member (a concatenated .gz is valid gzip)."""
    inflater = zlib.decompressobj(wbits=31)
    started = False
    while data := raw.read(CHUNK):
        while data:
            started = True
            out = inflater.decompress(data)
            if inflater.eof:
                data, started = inflater.unused_data, False
                inflater = zlib.decompressobj(wbits=31)
            else:
                data = b""
            if out:
                yield out
    if started:
        raise EOFError("compressed file ended before the end-of-stream marker (a cut download?)")


def _background(chunks: Iterator[bytes]) -> Generator[bytes, None, None]:
    """Run `chunks` on a daemon thread, DEPTH items ahead; its errors re-raise here."""
    handoff: queue.Queue[object] = queue.Queue(DEPTH)
    stop = threading.Event()

    def put(item: object) -> bool:
        """Hand over one item; False when the consumer has gone."""
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer to raise
            put(exc)

    worker = threading.Thread(target=produce, name="papertiger-inflate", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        stop.set()
        worker.join(5)


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Whole lines, `\\n` kept, from arbitrary chunks (the last may lack its `\\n`)."""
    tail = b""
    for chunk in chunks:
        for line in io.BytesIO(tail + chunk if tail else chunk):
            if line[-1:] != b"\n":
                tail = line
                break
            yield line
        else:
            tail = b""
    if tail:
        yield tail


def _zip_member(raw: IO[bytes], path: Path) -> IO[bytes]:
    """Kaggle serves the snapshot as a zip holding one .json file."""
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as exc:
        raise InputError(f"not a readable zip file: {exc}", path=str(path)) from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        names = ", ".join(m.filename for m in members) or "none"
        raise InputError(f"expected one file in the zip, found: {names}", path=str(path))
    return archive.open(members[0])
