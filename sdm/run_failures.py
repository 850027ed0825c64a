"""A push run's page names the rows it could not push: file line, identifier, the PIM's message.

Registered as the push kind's ``failures`` (connector.runs.RunKind), so the run page in connector
shows them without knowing about supplier jobs.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from connector.models import Run
from connector.run_views import may_view

from .models import JobRow

FAILED_ROWS_SHOWN = 20


def failed_rows(run: Run, site: str = "admin", user=None) -> dict[str, Any] | None:
    if run.started_at is None:
        return None
    # A row records when it was pushed: this run's are those pushed while it ran. A row failed
    # here and pushed again by a later run belongs to that run now.
    rows = JobRow.objects.filter(
        job_id=run.target_id, outcome=JobRow.Outcome.FAILED, pushed_at__gte=run.started_at
    )
    if run.finished_at:
        rows = rows.filter(pushed_at__lte=run.finished_at)
    listed = rows.count()
    counted = (run.counters or {}).get("failed", 0)
    if not listed and not counted:
        return None
    opts = JobRow._meta
    return {
        # The counters are flushed a little after the rows are saved: while the push goes on, the
        # rows may be ahead.
        "failed": max(listed, counted),
        "listed": listed,
        "pushed_again": max(0, counted - listed),
        "rows": list(rows.order_by("line").values("line", "identifier", "message")[:FAILED_ROWS_SHOWN]),
        "url": reverse(f"{site}:{opts.app_label}_{opts.model_name}_changelist")
        + f"?job__id__exact={run.target_id}&outcome__exact=failed"
        if may_view(user, JobRow)
        else "",
    }
