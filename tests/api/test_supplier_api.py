"""The supplier API over HTTP: token → file → job → value mapping → finalize → results and download,
against the fake Akeneo; permissions, throttling and size limits."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from django.contrib.auth.models import User
from django.core.cache import cache
from openpyxl import Workbook, load_workbook

from connector.models import Run
from connector.roles import OPERATOR, SDM_ADMIN
from sdm.models import ApiToken, JobRow, SupplierJob
from tests.paths import ROOT
from tests.sdm_helpers import make_workflow, sync_workflow
from tests.users import staff_user

pytestmark = pytest.mark.django_db(transaction=True)
COLUMNS = ["sku", "family", "categories", "name-en_US", "name-fr_FR", "color"]


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


@pytest.fixture
def project(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == "done"
    return workflow


def user_with(role: str | None, name: str = "supplier-bot") -> User:
    return staff_user(role, name)


def token(base: str, name: str) -> str:
    answer = requests.post(
        f"{base}/api/v1/auth/token/",
        json={"username": name, "password": "pw-" + name, "name": "ci"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["key"]


class Api:
    def __init__(self, base: str, key: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {key}"

    def __getattr__(self, method):
        def call(path: str, **kwargs):
            return self.session.request(method.upper(), f"{self.base}/api/v1/{path}", timeout=60, **kwargs)

        return call


def latin1_semicolon_csv() -> bytes:
    lines = [
        ";".join(COLUMNS),
        "API-1;accessories;bags;Sac été;Sac été (fr);Black",
        "API-2;accessories;bags;Sac hiver;Sac hiver (fr);Ultraviolet",
    ]
    return ("\n".join(lines) + "\n").encode("latin-1")


def xlsx_file() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    sheet.append(["API-3", "accessories", "bags", "Sac XLSX", "Sac XLSX (fr)", "Blue"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_whole_flow_over_http(live_server, project):
    supplier_user = user_with(SDM_ADMIN)
    api = Api(live_server.url, token(live_server.url, "supplier-bot"))

    projects = api.get("projects/").json()
    assert [p["id"] for p in projects["results"]] == [project.pk]
    detail = api.get(f"projects/{project.pk}/").json()
    assert {"sku", "family", "name-en_US", "color"} <= set(detail["attribute_codes"])
    template = api.get(f"projects/{project.pk}/template/", params={"format": "csv"})
    assert template.headers["Content-Type"] == "text/csv; charset=utf-8" and template.text.startswith(
        "sku,family,categories"
    )
    xlsx_template = api.get(f"projects/{project.pk}/template/", params={"format": "xlsx"})
    assert next(load_workbook(io.BytesIO(xlsx_template.content)).active.values)[0] == "sku"

    uploaded = api.post("files/", files={"file": ("feed.csv", latin1_semicolon_csv(), "text/csv")})
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["columns"] == COLUMNS and uploaded.json()["rows"] == 2
    created = api.post(
        "jobs/", json={"file_id": uploaded.json()["id"], "name": "spring", "project": project.pk}
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]

    job = api.get(f"jobs/{job_id}/").json()
    assert (job["status"], job["step"]) == ("pending", "value_mapping")
    assert "values have no PIM option" in job["message"]
    mappings = api.post(f"jobs/{job_id}/mappings/", json={"auto": True}).json()
    unmapped = [m for m in mappings if not m["option"]]
    assert [(m["attribute"], m["value"]) for m in unmapped] == [("color", "Ultraviolet")]
    api.post(
        f"jobs/{job_id}/mappings/",
        json={"mappings": [{"attribute": "color", "value": "Ultraviolet", "option": "blue"}]},
    )
    assert api.get(f"jobs/{job_id}/").json()["step"] == "finalize"

    finalized = api.post(f"jobs/{job_id}/finalize/")
    assert finalized.status_code == 202
    job = api.get(f"jobs/{job_id}/").json()
    assert job["status"] == "done", job
    # The job's import and push say they came through the API, and whose token started them.
    runs = Run.objects.filter(
        target_id=SupplierJob.objects.get(public_id=job_id).pk, kind__startswith="sdm_job"
    )
    assert sorted(runs.values_list("kind", "trigger")) == [("sdm_job_import", "api"), ("sdm_job_push", "api")]
    assert {run.requested_by_id for run in runs} == {supplier_user.pk}
    results = api.get(f"jobs/{job_id}/results/").json()
    assert [(r["identifier"], r["outcome"]) for r in results["results"]] == [
        ("API-1", "created"),
        ("API-2", "created"),
    ]
    download = api.get(f"jobs/{job_id}/download/", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["sku", "family", "categories", "name-en_US", "name-fr_FR", "color"]
    assert rows[1][3] == "Sac été" and rows[2][5] == "blue"  # Latin-1 read right, value mapped
    xlsx = api.get(f"jobs/{job_id}/download/", params={"format": "xlsx"})
    assert list(load_workbook(io.BytesIO(xlsx.content)).active.values)[2][5] == "blue"

    xlsx_upload = api.post("files/", files={"file": ("feed.xlsx", xlsx_file(), "application/octet-stream")})
    json_upload = api.post(
        "files/", json={"data": [{"sku": "API-4", "family": "accessories", "name-en_US": None}]}
    )
    assert xlsx_upload.status_code == json_upload.status_code == 201
    assert json_upload.json()["columns"] == ["sku", "family", "name-en_US"]
    for upload in (xlsx_upload, json_upload):
        answer = api.post(
            "jobs/", json={"file_id": upload.json()["id"], "name": "more", "project": project.pk}
        )
        assert answer.status_code == 201
    listed = api.get("jobs/", params={"status": "done", "project": project.pk}).json()
    assert [j["id"] for j in listed["results"]] == [job_id]
    assert api.get("jobs/", params={"page_size": 2}).json()["count"] == 3
    assert len(api.get("jobs/", params={"status": "pending"}).json()["results"]) == 2


def test_bad_files_and_unknown_columns_get_a_clear_400(client, project):
    user_with(SDM_ADMIN)
    key = token_via_client(client, "supplier-bot")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    broken = client.post(
        "/api/v1/files/", {"file": io.BytesIO(b"PK\x03\x04not really a workbook")}, **auth, format="multipart"
    )
    assert broken.status_code == 400
    broken_xlsx = client.post("/api/v1/files/", {"file": named(b"PK\x03\x04junk", "feed.xlsx")}, **auth)
    assert broken_xlsx.status_code == 400 and broken_xlsx.json()["detail"]
    upload = client.post(
        "/api/v1/files/", {"file": named(b"sku,colour,weird_column\nX-1,red,1\n", "feed.csv")}, **auth
    ).json()
    answer = client.post(
        "/api/v1/jobs/",
        {"file_id": upload["id"], "name": "x", "project": project.pk},
        content_type="application/json",
        **auth,
    )
    assert answer.status_code == 400
    assert answer.json()["unknown_columns"] == ["colour", "weird_column"]
    assert "colour, weird_column" in answer.json()["detail"]
    assert (
        client.post("/api/v1/files/", {"data": []}, content_type="application/json", **auth).status_code
        == 400
    )


def named(data: bytes, name: str):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def token_via_client(client, name: str) -> str:
    answer = client.post(
        "/api/v1/auth/token/",
        {"username": name, "password": "pw-" + name, "name": "t"},
        content_type="application/json",
    )
    assert answer.status_code == 201
    return answer.json()["key"]


def test_a_token_acts_with_its_users_permissions(client, project):
    user_with(None, "nobody")
    user_with(OPERATOR, "olivia")
    job = SupplierJob.objects.create(workflow=project, name="j", source_filename="j.csv")
    nobody = {"HTTP_AUTHORIZATION": f"Token {token_via_client(client, 'nobody')}"}
    operator = {"HTTP_AUTHORIZATION": f"Token {token_via_client(client, 'olivia')}"}

    assert client.get("/api/v1/projects/", **nobody).status_code == 403
    assert client.get(f"/api/v1/jobs/{job.public_id}/", **nobody).status_code == 403
    assert client.get("/api/v1/projects/", **operator).status_code == 200  # operators read
    assert (
        client.post(
            "/api/v1/files/", {"data": [{"sku": "x"}]}, content_type="application/json", **operator
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/jobs/{job.public_id}/finalize/", **operator).status_code == 403
    assert client.get("/api/v1/projects/").status_code == 401
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION="Token not-a-key").status_code == 401
    assert not JobRow.objects.exists()


def test_revoked_tokens_stop_working_and_keys_are_stored_hashed(client, project):
    user_with(SDM_ADMIN)
    key = token_via_client(client, "supplier-bot")
    stored = ApiToken.objects.get()
    assert key not in (stored.key_hash, stored.prefix) and stored.prefix == key[:8]
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    stored.delete()
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_past_the_throttle_the_api_answers_429_with_retry_after(client, project, settings):
    settings.API_RATE = "5/minute"
    user_with(SDM_ADMIN)
    auth = {"HTTP_AUTHORIZATION": f"Token {token_via_client(client, 'supplier-bot')}"}
    statuses = [client.get("/api/v1/projects/", **auth).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = client.get("/api/v1/projects/", **auth)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_a_request_over_the_size_limit_gets_413(client, project, settings):
    settings.API_MAX_REQUEST_BYTES = 1000
    user_with(SDM_ADMIN)
    auth = {"HTTP_AUTHORIZATION": f"Token {token_via_client(client, 'supplier-bot')}"}
    big = {"data": [{"sku": f"X-{n}", "name-en_US": "a long product name " * 3} for n in range(50)]}
    answer = client.post("/api/v1/files/", big, content_type="application/json", **auth)
    assert answer.status_code == 413 and "limit is 1000 bytes" in answer.json()["detail"]


def test_the_schema_and_its_docs_page_are_served_and_the_committed_schema_is_current(client):

    from django.core.management import call_command

    committed = ROOT / "docs" / "api" / "openapi.yaml"
    out = io.StringIO()
    call_command("spectacular", "--validate", stdout=out)
    assert out.getvalue() == committed.read_text(encoding="utf-8"), (
        "docs/api/openapi.yaml is stale: python manage.py spectacular --file docs/api/openapi.yaml"
    )
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_tokens_are_listed_and_revoked_in_the_admin_without_their_keys(client, admin_client, project):
    user_with(SDM_ADMIN)
    key = token_via_client(client, "supplier-bot")
    listing = admin_client.get("/admin/sdm/apitoken/").content.decode()
    assert "supplier-bot" in listing and key[:8] in listing and key not in listing
    token = ApiToken.objects.get()
    page = admin_client.get(f"/admin/sdm/apitoken/{token.pk}/change/").content.decode()
    assert key not in page and token.key_hash not in page

    admin_client.post("/admin/sdm/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})

    assert not ApiToken.objects.exists()
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
