"""Preview before Finalize: per row, what the push will do and why, from the push's own decision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from connector.akeneo import AkeneoClient

from .decisions import PAGE, Decider, RowVerdict, pending_rows
from .models import SupplierJob
from .value_display import Shown, ValueFormatter

PREVIEW_ROWS = 200
PREDICTED_ROWS = 1000  # a Finalize page reads the PIM once per hundred of them, while a person waits


def _judge_pending(job: SupplierJob, client: AkeneoClient, limit: int):
    decider = Decider(job, planned_options_exist=True)
    rows = list(pending_rows(job)[:limit])
    for start in range(0, len(rows), PAGE):
        yield from decider.judge(client, rows[start : start + PAGE])


def preview_job(job: SupplierJob, client: AkeneoClient, *, limit: int = PREVIEW_ROWS) -> list[RowVerdict]:
    """The verdicts of the first ``limit`` rows not pushed yet (reads the PIM, never writes)."""
    return list(_judge_pending(job, client, limit))


@dataclass
class Prediction:
    counts: Counter  # action → rows
    reasons: Counter  # why rows are refused → rows
    checked: int
    pending: int

    @property
    def partial(self) -> bool:
        return self.checked < self.pending


def predict(job: SupplierJob, client: AkeneoClient, *, limit: int = PREDICTED_ROWS) -> Prediction:
    """What Finalize will do with the pending rows (the first ``limit`` of them)."""
    counts: Counter = Counter()
    reasons: Counter = Counter()
    checked = 0
    for verdict in _judge_pending(job, client, limit):
        counts[verdict.action] += 1
        reasons.update(verdict.problems)
        checked += 1
    return Prediction(counts, reasons, checked, pending_rows(job).count())


# ---------------------------------------------------------------------------- display only
@dataclass
class ShownChange:
    """One value the push changes, in words: what the PIM holds now, what it will hold."""

    attribute: str
    label: str
    where: str  # the channel and locale the value is for, if any
    before: Shown
    after: Shown


@dataclass
class PreviewRow:
    verdict: RowVerdict
    changes: list[ShownChange]


def preview_rows(
    job: SupplierJob, verdicts: list[RowVerdict], new_options: Iterable[tuple[str, str]] = ()
) -> list[PreviewRow]:
    """The verdicts as the preview page shows them: only changed values, each formatted for a person.

    ``new_options``: (attribute, code) of options the push creates first, shown as new ones.
    """
    changed = [[c for c in verdict.changes if c.changed] for verdict in verdicts]
    formatter = ValueFormatter(job.workflow.connection, new_options=new_options)
    formatter.load(
        (c.attribute, data) for changes in changed for c in changes for data in (c.before, c.after)
    )
    return [
        PreviewRow(
            verdict,
            [
                ShownChange(
                    c.attribute,
                    formatter.attribute_label(c.attribute),
                    ", ".join(part for part in (c.scope, c.locale) if part),
                    formatter.shown(c.attribute, c.before),
                    formatter.shown(c.attribute, c.after),
                )
                for c in changes
            ],
        )
        for verdict, changes in zip(verdicts, changed, strict=True)
    ]
