"""What the admin shows of a run: one snapshot, rendered into the run pages and polled as JSON by
their live block, so what the page first shows and what the poll redraws never disagree.

Dates are in the active time zone (the user's, see ``connector.middleware.UserTimeZone``) and in
words, durations too ("3 min 12 s", "queued"); counters are the ones that mean something for the
run's kind; an export lists its archives, and a kind may name what it could not do (a push: its
failed rows, from sdm.run_failures).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone

from .models import Run, RunLogEntry, RunStatus
from .runs import DEFAULT_VIEW, KindView, get_kind, kind_label

LOG_TAIL = 200
DATE_FORMAT = "j M Y, H:i"  # 2 Dec 2026, 14:05


# Every counter a run writes, in the order they are shown, as the words a user reads.
COUNTER_LABELS = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "skipped": "unchanged (not sent)",
    "deleted": "deleted",
    "failed": "failed",
    "rows": "rows",
    "products": "products",
    "masters": "master products",
    "variants": "variants",
    "groups": "variation groups",
    "categories": "categories",
    "assignments": "category assignments",
    "offline": "set offline",
    "price_tables": "prices",
    "images": "images",
    "media_downloaded": "media downloaded",
    "attributes": "attributes",
    "record_attributes": "record attributes",
    "content_assets": "content assets",
    "refinements": "refinements",
}
_ORDER = {name: position for position, name in enumerate(COUNTER_LABELS)}


def when_text(moment: datetime | None) -> str:
    """A date as people write it, in the active time zone: "2 Dec 2026, 14:05"."""
    return dateformat.format(timezone.localtime(moment), DATE_FORMAT) if moment else ""


def duration_words(duration: timedelta) -> str:
    seconds = duration.total_seconds()
    if seconds < 1:
        return "under 1 s"
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def duration_text(run: Run) -> str:
    if run.status == RunStatus.QUEUED:
        return "queued"
    if run.started_at is None:
        return "not started"
    return duration_words(run.duration)


def kind_view(kind: str) -> KindView:
    """How runs of ``kind`` read, as its app registered it (connector.runs.register_kind)."""
    try:
        return get_kind(kind).view
    except LookupError:
        return DEFAULT_VIEW


def counter_rows(run: Run) -> list[dict[str, Any]]:
    counters = run.counters or {}
    always = kind_view(run.kind).counters
    names = [*always, *(name for name, value in counters.items() if value and name not in always)]
    extra = sorted(names[len(always) :], key=lambda name: (_ORDER.get(name, len(_ORDER)), name))
    return [
        {
            "name": name,
            "label": COUNTER_LABELS.get(name, name.replace("_", " ")),
            "value": counters.get(name, 0),
            "value_text": f"{counters.get(name, 0):,}",
        }
        for name in [*always, *extra]
    ]


def counters_text(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{row['value']:,} {row['label']}" for row in rows if row["value"])


def progress_text(run: Run) -> str:
    """What the progress bar stands for, in words: "120 of 300 products", "120 of about 1,200
    products", "120 products so far"."""
    singular, plural = kind_view(run.kind).unit
    done, total = run.progress_done, run.progress_total
    estimated = run.typed_result.progress_is_estimate()
    if total and not (estimated and not run.is_active):
        unit = singular if total == 1 else plural
        return f"{done:,} of {'about ' if estimated else ''}{total:,} {unit}".strip()
    if run.status == RunStatus.QUEUED:
        return "waiting for a worker"
    if not done:
        return ""
    unit = singular if done == 1 else plural
    return f"{done:,} {unit}{' so far' if run.is_active else ''}".strip()


def run_summary(run: Run) -> dict[str, Any]:
    """What a line about a run says (recent-run lists, dashboard): no query beyond the row itself."""
    duration = run.duration
    rows = counter_rows(run)
    return {
        "id": run.pk,
        "kind": run.kind,
        "kind_label": kind_label(run.kind),
        "target": run.target_label,
        "status": run.status,
        "status_label": run.get_status_display(),
        "active": run.is_active,
        "trigger_label": run.get_trigger_display(),
        "requested_by": str(run.requested_by) if run.requested_by_id else "",
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "progress_estimated": run.typed_result.progress_is_estimate(),
        "progress_text": progress_text(run),
        "percent": run.progress_percent,
        "counters": run.counters,
        "counter_rows": rows,
        "counters_text": counters_text(rows),
        "error": run.error,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "created_text": when_text(run.created_at),
        "started_text": when_text(run.started_at) or ("not yet" if run.is_active else "never"),
        "finished_text": when_text(run.finished_at),
        "duration_seconds": round(duration.total_seconds(), 1) if duration else None,
        "duration_text": duration_text(run),
        "time_zone": timezone.get_current_timezone_name(),
    }


def log_entries(run: Run, min_level: int | None = None, limit: int = LOG_TAIL) -> QuerySet[RunLogEntry]:
    entries = run.log_entries.all()
    if min_level:
        entries = entries.filter(level__gte=min_level)
    return entries.order_by("-pk")[:limit]


def run_snapshot(run: Run, min_level: int | None = None, site: str = "admin", user=None) -> dict[str, Any]:
    """Links are offered only to pages ``user`` may open (all of them without a user)."""
    return {
        **run_summary(run),
        "target_url": target_url(run, site, user),
        "archives": archives(run, site),
        "failures": failures(run, site, user),
        "log": [
            {
                "time": dateformat.format(timezone.localtime(e.created_at), "H:i:s"),
                "level": e.get_level_display(),
                "message": e.message,
            }
            for e in reversed(list(log_entries(run, min_level)))
        ],
    }


def failures(run: Run, site: str, user) -> dict[str, Any] | None:
    """What the run could not do, named, as its kind tells (a push: its failed rows), or None."""
    try:
        named = get_kind(run.kind).failures
    except LookupError:
        return None
    return named(run, site, user) if named else None


def may_view(user, model) -> bool:
    if user is None:
        return True
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def target_url(run: Run, site: str = "admin", user=None) -> str:
    """The admin page of what the run worked on (connection, workflow, supplier job, export profile)."""
    content_type = ContentType.objects.get_for_id(run.target_type_id)
    model = content_type.model_class()
    if model is None or not may_view(user, model):
        return ""
    if not model._default_manager.filter(pk=run.target_id).exists():
        return ""
    try:
        return reverse(f"{site}:{content_type.app_label}_{content_type.model}_change", args=[run.target_id])
    except NoReverseMatch:
        return ""


# ---------------------------------------------------------------------------------------- archives


def _recorded_archives(run: Run) -> list[str]:
    return run.typed_result.produced_files()


def _archive_roots(run: Run) -> list[Path]:
    roots = [Path(settings.EXPORT_ROOT)]
    output_dir = getattr(run.target, "output_dir", "") if run.target_id else ""
    if output_dir:
        roots.append(Path(output_dir))
    return [root.resolve() for root in roots]


def archive_file(run: Run, name: str) -> Path | None:
    """The archive of ``run`` called ``name``: only a file the run recorded, that exists, and that
    lies (links resolved) inside EXPORT_ROOT or the target's output folder."""
    matches = [Path(path) for path in _recorded_archives(run) if Path(path).name == name]
    if not matches or name in ("", ".", ".."):
        return None
    try:
        path = matches[0].resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_file() or not any(path.is_relative_to(root) for root in _archive_roots(run)):
        return None
    return path


def size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def archives(run: Run, site: str = "admin") -> list[dict[str, Any]]:
    listed = []
    for recorded in _recorded_archives(run):
        name = Path(recorded).name
        path = archive_file(run, name)
        if path is not None:
            listed.append(
                {
                    "name": name,
                    "url": reverse(f"{site}:connector_run_archive", args=[run.pk, name]),
                    "size_text": size_text(path.stat().st_size),
                }
            )
    return listed


RECENT_SYNCS = 10


def sync_status_page(
    model_admin,
    request,
    target,
    kind: str,
    *,
    template: str,
    can_sync: bool,
    change_url: str,
    last_synced_at: datetime | None,
    never_synced_noun: str,
    **extra: Any,
):
    """A target's synchronization page (admin/connector/run/sync_status.html, extended per target):
    its latest run followed live, its recent runs, Synchronize when ``can_sync``. ``extra`` goes to
    the template as is."""
    runs = list(Run.objects.for_target(target, kind).select_related("requested_by")[:RECENT_SYNCS])
    # A refused start (skipped) is listed, but the live block follows the run that did the work.
    current = next((run for run in runs if run.status != RunStatus.SKIPPED), None)
    site = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": target,
        "target": target,
        "title": f"Synchronization of {target}",
        "current": current,
        "snapshot": run_snapshot(current, site=site, user=request.user) if current else None,
        # Drawn from the same summary as the live block above, which the poll keeps redrawing.
        "recent_runs": [run_summary(run) for run in runs],
        "last_synced_text": when_text(last_synced_at) or "never",
        "can_sync": can_sync,
        "change_url": change_url,
        "never_synced_noun": never_synced_noun,
        **extra,
    }
    return TemplateResponse(request, template, context)
