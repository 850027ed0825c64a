from django.apps import AppConfig


class SdmConfig(AppConfig):
    name = "sdm"
    verbose_name = "Supplier data manager"

    def ready(self) -> None:
        from connector import health, roles, runs

        from . import results, run_failures, signals, tasks  # noqa: F401 - signals connects receivers

        runs.register_kind(
            tasks.WORKFLOW_SYNC,
            "SDM workflow sync",
            tasks.run_workflow_sync,
            target_model="sdm.Workflow",
            schedules=lambda pk: [signals.workflow_schedule_name(pk)],
            view=runs.KindView(("step", "steps"), runs.SYNC_COUNTERS),
            health=health.pim_health(tasks.connection_of_workflow),
            result_type=results.WorkflowSyncResult,
        )
        # A supplier job's imports and pushes are its workflow's business (the dashboard's row).
        job_of_workflow = ("sdm.Workflow", "workflow")
        runs.register_kind(
            tasks.JOB_PUSH,
            "Supplier job push",
            tasks.run_job_push,
            target_model="sdm.SupplierJob",
            owner=job_of_workflow,
            view=runs.KindView(("row", "rows"), ("created", "updated", "skipped", "failed")),
            health=health.pim_health(tasks.connection_of_job),
            failures=run_failures.failed_rows,
            result_type=results.JobPushResult,
        )
        runs.register_kind(
            tasks.JOB_IMPORT,
            "Supplier file import",
            tasks.run_job_import,
            target_model="sdm.SupplierJob",
            owner=job_of_workflow,
            view=runs.KindView(("row", "rows"), ("rows",)),
            result_type=results.JobImportResult,
        )
        roles.add_role_permissions(
            roles.BUSINESS_CONSULTANT,
            [
                "sdm.add_workflow",
                "sdm.change_workflow",
                "sdm.delete_workflow",
                "sdm.sync_workflow",
                "sdm.*_workflowstep",
                "sdm.change_jobcolumn",
                "sdm.view_*",
            ],
        )
        roles.add_role_permissions(
            roles.SDM_ADMIN,
            [
                "sdm.view_*",
                "sdm.sync_workflow",
                "sdm.configure_attributes_workflow",
                "sdm.change_sdmattribute",
                "sdm.*_supplierjob",
                "sdm.*_jobcolumn",
                "sdm.*_valuemapping",
                # Issuing and revoking suppliers' API keys, for suppliers' accounts only (admin_tokens).
                "sdm.add_apitoken",
                "sdm.delete_apitoken",
            ],
        )
        roles.add_role_permissions(roles.OPERATOR, ["sdm.view_*", "sdm.sync_workflow"])
        roles.add_role_permissions(
            roles.SUPPLIER,
            [
                "sdm.view_workflow",
                "sdm.add_supplierjob",
                "sdm.view_supplierjob",
                "sdm.finalize_supplierjob",
                "sdm.change_valuemapping",
            ],
        )
