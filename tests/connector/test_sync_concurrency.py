"""Two processes racing on PostgreSQL: one run per sync, one execution per run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from connector.models import AkeneoConnection, Run, RunStatus
from connector.sandbox import SANDBOX_CREDENTIALS
from tests.helpers.race import BARRIER_LOCK
from tests.paths import ROOT

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real concurrent transactions in two processes",
    ),
]


def database_url() -> str:
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


def race(action: str, ident: int, processes: int = 2) -> list[dict]:
    return race_commands([[action, str(ident)]] * processes)


def race_commands(commands: list[list[str]]) -> list[dict]:
    """Each command (tests/helpers/race.py's arguments) in a process of its own, all released from
    the barrier at the same instant; their last JSON lines, in order."""
    processes = len(commands)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "Q_SYNC": "False",
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [BARRIER_LOCK])
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.helpers.race", *command],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        for worker in workers:
            assert "ready" in json.loads(worker.stdout.readline())
        # Release only once every worker is queued on the barrier, so they really start together.
        deadline = time.monotonic() + 30
        while True:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cursor.fetchone()[0] == processes or time.monotonic() > deadline:
                break
        cursor.execute("SELECT pg_advisory_unlock(%s)", [BARRIER_LOCK])
    outcomes = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes


def test_two_synchronize_requests_at_once_produce_one_run(fake_akeneo):
    pim = AkeneoConnection.objects.create(
        name="pim",
        base_url=fake_akeneo.base_url,
        **{
            "client_id": SANDBOX_CREDENTIALS["client_id"],
            "secret": SANDBOX_CREDENTIALS["secret"],
            "username": SANDBOX_CREDENTIALS["username"],
            "password": SANDBOX_CREDENTIALS["password"],
        },
    )

    outcomes = race("start", pim.pk)

    started = [o["started"] for o in outcomes if "started" in o]
    refused = [o["refused"] for o in outcomes if "refused" in o]
    assert len(started) == 1
    assert refused == started
    assert list(Run.objects.exclude(status=RunStatus.SKIPPED).values_list("pk", flat=True)) == started
    # The refused request left its trace: a skipped run naming the one that started.
    assert list(Run.objects.filter(status=RunStatus.SKIPPED).values_list("held_by", flat=True)) == started

    # Two workers handed the same task (a broker re-delivery): only one executes it.
    outcomes = race("execute", started[0])

    assert sorted(o["status"] for o in outcomes).count(RunStatus.DONE) >= 1
    run = Run.objects.get(pk=started[0])
    assert run.status == RunStatus.DONE
    assert fake_akeneo.count(path_prefix="/api/oauth/v1/token") == 1
    assert fake_akeneo.count(path_prefix="/api/rest/v1/channels") == 1
