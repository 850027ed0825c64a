"""The operations dashboard: per connection, workflow and export profile, the last run of each kind,
the next scheduled time and the failures of the last 7 days. A constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from .models import Run, RunStatus
from .runs import kind_label
from .schedules import schedule_name

FAILURE_WINDOW = timedelta(days=7)
# (model, the schedule names of one object): what the dashboard lists, in this order.
TARGETS = (
    ("connector.AkeneoConnection", lambda pk: [schedule_name(pk)]),
    ("sdm.Workflow", lambda pk: [_workflow_schedule(pk)]),
    ("sfcc_export.ExportProfile", lambda pk: _export_schedules(pk)),
)


def _workflow_schedule(pk: int) -> str:
    from sdm.signals import workflow_schedule_name

    return workflow_schedule_name(pk)


def _export_schedules(pk: int) -> list[str]:
    from sfcc_export.export import JOBS
    from sfcc_export.signals import export_schedule_name

    return [export_schedule_name(pk, job) for job in JOBS]


@dataclass
class LastRun:
    label: str
    run: Run
    url: str

    @property
    def duration(self) -> timedelta | None:
        if self.run.started_at and self.run.finished_at:
            return self.run.finished_at - self.run.started_at
        if self.run.started_at:
            return timezone.now() - self.run.started_at
        return None

    @property
    def duration_text(self) -> str:
        duration = self.duration
        if duration is None:
            return ""
        seconds = duration.total_seconds()
        if seconds < 60:
            return f"{seconds:.1f} s"
        minutes, seconds = divmod(int(seconds), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s"

    @property
    def counters(self) -> str:
        return ", ".join(f"{value} {name}" for name, value in sorted(self.run.counters.items()) if value)


@dataclass
class TargetRow:
    kind: str  # connection, workflow, export profile
    label: str
    url: str
    last_runs: list[LastRun] = field(default_factory=list)
    next_run: object = None
    failures: int = 0
    failures_url: str = ""


def dashboard_rows(user) -> list[TargetRow]:
    since = timezone.now() - FAILURE_WINDOW
    rows: list[TargetRow] = []
    for model_path, schedule_names in TARGETS:
        model = apps.get_model(model_path)
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        objects = list(model.objects.order_by("name"))
        if not objects:
            continue
        content_type = ContentType.objects.get_for_model(model)
        ids = [obj.pk for obj in objects]
        runs = Run.objects.filter(target_type=content_type, target_id__in=ids)
        latest = (
            runs.values("target_id", "kind", "params__job")
            .annotate(last=Max("pk"))
            .values_list("last", flat=True)
        )
        last_by_target: dict[int, list[Run]] = defaultdict(list)
        for run in Run.objects.filter(pk__in=list(latest)).order_by("kind", "pk"):
            last_by_target[run.target_id].append(run)
        failures = dict(
            runs.filter(status=RunStatus.FAILED, finished_at__gte=since)
            .values("target_id")
            .annotate(n=Count("pk"))
            .values_list("target_id", "n")
        )
        names = {name: obj.pk for obj in objects for name in schedule_names(obj.pk)}
        next_runs: dict[int, object] = {}
        for name, next_run in Schedule.objects.filter(name__in=list(names)).values_list("name", "next_run"):
            pk = names[name]
            if next_run and (next_runs.get(pk) is None or next_run < next_runs[pk]):
                next_runs[pk] = next_run
        for obj in objects:
            rows.append(
                TargetRow(
                    kind=opts.verbose_name,
                    label=str(obj),
                    url=reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
                    last_runs=[
                        LastRun(_label(run), run, reverse("admin:connector_run_change", args=[run.pk]))
                        for run in last_by_target.get(obj.pk, [])
                    ],
                    next_run=next_runs.get(obj.pk),
                    failures=failures.get(obj.pk, 0),
                    failures_url=reverse("admin:connector_run_changelist") + f"?status__exact=failed&q={obj}",
                )
            )
    return rows


def _label(run: Run) -> str:
    job = (run.params or {}).get("job")
    return f"{kind_label(run.kind)}: {job}" if job else kind_label(run.kind)
