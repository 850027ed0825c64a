"""Preview before finalize: per product, what the push will create or change, and what it skips."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.akeneo import AkeneoClient, Search

from .models import JobColumn, JobRow, SupplierJob
from .push import CellError, ProductBuilder

PAGE = 100


@dataclass
class ValueChange:
    attribute: str
    scope: str | None
    locale: str | None
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class RowPreview:
    line: int
    identifier: str
    action: str  # create, update, unchanged, skip
    changes: list[ValueChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why cells or the whole row are not sent


def _current_value(product: dict | None, attribute: str, scope, locale) -> Any:
    for value in (product or {}).get("values", {}).get(attribute, []):
        if value.get("scope") == scope and value.get("locale") == locale:
            return value.get("data")
    return None


def _existing(client: AkeneoClient, identifiers: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for start in range(0, len(identifiers), PAGE):
        chunk = identifiers[start : start + PAGE]
        search = Search().where("identifier", "IN", chunk)
        for product in client.paginate("products", search=search):
            found[product["identifier"]] = product
    return found


def preview_job(job: SupplierJob, client: AkeneoClient, *, limit: int = 200) -> list[RowPreview]:
    builder = ProductBuilder(job)
    rows = list(
        job.rows.exclude(outcome__in=[JobRow.Outcome.CREATED, JobRow.Outcome.UPDATED]).order_by("line")[
            :limit
        ]
    )
    ignored = [c.header for c in builder.columns if c.role == JobColumn.Role.IGNORED]
    built: list[tuple[JobRow, dict | None, str]] = []
    for row in rows:
        try:
            built.append((row, builder.build(row.values), ""))
        except CellError as exc:
            built.append((row, None, str(exc)))
    existing = _existing(client, [payload["identifier"] for _, payload, _ in built if payload])
    previews = []
    for row, payload, error in built:
        if payload is None:
            previews.append(RowPreview(row.line, row.identifier, "skip", skipped=[f"Row not sent: {error}"]))
            continue
        product = existing.get(payload["identifier"])
        changes = [
            ValueChange(
                attribute,
                value["scope"],
                value["locale"],
                _current_value(product, attribute, value["scope"], value["locale"]),
                value["data"],
            )
            for attribute, values in payload["values"].items()
            for value in values
        ]
        for key in ("family", "categories", "parent"):
            if key in payload:
                changes.insert(0, ValueChange(key, None, None, (product or {}).get(key), payload[key]))
        skipped = [f"Empty, not sent (keeps the PIM value): {h}" for h in _empty_headers(builder, row.values)]
        skipped += [f"Unknown at the last sync, not sent: {h}" for h in builder.ignored_unknown]
        skipped += [f"Not mapped, not sent: {h}" for h in ignored]
        if product is None:
            action = "create"
        else:
            action = "update" if any(c.changed for c in changes) else "unchanged"
        previews.append(RowPreview(row.line, payload["identifier"], action, changes, skipped))
    return previews


def _empty_headers(builder: ProductBuilder, cells: list[str]) -> list[str]:
    return [
        target.header
        for position, target in builder.targets.items()
        if not (cells[position].strip() if position < len(cells) else "")
    ]
