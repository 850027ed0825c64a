from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "Akeneo PIM"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import alerts, roles, runs, signals, tasks  # noqa: F401 - signals connects receivers

        post_migrate.connect(roles.ensure_roles, dispatch_uid="connector-ensure-roles")
        post_migrate.connect(alerts.ensure_check_schedule, sender=self, dispatch_uid="connector-stuck-check")

        runs.register_kind(tasks.STRUCTURE_SYNC, "PIM structure sync", tasks.run_structure_sync)
