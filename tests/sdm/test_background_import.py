"""Uploads are imported by a background run, never in the web request: the request stores and checks
the file and answers at once; the run reads the rows with a progress total; the API shows the job
as importing (and refuses to finalize it) until it is done; a file refused half-way ends the job
"refused" with the reason and leaves nothing on disk.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connector.models import Run, RunStatus
from connector.runs import execute_run
from sdm.models import JobRow, SupplierJob
from sdm.tasks import JOB_IMPORT
from tests.api.test_supplier_api import named
from tests.sdm_helpers import make_workflow, sdm_admin_api_key, sync_workflow

pytestmark = pytest.mark.django_db
ROWS = 2500


@pytest.fixture
def workflow(fake_akeneo, settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    return workflow


def feed(rows: int = ROWS, bad_line: int | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "family", "name-en_US"])
    for n in range(1, rows + 1):
        writer.writerow([f"BG-{n:05d}", "accessories", f"Bag {n}"] + (["extra"] if n == bad_line else []))
    return out.getvalue().encode()


def test_an_admin_upload_answers_at_once_and_a_background_run_imports_it(admin_client, workflow):
    # The suite's transaction never commits, so the queued run waits here: what the user sees first.
    answer = admin_client.post(
        reverse("admin:sdm_supplierjob_add"),
        {"workflow": workflow.pk, "file": SimpleUploadedFile("big.csv", feed()), "name": ""},
    )
    assert answer.status_code == 302
    job = SupplierJob.objects.get()
    assert job.status == SupplierJob.Status.IMPORTING and not JobRow.objects.exists()
    run = Run.objects.get(kind=JOB_IMPORT)
    assert run.status == RunStatus.QUEUED
    page = admin_client.get(answer["Location"]).content.decode()
    assert "Importing the file in the background" in page and f"run #{run.pk}" in page

    assert execute_run(run.pk) == RunStatus.DONE  # what the django-q worker does

    run.refresh_from_db()
    job.refresh_from_db()
    assert (run.progress_done, run.progress_total) == (ROWS, ROWS)
    assert job.status == SupplierJob.Status.IMPORTED and job.row_count == ROWS == job.rows.count()
    assert "Importing the file" not in admin_client.get(answer["Location"]).content.decode()


def test_the_api_shows_an_importing_job_and_refuses_to_finalize_it(client, workflow):
    auth = {"HTTP_AUTHORIZATION": f"Token {sdm_admin_api_key(client)}"}
    upload = client.post("/api/v1/files/", {"file": named(feed(), "big.csv")}, **auth).json()
    created = client.post(
        "/api/v1/jobs/",
        {"file_id": upload["id"], "name": "big", "project": workflow.pk},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201
    url = f"/api/v1/jobs/{created.json()['id']}/"

    state = client.get(url, **auth).json()
    assert (state["status"], state["step"]) == ("running", "import")
    refused = client.post(url + "finalize/", **auth)
    assert refused.status_code == 409 and "Importing the file" in refused.json()["detail"]

    execute_run(Run.objects.get(kind=JOB_IMPORT).pk)
    state = client.get(url, **auth).json()
    assert (state["status"], state["step"], state["rows"]) == ("pending", "finalize", ROWS)


def test_a_file_refused_half_way_ends_the_job_refused_and_leaves_nothing(admin_client, workflow, settings):
    from pathlib import Path

    admin_client.post(
        reverse("admin:sdm_supplierjob_add"),
        {"workflow": workflow.pk, "file": SimpleUploadedFile("bad.csv", feed(bad_line=2000)), "name": ""},
    )
    run = Run.objects.get(kind=JOB_IMPORT)

    assert execute_run(run.pk) == RunStatus.FAILED

    job = SupplierJob.objects.get()
    run.refresh_from_db()
    assert job.status == SupplierJob.Status.IMPORT_FAILED
    assert "Line 2001 has 4 cells" in job.import_error and run.error == job.import_error
    assert not JobRow.objects.exists() and not job.columns.exists()
    assert [p for p in Path(settings.UPLOAD_ROOT).rglob("*") if p.is_file()] == []
    page = admin_client.get(reverse("admin:sdm_supplierjob_change", args=[job.pk])).content.decode()
    assert "The file was refused: Line 2001 has 4 cells" in page
