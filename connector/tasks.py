"""Run handlers of the connector app, registered as run kinds in ``ConnectorConfig.ready``."""

from __future__ import annotations

from .akeneo import AkeneoError
from .models import AkeneoConnection
from .results import StructureSyncResult
from .runs import RunContext, RunFailed, start_scheduled_run
from .sync import mirror_counts, sync_structure

STRUCTURE_SYNC = "structure_sync"


def run_structure_sync(context: RunContext) -> None:
    connection = context.target
    context.info(f"Synchronising the structure of {connection.base_url}.")
    try:
        with connection.client() as client:
            result = sync_structure(connection, client, context)
    except AkeneoError as exc:
        raise RunFailed(f"The PIM sync stopped, the mirror was left as it was: {exc.message}") from None
    context.set_result(
        StructureSyncResult(
            per_type={name: vars(outcome) for name, outcome in result.per_type.items()},
            mirror_counts=mirror_counts(connection),
        )
    )


def scheduled_structure_sync(connection_id: int) -> str:
    return start_scheduled_run(STRUCTURE_SYNC, AkeneoConnection.objects.filter(pk=connection_id).first())
