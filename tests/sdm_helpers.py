"""Shared set-up for the SDM tests: a connection to the fake PIM and a workflow on it."""

from __future__ import annotations

from connector.models import AkeneoConnection
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from sdm.models import Workflow
from sdm.tasks import WORKFLOW_SYNC
from tests.users import staff_user


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


def sdm_admin_api_key(client, username: str = "bot", role: str | None = None) -> str:
    """An API token of a new user of ``role`` (default: SDM admin), made through the API itself."""
    from connector.roles import SDM_ADMIN

    staff_user(role or SDM_ADMIN, username)
    answer = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": f"pw-{username}", "name": "t"},
        content_type="application/json",
    )
    return answer.json()["key"]


def background_done():
    """A context in which what a request queued for after its commit runs at the end (the suite's
    transaction never commits, so a background run, with Q_SYNC, would otherwise never start)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def api_job(client, auth: dict, project, data: bytes, name: str = "feed.csv") -> str:
    """A supplier job made through the API (upload, then job, its import run at once); its id."""
    import io

    handle = io.BytesIO(data)
    handle.name = name
    upload = client.post("/api/v1/files/", {"file": handle}, **auth)
    assert upload.status_code == 201, upload.content
    with background_done():
        job = client.post(
            "/api/v1/jobs/",
            {"file_id": upload.json()["id"], "name": name, "project": project.pk},
            content_type="application/json",
            **auth,
        )
    assert job.status_code == 201, job.content
    return job.json()["id"]
