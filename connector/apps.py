from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "Akeneo PIM"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import alerts, health, results, roles, runs, schedules, signals, tasks  # noqa: F401 - signals connects receivers

        post_migrate.connect(roles.ensure_roles, dispatch_uid="connector-ensure-roles")
        post_migrate.connect(alerts.ensure_check_schedule, sender=self, dispatch_uid="connector-stuck-check")

        runs.register_kind(
            tasks.STRUCTURE_SYNC,
            "PIM structure sync",
            tasks.run_structure_sync,
            target_model="connector.AkeneoConnection",
            schedules=lambda pk: [schedules.schedule_name(pk)],
            view=runs.KindView(("step", "steps"), runs.SYNC_COUNTERS),
            health=health.pim_health(health.own_connection),
            result_type=results.StructureSyncResult,
        )
