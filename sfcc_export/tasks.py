"""Run handlers of the SFCC export app, registered as run kinds in ``SfccExportConfig.ready``."""

from __future__ import annotations

from connector.akeneo import AkeneoError
from connector.runs import RunContext, RunFailed, start_scheduled_run

from .delivery import SfccError
from .export import JOBS, MODES, PASS_JOBS, DeliveryRejected, EmptySelection, run_jobs, wants_delivery

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
NOT_RECORDED = "nothing was recorded as exported, so the next run exports these products again"


def run_export(context: RunContext) -> None:
    profile = context.target
    job = context.params.get("job", "attributes")
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
    deliver = wants_delivery(profile, context.params.get("deliver"))
    if deliver and not profile.can_deliver:
        raise RunFailed("Delivery needs the profile's SFCC instance URL, API client id and secret.")
    try:
        result = run_jobs(profile, job, mode, context, output=context.params.get("output"), deliver=deliver)
    except AkeneoError as exc:
        raise RunFailed(f"The export stopped on a PIM error; {NOT_RECORDED}: {exc.message}") from None
    except EmptySelection as exc:
        raise RunFailed(str(exc)) from None
    except DeliveryRejected as exc:
        raise RunFailed(
            f"SFCC rejected the import of {exc.result.file_name} (execution {exc.result.execution_id}, "
            f"{exc.result.exit_code}): {exc.result.message}; {NOT_RECORDED}."
        ) from None
    except SfccError as exc:
        raise RunFailed(f"Delivery to SFCC failed: {exc.message}; {NOT_RECORDED}.") from None
    summary = ", ".join(
        f"{result['counts'][name]} {name}" for name in COUNT_NAMES if result["counts"].get(name)
    )
    context.info(f"Export done ({result.get('mode', 'full')}): {summary or 'metadata only'}.")
    context.info(f"Site archive: {result['archive']}")
    context.set_result(result)


def scheduled_export(profile_id: int, job: str) -> str:
    from .models import ExportProfile

    # The product pass can be differential; the other jobs always write everything.
    params = {"job": job, "mode": "differential" if job in (*PASS_JOBS, "all") else "full"}
    return start_scheduled_run(EXPORT, ExportProfile.objects.filter(pk=profile_id).first(), params=params)
