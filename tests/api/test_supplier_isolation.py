"""Supplier accounts: API-only users tied to projects, each seeing and acting on its own files and
jobs only; an SDM admin sees all. Per-user rate limits over all tokens, a throttled token endpoint.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from sdm.models import SupplierJob
from tests.api.test_supplier_api import fresh_throttle, named  # noqa: F401 (an autouse fixture)
from tests.sdm_helpers import api_job, make_workflow, sdm_admin_api_key, sync_workflow

pytestmark = pytest.mark.django_db
FEED = b"sku,family,name-en_US\nISO-1,accessories,Bag\n"


@pytest.fixture
def projects(fake_akeneo):
    demo = make_workflow(fake_akeneo)
    assert sync_workflow(demo).status == "done"
    other = make_workflow(fake_akeneo, name="other")
    return demo, other


def supplier(client, username: str, projects: str) -> dict:
    out = StringIO()
    call_command(
        "create_user",
        f"--username={username}",
        "--role=supplier",
        f"--projects={projects}",
        f"--password=pw-{username}-1234",
        stdout=out,
    )
    assert f"projects: {projects.replace(',', ', ')} (API only)" in out.getvalue()
    answer = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": f"pw-{username}-1234", "name": "t"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    return {"HTTP_AUTHORIZATION": f"Token {answer.json()['key']}"}


def test_two_suppliers_of_one_project_see_and_touch_only_their_own_jobs(client, projects):
    demo, other = projects
    alice, bob = supplier(client, "alice", "demo"), supplier(client, "bob", "demo")
    alices = api_job(client, alice, demo, FEED)
    bobs = api_job(client, bob, demo, FEED)

    listed = client.get("/api/v1/jobs/", **bob).json()
    assert [job["id"] for job in listed["results"]] == [bobs]
    for method, path in [
        ("get", f"/api/v1/jobs/{alices}/"),
        ("get", f"/api/v1/jobs/{alices}/mappings/"),
        ("post", f"/api/v1/jobs/{alices}/mappings/"),
        ("post", f"/api/v1/jobs/{alices}/finalize/"),
        ("get", f"/api/v1/jobs/{alices}/results/"),
        ("get", f"/api/v1/jobs/{alices}/download/"),
    ]:
        answer = getattr(client, method)(path, content_type="application/json", **bob)
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert answer.json() == {"detail": "Not found."}
    assert SupplierJob.objects.get(public_id=alices).status == SupplierJob.Status.IMPORTED  # untouched
    # Bob cannot make a job out of Alice's file either.
    alices_file = client.post("/api/v1/files/", {"file": named(FEED, "feed.csv")}, **alice).json()["id"]
    stolen = client.post(
        "/api/v1/jobs/",
        {"file_id": alices_file, "name": "x", "project": demo.pk},
        content_type="application/json",
        **bob,
    )
    assert stolen.status_code == 404

    # An SDM admin sees both.
    admin = {"HTTP_AUTHORIZATION": f"Token {sdm_admin_api_key(client, 'sam')}"}
    assert {job["id"] for job in client.get("/api/v1/jobs/", **admin).json()["results"]} >= {alices, bobs}
    assert SupplierJob.objects.get(public_id=alices).created_by.username == "alice"


def test_a_supplier_sees_only_its_projects_and_cannot_use_the_admin(client, projects):
    demo, other = projects
    alice = supplier(client, "alice", "demo")

    assert [p["id"] for p in client.get("/api/v1/projects/", **alice).json()["results"]] == [demo.pk]
    assert client.get(f"/api/v1/projects/{other.pk}/", **alice).status_code == 404
    assert client.get(f"/api/v1/projects/{other.pk}/template/", **alice).status_code == 404
    upload = client.post("/api/v1/files/", {"file": named(FEED, "feed.csv")}, **alice).json()
    refused = client.post(
        "/api/v1/jobs/",
        {"file_id": upload["id"], "name": "x", "project": other.pk},
        content_type="application/json",
        **alice,
    )
    assert refused.status_code == 404 and refused.json()["detail"] == "No such project among yours."

    assert not User.objects.get(username="alice").is_staff
    assert client.login(username="alice", password="pw-alice-1234")
    assert client.get("/admin/").status_code == 302  # sent to the login page: no admin for suppliers


def test_create_user_refuses_unknown_projects_and_projects_for_other_roles(projects):
    with pytest.raises(CommandError, match=r"Unknown project\(s\): nope \(known: demo, other\)"):
        call_command("create_user", "--username=x", "--role=supplier", "--projects=demo,nope")
    with pytest.raises(CommandError, match="A supplier is tied to at least one project"):
        call_command("create_user", "--username=x", "--role=supplier")
    with pytest.raises(CommandError, match="--projects is for suppliers"):
        call_command("create_user", "--username=x", "--role=operator", "--projects=demo")
    assert not User.objects.filter(username="x").exists()


def test_the_rate_limit_is_per_user_over_all_its_tokens(client, projects, settings):
    settings.API_USER_RATE = "4/minute"
    first = supplier(client, "alice", "demo")
    second = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "pw-alice-1234", "name": "second"},
        content_type="application/json",
    ).json()["key"]
    statuses = [client.get("/api/v1/projects/", **first).status_code for _ in range(2)]
    statuses += [
        client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {second}").status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 200, 200, 429]


def test_the_token_endpoint_is_throttled_per_address(client, projects, settings):
    settings.API_TOKEN_RATE = "3/minute"
    User.objects.create_user("mallory", password="right-password")
    answers = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "mallory", "password": f"guess-{n}", "name": "t"},
            content_type="application/json",
        )
        for n in range(4)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert int(answers[-1]["Retry-After"]) > 0 and "detail" in answers[-1].json()
