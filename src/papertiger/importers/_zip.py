"""Members of a zip archive as JSON, including zstd members Python 3.11's zipfile cannot read.

Inspect writes `.eval` members with ZIP_ZSTANDARD (method 93) when INSPECT_USE_ZSTD is
set; zipfile only learns that method in Python 3.14, so those members are read raw from
their local header and decompressed with `_io.zstd_decompress`, CRC checked.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from papertiger.importers._io import Spot, zstd_decompress

__all__ = ["ZIP_ZSTANDARD", "member_json"]

ZIP_ZSTANDARD = 93
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"


def member_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> Any:
    """The JSON document stored in one member; errors name the archive and the member."""
    spot = Spot(str(path), label=f"member {info.filename}")
    if info.flag_bits & 0x1:
        spot.fail("member is encrypted")
    if info.compress_type == ZIP_ZSTANDARD:
        data = _zstd_member(info, path, spot)
    else:
        try:
            with archive.open(info) as handle:
                data = handle.read()
        except NotImplementedError:
            spot.fail(
                f"member uses zip compression method {info.compress_type}, which cannot be read here"
            )
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            spot.fail(f"member is damaged ({exc})")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        spot.fail(f"member is not valid JSON ({exc})")


def _zstd_member(info: zipfile.ZipInfo, path: Path, spot: Spot) -> bytes:
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size:
            spot.fail("local header is cut short")
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != _LOCAL_SIGNATURE:
            spot.fail("local header signature is wrong; the archive is damaged")
        name_length, extra_length = fields[9], fields[10]
        handle.seek(name_length + extra_length, 1)
        raw = handle.read(info.compress_size)
    if len(raw) < info.compress_size:
        spot.fail("member data is cut short")
    data = zstd_decompress(raw, spot)
    if zlib.crc32(data) != info.CRC:
        spot.fail("member fails its CRC check; the archive is damaged")
    return data
