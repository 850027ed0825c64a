from django.apps import AppConfig


class SfccExportConfig(AppConfig):
    name = "sfcc_export"
    verbose_name = "SFCC export"

    def ready(self) -> None:
        from connector import dashboard, roles, runs

        from . import health, results, signals, tasks  # noqa: F401 (signals registers the schedule receivers)

        runs.register_kind(
            tasks.EXPORT,
            "SFCC export",
            tasks.run_export,
            target_model="sfcc_export.ExportProfile",
            schedules=tasks.schedule_names,
            # Two jobs of one profile (master and pricebook) run side by side; one job runs once.
            lock_key=tasks.export_lock_key,
            # An export writes different things per job: only what it wrote is worth a number.
            view=runs.KindView(("product", "products")),
            health=health.after_export,
            result_type=results.ExportResult,
        )
        from .event_dashboard import event_rows

        dashboard.register_panel("admin/sfcc_export/_event_panel.html", event_rows)
        roles.add_role_permissions(
            roles.BUSINESS_CONSULTANT, ["sfcc_export.*_exportprofile", "sfcc_export.view_*"]
        )
        roles.add_role_permissions(roles.OPERATOR, ["sfcc_export.view_*", "sfcc_export.export_exportprofile"])
