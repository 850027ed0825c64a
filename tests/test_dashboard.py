"""The operations dashboard: last runs per target and kind, next schedule, failures of the week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connector.models import AkeneoConnection, Run, RunStatus
from connector.roles import OPERATOR
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.tasks import STRUCTURE_SYNC

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(fake_akeneo):
    return AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS
    )


def operator(client) -> User:
    user = User.objects.create_user("olivia", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATOR))
    client.force_login(user)
    return user


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
