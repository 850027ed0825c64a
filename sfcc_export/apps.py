from django.apps import AppConfig


class SfccExportConfig(AppConfig):
    name = "sfcc_export"
    verbose_name = "SFCC export"

    def ready(self) -> None:
        from connector import roles, runs

        from . import signals, tasks  # noqa: F401 (signals registers the schedule receivers)

        runs.register_kind(tasks.EXPORT, "SFCC export", tasks.run_export)
        roles.add_role_permissions(
            roles.BUSINESS_CONSULTANT, ["sfcc_export.*_exportprofile", "sfcc_export.view_*"]
        )
        roles.add_role_permissions(roles.OPERATOR, ["sfcc_export.view_*", "sfcc_export.export_exportprofile"])
