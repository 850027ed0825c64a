"""What Finalize does with each row: one decision for the preview, the Finalize page and the push.

A row is refused (with every reason) when it cannot be built, when its identifier appears on more
than one row, or when its variant cannot get a valid product model; otherwise it creates a product
the PIM does not have, updates one whose values differ, or is left alone when the PIM already holds
every value it carries. The push sends exactly the rows this says to send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.akeneo import AkeneoClient, Search

from .jobs import duplicate_identifiers
from .models import JobColumn, JobRow, SupplierJob
from .payloads import ProductBuilder, RowProblems
from .variants import ModelPlan

PAGE = 100
CREATE, UPDATE, UNCHANGED, REFUSE = "create", "update", "unchanged", "refuse"
OUTCOME_OF = {
    CREATE: JobRow.Outcome.CREATED,
    UPDATE: JobRow.Outcome.UPDATED,
    UNCHANGED: JobRow.Outcome.SKIPPED,
    REFUSE: JobRow.Outcome.FAILED,
}
ACTION_WORDS = {
    CREATE: "Create",
    UPDATE: "Update",
    UNCHANGED: "Unchanged (not sent)",
    REFUSE: "Refused (not sent)",
}
UNCHANGED_MESSAGE = "Unchanged: the PIM already holds every value of this row; nothing was sent."


@dataclass
class ValueChange:
    attribute: str
    scope: str | None
    locale: str | None
    before: Any
    after: Any
    kind: str = ""  # the PIM attribute type, or the product property (family, categories, parent)

    @property
    def changed(self) -> bool:
        return not same(self.kind, self.before, self.after)


@dataclass
class RowVerdict:
    row: JobRow
    action: str = ""
    problems: list[str] = field(default_factory=list)  # why the row is refused
    notes: list[str] = field(default_factory=list)  # cells not sent, and why
    changes: list[ValueChange] = field(default_factory=list)
    payload: dict | None = None
    pim_uuid: str = ""  # the product's uuid in the PIM, when it has it

    @property
    def line(self) -> int:
        return self.row.line

    @property
    def identifier(self) -> str:
        return (self.payload or {}).get("identifier") or self.row.identifier

    @property
    def action_label(self) -> str:
        return ACTION_WORDS.get(self.action, self.action)

    @property
    def message(self) -> str:
        """What the row records when this verdict is final (refused or unchanged)."""
        if self.action == REFUSE:
            return " ".join(self.problems)
        return UNCHANGED_MESSAGE if self.action == UNCHANGED else ""


PLAIN_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
SETS = {"categories", "pim_catalog_multiselect", "akeneo_reference_entity_collection"}


def _number(value: Any) -> Any:
    """A number in a comparable form; anything else as it is."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal) or (isinstance(value, str) and PLAIN_NUMBER.match(value)):
        return Decimal(str(value).strip()).normalize()
    return value


def same(kind: str, before: Any, after: Any) -> bool:
    """Whether the PIM's value ``before`` already is ``after``, the way the PIM stores it.

    Conservative on purpose: whatever is not known to be equal counts as a change, so the row is
    sent (a needless update costs a request; a wrong "unchanged" would lose the supplier's value).
    """
    if before is None or after is None:
        return before is after
    if kind in ("pim_catalog_number",):
        return _number(before) == _number(after)
    if kind == "pim_catalog_metric" and isinstance(before, dict) and isinstance(after, dict):
        return _number(before.get("amount")) == _number(after.get("amount")) and before.get(
            "unit"
        ) == after.get("unit")
    if kind == "pim_catalog_price_collection" and isinstance(before, list) and isinstance(after, list):

        def prices(items):
            return {(p.get("currency"), _number(p.get("amount"))) for p in items if isinstance(p, dict)}

        return prices(before) == prices(after) and len(before) == len(after)
    if kind in SETS and isinstance(before, list) and isinstance(after, list):
        return set(before) == set(after)
    if kind == "pim_catalog_date" and isinstance(before, str) and isinstance(after, str):
        return before[:10] == after[:10]
    if kind == "pim_catalog_table" and isinstance(before, list) and isinstance(after, list):
        rows = lambda table: [{k: _number(v) for k, v in row.items()} for row in table]  # noqa: E731
        return rows(before) == rows(after)
    return before == after


def _current(product: dict | None, attribute: str, scope, locale) -> Any:
    for value in (product or {}).get("values", {}).get(attribute, []):
        if value.get("scope") == scope and value.get("locale") == locale:
            return value.get("data")
    return None


def existing_products(client: AkeneoClient, identifiers: Iterable[str]) -> dict[str, dict]:
    """The PIM's products among ``identifiers``, one list request per hundred."""
    wanted = list(dict.fromkeys(identifiers))
    found: dict[str, dict] = {}
    for start in range(0, len(wanted), PAGE):
        search = Search().where("identifier", "IN", wanted[start : start + PAGE])
        for product in client.paginate("products", search=search):
            found[product["identifier"]] = product
    return found


class Decider:
    """Decides rows of one job. Build once per push or preview: it reads the job's set-up once."""

    def __init__(self, job: SupplierJob, *, planned_options_exist: bool = False):
        self.job = job
        self.builder = ProductBuilder(job, planned_options_exist=planned_options_exist)
        self.duplicates = duplicate_identifiers(job)
        self.types = {t.sdm.pim_attribute_code: t.sdm.pim_type for t in self.builder.targets.values()}
        self.not_mapped = [
            c.header for c in self.builder.columns if c.role == JobColumn.Role.IGNORED and c.header
        ]

    def check(self, row: JobRow) -> RowVerdict:
        """Everything that can be known without the PIM: the payload, or every reason to refuse."""
        verdict = RowVerdict(row)
        try:
            verdict.payload = self.builder.build(row.values)
        except RowProblems as exc:
            verdict.problems = list(exc.problems)
        identifier = verdict.identifier
        if identifier in self.duplicates:
            lines = ", ".join(map(str, self.duplicates[identifier]))
            verdict.problems.append(
                f"Identifier {identifier} is on several rows of this file (lines {lines}): "
                "keep one row per product."
            )
        if verdict.payload is not None and not verdict.problems:
            try:
                self.builder.as_variant(verdict.payload, row.values, ModelPlan())
            except ValueError as exc:
                verdict.problems.append(str(exc))
        if verdict.problems:
            verdict.action, verdict.payload = REFUSE, None
        verdict.notes = self._notes(row.values)
        return verdict

    def _notes(self, values: list[str]) -> list[str]:
        empty = [
            target.header
            for position, target in self.builder.targets.items()
            if not (values[position].strip() if position < len(values) else "")
        ]
        notes = [f"Empty, not sent (keeps the PIM value): {header}" for header in empty]
        notes += [f"Unknown at the last sync, not sent: {header}" for header in self.builder.ignored_unknown]
        notes += [f"Not mapped, not sent: {header}" for header in self.not_mapped]
        return notes

    def decide(self, verdict: RowVerdict, product: dict | None) -> RowVerdict:
        """Complete a checked verdict with the PIM's current product (None: not in the PIM)."""
        if verdict.action == REFUSE:
            return verdict
        payload = verdict.payload
        changes = [
            ValueChange(
                attribute,
                v["scope"],
                v["locale"],
                _current(product, attribute, v["scope"], v["locale"]),
                v["data"],
                self.types.get(attribute, ""),
            )
            for attribute, values in payload["values"].items()
            for v in values
        ]
        for key in ("family", "categories", "parent"):
            if key in payload:
                changes.insert(0, ValueChange(key, None, None, (product or {}).get(key), payload[key], key))
        verdict.changes = changes
        verdict.pim_uuid = (product or {}).get("uuid") or ""
        if product is None:
            verdict.action = CREATE
        elif any(c.changed for c in changes) or payload.get("_media") or payload.get("_assets"):
            # Media are compared by content when they are uploaded, not here: a row with media is sent.
            verdict.action = UPDATE
        else:
            verdict.action = UNCHANGED
        return verdict

    def judge(self, client: AkeneoClient, rows: Iterable[JobRow]) -> list[RowVerdict]:
        """Check and decide rows, reading the PIM once per hundred rows."""
        verdicts = [self.check(row) for row in rows]
        products = existing_products(client, (v.identifier for v in verdicts if v.action != REFUSE))
        return [self.decide(v, products.get(v.identifier)) for v in verdicts]


def pending_rows(job: SupplierJob):
    """Rows a push still has to do: neither sent successfully nor found unchanged."""
    done = [JobRow.Outcome.CREATED, JobRow.Outcome.UPDATED, JobRow.Outcome.SKIPPED]
    return job.rows.exclude(outcome__in=done).order_by("line")
