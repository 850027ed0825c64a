"""The operations dashboard: last runs per target and kind, next schedule, failures of the week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connector.models import AkeneoConnection, Run, RunStatus
from connector.roles import OPERATOR
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.tasks import STRUCTURE_SYNC
from tests.users import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(fake_akeneo):
    return AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS
    )


def operator(client) -> User:
    return staff_user(OPERATOR, client=client)


def test_the_dashboard_shows_the_last_run_the_next_schedule_and_the_weeks_failures(
    client, connection, fake_akeneo
):
    operator(client)
    fake_akeneo.faults.every_nth(1, status=429, retry_after=3600, path_prefix="/api/rest/v1/attributes")
    failed = start_run(STRUCTURE_SYNC, connection, inline=True)
    old = start_run(STRUCTURE_SYNC, connection, inline=True)
    Run.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))  # outside the window
    fake_akeneo.faults.clear()
    done = start_run(STRUCTURE_SYNC, connection, inline=True)
    assert (failed.status, done.status) == (RunStatus.FAILED, RunStatus.DONE)

    page = client.get(reverse("admin:dashboard"))

    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/admin/connector/run/{done.pk}/change/" class="run-link"' in html  # the last run
    assert f'href="/admin/connector/run/{failed.pk}/change/" class="run-link"' not in html
    # The week's failure is one click away too; the one older than the window is not listed.
    assert f'href="/admin/connector/run/{failed.pk}/change/" class="failed-run"' in html
    assert f"/admin/connector/run/{old.pk}/change/" not in html
    assert "1 failed" in html and "status__exact=failed" in html
    assert "Done" in html and "manual only" not in html  # the weekly sync schedule is shown
    index = client.get(reverse("admin:index")).content.decode()
    assert 'id="dashboard"' in index and f"/admin/connector/run/{done.pk}/change/" in index


def test_the_dashboard_costs_a_constant_number_of_queries(client, fake_akeneo):
    operator(client)
    for n in range(3):
        AkeneoConnection.objects.create(name=f"pim-{n}", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS)
    with CaptureQueriesContext(db_connection) as few:
        client.get(reverse("admin:dashboard"))
    for n in range(3, 12):
        AkeneoConnection.objects.create(name=f"pim-{n}", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS)
    with CaptureQueriesContext(db_connection) as many:
        client.get(reverse("admin:dashboard"))
    assert len(many) == len(few)


def test_the_runs_list_filters_by_target(client, connection, fake_akeneo):
    operator(client)
    other = AkeneoConnection.objects.create(
        name="other", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS
    )
    mine = start_run(STRUCTURE_SYNC, connection, inline=True)
    theirs = start_run(STRUCTURE_SYNC, other, inline=True)
    type_id = mine.target_type_id

    page = client.get(reverse("admin:connector_run_changelist") + f"?target={type_id}-{connection.pk}")

    runs = list(page.context["cl"].queryset)
    assert runs == [mine] and theirs not in runs
    assert "other" in page.content.decode()  # offered as a filter choice


def test_a_workflow_row_shows_its_supplier_jobs_last_push_and_links_each_failed_one(
    client, fake_akeneo, tmp_path
):
    from sdm.jobs import import_supplier_file
    from sdm.models import SupplierJob
    from sdm.tasks import JOB_PUSH
    from tests.sdm.test_sdm_push import new_row, write_csv
    from tests.sdm_helpers import make_workflow, sync_workflow

    operator(client)
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    refused = SupplierJob.objects.create(
        workflow=workflow, name="refused", source_filename="x.csv", status=SupplierJob.Status.IMPORT_FAILED
    )
    failed = start_run(JOB_PUSH, refused, inline=True)  # a job whose file was refused has nothing to push
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(1), new_row(2)]))
    pushed = start_run(JOB_PUSH, job, inline=True)
    assert (failed.status, pushed.status) == (RunStatus.FAILED, RunStatus.DONE)

    html = client.get(reverse("admin:dashboard")).content.decode()

    row = html.split(f'<a href="/admin/sdm/workflow/{workflow.pk}/change/">', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/admin/connector/run/{pushed.pk}/change/" class="run-link">' in row
    assert f"Supplier job push · {job}" in row and "2 created" in row
    assert "1 failed" in row
    assert f'<a href="/admin/connector/run/{failed.pk}/change/" class="failed-run">' in row
    assert f"Supplier job push · {refused}" in row
    # "1 failed" opens the runs list on exactly the failures it counts, the job's push among them.
    failures = row.split('class="failures"')[0].rsplit('<a href="', 1)[1].split('"', 1)[0]
    listed = client.get(failures.replace("&amp;", "&"))
    assert list(listed.context["cl"].queryset) == [failed]
    assert "dashboard row" in listed.content.decode()  # shown as the chosen filter, so it can be cleared


def test_the_dashboard_costs_the_same_queries_for_many_workflows_and_jobs(client, fake_akeneo):
    from sdm.models import SupplierJob, Workflow
    from sdm.tasks import JOB_PUSH

    operator(client)
    connection = AkeneoConnection.objects.create(
        name="pim", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS
    )

    def add_workflows(start: int, end: int) -> None:
        for n in range(start, end):
            workflow = Workflow.objects.create(name=f"w-{n}", connection=connection)
            job = SupplierJob.objects.create(
                workflow=workflow,
                name=f"j-{n}",
                source_filename="x.csv",
                status=SupplierJob.Status.IMPORT_FAILED,
            )
            start_run(JOB_PUSH, job, inline=True)

    add_workflows(0, 2)
    with CaptureQueriesContext(db_connection) as few:
        client.get(reverse("admin:dashboard"))
    add_workflows(2, 10)
    with CaptureQueriesContext(db_connection) as many:
        page = client.get(reverse("admin:dashboard"))
    assert page.content.decode().count('class="failed-run"') == 10
    assert len(many) == len(few)


def test_the_dashboard_costs_the_same_queries_with_3_and_30_connections_and_runs_of_every_kind(
    client, fake_akeneo, tmp_path
):
    from django.contrib.contenttypes.models import ContentType

    from connector.runs import registered_kinds
    from sdm.models import SupplierJob, Workflow
    from sfcc_export.models import ExportProfile

    operator(client)
    now = timezone.now()

    def add_connections(start: int, end: int) -> None:
        runs = []
        for n in range(start, end):
            connection = AkeneoConnection.objects.create(
                name=f"pim-{n}", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS
            )
            workflow = Workflow.objects.create(name=f"w-{n}", connection=connection)
            job = SupplierJob.objects.create(workflow=workflow, name=f"j-{n}", source_filename="x.csv")
            profile = ExportProfile.objects.create(
                name=f"shop-{n}", connection=connection, channel="ecommerce", output_dir=str(tmp_path)
            )
            targets = {
                "connector.AkeneoConnection": connection,
                "sdm.Workflow": workflow,
                "sdm.SupplierJob": job,
                "sfcc_export.ExportProfile": profile,
            }
            for kind in registered_kinds():
                if not kind.target_model:
                    continue
                target = targets[kind.target_model]
                for key in ("master", "pricebook") if kind.lock_key({"job": "master"}) else ("",):
                    for status in (RunStatus.DONE, RunStatus.FAILED, RunStatus.WARNINGS, RunStatus.SKIPPED):
                        runs.append(
                            Run(
                                kind=kind.code,
                                target_type=ContentType.objects.get_for_model(target),
                                target_id=target.pk,
                                target_label=str(target),
                                status=status,
                                lock_key=key,
                                params={"job": key} if key else {},
                                started_at=now,
                                finished_at=now,
                                error="held" if status == RunStatus.SKIPPED else "",
                            )
                        )
        Run.objects.bulk_create(runs)

    add_connections(0, 3)
    with CaptureQueriesContext(db_connection) as few:
        page = client.get(reverse("admin:dashboard")).content.decode()
    assert page.count('class="failed-run"') == 3 * 6  # structure, workflow, push, import, two export jobs
    add_connections(3, 30)
    with CaptureQueriesContext(db_connection) as many:
        page = client.get(reverse("admin:dashboard")).content.decode()
    assert page.count('class="failed-run"') == 30 * 6
    assert "status-warnings" in page and "status-skipped" not in page  # the last run that ran, per job
    assert len(many) == len(few)
