"""One OAI-PMH `ListRecords` page from arXiv → records in the snapshot's JSON shape.

Formats (https://info.arxiv.org/help/oa/index.html): `arXiv` gives `id`, `created` (the
first version's date), `updated`, `authors` (keyname, forenames, suffix), `title`,
`categories`, `comments`, `report-no`, `journal-ref`, `doi`, `license`, `abstract`;
`arXivRaw` also gives every version with its date, like the snapshot. Records are written
with the snapshot's keys so the one reader (records.py) serves both; from `arXiv` the
versions list holds only v1, at midnight GMT of `created`.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from papertiger.adoption.records import rfc2822_day
from papertiger.errors import ConfigError, RetryableError

OAI = "{http://www.openarchives.org/OAI/2.0/}"
NAMESPACES = {
    "arXiv": "{http://arxiv.org/OAI/arXiv/}",
    "arXivRaw": "{http://arxiv.org/OAI/arXivRaw/}",
}
_TEXT_FIELDS = ("comments", "journal-ref", "doi", "report-no", "license")


@dataclass
class Page:
    """What one ListRecords response held."""

    records: list[dict[str, Any]] = field(default_factory=list)
    deleted: int = 0
    problems: list[str] = field(default_factory=list)
    token: str | None = None  # None: this was the last page
    complete_list_size: int | None = None


def parse_page(body: bytes, prefix: str = "arXiv") -> Page:
    """Parse a ListRecords response; OAI errors other than noRecordsMatch are raised."""
    if prefix not in NAMESPACES:
        raise ConfigError(f"metadata prefix: one of {', '.join(NAMESPACES)}, not {prefix!r}")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise RetryableError(f"OAI-PMH response is not well-formed XML ({exc})") from None
    error = root.find(f"{OAI}error")
    if error is not None:
        return _error_page(error.get("code", ""), (error.text or "").strip())
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise RetryableError("OAI-PMH response has neither ListRecords nor error")
    page = Page()
    for record in listing.iter(f"{OAI}record"):
        _add_record(page, record, prefix)
    token = listing.find(f"{OAI}resumptionToken")
    if token is not None:
        page.token = (token.text or "").strip() or None
        size = token.get("completeListSize", "")
        page.complete_list_size = int(size) if size.isdigit() else None
    return page


def _error_page(code: str, message: str) -> Page:
    if code == "noRecordsMatch":
        return Page()
    if code == "badResumptionToken":
        raise ConfigError(
            f"the OAI-PMH server refused the saved resumption token ({message or code}); tokens "
            "expire — rerun with --restart (records already written are kept and not repeated)"
        )
    raise ConfigError(f"OAI-PMH error {code}: {message}")


def _add_record(page: Page, record: ET.Element, prefix: str) -> None:
    header = record.find(f"{OAI}header")
    identifier = header.findtext(f"{OAI}identifier", "") if header is not None else ""
    if header is not None and header.get("status") == "deleted":
        page.deleted += 1
        return
    ns = NAMESPACES[prefix]
    meta = record.find(f"{OAI}metadata/{ns}{prefix}")
    if meta is None:
        page.problems.append(f"{identifier or 'a record'}: no {prefix} metadata")
        return
    try:
        page.records.append(
            _raw_record(meta, ns) if prefix == "arXivRaw" else _arxiv_record(meta, ns)
        )
    except ValueError as exc:
        page.problems.append(f"{identifier or 'a record'}: {exc}")


def _text(meta: ET.Element, ns: str, name: str) -> str | None:
    node = meta.find(f"{ns}{name}")
    return None if node is None or node.text is None else node.text


def _required(meta: ET.Element, ns: str, name: str) -> str:
    value = _text(meta, ns, name)
    if value is None or not value.strip():
        raise ValueError(f"field '{name}' is missing")
    return value


def _arxiv_record(meta: ET.Element, ns: str) -> dict[str, Any]:
    created = _required(meta, ns, "created")
    try:
        day = dt.date.fromisoformat(created.strip())
    except ValueError:
        raise ValueError(f"field 'created' is not a date: {created!r}") from None
    authors = [
        [
            a.findtext(f"{ns}keyname", "").strip(),
            a.findtext(f"{ns}forenames", "").strip(),
            a.findtext(f"{ns}suffix", "").strip(),
        ]
        for a in meta.iterfind(f"{ns}authors/{ns}author")
    ]
    names = ", ".join(
        " ".join(p for p in (fore, key, suffix) if p) for key, fore, suffix in authors
    )
    return _snapshot_shape(
        meta,
        ns,
        submitter=None,
        authors=names,
        versions=[{"version": "v1", "created": rfc2822_day(day)}],
        update_date=(_text(meta, ns, "updated") or created).strip(),
        authors_parsed=authors,
    )


def _raw_record(meta: ET.Element, ns: str) -> dict[str, Any]:
    versions = [
        {"version": v.get("version", ""), "created": (v.findtext(f"{ns}date") or "").strip()}
        for v in meta.iterfind(f"{ns}version")
    ]
    if not versions or not versions[0]["created"]:
        raise ValueError("field 'version' is missing or has no date")
    return _snapshot_shape(
        meta,
        ns,
        submitter=_text(meta, ns, "submitter"),
        authors=(_text(meta, ns, "authors") or "").strip(),
        versions=versions,
        update_date=_iso_day(versions[-1]["created"]),
        authors_parsed=None,
    )


def _iso_day(created: str) -> str | None:
    try:
        return parsedate_to_datetime(created).date().isoformat()
    except (TypeError, ValueError):
        return None


def _snapshot_shape(meta: ET.Element, ns: str, **parts: Any) -> dict[str, Any]:
    """Keys in the snapshot's order: id, submitter, authors, title, ..., authors_parsed."""
    record: dict[str, Any] = {
        "id": _required(meta, ns, "id").strip(),
        "submitter": parts["submitter"],
        "authors": parts["authors"],
        "title": _required(meta, ns, "title"),
    }
    record |= {name: _text(meta, ns, name) for name in _TEXT_FIELDS[:4]}
    record["categories"] = _required(meta, ns, "categories").strip()
    record["license"] = _text(meta, ns, "license")
    record["abstract"] = _required(meta, ns, "abstract")
    record["versions"] = parts["versions"]
    record["update_date"] = parts["update_date"]
    record["authors_parsed"] = parts["authors_parsed"]
    return record
