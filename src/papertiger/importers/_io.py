"""Reading helpers shared by the importers.

`Spot` names where a record sits and raises the `InputError` for it. JSON Lines and
pretty-printed JSON arrays are streamed with their line numbers; zstd is decompressed with
pyarrow's codec (the `parquet` extra) or, failing that, the optional `zstandard` package;
cells that a tool wrote as `str(python_object)` are parsed back without executing anything.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from papertiger.errors import InputError

__all__ = [
    "ZSTD_HINT",
    "Spot",
    "as_float",
    "as_int",
    "as_text",
    "iter_json_array",
    "iter_jsonl",
    "obj",
    "parse_cell",
    "sniff",
    "verdict",
    "zstd_decompress",
]

ZSTD_HINT = "pip install 'papertiger[matharena]'"
_CHUNK = 1 << 20
_BLANK = re.compile(r"\s*")


@dataclass(frozen=True)
class Spot:
    """Where a record sits: a file, and a line number or a label such as 'row 7'."""

    path: str
    line: int | None = None
    label: str | None = None

    @property
    def locator(self) -> str:
        if self.label is not None:
            return self.label
        return f"line {self.line}" if self.line is not None else "file"

    def fail(self, message: str, field: str | None = None) -> NoReturn:
        if self.label is not None:
            message = f"{self.label}: {message}"
        raise InputError(message, path=self.path, line=self.line, field=field)


# -- streaming JSON ----------------------------------------------------------------------


def sniff(path: Path) -> str:
    """The first non-blank character of a text file ('' for an empty one)."""
    with path.open(encoding="utf-8-sig") as handle:
        while chunk := handle.read(4096):
            stripped = chunk.lstrip()
            if stripped:
                return stripped[0]
    return ""


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSON Lines file."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg}); expected one JSON object per line",
                    path=str(path),
                    line=number,
                ) from exc
            if not isinstance(data, dict):
                raise InputError(
                    f"expected a JSON object on each line, found {type(data).__name__}",
                    path=str(path),
                    line=number,
                )
            yield number, data


def iter_json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """(line where it starts, element) for each element of a top-level JSON array.

    Reads in chunks, so a large pretty-printed array is never held whole.
    """
    with path.open(encoding="utf-8-sig") as handle:
        yield from _ArrayStream(handle, str(path))


class _ArrayStream:
    def __init__(self, handle: IO[str], label: str) -> None:
        self.handle, self.label = handle, label
        self.buf, self.pos, self.line, self.eof = "", 0, 1, False
        self.decoder = json.JSONDecoder()

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if self._next_char() != "[":
            self._fail("expected a JSON array ('[')")
        self._advance(1)
        if self._next_char() == "]":
            return
        while True:
            self._next_char()
            start = self.line
            yield start, self._element()
            char = self._next_char()
            if char == "]":
                break
            if char != ",":
                self._fail(f"expected ',' or ']' after an element, found {char or 'end of file'!r}")
            self._advance(1)
        self._advance(1)
        if self._next_char() != "":
            self._fail("unexpected text after the closing ']'")

    def _element(self) -> Any:
        size = _CHUNK
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self._fill(size):
                    size *= 2
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                raise InputError(f"not valid JSON ({exc.msg})", path=self.label, line=line) from exc
            if end == len(self.buf) and self._fill(size):
                continue  # a number or literal may go on in the next chunk
            self._advance(end - self.pos)
            return value

    def _next_char(self) -> str:
        while True:
            blank = _BLANK.match(self.buf, self.pos)
            assert blank is not None  # r"\s*" always matches
            self._advance(blank.end() - self.pos)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill(_CHUNK):
                return ""

    def _advance(self, count: int) -> None:
        self.line += self.buf.count("\n", self.pos, self.pos + count)
        self.pos += count

    def _fill(self, size: int) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(size)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def _fail(self, message: str) -> NoReturn:
        raise InputError(message, path=self.label, line=self.line)


# -- zstd ----------------------------------------------------------------------------------


def zstd_decompress(data: bytes, spot: Spot) -> bytes:
    """Decompress zstd frames, with pyarrow's codec or the optional `zstandard` package."""
    if _arrow_has_zstd():
        import pyarrow as pa

        try:
            stream = pa.CompressedInputStream(pa.BufferReader(data), "zstd")
            return bytes(stream.read())
        except (OSError, pa.ArrowException) as exc:
            spot.fail(f"not valid zstd data ({exc})")
    try:
        import zstandard
    except ImportError:
        spot.fail(f"reading zstd-compressed data needs the 'zstandard' package: {ZSTD_HINT}")
    try:
        return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(data))
    except zstandard.ZstdError as exc:
        spot.fail(f"not valid zstd data ({exc})")


def _arrow_has_zstd() -> bool:
    try:
        import pyarrow as pa
    except ImportError:
        return False
    return bool(pa.Codec.is_available("zstd"))


# -- cells written as str(python object) ---------------------------------------------------


def parse_cell(value: Any, spot: Spot, field: str, kind: type) -> Any:
    """`value` as a `kind` (dict or list); text is parsed as JSON or a Python literal.

    lighteval falls back to `str(v)` for every column when `datasets` cannot type its rows,
    so a dict may arrive as "{'query': ..., 'sampling_methods': [<SamplingMethod.GENERATIVE: 1>]}".
    """
    if value is None or isinstance(value, kind):
        return value
    if kind is list and isinstance(value, tuple):
        return list(value)
    if isinstance(value, str):
        parsed = _parse_text(value)
        if isinstance(parsed, kind):
            return parsed
    spot.fail(f"expected a {kind.__name__}, found {_preview(value)}", field)


def _parse_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    for candidate in (text, _quote_reprs(text)):
        try:
            return _literal(ast.parse(candidate.strip(), mode="eval").body)
        except (SyntaxError, ValueError, RecursionError):
            continue
    return None


_WRAPPERS = {"float", "int", "str", "bool", "float16", "float32", "float64", "int32", "int64"}
_NAMES = {"nan": math.nan, "inf": math.inf, "None": None, "True": True, "False": False}


def _literal(node: ast.AST) -> Any:
    """A safe evaluator for reprs: literals, plus `np.float64(1.0)`-style number wrappers."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {
            _literal(k) if k is not None else None: _literal(v)
            for k, v in zip(node.keys, node.values, strict=True)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _literal(node.operand)
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name in _WRAPPERS:
            return _literal(node.args[0])
    raise ValueError(f"not a literal: {ast.dump(node)[:60]}")


def _quote_reprs(text: str) -> str:
    """Turn `<Enum.NAME: 1>`-style reprs outside string literals into quoted strings."""
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(text):
        char = text[i]
        if quote is not None:
            out.append(text[i : i + 2] if char == "\\" else char)
            i += 2 if char == "\\" else 1
            quote = None if char == quote else quote
            continue
        end = text.find(">", i) if char == "<" else -1
        if end >= 0:
            out.append(repr(text[i : end + 1]))
            i = end + 1
            continue
        if char in "'\"":
            quote = char
        out.append(char)
        i += 1
    return "".join(out)


# -- value coercion ------------------------------------------------------------------------


def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (for optional nested objects)."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str | None:
    """Text for an id, answer or label: numbers without a trailing '.0'; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def as_int(value: Any, spot: Spot, field: str) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    spot.fail(f"expected an integer, found {_preview(value)}", field)


def as_float(value: Any, spot: Spot, field: str) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    spot.fail(f"expected a number, found {_preview(value)}", field)


_TRUE = {"1", "1.0", "true", "yes", "y", "correct", "c", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "incorrect", "i", "f", "wrong"}


def verdict(value: Any) -> tuple[bool | None, float | None]:
    """(correct, score) from a tool's per-sample value: bools and 0/1 are verdicts."""
    if isinstance(value, bool):
        return value, float(value)
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return None, None
        return (number == 1.0 if number in (0.0, 1.0) else None), number
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True, 1.0
        if text in _FALSE:
            return False, 0.0
    return None, None


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
