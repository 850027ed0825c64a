"""Supplier job admin: detail with outcomes, mapping inline, Finalize with confirmation, results, retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connector.models import Run
from sdm.jobs import import_supplier_file
from sdm.models import JobRow
from tests.sdm.test_sdm_push import new_row, write_csv
from tests.sdm_helpers import background_done, make_workflow, sync_workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(fake_akeneo, tmp_path):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    return import_supplier_file(
        workflow, write_csv(tmp_path / "f.csv", [new_row(1), new_row(2, color="Nope")])
    )


def test_job_pages_render_with_mapping_and_outcomes(admin_client, job):
    detail = admin_client.get(reverse("admin:sdm_supplierjob_change", args=[job.pk])).content.decode()
    assert "2 not pushed yet" in detail
    assert 'id="finalize"' in detail
    assert "name-en_US" in detail  # the column mapping inline
    assert admin_client.get(reverse("admin:sdm_supplierjob_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:sdm_jobrow_changelist") + f"?job__id__exact={job.pk}").status_code
        == 200
    )


def test_finalize_asks_first_then_pushes_and_shows_the_run(
    admin_client, job, django_capture_on_commit_callbacks
):
    url = reverse("admin:sdm_supplierjob_finalize", args=[job.pk])
    confirm = admin_client.get(url).content.decode()
    assert "Push <strong>2</strong> of 2 rows" in confirm
    assert not Run.objects.filter(kind="sdm_job_push").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)

    run = Run.objects.get(kind="sdm_job_push")
    assert response.status_code == 302 and response.url == reverse(
        "admin:connector_run_change", args=[run.pk]
    )
    run.refresh_from_db()
    assert run.counters == {"created": 1, "failed": 1}
    failed = admin_client.get(
        reverse("admin:sdm_jobrow_changelist") + "?outcome__exact=failed"
    ).content.decode()
    assert "is not an option of color" in failed


def test_retry_failed_pushes_the_failed_rows_again(admin_client, job, django_capture_on_commit_callbacks):
    from connector.runs import start_run
    from sdm.tasks import JOB_PUSH

    start_run(JOB_PUSH, job, inline=True)
    row = job.rows.get(outcome=JobRow.Outcome.FAILED)
    values = list(row.values)
    values[[c.header for c in job.columns.order_by("position")].index("color")] = "Red"
    JobRow.objects.filter(pk=row.pk).update(values=values)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:sdm_jobrow_changelist"), {"action": "retry_failed", "_selected_action": [row.pk]}
        )

    row.refresh_from_db()
    assert row.outcome == JobRow.Outcome.CREATED


def test_finalize_needs_the_permission(client, job):
    from django.contrib.auth.models import User

    user = User.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    client.force_login(user)
    assert client.post(reverse("admin:sdm_supplierjob_finalize", args=[job.pk])).status_code == 403


def test_the_preview_page_and_the_value_mapping_list(admin_client, job):
    from sdm.value_mapping import collect_values

    preview = admin_client.get(reverse("admin:sdm_supplierjob_preview", args=[job.pk])).content.decode()
    assert 'class="preview-create"' in preview
    assert "is not an option of color" in preview

    collect_values(job)
    mappings = admin_client.get(reverse("admin:sdm_valuemapping_changelist") + f"?job__id__exact={job.pk}")
    assert mappings.status_code == 200
    assert "Nope" in mappings.content.decode()


def test_uploading_a_supplier_file_in_the_admin_imports_it(admin_client, fake_akeneo, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sdm.models import SupplierJob, Workflow

    settings.UPLOAD_ROOT = tmp_path / "uploads"
    workflow = Workflow.objects.get() if Workflow.objects.exists() else make_workflow(fake_akeneo)
    sync_workflow(workflow)
    data = write_csv(tmp_path / "upload.csv", [new_row(1), new_row(2)]).read_bytes()

    with background_done():
        response = admin_client.post(
            reverse("admin:sdm_supplierjob_add"),
            {"workflow": workflow.pk, "file": SimpleUploadedFile("upload.csv", data, "text/csv"), "name": ""},
        )

    job = SupplierJob.objects.get(name="upload.csv")
    assert response.status_code == 302
    assert job.row_count == 2
    bad = admin_client.post(
        reverse("admin:sdm_supplierjob_add"),
        {"workflow": workflow.pk, "file": SimpleUploadedFile("notes.pdf", b"%PDF", "application/pdf")},
    )
    assert "&#x27;notes.pdf&#x27; is not a supported file: upload a CSV" in bad.content.decode()
