"""One way into a supplier job: the admin upload, the API and the command make the same job from the
same file, and refuse the same bad files with the same reasons."""

from __future__ import annotations

import io
import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from sdm.models import JobColumn, JobRow, SupplierJob
from tests.sdm_helpers import background_done, make_workflow, sdm_admin_api_key, sync_workflow

pytestmark = pytest.mark.django_db

FEED = (
    "sku;family;categories;Name-en_US;color;material;size\n"
    "IN-1;accessories;bags;Bag one;Red;Bamboo;M\n"
    "IN-2;accessories;bags;Bag two;rouge;Wood;Medium\n"
    "IN-3;accessories;bags;Bag three;Ultraviolet;Bamboo;m\n"
).encode("cp1252")


@pytest.fixture
def workflow(fake_akeneo, settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    cache.clear()
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == "done"
    return workflow


def snapshot(job: SupplierJob) -> dict:
    return {
        "rows": job.row_count,
        "columns": list(job.columns.order_by("position").values_list("header", "role", "sdm_attribute")),
        "values": sorted(
            job.value_mappings.values_list(
                "pim_attribute_code", "table_column", "raw_value", "suggested_code", "occurrences"
            )
        ),
        "identifiers": list(job.rows.order_by("line").values_list("identifier", flat=True)),
    }


def through_admin(admin_client, workflow, data: bytes, name: str):
    with background_done():  # the import runs in the background, here at the end of the request
        return admin_client.post(
            reverse("admin:sdm_supplierjob_add"),
            {"workflow": workflow.pk, "file": SimpleUploadedFile(name, data), "name": ""},
        )


def through_api(client, key: str, workflow, data: bytes, name: str):
    handle = io.BytesIO(data)
    handle.name = name
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    upload = client.post("/api/v1/files/", {"file": handle}, **auth)
    if upload.status_code != 201:
        return upload
    with background_done():
        return client.post(
            "/api/v1/jobs/",
            {"file_id": upload.json()["id"], "name": "api", "project": workflow.pk},
            content_type="application/json",
            **auth,
        )


def through_command(workflow, path) -> SupplierJob:
    out = StringIO()
    call_command("sdm_job_import", "--workflow", workflow.name, "--file", str(path), "--json", stdout=out)
    return SupplierJob.objects.get(pk=json.loads(out.getvalue())["job"])


def test_the_same_file_through_each_door_makes_the_same_job(admin_client, client, workflow, tmp_path):
    assert through_admin(admin_client, workflow, FEED, "feed.csv").status_code == 302
    from_admin = SupplierJob.objects.get(name="feed.csv")
    answer = through_api(client, sdm_admin_api_key(client), workflow, FEED, "feed.csv")
    assert answer.status_code == 201, answer.content
    from_api = SupplierJob.objects.get(public_id=answer.json()["id"])
    path = tmp_path / "feed.csv"
    path.write_bytes(FEED)
    from_command = through_command(workflow, path)

    expected = snapshot(from_admin)
    assert snapshot(from_api) == expected
    assert snapshot(from_command) == expected
    # The values are collected at creation, with suggestions: no separate step is needed.
    values = {(a, raw): (suggested, rows) for a, _, raw, suggested, rows in expected["values"]}
    assert values[("color", "Red")] == ("red", 1)
    assert values[("material", "Bamboo")] == ("", 2)
    assert values[("size", "Medium")] == ("", 1)
    assert expected["identifiers"] == ["IN-1", "IN-2", "IN-3"]


BAD_FILES = [
    ("binary.csv", bytes(range(256)) * 80, "The file is not text: it holds binary data"),
    ("header-only.csv", b"sku;family;color\n", "no data rows"),
    ("twice.csv", b"sku,color,Color\nX-1,red,blue\n", "Column 'Color' appears twice"),
    ("notes.pdf", b"%PDF-1.4 not a feed", "is not a supported file"),
    ("garbled.csv", b"sku,\x81\x8d\x90name\nX-1,a\n", "neither UTF-8 nor Windows-1252"),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_each_door_refuses_a_bad_file_with_the_same_reason(
    admin_client, client, workflow, tmp_path, name, data, reason
):
    page = through_admin(admin_client, workflow, data, name)
    assert page.status_code == 200
    assert reason.replace("'", "&#x27;") in page.content.decode()
    answer = through_api(client, sdm_admin_api_key(client), workflow, data, name)
    assert answer.status_code == 400
    assert reason in answer.json()["detail"]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=reason.replace("(", r"\(")):
        through_command(workflow, path)
    assert not SupplierJob.objects.exists()


def test_duplicate_identifiers_are_flagged_on_import_and_refused_on_every_row(admin_client, workflow):
    data = b"sku,family,Name-en_US\nDUP-1,accessories,A\nDUP-2,accessories,B\nDUP-1,accessories,C\n"

    answer = through_admin(admin_client, workflow, data, "dup.csv")
    shown = admin_client.get(answer["Location"]).content.decode()

    assert "1 identifiers are on several rows" in shown and "DUP-1 (lines 1, 3)" in shown
    job = SupplierJob.objects.get()
    from connector.runs import start_run
    from sdm.tasks import JOB_PUSH

    run = start_run(JOB_PUSH, job, inline=True)
    assert run.counters == {"created": 1, "failed": 2}
    for row in job.rows.filter(identifier="DUP-1"):
        assert row.outcome == JobRow.Outcome.FAILED
        assert "Identifier DUP-1 is on several rows of this file (lines 1, 3)" in row.message


def test_a_column_can_only_be_mapped_to_an_sdm_attribute_of_the_workflow(admin_client, workflow):
    through_admin(admin_client, workflow, FEED, "feed.csv")
    job = SupplierJob.objects.get()
    columns = list(job.columns.order_by("position"))
    url = reverse("admin:sdm_supplierjob_change", args=[job.pk])

    def post(changes: dict[int, tuple[str, str]]):
        data = {
            "name": job.name,
            "columns-TOTAL_FORMS": len(columns),
            "columns-INITIAL_FORMS": len(columns),
            "columns-MIN_NUM_FORMS": 0,
            "columns-MAX_NUM_FORMS": 1000,
        }
        for i, column in enumerate(columns):
            role, attribute = changes.get(column.position, (column.role, column.sdm_attribute))
            data.update({f"columns-{i}-id": column.pk, f"columns-{i}-job": job.pk})
            data.update({f"columns-{i}-role": role, f"columns-{i}-sdm_attribute": attribute})
        return admin_client.post(url, data)

    unknown = post({5: (JobColumn.Role.ATTRIBUTE, "no_such_attribute")})
    assert unknown.status_code == 200
    assert (
        "&#x27;no_such_attribute&#x27; is not an SDM attribute of this workflow" in unknown.content.decode()
    )
    twice = post({5: (JobColumn.Role.ATTRIBUTE, "color")})
    assert "Columns &#x27;color&#x27; and &#x27;material&#x27; both fill color" in twice.content.decode()
    role_with_attribute = post({5: (JobColumn.Role.FAMILY, "color")})
    assert "only a column in the &#x27;SDM attribute&#x27; role names an attribute" in (
        role_with_attribute.content.decode()
    )
    assert job.columns.get(position=5).sdm_attribute == "material"  # nothing saved

    ignored = post({5: (JobColumn.Role.IGNORED, "")})
    assert ignored.status_code == 302
    assert not job.value_mappings.filter(pim_attribute_code="material").exists()  # values follow
