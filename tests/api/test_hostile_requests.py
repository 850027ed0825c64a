"""Hostile requests get a 4xx with a reason, never a 500: malformed JSON (bad Unicode, deep nesting),
out-of-range and non-ASCII digits, NUL characters, in the API (its JSON error shape, DEBUG off) and
in the admin's run pages and filters. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from connector.models import Run
from sdm.models import SupplierJob
from tests.sdm_helpers import make_workflow, sdm_admin_api_key, sync_workflow

pytestmark = pytest.mark.django_db
HUGE = "9" * 30
ODD_DIGITS = ["\u00b2", "\u0661\u0662", "\uff11", HUGE, "-1", "%00", "1\x00"]


@pytest.fixture
def setup(client, fake_akeneo, settings):
    settings.DEBUG = False
    cache.clear()
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == "done"
    job = SupplierJob.objects.create(workflow=workflow, name="j", source_filename="j.csv")
    auth = {"HTTP_AUTHORIZATION": f"Token {sdm_admin_api_key(client)}"}
    return workflow, job, auth


def assert_json_4xx(answer):
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.content[:300])
    assert answer["Content-Type"].startswith("application/json"), answer["Content-Type"]
    assert answer.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": [{"sku": "\\ud800"}]}',  # a lone surrogate: valid JSON, not encodable text
        b'{"data": [{"\\udfff": "x"}]}',
        b'{"data": [{"sku": "\xff\xfe"}]}',  # bytes that are not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than any parser's stack
        b'{"data": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
        b'{"data": [{"sku": "x"}]',  # cut short
        b"\x00",
    ],
    ids=["surrogate-value", "surrogate-key", "not-utf8", "deep-list", "deep-object", "truncated", "nul"],
)
def test_malformed_json_feeds_get_a_json_400(client, setup, body):
    _, _, auth = setup
    answer = client.post("/api/v1/files/", body, content_type="application/json", **auth)
    assert_json_4xx(answer)


@pytest.mark.parametrize("value", ODD_DIGITS)
@pytest.mark.parametrize("name", ["project", "page", "page_size", "status", "created_after"])
def test_odd_query_parameters_of_the_job_list_get_a_json_4xx(client, setup, name, value):
    _, _, auth = setup
    assert_json_4xx(client.get("/api/v1/jobs/", {name: value}, **auth))


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_page_numbers_of_job_results_get_a_json_4xx(client, setup, value):
    _, job, auth = setup
    answer = client.get(f"/api/v1/jobs/{job.public_id}/results/", {"page": value}, **auth)
    assert_json_4xx(answer)


@pytest.mark.parametrize("value", [*ODD_DIGITS, "abc"])
def test_page_size_of_the_wrong_type_is_refused(client, setup, value):
    _, _, auth = setup
    answer = client.get("/api/v1/jobs/", {"page_size": value}, **auth)
    assert_json_4xx(answer)
    assert "page_size" in answer.json()["detail"] or "NUL" in answer.json()["detail"]


@pytest.mark.parametrize(
    "moment",
    [
        "3276-06-11T18:13:05+15:52",
        "0754-06-07T02:03:12+20:30",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_dates_with_far_offsets_or_at_the_ends_of_the_calendar_answer_without_a_500(client, setup, moment):
    _, _, auth = setup
    for name in ("created_after", "created_before"):
        answer = client.get("/api/v1/jobs/", {name: moment}, **auth)
        assert answer.status_code in (200, 400), (name, moment, answer.status_code)


def test_a_project_id_past_the_database_range_is_a_404(client, setup):
    _, _, auth = setup
    for path in (f"/api/v1/projects/{HUGE}/", f"/api/v1/projects/{HUGE}/template/"):
        assert_json_4xx(client.get(path, **auth))


@pytest.mark.parametrize("value", ODD_DIGITS)
@pytest.mark.parametrize(
    "path",
    [
        "/admin/connector/run/?id__exact={v}",
        "/admin/connector/run/?status={v}",
        "/admin/connector/run/?q={v}",
        "/admin/connector/run/?p={v}",
        "/admin/connector/runlogentry/?level={v}",
        "/admin/sdm/supplierjob/?q={v}",
        "/admin/sdm/supplierjob/?workflow__id__exact={v}",
    ],
)
def test_admin_lists_and_filters_answer_odd_parameters_without_a_500(admin_client, setup, path, value):
    answer = admin_client.get(path.format(v=value))
    assert answer.status_code in (200, 302, 400, 404), (path, value, answer.status_code)


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_admin_run_and_value_pages_answer_odd_parameters_without_a_500(admin_client, setup, value):
    _, job, _ = setup
    run = Run.objects.first()
    for path in (
        f"/admin/connector/run/{run.pk}/change/?level={value}",
        f"/admin/connector/run/{run.pk}/change/?after={value}",
        f"/admin/sdm/supplierjob/{job.pk}/values/?page={value}",
        f"/admin/sdm/supplierjob/{job.pk}/values/?attribute={value}",
        f"/admin/sdm/supplierjob/{job.pk}/options/?page={value}&term={value}",
        f"/admin/connector/run/{HUGE}/change/",
        f"/admin/sdm/supplierjob/{HUGE}/values/",
    ):
        answer = admin_client.get(path)
        assert answer.status_code in (200, 302, 400, 404), (path, answer.status_code)


def test_an_unexpected_api_crash_still_answers_in_the_api_error_shape(client, setup, monkeypatch):
    from sdm import feeds

    _, _, auth = setup

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(feeds, "with_states", crash)
    client.raise_request_exception = False
    answer = client.get("/api/v1/jobs/", **auth)
    assert answer.status_code == 500
    assert answer.json() == {"detail": "Internal error: the failure is logged; please try again later."}


def test_unknown_api_urls_and_methods_answer_json(client, setup):
    _, job, auth = setup
    assert_json_4xx(client.get("/api/v1/nothing-here/", **auth))
    assert_json_4xx(client.delete(f"/api/v1/jobs/{job.public_id}/", **auth))
    assert_json_4xx(client.get("/api/v1/jobs/not-a-uuid/", **auth))
