"""Run pages that tell the truth: dates and durations in words in the user's zone, cancel only while a
run is active, counters that fit the run's kind, an export's archive to download (and nothing
else), a push's failed rows by name, and an export's progress measured against the PIM's count."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from connector.middleware import TIME_ZONE_COOKIE
from connector.models import AkeneoConnection, Run, RunStatus
from connector.roles import OPERATOR
from connector.run_views import progress_text
from connector.runs import request_cancel, start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.tasks import STRUCTURE_SYNC
from sdm.jobs import import_supplier_file
from sdm.tasks import JOB_PUSH
from sfcc_export.tasks import EXPORT
from tests.sdm.test_sdm_push import new_row, write_csv
from tests.sdm_helpers import make_workflow, sync_workflow
from tests.sfcc_helpers import make_profile
from tests.users import staff_user

pytestmark = pytest.mark.django_db
PRODUCTS = "/api/rest/v1/products-uuid"


@pytest.fixture
def connection(fake_akeneo):
    return AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, max_requests_per_second=1000, **SANDBOX_CREDENTIALS
    )


@pytest.fixture
def operator(client):
    return staff_user(OPERATOR, client=client)


def run_page(client, run: Run) -> str:
    response = client.get(reverse("admin:connector_run_change", args=[run.pk]))
    assert response.status_code == 200
    return response.content.decode()


def snapshot(client, run: Run) -> dict:
    return client.get(reverse("admin:connector_run_progress", args=[run.pk])).json()


# ------------------------------------------------------------------------------------ time


def test_dates_and_durations_read_in_words_in_the_zone_the_browser_reported(client, operator, connection):
    run = start_run(STRUCTURE_SYNC, connection, inline=True)
    started = datetime(2026, 12, 2, 13, 5, 0, tzinfo=UTC)
    Run.objects.filter(pk=run.pk).update(
        created_at=started - timedelta(seconds=20),
        started_at=started,
        finished_at=started + timedelta(minutes=3, seconds=12),
    )
    client.cookies[TIME_ZONE_COOKIE] = "Europe/Paris"

    html = run_page(client, run)
    polled = snapshot(client, run)

    assert '<span data-field="started_text">2 Dec 2026, 14:05</span>' in html  # UTC+1 in December
    assert '<span data-field="duration_text">3 min 12 s</span>' in html
    assert "finished 2 Dec 2026, 14:08" in html and "Times in Europe/Paris." in html
    assert (polled["started_text"], polled["duration_text"]) == ("2 Dec 2026, 14:05", "3 min 12 s")
    status = client.get(reverse("admin:connector_akeneoconnection_sync_status", args=[connection.pk]))
    row = status.content.decode().split(f'data-run-id="{run.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "2 Dec 2026, 14:04" in row and "3 min 12 s" in row  # queued at 14:04:40


@pytest.mark.parametrize(
    "cookie", ["Mars/Olympus_Mons", "../../../etc/passwd", "Europe/Paris\x00", "x" * 300]
)
def test_a_zone_that_does_not_exist_falls_back_to_the_servers(client, operator, connection, settings, cookie):
    settings.TIME_ZONE = "America/New_York"
    run = start_run(STRUCTURE_SYNC, connection, inline=True)
    started = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
    Run.objects.filter(pk=run.pk).update(started_at=started, finished_at=started + timedelta(seconds=42))
    client.cookies[TIME_ZONE_COOKIE] = cookie

    polled = snapshot(client, run)

    assert (polled["started_text"], polled["duration_text"]) == ("1 Jul 2026, 08:00", "42 s")
    assert polled["time_zone"] == "America/New_York"


def test_the_zone_lasts_for_its_request_only(client, operator, connection, settings):
    settings.TIME_ZONE = "UTC"
    run = start_run(STRUCTURE_SYNC, connection, inline=True)
    client.cookies[TIME_ZONE_COOKIE] = "Asia/Tokyo"
    assert snapshot(client, run)["time_zone"] == "Asia/Tokyo"

    del client.cookies[TIME_ZONE_COOKIE]

    assert snapshot(client, run)["time_zone"] == "UTC"


# ------------------------------------------------------------------------------- cancelling


def test_a_queued_run_says_queued_and_can_be_cancelled_a_finished_one_cannot(client, operator, connection):
    queued = start_run(STRUCTURE_SYNC, connection)  # the test's transaction never commits: no worker takes it

    html = run_page(client, queued)

    assert '<span data-field="duration_text">queued</span>' in html
    assert '<span data-field="started_text">not yet</span>' in html
    assert "— s" not in html and 'id="cancel-run"' in html
    assert request_cancel(queued)
    html = run_page(client, queued)
    assert 'id="cancel-run"' not in html
    assert '<span data-field="duration_text">not started</span>' in html

    done = start_run(STRUCTURE_SYNC, connection, inline=True)
    assert done.status == RunStatus.DONE
    assert 'id="cancel-run"' not in run_page(client, done)


# --------------------------------------------------------------------------------- counters


def counter_names(client, run: Run) -> list[str]:
    return [row["name"] for row in snapshot(client, run)["counter_rows"]]


def test_each_kind_shows_the_counters_it_means(client, operator, fake_akeneo, tmp_path):
    profile = make_profile(fake_akeneo, tmp_path / "out")
    sync = Run.objects.get(kind=STRUCTURE_SYNC)
    export = start_run(EXPORT, profile, params={"job": "all"}, inline=True)
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(1), new_row(2)]))
    fake_akeneo.faults.reject_product("SUP-00002", message="The EAN is already used.")
    push = start_run(JOB_PUSH, job, inline=True)

    assert counter_names(client, sync) == ["created", "updated", "unchanged", "deleted"]
    assert counter_names(client, push) == ["created", "updated", "skipped", "failed"]
    exported = snapshot(client, export)["counter_rows"]
    assert {"products", "masters", "variants"} <= {row["name"] for row in exported}
    assert all(row["value"] for row in exported)  # only what the export wrote, no table of zeros
    assert not {"created", "updated", "unchanged", "deleted", "failed"} & {row["name"] for row in exported}
    html = run_page(client, export)
    assert '<span class="run-counter-label">master products</span>' in html
    assert '<span class="run-counter-label">unchanged</span>' not in html
    assert '<span class="run-counter-label">unchanged (not sent)</span>' in run_page(client, push)


def test_progress_reads_against_its_total_in_the_kinds_unit():
    def text(**fields) -> str:
        return progress_text(Run(**fields))

    assert text(kind=EXPORT, status=RunStatus.IN_PROGRESS, progress_done=200, progress_total=1187) == (
        "200 of 1,187 products"
    )
    estimated = {"kind": EXPORT, "progress_total": 1200, "result": {"progress_estimated": True}}
    assert text(status=RunStatus.IN_PROGRESS, progress_done=200, **estimated) == "200 of about 1,200 products"
    assert text(status=RunStatus.DONE, progress_done=1187, **estimated) == "1,187 products"
    assert text(kind=EXPORT, status=RunStatus.IN_PROGRESS, progress_done=200) == "200 products so far"
    assert text(kind=EXPORT, status=RunStatus.QUEUED) == "waiting for a worker"
    assert text(kind=JOB_PUSH, status=RunStatus.DONE, progress_done=1, progress_total=1) == "1 of 1 row"


# --------------------------------------------------------------------------------- archives


@pytest.fixture
def exported(fake_akeneo, tmp_path, settings):
    settings.EXPORT_ROOT = tmp_path / "export-root"
    profile = make_profile(fake_akeneo, tmp_path / "out")
    run = start_run(EXPORT, profile, params={"job": "attributes"}, inline=True)
    assert run.status == RunStatus.DONE
    return run


def archive_url(run: Run, name: str) -> str:
    return reverse("admin:connector_run_archive", args=[run.pk, name])


def test_an_export_run_links_its_archive_for_download(client, operator, exported):
    archive = Path(exported.result["archive"])

    html = run_page(client, exported)
    response = client.get(archive_url(exported, archive.name))

    assert f'href="{archive_url(exported, archive.name)}"' in html
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{archive.name}"'
    body = b"".join(response.streaming_content)
    assert body == archive.read_bytes()
    with zipfile.ZipFile(archive) as packed:
        assert any(name.endswith("system-objecttype-extensions.xml") for name in packed.namelist())


@pytest.mark.parametrize(
    "name",
    ["..%2F..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "catalog.xml", "passwd", "not-the-archive.zip"],
)
def test_nothing_but_the_recorded_archive_is_served(client, operator, exported, name):
    response = client.get(f"/admin/connector/run/{exported.pk}/archive/{name}/", follow=True)

    assert response.status_code == 404
    assert "Content-Disposition" not in response


def test_an_archive_recorded_outside_the_export_folders_is_not_served(
    client, operator, exported, tmp_path, settings
):
    archive = Path(exported.result["archive"])
    secret = tmp_path / "elsewhere" / "secret.zip"
    secret.parent.mkdir()
    secret.write_bytes(b"not yours")

    def recorded(path: Path) -> None:
        Run.objects.filter(pk=exported.pk).update(result={**exported.result, "archive": str(path)})

    recorded(secret)
    assert client.get(archive_url(exported, secret.name)).status_code == 404
    link = archive.with_name("link.zip")  # inside the output folder, pointing out of it
    link.symlink_to(secret)
    recorded(link)
    assert client.get(archive_url(exported, link.name)).status_code == 404

    recorded(archive)
    profile = exported.target
    profile.output_dir = str(tmp_path / "moved")  # the archive is no longer in the profile's folder
    profile.save(update_fields=["output_dir"])
    assert client.get(archive_url(exported, archive.name)).status_code == 404
    settings.EXPORT_ROOT = archive.parent.parent  # ... but it is in EXPORT_ROOT
    assert client.get(archive_url(exported, archive.name)).status_code == 200


def test_a_user_who_may_not_view_runs_gets_no_archive(client, exported):
    client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
    archive = Path(exported.result["archive"])

    assert client.get(archive_url(exported, archive.name)).status_code == 403


# ------------------------------------------------------------------------------------ pushes


def test_a_push_run_names_its_failed_rows_and_links_its_job(client, operator, fake_akeneo, tmp_path):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    rows = [new_row(1), new_row(2), new_row(3, color="Ultraviolet")]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))
    fake_akeneo.faults.reject_product("SUP-00002", message="The EAN is already used by another product.")
    push = start_run(JOB_PUSH, job, inline=True)
    assert push.counters == {"created": 1, "failed": 2}

    html = run_page(client, push)

    job_page = reverse("admin:sdm_supplierjob_change", args=[job.pk])
    assert f'<a href="{job_page}" id="run-target">{job}</a>' in html
    assert "2 rows failed" in html
    assert "<strong>Line 2</strong> (SUP-00002): HTTP 422" in html
    assert "The EAN is already used by another product." in html
    assert "<strong>Line 3</strong> (SUP-00003): " in html and "Ultraviolet" in html
    failed_rows = (
        reverse("admin:sdm_jobrow_changelist") + f"?job__id__exact={job.pk}&amp;outcome__exact=failed"
    )
    assert failed_rows in html

    fake_akeneo.faults.clear()
    rerun = start_run(JOB_PUSH, job, inline=True)  # the refused product goes through now
    assert rerun.counters == {"created": 1, "failed": 1}
    first, second = snapshot(client, push)["failures"], snapshot(client, rerun)["failures"]
    assert [row["line"] for row in second["rows"]] == [3]
    assert (first["failed"], first["listed"], first["pushed_again"]) == (2, 0, 2)  # both pushed again since


# ---------------------------------------------------------------------------- export totals


def test_an_export_measures_its_progress_against_the_pims_count(client, operator, fake_akeneo, tmp_path):
    profile = make_profile(fake_akeneo, tmp_path / "out")
    with profile.connection.client() as pim:
        in_scope = sum(1 for product in pim.iter_products() if product["enabled"])
    fake_akeneo.clear_requests()

    run = start_run(EXPORT, profile, params={"job": "master"}, inline=True)

    assert run.status == RunStatus.DONE
    assert (run.progress_done, run.progress_total) == (in_scope, in_scope)
    counts = [r for r in fake_akeneo.requests if r.path == PRODUCTS and r.query.get("with_count") == "true"]
    assert len(counts) == 1 and counts[0].query["limit"] == "1"  # one cheap request per run
    assert "pagination_type" not in counts[0].query  # page mode: search_after pages carry no count
    assert f"{in_scope:,} of {in_scope:,} products" in run_page(client, run)
    assert not run.result["progress_estimated"]


def test_without_a_count_from_the_pim_the_last_run_gives_an_estimate(fake_akeneo, tmp_path):
    profile = make_profile(fake_akeneo, tmp_path / "out")
    first = start_run(EXPORT, profile, params={"job": "master"}, inline=True)
    fake_akeneo.faults.burst(1, status=400, path_prefix=PRODUCTS)  # the count request is refused

    second = start_run(EXPORT, profile, params={"job": "master"}, inline=True)

    assert second.status == RunStatus.DONE  # a progress total is not worth failing an export for
    assert second.progress_total == first.progress_done and second.result["progress_estimated"]
    assert any("did not count the products" in entry.message for entry in second.log_entries.all())


def test_a_run_page_links_only_to_pages_the_user_may_open(client, exported):
    from connector.roles import SDM_ADMIN

    staff_user(SDM_ADMIN, "sam", client=client)  # sees runs, not export profiles
    profile_page = reverse("admin:sfcc_export_exportprofile_change", args=[exported.target_id])
    assert client.get(profile_page).status_code == 403

    html = run_page(client, exported)

    assert profile_page not in html and 'id="run-target"' not in html
    assert exported.target_label in html
    assert snapshot(client, exported)["target_url"] == ""
