"""Run handlers of the SFCC export app, registered as run kinds in ``SfccExportConfig.ready``."""

from __future__ import annotations

from connector.akeneo import AkeneoError
from connector.runs import RunContext, RunFailed, start_scheduled_run

from .export import JOBS, MODES, archive_folder, export_attributes, export_catalogs, jobs_of, zip_archive

EXPORT = "sfcc_export"
COUNT_NAMES = ("products", "masters", "variants", "groups", "categories", "assignments", "offline", "deleted")


def run_export(context: RunContext) -> None:
    profile = context.target
    job = context.params.get("job", "attributes")
    mode = context.params.get("mode", "full")
    if job not in JOBS:
        raise RunFailed(f"Unknown export job '{job}' (known: {', '.join(JOBS)}).")
    if mode not in MODES:
        raise RunFailed(f"Unknown export mode '{mode}' (known: {', '.join(MODES)}).")
    jobs = jobs_of(job)
    folder = archive_folder(profile, context.run.pk, context.params.get("output"))
    result: dict = {"job": job, "folder": str(folder), "files": [], "counts": {}, "attributes": 0}
    if "attributes" in jobs:
        written = export_attributes(profile, folder)
        result["files"] += written["files"]
        result["attributes"] = written["attributes"]
        context.count("attributes", written["attributes"])
        context.info(f"Wrote {written['attributes']} custom attribute definitions.")
    archive = None

    def deliver() -> None:
        nonlocal archive
        archive = zip_archive(folder)

    if "master" in jobs or "storefront" in jobs:
        try:
            catalogs = export_catalogs(profile, jobs, folder, mode, context, deliver)
        except AkeneoError as exc:
            raise RunFailed(
                f"The export stopped on a PIM error; nothing was recorded as exported, so the next "
                f"run exports these products again: {exc.message}"
            ) from None
        result["files"] += catalogs["files"]
        result.update(counts=catalogs["counts"], watermarks=catalogs["watermarks"], mode=catalogs["mode"])
        summary = ", ".join(f"{catalogs['counts'].get(name, 0)} {name}" for name in COUNT_NAMES)
        context.info(f"Catalogs written ({catalogs['mode']}): {summary}.")
    else:
        deliver()
    result["archive"] = str(archive)
    context.info(f"Site archive: {archive}")
    context.set_result(result)


def scheduled_export(profile_id: int, job: str) -> str:
    from .models import ExportProfile

    params = {"job": job, "mode": "full" if job == "attributes" else "differential"}
    return start_scheduled_run(EXPORT, ExportProfile.objects.filter(pk=profile_id).first(), params=params)
