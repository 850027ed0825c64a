"""The product as it runs in production: gunicorn with several worker processes, static files served
by the application (WhiteNoise), Redis as broker and cache; and on PostgreSQL two worker hosts side
by side: a schedule fires once, no run is executed twice, a killed worker's run is found and rerun.

Real processes throughout (gunicorn, qcluster), as the README's "Running in production" starts them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import redis
import requests
from django.db import connection
from django.utils import timezone

from tests.connector.test_sqlite_polling import Install
from tests.helpers.processes import background, free_port, stop, wait_for_port, wait_until

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, emptied before and after


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def redis_db():
    if not redis_available():
        pytest.skip(f"needs Redis at {REDIS_URL}")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def test_gunicorn_serves_the_admin_and_static_files_and_redis_carries_throttles_and_tasks(
    tmp_path, fake_akeneo, redis_db
):
    install = Install(tmp_path)
    install.env.update(
        {
            "REDIS_URL": REDIS_URL,
            "API_RATE": "5/minute",
            "STATIC_ROOT": str(tmp_path / "static"),
            "Q_SYNC": "False",
        }
    )
    install.manage("migrate", "--noinput")
    install.manage("collectstatic", "--noinput")
    install.connect(fake_akeneo)
    install.manage("create_user", "--username=ops", "--role=sdm-admin", "--password=ops-pw-12345")
    port = free_port()
    web = background(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        install.env,
        tmp_path / "gunicorn.log",
    )
    workers = background([sys.executable, "manage.py", "qcluster"], install.env, tmp_path / "qcluster.log")
    try:
        wait_for_port(port, web)
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/admin/login/", timeout=30).status_code == 200
        css = requests.get(f"{base}/static/admin/css/base.css", timeout=30)
        assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]

        key = requests.post(
            f"{base}/api/v1/auth/token/",
            json={"username": "ops", "password": "ops-pw-12345", "name": "t"},
            timeout=30,
        ).json()["key"]
        # Two gunicorn workers, one count: without a shared cache each process would allow 5.
        with requests.Session() as session:
            session.headers["Authorization"] = f"Token {key}"
            statuses = [session.get(f"{base}/api/v1/projects/", timeout=30).status_code for _ in range(8)]
        assert statuses == [200] * 5 + [429] * 3

        # A run queued by one process goes through Redis to the worker cluster.
        install.manage(
            "shell",
            "--no-imports",
            "-c",
            "from connector.models import AkeneoConnection; from connector.runs import start_run; "
            "from connector.tasks import STRUCTURE_SYNC; "
            "start_run(STRUCTURE_SYNC, AkeneoConnection.objects.get(name='pim'))",
        )
        status = "from connector.models import Run; print(Run.objects.get().status)"
        wait_until(
            lambda: install.manage("shell", "--no-imports", "-c", status).split()[-1] == "done",
            "the run queued through Redis",
            (workers,),
        )
    finally:
        stop(web)
        stop(workers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two worker hosts share it")
def test_two_worker_hosts_fire_a_schedule_once_never_run_twice_and_rerun_a_killed_workers_run(
    fake_akeneo, tmp_path, settings, monkeypatch
):
    from django.core import mail
    from django_q.conf import Conf
    from django_q.models import Schedule, Task
    from django_q.tasks import async_task

    from connector.alerts import CHECK_FUNC
    from connector.models import AkeneoConnection, Run, RunStatus, RunTrigger
    from connector.runs import start_run
    from connector.tasks import STRUCTURE_SYNC
    from sdm.jobs import import_supplier_file
    from sdm.models import JobRow
    from sdm.tasks import JOB_PUSH
    from tests.connector.test_sync_concurrency import database_url
    from tests.sdm.test_sdm_push import write_csv
    from tests.sdm_helpers import make_workflow, sync_workflow

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "Q_SYNC": "False",
        "Q_WORKERS": "1",
        "RUN_HEARTBEAT_SECONDS": "0.5",
    }

    monkeypatch.setattr(Conf, "SYNC", False)  # this process queues; the two hosts execute
    started_hosts = 0

    def host() -> subprocess.Popen:
        nonlocal started_hosts
        started_hosts += 1
        return background(
            [sys.executable, "manage.py", "qcluster"], env, tmp_path / f"host-{started_hosts}.log"
        )

    connections = [
        AkeneoConnection.objects.create(
            name=f"pim-{n}",
            base_url=fake_akeneo.base_url,
            max_requests_per_second=1000,
            client_id="sandbox_client",
            secret="sandbox_secret",
            username="sandbox",
            password="sandbox",
        )
        for n in range(4)
    ]
    # Due before either host starts: both schedulers meet it on their first pass, about 30 s in.
    Schedule.objects.create(
        name="due-once",
        func="connector.tasks.scheduled_structure_sync",
        args=str(connections[0].pk),
        schedule_type=Schedule.DAILY,
        next_run=timezone.now() - timedelta(seconds=1),
    )
    started = time.monotonic()
    hosts = [host(), host()]
    try:
        # Runs queued at once: the two hosts share them, each executed exactly once.
        fake_akeneo.clear_requests()
        runs = [start_run(STRUCTURE_SYNC, c) for c in connections[1:]]
        wait_until(
            lambda: Run.objects.filter(pk__in=[r.pk for r in runs], status=RunStatus.DONE).count() == 3,
            "the queued runs",
            hosts,
        )
        assert fake_akeneo.count("GET", "/api/rest/v1/channels") == 3  # one sync each, none twice

        wait_until(lambda: Task.objects.filter(group="due-once").exists(), "the scheduled task", hosts)
        # Both schedulers pass every 30 s; 45 s after the start each has met the schedule at least once.
        wait_until(lambda: time.monotonic() - started > 45, "both schedulers' first pass", hosts)
        assert Task.objects.filter(group="due-once").count() == 1
        assert Run.objects.filter(trigger=RunTrigger.SCHEDULE, kind=STRUCTURE_SYNC).count() == 1

        # A push on a host killed mid-way: found by the check, rerun on another host, every product once.
        stop(hosts.pop())
        workflow = make_workflow(fake_akeneo)
        # One batch at a time, so that the push is still going when its host is killed.
        AkeneoConnection.objects.filter(pk=workflow.connection_id).update(max_concurrency=1)
        assert sync_workflow(workflow).status == RunStatus.DONE
        rows = [
            {"sku": f"HOST-{n:04d}", "family": "accessories", "name-en_US": f"Bag {n}"} for n in range(400)
        ]
        path = write_csv(tmp_path / "supplier.csv", rows, headers=["sku", "family", "name-en_US"])
        job = import_supplier_file(workflow, path)
        fake_akeneo.faults.delay(0.3, path_prefix="/api/rest/v1/products")
        push = start_run(JOB_PUSH, job)
        wait_until(lambda: job.rows.exclude(outcome=JobRow.Outcome.PENDING).count() >= 100, "the push", hosts)
        os.killpg(hosts[0].pid, signal.SIGKILL)
        hosts[0].wait()
        hosts = [host()]
        settings.RUN_STUCK_SECONDS = 2
        settings.RUN_ALERT_EMAILS = "ops@example.com"
        wait_until(
            lambda: Run.objects.get(pk=push.pk).heartbeat_at < timezone.now() - timedelta(seconds=2),
            "the killed run to fall silent",
            hosts,
        )
        assert Run.objects.get(pk=push.pk).status == RunStatus.IN_PROGRESS
        async_task(CHECK_FUNC, sync=True)
        assert Run.objects.get(pk=push.pk).status == RunStatus.FAILED and mail.outbox
        fake_akeneo.faults.clear()
        rerun = start_run(JOB_PUSH, job)
        wait_until(lambda: Run.objects.get(pk=rerun.pk).status == RunStatus.DONE, "the rerun", hosts)
    finally:
        for h in hosts:
            stop(h)
    pushed = [
        p["identifier"] for p in fake_akeneo.catalog.products.values() if p["identifier"].startswith("HOST-")
    ]
    assert sorted(pushed) == [f"HOST-{n:04d}" for n in range(400)]  # each exactly once
