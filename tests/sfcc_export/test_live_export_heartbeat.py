"""A live export that waits a long time for SFCC's import is not declared dead: its worker keeps
beating, the stuck-run check leaves it alone, a second export of the profile is refused, and the
run ends done when SFCC finishes. A real worker process on PostgreSQL, a real fake SFCC.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.core import mail
from django.db import connection
from django_q.tasks import async_task

from connector.alerts import CHECK_FUNC
from connector.models import Run, RunStatus
from connector.runs import RunAlreadyActive, start_run
from sfcc_export.tasks import EXPORT
from tests.connector.test_sync_concurrency import database_url
from tests.paths import ROOT
from tests.sfcc_export.test_sfcc_delivery import pim, profile  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: a second process shares the DB"
    ),
]
STATUS_POLLS = "/s/-/dw/data/"


def wait_until(condition, worker, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, f"the worker ended before {what}: {worker.stdout.read()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_an_export_waiting_for_a_slow_sfcc_import_stays_alive_and_ends_done(
    profile,  # noqa: F811
    sfcc,  # noqa: F811
    monkeypatch,
    settings,
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    sfcc.polls_until_finished = 10**6  # the import runs until the test lets it finish
    run = start_run(EXPORT, profile, params={"job": "attributes", "mode": "full"})
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "SFCC_POLL_SECONDS": "0.1",
        "RUN_HEARTBEAT_SECONDS": "0.2",
        "MEDIA_CACHE_ROOT": str(settings.MEDIA_CACHE_ROOT),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.race", "work", str(run.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        settings.RUN_STUCK_SECONDS = 1
        started = time.monotonic()
        # Waiting on SFCC for longer than the stuck threshold, with the run's last progress behind it.
        wait_until(
            lambda: sfcc.count("GET", STATUS_POLLS) >= 5 and time.monotonic() - started > 2,
            worker,
            "the import to be polled",
        )
        beat = Run.objects.get(pk=run.pk).heartbeat_at
        wait_until(lambda: Run.objects.get(pk=run.pk).heartbeat_at > beat, worker, "a heartbeat", seconds=30)

        async_task(CHECK_FUNC, sync=True)

        alive = Run.objects.get(pk=run.pk)
        assert alive.status == RunStatus.IN_PROGRESS, alive.error
        assert mail.outbox == []
        with pytest.raises(RunAlreadyActive):
            start_run(EXPORT, profile, params={"job": "attributes", "mode": "full"})

        sfcc.polls_until_finished = 0
        out, _ = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert json.loads(out.splitlines()[-1]) == {"status": RunStatus.DONE}
    done = Run.objects.get(pk=run.pk)
    assert done.status == RunStatus.DONE and done.result["delivery"]["exit_status"] == "OK"
