"""Run handlers of the SFCC export app, registered as run kinds in ``SfccExportConfig.ready``."""

from __future__ import annotations

from connector.runs import RunContext, RunFailed

from .export import JOBS, archive_folder, export_attributes, zip_archive

EXPORT = "sfcc_export"


def run_export(context: RunContext) -> None:
    profile = context.target
    job = context.params.get("job", "attributes")
    if job not in JOBS:
        raise RunFailed(f"Unknown export job '{job}' (known: {', '.join(JOBS)}).")
    folder = archive_folder(profile, context.run.pk, context.params.get("output"))
    context.set_total(2)
    result = export_attributes(profile, folder)
    context.count("created", result["attributes"])
    context.advance()
    archive = zip_archive(folder)
    context.advance()
    context.info(f"Wrote {result['attributes']} attribute definitions; archive {archive}.")
    context.set_result({"folder": str(folder), "archive": str(archive), **result})
