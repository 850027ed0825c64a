"""Read an SFCC job log (site import) for the elements it skipped: pure Python, no Django.

SFCC ends a site import with exit status OK even when it skipped elements; only the job log says so, one
line per problem::

    [2026-12-02 10:15:02.123 GMT] ERROR JobThread|1000003|sfcc-site-archive-import|ImportSiteArchive
    system.job.ImportSiteArchive - Product 'ABC-1' skipped: <reason>

(on one line). ``parse_job_log`` counts the ERROR (and FATAL) and WARN lines per object type, keeps the first
few that name an object, and lists the ids of the objects on ERROR lines. An object is named as

* ``<Type> 'id'`` / ``<Type> "id"`` / ``<Type>: 'id'`` / ``<Type> with ID 'id'`` / ``<Type> with ID id`` /
  ``<Type> ID: id``, the type in any spelling of its XML element name (``CategoryAssignment``, ``category
  assignment``, ``category-assignment``, ``PriceTable``...);
* ``<type>-id="id"`` (an XML attribute), e.g. ``product-id="ABC-1"``;
* for category assignments also ``<category-assignment category-id="c" product-id="p">``, read as the id
  ``product p / category c`` (the form to write in a log: ``CategoryAssignment 'product p / category c'``).

Object types are SFCC XML element names, lower case with hyphens: ``product``, ``category``,
``category-assignment``, ``price-table``, ``content``, ``custom-object``... ERROR/WARN lines that name no
object count under ``other``. The first object a line names is the one counted, except that an object wins
over a container named before it (``Catalog 'c': product 'p' ...`` counts the product).

The work is bounded: one pass over the lines with precompiled expressions, each line cut to ``MAX_LINE``
characters, at most ``max_lines`` lines and ``max_ids`` ids per object type kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

OTHER = "other"
MAX_LINE = 2000  # characters of a line looked at and kept

# canonical type -> other spellings (besides the canonical one with its hyphens as "", " ", "_" or "-")
_TYPES: dict[str, tuple[str, ...]] = {
    "product": (),
    "category": (),
    "category-assignment": (),
    "classification-category": (),
    "catalog": (),
    "price-table": (),
    "pricebook": ("price-book",),
    "content": ("content-asset",),
    "content-assignment": ("folder-assignment",),
    "folder": ("library-folder",),
    "library": (),
    "custom-object": (),
    "inventory-list": (),
    "inventory-record": (),
    "variation-attribute": (),
    "variation-group": (),
    "variant": (),
    "product-option": (),
    "option-value": (),
    "product-set-product": (),
    "bundled-product": (),
    "recommendation": (),
    "attribute-definition": (),
    "attribute-group": (),
    "promotion": (),
    "campaign": (),
    "coupon": (),
    "slot-configuration": (),
    "customer": (),
    "customer-group": (),
    "customer-list": (),
    "shipping-method": (),
    "payment-method": (),
    "store": (),
    "site": (),
    "preference": (),
}
# a line naming one of these and then an object inside it counts the object
_CONTAINERS = frozenset({"catalog", "pricebook", "library", "inventory-list", "customer-list", "site"})


def _spelling(name: str) -> str:
    return r"[-_ ]?".join(re.escape(part) for part in name.split("-"))


_ALIASES = {
    re.sub(r"[-_ ]", "", name).lower(): canonical
    for canonical, aliases in _TYPES.items()
    for name in (canonical, *aliases)
}
_NAMES = sorted({name for canonical, aliases in _TYPES.items() for name in (canonical, *aliases)}, key=len)
_TYPE = "(?P<type>" + "|".join(_spelling(name) for name in reversed(_NAMES)) + ")"  # longest first
_QUOTED = r"""(?:'(?P<sq>[^'\r\n]{1,256})'|"(?P<dq>[^"\r\n]{1,256})"|`(?P<bq>[^`\r\n]{1,256})`)"""
_BARE = r"(?P<bare>[^\s'\"`<>,;()\[\]{}]{1,256})"
_OBJECT = re.compile(
    r"(?<![\w-])" + _TYPE + r"(?:"
    # Product 'X' / Product: 'X' / Product with ID 'X' / product-id="X" / Product ID: 'X'
    r"(?:(?:\s+with\s+(?:the\s+)?id\b|[-_ ]?id\b)\s*[:=]?\s*|\s*[:=]\s*|\s+)" + _QUOTED + r"|"
    # Product with ID X / Product ID: X / product-id=X
    r"(?:\s+with\s+(?:the\s+)?id\b\s*[:=]?|[-_ ]?id\s*[:=])\s*" + _BARE + r")",
    re.IGNORECASE,
)
_ASSIGNMENT = re.compile(r"<\s*category-assignment\b(?P<attributes>[^>]{0,1000})", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""(?P<name>[\w-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_LEVEL = re.compile(r"^\s*(?:\[[^\]\r\n]{0,64}\]\s*)?(?P<level>ERROR|FATAL|WARN|WARNING)\b:?\s*(?P<rest>.*)$")
_PREFIX = re.compile(r"^\S*\|\S*.*? - ")  # "JobThread|123|job|step logger - " before the message
_LEVELS = ("ERROR", "FATAL", "WARN")


@dataclass(frozen=True)
class JobLogSummary:
    """What a job log says went wrong; see the module docstring."""

    errors: dict[str, int] = field(default_factory=dict)  # object type (or "other") -> ERROR/FATAL lines
    warnings: dict[str, int] = field(default_factory=dict)  # object type (or "other") -> WARN lines
    lines: tuple[str, ...] = ()  # the first ERROR/WARN lines naming an object: "ERROR <message>"
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)  # object type -> ids on ERROR lines
    skipped_count: int = 0  # distinct objects on ERROR lines, also those past max_ids

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def warning_count(self) -> int:
        return sum(self.warnings.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable: errors, warnings, lines, skipped, error_count, warning_count."""
        return {
            "errors": dict(self.errors),
            "warnings": dict(self.warnings),
            "lines": list(self.lines),
            "skipped": {kind: list(ids) for kind, ids in self.skipped.items()},
            "error_count": self.error_count,
            "warning_count": self.warning_count,
        }


def parse_job_log(text: str | bytes, *, max_lines: int = 50, max_ids: int = 1000) -> JobLogSummary:
    """Count a job log's ERROR and WARN lines per object type; see the module docstring."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "replace")
    errors: dict[str, int] = {}
    warnings: dict[str, int] = {}
    lines: list[str] = []
    skipped: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for line in _lines(text):
        if not any(level in line for level in _LEVELS):
            continue
        match = _LEVEL.match(line)
        if match is None:
            continue
        is_error = match["level"] in ("ERROR", "FATAL")
        message = match["rest"]
        prefix = _PREFIX.match(message)
        if prefix is not None:
            message = message[prefix.end() :]
        message = message.strip()
        found = find_object(message)
        counts = errors if is_error else warnings
        kind = found[0] if found is not None else OTHER
        counts[kind] = counts.get(kind, 0) + 1
        if found is None:
            continue
        if len(lines) < max_lines:
            lines.append(f"{'ERROR' if is_error else 'WARN'} {message}")
        if is_error and found not in seen:
            seen.add(found)
            ids = skipped.setdefault(kind, [])
            if len(ids) < max_ids:
                ids.append(found[1])
    return JobLogSummary(
        errors=errors,
        warnings=warnings,
        lines=tuple(lines),
        skipped={kind: tuple(ids) for kind, ids in skipped.items()},
        skipped_count=len(seen),
    )


def find_object(message: str) -> tuple[str, str] | None:
    """The object a log message names, as ``(type, id)``; None when it names none."""
    found: tuple[str, str] | None = None
    start = len(message)
    for match in _OBJECT.finditer(message):
        kind = _canonical(match["type"])
        object_id = next(match[name] for name in ("sq", "dq", "bq", "bare") if match[name] is not None)
        object_id = (object_id.rstrip(".:") if match["bare"] is not None else object_id).strip()
        if not object_id:
            continue
        if found is None:
            found, start = (kind, object_id), match.start()
        if kind not in _CONTAINERS:
            found, start = (kind, object_id), match.start()
            break
    assignment = _ASSIGNMENT.search(message) if "<" in message else None
    if assignment is not None and (found is None or assignment.start() < start):
        attributes = {
            match["name"].lower(): match["dq"] if match["dq"] is not None else match["sq"]
            for match in _ATTRIBUTE.finditer(assignment["attributes"])
        }
        product, category = attributes.get("product-id"), attributes.get("category-id")
        if product and category:
            return "category-assignment", f"product {product} / category {category}"
    return found


def _canonical(spelled: str) -> str:
    key = re.sub(r"[-_ ]", "", spelled).lower()
    return _ALIASES.get(key, key)  # every spelling the expression matches is in _ALIASES


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each cut to MAX_LINE characters, without splitting the whole text at once."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        if stop < 0:
            stop = end
        yield text[start : min(stop, start + MAX_LINE)].rstrip("\r")
        start = stop + 1
