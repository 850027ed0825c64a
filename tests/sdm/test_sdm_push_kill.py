"""A push worker killed mid-push (a real process, SIGKILL) and resumed: every product exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core import mail
from django.db import connection
from django_q.tasks import async_task

from connector.alerts import CHECK_FUNC
from connector.models import Run, RunStatus
from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import JobRow, Workflow
from sdm.tasks import JOB_PUSH
from tests.connector.test_sync_concurrency import database_url
from tests.paths import ROOT
from tests.sdm.test_sdm_push import write_csv
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: a second process shares the DB"
    ),
]


def test_a_killed_push_is_found_stuck_mailed_and_resumes_with_every_product_once(
    fake_akeneo, tmp_path, monkeypatch, settings
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    rows = [{"sku": f"KILL-{n:04d}", "family": "accessories", "name-en_US": f"Bag {n}"} for n in range(500)]
    path = write_csv(tmp_path / "supplier.csv", rows, headers=["sku", "family", "name-en_US"])
    job = import_supplier_file(workflow, path)
    run = start_run(JOB_PUSH, job)  # queued; the worker below executes it
    # Each batch takes a moment in the PIM, so the kill lands between batches of a live push.
    fake_akeneo.faults.delay(0.5, path_prefix="/api/rest/v1/products")

    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.race", "work", str(run.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while job.rows.exclude(outcome=JobRow.Outcome.PENDING).count() < 100:
        assert worker.poll() is None, "the worker finished before it could be killed"
        assert time.monotonic() < deadline, "the worker made no progress"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert json.loads(worker.stdout.readline() or "{}").get("ready")

    killed = Run.objects.get(pk=run.pk)
    assert killed.status == RunStatus.IN_PROGRESS  # nobody told the database: the worker just vanished
    pushed_before = job.rows.exclude(outcome=JobRow.Outcome.PENDING).count()
    assert 100 <= pushed_before < 500
    # The scheduled check (a django-q task, run here) finds the silent run and closes it, loudly.
    settings.RUN_STUCK_SECONDS = 0
    Workflow.objects.filter(pk=workflow.pk).update(alert_emails="ops@example.com")
    async_task(CHECK_FUNC, sync=True)
    stuck = Run.objects.get(pk=run.pk)
    assert stuck.status == RunStatus.FAILED and stuck.error.startswith("Stuck: no progress since")
    [alert] = mail.outbox
    assert alert.to == ["ops@example.com"] and f"Run #{run.pk} failed" in alert.subject
    fake_akeneo.faults.clear()

    resumed = start_run(JOB_PUSH, job, inline=True)

    assert resumed.status == RunStatus.DONE
    # Every product is new to the PIM: those the killed worker created before it could record them
    # are reported created by the rerun too, not updated.
    assert resumed.counters == {"created": 500 - pushed_before}
    assert job.rows.filter(outcome__in=[JobRow.Outcome.CREATED, JobRow.Outcome.UPDATED]).count() == 500
    identifiers = [
        p["identifier"] for p in fake_akeneo.catalog.products.values() if p["identifier"].startswith("KILL-")
    ]
    assert sorted(identifiers) == [f"KILL-{n:04d}" for n in range(500)]  # each exactly once
