"""Shared set-up for the SDM tests: a connection to the fake PIM and a workflow on it."""

from __future__ import annotations

from connector.models import AkeneoConnection
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from sdm.models import Workflow
from sdm.tasks import WORKFLOW_SYNC


def make_workflow(
    pim, *, channels=("ecommerce", "print"), locales=("en_US", "fr_FR", "de_DE"), **extra
) -> Workflow:
    connection, _ = AkeneoConnection.objects.get_or_create(
        name="sandbox",
        defaults={"base_url": pim.base_url, "max_requests_per_second": 1000, **SANDBOX_CREDENTIALS},
    )
    return Workflow.objects.create(
        name=extra.pop("name", "demo"),
        connection=connection,
        channels=list(channels),
        locales=list(locales),
        **extra,
    )


def sync_workflow(workflow: Workflow):
    return start_run(WORKFLOW_SYNC, workflow, inline=True)
