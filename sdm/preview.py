"""Preview before Finalize: per row, what the push will do and why, from the push's own decision."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from connector.akeneo import AkeneoClient

from .decisions import PAGE, Decider, RowVerdict, pending_rows
from .models import SupplierJob

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
