"""CSV text from Arrow arrays, as the frame-based export wrote it.

The export used to be pandas' `to_csv`, which writes through the csv module; these rules
give the same bytes with vectorised pyarrow.compute kernels (which run without the GIL):
- missing values are empty fields;
- a text field is quoted when it holds a character the csv module quotes for (found by
  asking the csv module, so it follows this Python), with quotes doubled;
- floats are Python's repr, ints their digits, booleans True/False;
- timestamps are UTC, "YYYY-MM-DD HH:MM:SS[.fff[fff]]+00:00", at the precision pandas
  chose for the whole column (`export_values.time_precision`).
Lines end with os.linesep, as pandas ended them.
"""

from __future__ import annotations

import csv
import io
import os
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

LINE_END = os.linesep


def _quoted_characters() -> str:
    """The characters that make the csv module quote a field (with this line ending)."""

    def quoted(char: str) -> bool:
        out = io.StringIO()
        csv.writer(out, lineterminator=LINE_END).writerow([f"a{char}b", "c"])
        return out.getvalue().startswith('"')

    return "".join(c for c in ',"\r\n\t ;' if quoted(c))


_QUOTE = "[" + "".join(f"\\x{ord(c):02x}" for c in _quoted_characters()) + "]"


def cell(values: pa.Array, kind: str, digits: int = 0) -> pa.Array:
    """The CSV fields of one column (large strings, never null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "float":
        text = _float_text(values)
    elif kind == "int":
        text = pc.cast(values, pa.large_string())
    elif kind == "bool":
        text = pc.if_else(values, _text("True"), _text("False"))
    elif kind == "time":
        wall = pc.cast(values.cast(pa.timestamp(values.type.unit)), pa.large_string())
        stamp = pc.utf8_slice_codeunits(wall, 0, 20 + digits if digits else 19)  # UTC wall time
        text = pc.binary_join_element_wise(stamp, _text("+00:00"), _text(""))
    else:
        text = pc.cast(values, pa.large_string())
        special = pc.match_substring_regex(text, _QUOTE)
        if pc.any(special).as_py():
            doubled = pc.replace_substring(text, '"', '""')
            quoted = pc.binary_join_element_wise(_text('"'), doubled, _text('"'), _text(""))
            text = pc.if_else(special, quoted, text)
    return pc.fill_null(text, _text(""))


def joined(pieces: Sequence[pa.Array], separator: str, *, end: bool = False) -> pa.Array:
    """Element-wise join of equal-length text arrays; with `end`, each ends a line."""
    import pyarrow.compute as pc

    line = pc.binary_join_element_wise(*pieces, _text(separator))
    return pc.binary_join_element_wise(line, _text(""), _text(LINE_END)) if end else line


def text_bytes(lines: pa.Array) -> pa.Buffer:
    """The text of a large-string array end to end, without copying it."""
    import pyarrow as pa

    if not len(lines):
        return pa.py_buffer(b"")
    _, offsets, data = lines.buffers()
    first, last = (struct.unpack_from("=q", offsets, 8 * at)[0] for at in (lines.offset, lines.offset + len(lines)))
    return data.slice(first, last - first)


def _text(value: str) -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar(value, pa.large_string())


def _float_text(values: pa.Array) -> pa.Array:
    """Floats as Python's repr writes them (the csv module's way).

    Arrow writes the same shortest digits, only laid out differently: it drops ".0" from
    whole numbers and chooses exponents by other thresholds. Fixed notation is shared
    between 1e-4 and 1e16 whenever Arrow used no exponent; every other value (a handful in
    real stores) is written by repr itself.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(values, pa.large_string())
    size = pc.abs(values)
    other = pc.and_(
        pc.is_finite(values),
        pc.or_(
            pc.or_(pc.match_substring(text, "e"), pc.greater_equal(size, 1e16)),
            pc.and_(pc.less(size, 1e-4), pc.not_equal(size, 0)),
        ),
    )
    whole = pc.invert(pc.match_substring_regex(text, "[.en]"))
    text = pc.if_else(whole, pc.binary_join_element_wise(text, _text(".0"), _text("")), text)
    if pc.any(other).as_py():
        written = [repr(v) for v in pc.filter(values, other).to_pylist()]
        mask = pc.fill_null(other, False)
        text = pc.replace_with_mask(text, mask, pa.array(written, pa.large_string()))
    return text
