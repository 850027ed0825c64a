from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "Akeneo PIM"

    def ready(self) -> None:
        from . import runs, signals, tasks  # noqa: F401 - signals connects receivers

        runs.register_kind(tasks.STRUCTURE_SYNC, "PIM structure sync", tasks.run_structure_sync)
