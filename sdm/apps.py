from django.apps import AppConfig


class SdmConfig(AppConfig):
    name = "sdm"
    verbose_name = "Supplier data manager"

    def ready(self) -> None:
        from connector import roles, runs

        from . import signals, tasks  # noqa: F401 - signals connects receivers

        runs.register_kind(tasks.WORKFLOW_SYNC, "SDM workflow sync", tasks.run_workflow_sync)
        runs.register_kind(tasks.JOB_PUSH, "Supplier job push", tasks.run_job_push)
        runs.register_kind(tasks.JOB_IMPORT, "Supplier file import", tasks.run_job_import)
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
