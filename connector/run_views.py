"""What the admin shows of a run: a JSON snapshot for the live progress bar, and log filtering."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Run, RunLogEntry
from .runs import kind_label

LOG_TAIL = 200


def log_entries(run: Run, min_level: int | None = None, limit: int = LOG_TAIL) -> QuerySet[RunLogEntry]:
    entries = run.log_entries.all()
    if min_level:
        entries = entries.filter(level__gte=min_level)
    return entries.order_by("-pk")[:limit]


def run_snapshot(run: Run, min_level: int | None = None) -> dict[str, Any]:
    duration = run.duration
    return {
        "id": run.pk,
        "kind": run.kind,
        "kind_label": kind_label(run.kind),
        "target": run.target_label,
        "status": run.status,
        "status_label": run.get_status_display(),
        "active": run.is_active,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "percent": run.progress_percent,
        "counters": run.counters,
        "error": run.error,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_seconds": round(duration.total_seconds(), 1) if duration else None,
        "log": [
            {"time": e.created_at.isoformat(), "level": e.get_level_display(), "message": e.message}
            for e in reversed(list(log_entries(run, min_level)))
        ],
    }
