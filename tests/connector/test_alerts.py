"""Failed and stuck runs are closed and mailed; the check is a django-q schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from connector.alerts import CHECK_FUNC, CHECK_SCHEDULE_NAME
from connector.models import AkeneoConnection, Run, RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.tasks import STRUCTURE_SYNC

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(fake_akeneo):
    return AkeneoConnection.objects.create(
        name="sandbox",
        base_url=fake_akeneo.base_url,
        alert_emails="ops@example.com; pim-team@example.com",
        **SANDBOX_CREDENTIALS,
    )


def active_run(connection, status, **times) -> Run:
    return Run.objects.create(
        kind=STRUCTURE_SYNC, target=connection, target_label=str(connection), status=status, **times
    )


def test_a_failed_run_is_mailed_to_the_targets_contacts_and_the_alert_list(connection, fake_akeneo, settings):
    settings.RUN_ALERT_EMAILS = "oncall@example.com"
    fake_akeneo.faults.every_nth(1, status=429, retry_after=3600, path_prefix="/api/rest/v1/attributes")

    run = start_run(STRUCTURE_SYNC, connection, inline=True)

    assert run.status == RunStatus.FAILED
    [message] = mail.outbox
    assert message.to == ["ops@example.com", "pim-team@example.com", "oncall@example.com"]
    assert f"Run #{run.pk} failed" in message.subject and "429" in message.body
    assert f"/admin/connector/run/{run.pk}/change/" in message.body
    assert SANDBOX_CREDENTIALS["secret"] not in message.body + message.subject


def test_a_done_run_sends_nothing(connection):
    assert start_run(STRUCTURE_SYNC, connection, inline=True).status == RunStatus.DONE
    assert mail.outbox == []


def test_the_check_fails_silent_runs_and_runs_nobody_took_and_leaves_live_ones(connection, settings):
    settings.RUN_STUCK_SECONDS = 600
    settings.RUN_QUEUED_MAX_SECONDS = 3600
    now = timezone.now()
    live = active_run(
        connection,
        RunStatus.IN_PROGRESS,
        started_at=now - timedelta(hours=1),
        heartbeat_at=now - timedelta(minutes=9),
    )

    async_task(CHECK_FUNC)  # Q_SYNC: the scheduled task really runs, here

    assert Run.objects.get(pk=live.pk).status == RunStatus.IN_PROGRESS
    assert mail.outbox == []
    Run.objects.filter(pk=live.pk).update(heartbeat_at=now - timedelta(minutes=11))
    async_task(CHECK_FUNC)
    stuck = Run.objects.get(pk=live.pk)
    assert stuck.status == RunStatus.FAILED and stuck.error.startswith("Stuck: no progress since")
    assert "worker probably died" in stuck.error and stuck.finished_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to[0] == "ops@example.com"

    queued = active_run(connection, RunStatus.QUEUED)
    Run.objects.filter(pk=queued.pk).update(created_at=now - timedelta(hours=2))
    async_task(CHECK_FUNC)
    assert Run.objects.get(pk=queued.pk).error.startswith("Stuck: queued for more than 3600 s")
    assert len(mail.outbox) == 2


def test_the_check_is_scheduled_every_minute():
    schedule = Schedule.objects.get(name=CHECK_SCHEDULE_NAME)
    assert (
        schedule.func == CHECK_FUNC and schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    )
