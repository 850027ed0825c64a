"""Run handlers of the connector app, registered as run kinds in ``ConnectorConfig.ready``."""

from __future__ import annotations

import logging

from .akeneo import AkeneoError
from .models import AkeneoConnection, RunTrigger
from .runs import RunAlreadyActive, RunContext, RunFailed, start_run
from .sync import mirror_counts, sync_structure

logger = logging.getLogger(__name__)

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
        {
            "per_type": {name: vars(outcome) for name, outcome in result.per_type.items()},
            "mirror_counts": mirror_counts(connection),
        }
    )


def scheduled_structure_sync(connection_id: int) -> str:
    """Entry point of the cron schedule: runs inline in the worker that picked the schedule up."""
    connection = AkeneoConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "connection gone"
    try:
        run = start_run(STRUCTURE_SYNC, connection, trigger=RunTrigger.SCHEDULE, inline=True)
    except RunAlreadyActive as exc:
        logger.info("Scheduled sync of %s skipped: %s", connection, exc)
        return "skipped"
    return run.status
