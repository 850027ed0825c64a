"""What Finalize does with each row: one decision for the preview, the Finalize page and the push.

A row is refused (with every reason) when it cannot be built, when its identifier appears on more
than one row, or when its variant cannot get a valid product model; otherwise it creates a product
the PIM does not have, updates one whose values differ, or is left alone when the PIM already holds
every value it carries. The push sends exactly the rows this says to send.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
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
SET_LIKE = {"categories"}  # properties whose order the PIM does not keep


@dataclass
class ValueChange:
    attribute: str
    scope: str | None
    locale: str | None
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return not same(self.before, self.after, as_set=self.attribute in SET_LIKE)


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


def _normal(data: Any, *, as_set: bool = False) -> Any:
    """A form of PIM data in which equal values compare equal: numbers by value, lists of codes as sets."""
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int | float | Decimal):
        return ("n", Decimal(str(data)).normalize())
    if isinstance(data, str):
        try:
            return ("n", Decimal(data).normalize()) if data.strip() else data
        except InvalidOperation:
            return data[:10] if _is_date(data) else data
    if isinstance(data, dict):
        return tuple(sorted((k, _normal(v)) for k, v in data.items() if k not in ("symbol", "linked_data")))
    if isinstance(data, list | tuple):
        items = [_normal(item) for item in data]
        if as_set or all(isinstance(item, str) for item in data):
            return ("set", frozenset(map(repr, items)))
        if all(isinstance(item, dict) for item in data) and data and "currency" in data[0]:
            return ("set", frozenset(map(repr, items)))  # a price collection has no order
        return tuple(items)
    return data


def _is_date(text: str) -> bool:
    return len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" and text[:4].isdigit()


def same(before: Any, after: Any, *, as_set: bool = False) -> bool:
    return _normal(before, as_set=as_set) == _normal(after, as_set=as_set)


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
            )
            for attribute, values in payload["values"].items()
            for v in values
        ]
        for key in ("family", "categories", "parent"):
            if key in payload:
                changes.insert(0, ValueChange(key, None, None, (product or {}).get(key), payload[key]))
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
