"""Run handlers of the SFCC export app, registered as run kinds in ``SfccExportConfig.ready``."""

from __future__ import annotations

from contextlib import contextmanager

from connector.akeneo import AkeneoError
from connector.runs import RunContext, RunFailed, start_scheduled_run

from .archive_delivery import DeliveryRejected, skipped_text
from .archive_parts import ArchiveTooLarge
from .delivery import SfccError
from .export import (
    EVENT_JOBS,
    JOBS,
    MODES,
    PASS_JOBS,
    EmptySelection,
    InvalidDocuments,
    run_jobs,
    wants_delivery,
)

EXPORT = "sfcc_export"
COUNT_NAMES = (
    "products",
    "masters",
    "variants",
    "groups",
    "categories",
    "assignments",
    "offline",
    "deleted",
    "price_tables",
    "images",
    "media_downloaded",
    "content_assets",
    "record_attributes",
    "refinements",
)
DEFAULT_JOB = "attributes"
NOT_RECORDED = "nothing was recorded as exported, so the next run exports these products again"


def run_export(context: RunContext) -> None:
    profile = context.target
    job = context.params.get("job", DEFAULT_JOB)
    mode = context.params.get("mode", "full")
    if job not in JOBS:
        raise RunFailed(f"Unknown export job '{job}' (known: {', '.join(JOBS)}).")
    if mode not in MODES:
        raise RunFailed(f"Unknown export mode '{mode}' (known: {', '.join(MODES)}).")
    if job == "refinements":
        from .refinements import save_refinements

        context.set_result(
            save_refinements(
                profile,
                context,
                source=context.params.get("file"),
                confirm_empty=bool(context.params.get("confirm_empty")),
            )
        )
        return
    if context.params.get("redeliver"):
        from .redelivery import redeliver

        redeliver(profile, context)
        return
    deliver = wants_delivery(profile, context.params.get("deliver"))
    if deliver and not profile.can_deliver:
        raise RunFailed("Delivery needs the profile's SFCC instance URL, API client id and secret.")
    targets = None
    if job in EVENT_JOBS:
        from .event_targets import take_targets

        targets = take_targets(profile, reconcile=job == "reconcile")
        if job == "events" and targets.empty:
            context.info("No PIM event since the last near-real-time export: nothing to do.")
            context.set_result({"job": job, "mode": job, "events": {"taken": 0}})
            return
    result: dict = {}
    try:
        with delivery_failures(context, result):
            run_jobs(
                profile,
                job,
                mode,
                context,
                output=context.params.get("output"),
                deliver=deliver,
                result=result,
                targets=targets,
            )
    except AkeneoError as exc:
        context.set_result(result)
        raise RunFailed(f"The export stopped on a PIM error; {NOT_RECORDED}: {exc.message}") from None
    except (EmptySelection, InvalidDocuments, ArchiveTooLarge) as exc:
        context.set_result(result)
        raise RunFailed(str(exc)) from None
    if targets is not None:
        result["events"] = {
            "taken": targets.events,
            "products": len(targets.product_uuids),
            "models": len(targets.model_codes),
            "deleted": targets.deletions,
            "last_event": targets.last_event,
        }
        if targets.reconcile:
            result["reconciliation"] = dict(targets.missed)
        from .event_targets import prune_events

        prune_events(profile.connection_id)
    summary = ", ".join(
        f"{result['counts'][name]} {name}" for name in COUNT_NAMES if result["counts"].get(name)
    )
    context.info(f"Export done ({result.get('mode', 'full')}): {summary or 'metadata only'}.")
    if result.get("archive"):
        context.info("Site archive: " + ", ".join(result.get("archives") or [result["archive"]]))
    finish_delivery(profile, context, result)


@contextmanager
def delivery_failures(context: RunContext, result: dict, recorded: str = NOT_RECORDED):
    """SFCC's refusals as run failures that name the part, with what was delivered kept on the run."""
    try:
        yield
    except DeliveryRejected as exc:
        context.set_result(result)
        raise RunFailed(
            f"SFCC rejected the import of {exc.where} (execution {exc.result.execution_id}, "
            f"{exc.result.exit_code}): {exc.result.message}; {recorded}. "
            + ("A rerun sends only this part and the ones after it." if exc.total > 1 else "")
        ) from None
    except SfccError as exc:
        context.set_result(result)
        raise RunFailed(f"Delivery to SFCC failed: {exc.message}; {recorded}.") from None


def finish_delivery(profile, context: RunContext, result: dict) -> None:
    """Record the result; an import that skipped elements makes the run done with warnings."""
    delivery = result.get("delivery") or {}
    skipped = delivery.get("skipped_count") or 0
    if skipped:
        from .archive_delivery import DeliveryOutcome

        outcome = DeliveryOutcome(skipped=delivery.get("skipped") or {}, skipped_count=skipped)
        result["alert"] = skipped > profile.skipped_alert_threshold
        context.done_with_warnings(f"SFCC imported the archive {skipped_text(outcome)}")
    context.set_result(result)


def export_lock_key(params: dict) -> str:
    job = str(params.get("job", DEFAULT_JOB))
    # They write the master catalog and its ledger too: one at a time with it, or an older read
    # could be imported after a newer one.
    return "master" if job in EVENT_JOBS else job


def schedule_names(profile_id: int) -> list[str]:
    from .signals import export_schedule_name

    return [export_schedule_name(profile_id, job) for job in JOBS]


def scheduled_export(profile_id: int, job: str) -> str:
    from .models import ExportProfile

    profile = ExportProfile.objects.filter(pk=profile_id).first()
    if job == "events" and profile is not None:
        from .event_targets import has_pending_events

        # Every few minutes: a run only when there is something to do, or the history would fill
        # with empty runs.
        if not has_pending_events(profile):
            return "No PIM event to export."
    # The product pass can be differential; the other jobs always write everything.
    params = {"job": job, "mode": "differential" if job in (*PASS_JOBS, "all") else "full"}
    return start_scheduled_run(EXPORT, profile, params=params)
