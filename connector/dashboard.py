"""The operations dashboard: per connection, workflow and export profile, the last run of each kind
(a workflow's supplier-job imports and pushes included), the next scheduled time and the failures of
the last 7 days, each one a link to its run; and, while the install is not set up yet, the
first-run guide. A constant number of queries, whatever the number of targets and runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Case, Count, F, Max, OuterRef, Q, Subquery, When, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from .first_run import FirstRunGuide, first_run_guide
from .models import Run, RunStatus
from .run_views import counter_rows, counters_text, duration_text, when_text
from .runs import kind_label, registered_kinds

FAILURE_WINDOW = timedelta(days=7)
FAILURES_SHOWN = 5


@dataclass(frozen=True)
class Target:
    model: str
    schedules: tuple[Callable[[int], list[str]], ...] = ()
    # Rows whose runs the target answers for, by the field that points to it: a workflow's
    # supplier jobs (their imports and pushes) are the workflow's business.
    children: tuple[tuple[str, str], ...] = ()

    def schedule_names(self, pk: int) -> list[str]:
        return [name for names in self.schedules for name in names(pk)]


def targets() -> list[Target]:
    """What the dashboard lists, from the run-kind registry: each kind's target model once, in the
    order the apps registered their kinds, with the kinds whose targets it owns as its children."""
    models: dict[str, dict] = {}
    for kind in registered_kinds():
        if not kind.target_model:
            continue
        if kind.owner:
            owner, link = kind.owner
            entry = models.setdefault(owner, {"schedules": [], "children": []})
            if (kind.target_model, link) not in entry["children"]:
                entry["children"].append((kind.target_model, link))
        else:
            entry = models.setdefault(kind.target_model, {"schedules": [], "children": []})
        if kind.schedules:
            entry["schedules"].append(kind.schedules)
    return [
        Target(model, tuple(entry["schedules"]), tuple(entry["children"])) for model, entry in models.items()
    ]


@dataclass
class LastRun:
    label: str
    run: Run
    url: str

    @property
    def duration_text(self) -> str:
        return duration_text(self.run)

    @property
    def started_text(self) -> str:
        return when_text(self.run.started_at)

    @property
    def finished_text(self) -> str:
        return when_text(self.run.finished_at)

    @property
    def counters(self) -> str:
        return counters_text(counter_rows(self.run))


@dataclass
class TargetRow:
    kind: str  # connection, workflow, export profile
    label: str
    url: str
    last_runs: list[LastRun] = field(default_factory=list)
    next_run: datetime | None = None
    failures: int = 0
    failed_runs: list[LastRun] = field(default_factory=list)
    failures_url: str = ""  # the runs list, showing exactly the failures counted here
    problem: str = ""  # why the systems it calls did not answer its last run (connector.health)

    @property
    def next_run_text(self) -> str:
        return when_text(self.next_run)

    @property
    def more_failures(self) -> int:
        return self.failures - len(self.failed_runs)


@dataclass(frozen=True)
class Panel:
    template: str
    rows: list


# Panels other apps add below the table (AppConfig.ready): template → rows(user).
PANELS: dict[str, Callable] = {}


def register_panel(template: str, rows: Callable) -> None:
    PANELS[template] = rows


@dataclass
class Dashboard:
    """The rows, iterable as such (``{% for row in dashboard_rows %}``), the first-run guide and the
    registered panels that have something to show."""

    rows: list[TargetRow]
    guide: FirstRunGuide | None = None
    panels: list[Panel] = field(default_factory=list)

    def __iter__(self) -> Iterator[TargetRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def dashboard_rows(user) -> Dashboard:
    since = timezone.now() - FAILURE_WINDOW
    changelist = reverse("admin:connector_run_changelist")
    rows: list[TargetRow] = []
    for target in targets():
        model = apps.get_model(target.model)
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        objects = list(model.objects.order_by("name"))
        if not objects:
            continue
        content_type = ContentType.objects.get_for_model(model)
        runs = _runs_of(target, content_type, [obj.pk for obj in objects])
        latest = (
            runs.exclude(status=RunStatus.SKIPPED)  # the last run that ran, not the last refusal
            .values("owner", "kind", "lock_key")
            .annotate(last=Max("pk"))
            .values_list("last", flat=True)
        )
        last_by_owner: dict[int, list[Run]] = defaultdict(list)
        for run in runs.filter(pk__in=list(latest)).order_by("kind", "pk"):
            last_by_owner[run.owner].append(run)
        failed = runs.filter(status=RunStatus.FAILED, finished_at__gte=since)
        failures = dict(failed.values("owner").annotate(n=Count("pk")).values_list("owner", "n"))
        failed_by_owner: dict[int, list[Run]] = defaultdict(list)
        newest_failed = failed.annotate(
            rank=Window(RowNumber(), partition_by=[F("owner")], order_by=F("pk").desc())
        ).filter(rank__lte=FAILURES_SHOWN)
        for run in newest_failed.order_by("-pk"):
            failed_by_owner[run.owner].append(run)
        names = {name: obj.pk for obj in objects for name in target.schedule_names(obj.pk)}
        next_runs: dict[int, datetime] = {}
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
                    last_runs=[_last(run, content_type) for run in last_by_owner.get(obj.pk, [])],
                    next_run=next_runs.get(obj.pk),
                    failures=failures.get(obj.pk, 0),
                    failed_runs=[_last(run, content_type) for run in failed_by_owner.get(obj.pk, [])],
                    problem=getattr(obj, "health_problem", ""),
                    failures_url=f"{changelist}?"
                    + urlencode(
                        {
                            "status__exact": RunStatus.FAILED,
                            "row": f"{content_type.pk}-{obj.pk}",
                            "finished_at__gte": since.isoformat(),
                        }
                    ),
                )
            )
    panels = [Panel(template, found) for template, rows_of in PANELS.items() if (found := rows_of(user))]
    return Dashboard(rows, guide=first_run_guide(user), panels=panels)


def row_runs(type_id: int, pk: int) -> Q:
    """The runs one dashboard row answers for (the runs list's "row" filter): its target's own and
    its children's."""
    content_type = ContentType.objects.get_for_id(type_id)
    target = next(
        (t for t in targets() if t.model.lower() == f"{content_type.app_label}.{content_type.model}"), None
    )
    if target is None:
        return Q(target_type_id=type_id, target_id=pk)
    return _scope(target, content_type, [pk])


def _scope(target: Target, content_type: ContentType, ids: list[int]) -> Q:
    scope = Q(target_type=content_type, target_id__in=ids)
    for child_path, link in target.children:
        child = apps.get_model(child_path)
        children = child.objects.filter(**{f"{link}__in": ids}).values("pk")
        scope |= Q(target_type=ContentType.objects.get_for_model(child), target_id__in=children)
    return scope


def _runs_of(target: Target, content_type: ContentType, ids: list[int]):
    """Runs on the targets and on their children, each annotated with ``owner``: the target's id."""
    owners = [When(target_type=content_type, then=F("target_id"))]
    for child_path, link in target.children:
        child = apps.get_model(child_path)
        owners.append(
            When(
                target_type=ContentType.objects.get_for_model(child),
                then=Subquery(child.objects.filter(pk=OuterRef("target_id")).values(link)[:1]),
            )
        )
    runs = Run.objects.filter(_scope(target, content_type, ids))
    return runs.annotate(owner=Case(*owners, output_field=BigIntegerField()))


def _last(run: Run, own_type: ContentType) -> LastRun:
    return LastRun(_label(run, own_type), run, reverse("admin:connector_run_change", args=[run.pk]))


def _label(run: Run, own_type: ContentType) -> str:
    label = kind_label(run.kind)
    job = (run.params or {}).get("job")
    if job:
        label = f"{label}: {job}"
    if run.target_type_id != own_type.pk:  # a child's run says whose it is
        label = f"{label} · {run.target_label}"
    return label
