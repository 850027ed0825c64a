"""Failed and stuck runs never go unnoticed: a scheduled check closes runs whose worker died, and
every failed run is mailed to its target's contacts (and to RUN_ALERT_EMAILS).

A run is stuck when it is in progress and its heartbeat (written at least every page or batch)
is older than RUN_STUCK_SECONDS, or when it is queued and no worker took it for RUN_QUEUED_MAX_SECONDS.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .emails import send_alert, split_emails
from .models import Run, RunStatus

logger = logging.getLogger(__name__)
CHECK_SCHEDULE_NAME = "connector-stuck-run-check"
CHECK_FUNC = "connector.alerts.check_stuck_runs"


def stuck_runs(now=None):
    now = now or timezone.now()
    silent_since = now - timedelta(seconds=settings.RUN_STUCK_SECONDS)
    waiting_since = now - timedelta(seconds=settings.RUN_QUEUED_MAX_SECONDS)
    return Run.objects.filter(
        Q(status=RunStatus.IN_PROGRESS, heartbeat_at__lt=silent_since)
        | Q(status=RunStatus.IN_PROGRESS, heartbeat_at__isnull=True, started_at__lt=silent_since)
        | Q(status=RunStatus.QUEUED, created_at__lt=waiting_since)
    )


def check_stuck_runs() -> int:
    """The scheduled check: fail every stuck run with the reason, and tell its contacts."""
    from .runs import abandon_run

    closed = 0
    for run in stuck_runs():
        if run.status == RunStatus.QUEUED:
            reason = (
                f"Stuck: queued for more than {settings.RUN_QUEUED_MAX_SECONDS:.0f} s and no worker "
                "took it (are the qcluster workers running?)."
            )
        else:
            last = run.heartbeat_at or run.started_at
            reason = (
                f"Stuck: no progress since {last:%Y-%m-%d %H:%M:%S} UTC (more than "
                f"{settings.RUN_STUCK_SECONDS:.0f} s); its worker probably died. Run it again: "
                "syncs start over, pushes and exports resume."
            )
        if abandon_run(run, reason):
            closed += 1
            logger.warning("Run #%s marked failed: %s", run.pk, reason)
            notify_failed_run(run.pk)
    return closed


def recipients(run: Run) -> list[str]:
    """The target's contacts (a supplier job's are its workflow's), then RUN_ALERT_EMAILS."""
    target = run.target
    owner = target if hasattr(target, "alert_emails") else getattr(target, "workflow", None)
    contacts = split_emails(getattr(owner, "alert_emails", "") or "")
    return list(dict.fromkeys([*contacts, *split_emails(settings.RUN_ALERT_EMAILS)]))


def notify_failed_run(run_id: int) -> bool:
    """Mail a failed run to whoever should know; a mail failure is logged, never raised."""
    run = Run.objects.filter(pk=run_id, status__in=[RunStatus.FAILED, RunStatus.WARNINGS]).first()
    if run is None:
        return False
    to = recipients(run)
    if not to:
        return False
    link = settings.SITE_URL.rstrip("/") + reverse("admin:connector_run_change", args=[run.pk])
    outcome = "failed" if run.status == RunStatus.FAILED else "ended with warnings"
    subject = f"[Akeneo connector] Run #{run.pk} {outcome}: {run.kind} of {run.target_label}"
    body = (
        f"Run #{run.pk} ({run.kind}) of {run.target_label} {outcome}.\n\n"
        f"{run.error}\n\nStarted: {run.started_at or '-'}; ended: {run.finished_at or '-'}.\n"
        f"Counters: {run.counters}\n\nDetails and log: {link}\n"
    )
    return send_alert(subject, body, to, f"the failure of run #{run.pk}")


def ensure_check_schedule(**kwargs) -> None:
    """post_migrate: the stuck-run check runs every minute on the workers."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=CHECK_SCHEDULE_NAME,
        defaults={"func": CHECK_FUNC, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
