"""The run engine's registry: lock keys per kind, refusals recorded as skipped runs, triggers, and
nested runs that wait for the one already running."""

from __future__ import annotations

import ast
import threading
import time

import pytest
from django.db import connection, connections
from django.utils.module_loading import import_string
from django_q.models import Schedule

from connector.dashboard import targets
from connector.models import Run, RunStatus, RunTrigger
from connector.runs import RunAlreadyActive, execute_run, get_kind, registered_kinds, start_run
from connector.sandbox import FakeAkeneo
from connector.tasks import STRUCTURE_SYNC
from sdm.tasks import WORKFLOW_SYNC
from sfcc_export.export import JOBS
from sfcc_export.signals import export_schedule_name
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_profile


@pytest.fixture
def pim(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory(products=40, seed=5)) as server:
        yield server


def fire(name: str):
    """What django-q's scheduler does with a due schedule: call its function with its arguments."""
    schedule = Schedule.objects.get(name=name)
    return import_string(schedule.func)(*ast.literal_eval(schedule.args))


@pytest.mark.django_db
def test_two_jobs_of_one_profile_scheduled_at_the_same_moment_both_run(pim, tmp_path):
    profile = make_profile(pim, tmp_path / "exports")
    profile.schedules = {"master": "0 2 * * *", "pricebook": "0 2 * * *"}
    profile.save()
    # The master job's run is queued when both schedules come due: it holds "master", not the profile.
    master = start_run(EXPORT, profile, params={"job": "master", "mode": "differential"})

    assert fire(export_schedule_name(profile.pk, "pricebook")) == RunStatus.DONE
    assert fire(export_schedule_name(profile.pk, "master")) == RunStatus.SKIPPED
    assert execute_run(master.pk) == RunStatus.DONE

    runs = {(run.lock_key, run.trigger, run.status): run for run in Run.objects.filter(kind=EXPORT)}
    assert set(runs) == {
        ("master", RunTrigger.MANUAL, RunStatus.DONE),
        ("pricebook", RunTrigger.SCHEDULE, RunStatus.DONE),
        ("master", RunTrigger.SCHEDULE, RunStatus.SKIPPED),
    }
    skipped = runs["master", RunTrigger.SCHEDULE, RunStatus.SKIPPED]
    assert skipped.held_by == master
    assert skipped.error == f"Not started: run #{master.pk} (queued) was already doing this work."
    assert skipped.started_at is None and skipped.finished_at is not None
    assert skipped.params == {"job": "master", "mode": "differential"}


@pytest.mark.django_db
def test_a_refused_start_is_recorded_for_every_trigger(pim, tmp_path, admin_client):
    profile = make_profile(pim, tmp_path / "exports")
    holder = start_run(EXPORT, profile, params={"job": "master"})

    for trigger in (RunTrigger.MANUAL, RunTrigger.COMMAND, RunTrigger.API):
        with pytest.raises(RunAlreadyActive) as refused:
            start_run(EXPORT, profile, trigger=trigger, params={"job": "master"})
        assert refused.value.run == holder
        assert refused.value.skipped.status == RunStatus.SKIPPED
        assert refused.value.skipped.trigger == trigger

    skipped = Run.objects.filter(status=RunStatus.SKIPPED)
    assert skipped.count() == 3 and set(skipped.values_list("held_by", flat=True)) == {holder.pk}
    # The run page says what held it; the dashboard's last run of the job is still the holder.
    page = admin_client.get(f"/admin/connector/run/{skipped.first().pk}/change/").content.decode()
    assert "run-status-skipped" in page and f"run #{holder.pk} (queued) was already doing this work" in page
    dashboard = admin_client.get("/admin/").content.decode()
    assert f"/admin/connector/run/{holder.pk}/change/" in dashboard
    assert f"/admin/connector/run/{skipped.first().pk}/change/" not in dashboard


def test_the_registry_knows_each_kinds_target_owner_schedules_and_lock_key():
    kinds = {kind.code: kind for kind in registered_kinds()}

    assert kinds[EXPORT].target_model == "sfcc_export.ExportProfile"
    assert kinds[EXPORT].lock_key({"job": "pricebook"}) == "pricebook"
    assert kinds[EXPORT].lock_key({}) == "attributes"  # the job an export runs without one
    assert get_kind(STRUCTURE_SYNC).lock_key({"anything": 1}) == ""
    assert kinds["sdm_job_push"].owner == ("sdm.Workflow", "workflow")
    assert kinds[EXPORT].schedules(7) == [export_schedule_name(7, job) for job in JOBS]
    listed = [(target.model, target.children) for target in targets()]
    assert listed == [
        ("connector.AkeneoConnection", ()),
        ("sdm.Workflow", (("sdm.SupplierJob", "workflow"),)),
        ("sfcc_export.ExportProfile", ()),
    ]


def sync_workflow(run_id: int) -> None:
    try:
        execute_run(run_id)
    finally:
        connections.close_all()  # the thread's own database connection


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: a worker thread writes while the test reads (SQLite's shared cache locks)",
)
def test_a_workflow_sync_waits_for_its_connections_structure_sync_and_uses_it(
    pim, tmp_path, settings, monkeypatch
):
    from django_q.conf import Conf

    from sdm.models import Workflow

    settings.NESTED_RUN_POLL_SECONDS = 0.05
    monkeypatch.setattr(Conf, "SYNC", False)  # queued: this test is the worker
    profile = make_profile(pim, tmp_path / "exports")  # a synced connection
    workflow = Workflow.objects.create(name="spring", connection=profile.connection, channels=["ecommerce"])
    structure = start_run(STRUCTURE_SYNC, profile.connection)
    workflow_sync = start_run(WORKFLOW_SYNC, workflow)
    worker = threading.Thread(target=sync_workflow, args=(workflow_sync.pk,))
    worker.start()
    deadline = time.monotonic() + 60
    waiting = f"already running (run #{structure.pk}): waiting for it"
    while not Run.objects.get(pk=workflow_sync.pk).log_entries.filter(message__contains=waiting).exists():
        assert worker.is_alive() and time.monotonic() < deadline, "the workflow sync did not wait"
        worker.join(timeout=0.05)  # a pause between looks, not a timing assumption

    assert execute_run(structure.pk) == RunStatus.DONE
    worker.join(timeout=60)

    done = Run.objects.get(pk=workflow_sync.pk)
    assert done.status == RunStatus.DONE, done.error
    assert done.result["structure_run"] == structure.pk
    log = [entry.message for entry in done.log_entries.all()]
    assert f"Run #{structure.pk} ended: done." in log
    assert Run.objects.filter(kind=STRUCTURE_SYNC, status=RunStatus.SKIPPED, held_by=structure).count() == 1


@pytest.mark.django_db
def test_a_workflow_sync_that_waits_too_long_fails_saying_for_what(pim, tmp_path, settings):
    from sdm.models import Workflow

    settings.NESTED_RUN_WAIT_SECONDS = 0  # the holder never ends here: one look, then give up
    profile = make_profile(pim, tmp_path / "exports")
    workflow = Workflow.objects.create(name="spring", connection=profile.connection, channels=["ecommerce"])
    structure = start_run(STRUCTURE_SYNC, profile.connection)

    failed = start_run(WORKFLOW_SYNC, workflow, inline=True)

    assert failed.status == RunStatus.FAILED
    assert f"Waited 0 s for run #{structure.pk} (PIM structure sync of 'sandbox')" in failed.error
    assert "Try again when it has ended." in failed.error


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: schedules fired in two processes at the same instant",
)
def test_schedules_fired_in_two_workers_at_the_same_instant(pim, tmp_path):
    from tests.connector.test_sync_concurrency import race_commands

    profile = make_profile(pim, tmp_path / "exports")
    profile.schedules = {"master": "0 2 * * *", "pricebook": "0 2 * * *"}
    profile.save()
    master, pricebook = (export_schedule_name(profile.pk, job) for job in ("master", "pricebook"))

    together = race_commands([["schedule", master], ["schedule", pricebook]])

    assert [outcome["status"] for outcome in together] == [RunStatus.DONE, RunStatus.DONE]
    twice = race_commands([["schedule", master], ["schedule", master]])

    assert sorted(outcome["status"] for outcome in twice) == [RunStatus.DONE, RunStatus.SKIPPED]
    ran = Run.objects.filter(kind=EXPORT, lock_key="master").exclude(status=RunStatus.SKIPPED).latest("pk")
    skipped = Run.objects.get(kind=EXPORT, status=RunStatus.SKIPPED)
    assert (skipped.held_by, skipped.trigger) == (ran, RunTrigger.SCHEDULE)
