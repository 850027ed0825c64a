"""The dashboard's near-real-time panel: per profile that exports from the PIM's events, the
subscription's state, events of the last hour, the oldest event not yet delivered (the lag), and
the last reconciliation with what it found. Four queries, whatever the number of profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from connector.models import PimEvent, Run, RunStatus
from connector.run_views import duration_words, when_text

from .models import ExportProfile
from .tasks import EXPORT


@dataclass
class EventRow:
    profile: ExportProfile
    url: str
    subscription: str
    last_hour: int
    oldest_waiting: datetime | None
    reconciliation: Run | None
    reconciliation_url: str = ""

    @property
    def lag_text(self) -> str:
        if self.oldest_waiting is None:
            return "none waiting"
        return (
            f"{duration_words(timezone.now() - self.oldest_waiting)} (since {when_text(self.oldest_waiting)})"
        )

    @property
    def reconciliation_text(self) -> str:
        run = self.reconciliation
        if run is None:
            return "not run yet"
        when = when_text(run.finished_at or run.created_at)
        if run.status == RunStatus.FAILED:
            return f"{when}: failed"
        missed = run.typed_result.reconciliation or {}
        if not missed:
            return f"{when}: {run.get_status_display().lower()}"
        return (
            f"{when}: events had missed {missed.get('products', 0)} products, "
            f"{missed.get('models', 0)} models, {missed.get('removals', 0)} removals"
        )


def event_rows(user) -> list[EventRow]:
    if not user.has_perm("sfcc_export.view_exportprofile"):
        return []
    profile_type = ContentType.objects.get_for_model(ExportProfile)
    oldest = (
        PimEvent.objects.filter(
            connection_id=OuterRef("connection_id"),
            pk__gt=Coalesce(OuterRef("event_cursor__last_event"), Value(0)),
        )
        .order_by("pk")
        .values("received_at")[:1]
    )
    last_reconciliation = (
        Run.objects.filter(
            target_type=profile_type, target_id=OuterRef("pk"), kind=EXPORT, params__job="reconcile"
        )
        .exclude(status=RunStatus.SKIPPED)
        .order_by("-pk")
        .values("pk")[:1]
    )
    profiles = list(
        ExportProfile.objects.filter(near_real_time=True)
        .select_related("connection", "connection__event_subscription")
        .annotate(oldest_waiting=Subquery(oldest), last_reconciliation=Subquery(last_reconciliation))
        .order_by("name")
    )
    if not profiles:
        return []
    hour_ago = timezone.now() - timedelta(hours=1)
    per_hour = dict(
        PimEvent.objects.filter(
            connection_id__in={p.connection_id for p in profiles}, received_at__gte=hour_ago
        )
        .values("connection_id")
        .annotate(n=Count("pk"))
        .values_list("connection_id", "n")
    )
    runs = Run.objects.in_bulk([p.last_reconciliation for p in profiles if p.last_reconciliation])
    rows = []
    for profile in profiles:
        subscription = getattr(profile.connection, "event_subscription", None)
        run = runs.get(profile.last_reconciliation)
        rows.append(
            EventRow(
                profile=profile,
                url=reverse("admin:sfcc_export_exportprofile_change", args=[profile.pk]),
                subscription=subscription.get_status_display() if subscription else "Not set up",
                last_hour=per_hour.get(profile.connection_id, 0),
                oldest_waiting=profile.oldest_waiting,
                reconciliation=run,
                reconciliation_url=reverse("admin:connector_run_change", args=[run.pk]) if run else "",
            )
        )
    return rows
