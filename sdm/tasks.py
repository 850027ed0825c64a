"""Run handlers of the SDM app, registered as run kinds in ``SdmConfig.ready``."""

from __future__ import annotations

from connector.models import RunStatus
from connector.runs import (
    RunCancelled,
    RunContext,
    RunFailed,
    run_nested,
    start_scheduled_run,
)
from connector.tasks import STRUCTURE_SYNC

from .models import SupplierJob, Workflow
from .results import JobImportResult, JobPushResult
from .sync import EmptyScope, rebuild_project_configuration, scope_warnings

WORKFLOW_SYNC = "sdm_workflow_sync"
JOB_PUSH = "sdm_job_push"
JOB_IMPORT = "sdm_job_import"


def run_workflow_sync(context: RunContext) -> None:
    workflow: Workflow = context.target
    connection = workflow.connection
    context.set_total(3)
    context.info(f"Synchronising the PIM structure of '{connection}' first.")
    structure = run_nested(STRUCTURE_SYNC, connection, context)
    if structure.status != RunStatus.DONE:
        raise RunFailed(
            f"The PIM structure sync (run #{structure.pk}) ended {structure.get_status_display().lower()}: "
            f"{structure.error}"
        )
    context.info(f"Structure sync done (run #{structure.pk}).")
    context.advance()
    context.checkpoint()
    try:
        for warning in scope_warnings(workflow):
            context.warning(warning)
        result = rebuild_project_configuration(workflow)
    except EmptyScope as exc:
        raise RunFailed(str(exc)) from None
    context.advance()
    counts = result["counts"]
    context.count("created", len(result["added"]))
    context.count("updated", len(result["updated"]) + len(result["restored"]))
    context.count("unchanged", result["unchanged"])
    context.count("deleted", len(result["removed"]))
    context.info(
        f"Project configuration: {counts['attributes']} SDM attributes, "
        f"{counts['display_groups']} display groups, {counts['hierarchies']} hierarchies."
    )
    if result["added"]:
        context.info(
            f"Added: {', '.join(result['added'][:50])}" + (" …" if len(result["added"]) > 50 else "")
        )
    if result["removed"]:
        context.info(
            f"Removed: {', '.join(result['removed'][:50])}" + (" …" if len(result["removed"]) > 50 else "")
        )
    if result["restored"]:
        context.warning(
            f"Edited by hand, now overwritten with the PIM's values: {', '.join(result['restored'])}"
        )
    if result["flagged_steps"]:
        context.warning(f"{result['flagged_steps']} step(s) refer to attributes that no longer exist.")
    context.set_result({**result, "structure_run": structure.pk})
    context.advance()


def connection_of_workflow(run) -> int | None:
    return Workflow.objects.filter(pk=run.target_id).values_list("connection_id", flat=True).first()


def connection_of_job(run) -> int | None:
    return (
        SupplierJob.objects.filter(pk=run.target_id).values_list("workflow__connection_id", flat=True).first()
    )


def scheduled_workflow_sync(workflow_id: int) -> str:
    return start_scheduled_run(WORKFLOW_SYNC, Workflow.objects.filter(pk=workflow_id, active=True).first())


def run_job_push(context: RunContext) -> None:
    from connector.akeneo import AkeneoError

    from .push import push_job

    job: SupplierJob = context.target
    if not job.rows_ready:
        raise RunFailed(f"{job} has no rows to push: {job.get_status_display().lower()}.")
    context.info(f"Pushing {job} to {job.workflow.connection.base_url}.")
    try:
        with job.workflow.connection.client() as client:
            summary = push_job(job, client, context)
    except AkeneoError as exc:
        raise RunFailed(f"The push stopped; rerun it to resume where it stopped: {exc.message}") from None
    status = SupplierJob.Status.PARTIAL if summary.failed else SupplierJob.Status.PUSHED
    SupplierJob.objects.filter(pk=job.pk).update(status=status)
    context.set_result(JobPushResult(**vars(summary)))
    context.info(
        f"Pushed: {summary.created} created, {summary.updated} updated, {summary.skipped} unchanged "
        f"(not sent), {summary.failed} failed."
    )


def run_job_import(context: RunContext) -> None:
    """A supplier file read into its job in the background: rows counted first (the run's total)."""
    from .jobs import discard_upload, fill_job, inspect_supplier_file
    from .supplier_files import SupplierFileError

    job: SupplierJob = context.target
    path = context.params["path"]
    context.info(f"Importing {job.source_filename} into {job}.")
    try:
        _, rows = inspect_supplier_file(path)
        context.set_total(rows)
        fill_job(job, path, progress=context)
    except (SupplierFileError, OSError) as exc:
        reason = str(exc) if isinstance(exc, SupplierFileError) else f"The file cannot be read: {exc}"
        SupplierJob.objects.filter(pk=job.pk).update(
            status=SupplierJob.Status.IMPORT_FAILED, import_error=reason
        )
        discard_upload(path)
        raise RunFailed(reason) from None
    except RunCancelled:
        SupplierJob.objects.filter(pk=job.pk).update(
            status=SupplierJob.Status.IMPORT_FAILED, import_error="The import was cancelled."
        )
        raise
    context.count("rows", job.row_count)
    context.info(f"Imported {job.row_count} rows.")
    context.set_result(JobImportResult(job=job.pk, rows=job.row_count))
