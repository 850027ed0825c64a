"""Health from every run: a run ended by refused credentials or no answer marks its connection (or
its profile's SFCC instance) unhealthy, shown in the lists and on the dashboard, until a run succeeds."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from connector.models import AkeneoConnection, RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo
from connector.tasks import STRUCTURE_SYNC
from sfcc_export.models import ExportProfile
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_instance_profile, make_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def pim(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory(products=20, seed=2)) as server:
        yield server


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_a_sync_refused_by_the_pim_marks_the_connection_until_a_sync_succeeds(pim, admin_client):
    credentials = {**SANDBOX_CREDENTIALS, "secret": "wrong"}
    connection = AkeneoConnection.objects.create(name="pim", base_url=pim.base_url, **credentials)

    failed = start_run(STRUCTURE_SYNC, connection, inline=True)

    assert failed.status == RunStatus.FAILED
    connection.refresh_from_db()
    assert connection.last_check_ok is False
    assert connection.last_check_message.startswith(f"Run #{failed.pk}: The PIM refused the credentials")
    assert "wrong" not in connection.last_check_message  # the secret is never repeated
    listed = admin_client.get(reverse("admin:connector_akeneoconnection_changelist")).content.decode()
    assert "The PIM refused the credentials" in listed
    dashboard = admin_client.get(reverse("admin:dashboard")).content.decode()
    assert 'class="status-failed health-problem"' in dashboard

    AkeneoConnection.objects.filter(pk=connection.pk).update(secret=SANDBOX_CREDENTIALS["secret"])
    connection.refresh_from_db()
    done = start_run(STRUCTURE_SYNC, connection, inline=True)

    assert done.status == RunStatus.DONE
    connection.refresh_from_db()
    assert (connection.last_check_ok, connection.last_check_message) == (
        True,
        f"Run #{done.pk} reached the PIM.",
    )
    dashboard = admin_client.get(reverse("admin:dashboard")).content.decode()
    assert "health-problem" not in dashboard


def test_an_unreachable_pim_is_said_so(settings):
    settings.AKENEO_MAX_RETRIES = 1
    connection = AkeneoConnection.objects.create(
        name="gone", base_url=f"http://127.0.0.1:{closed_port()}", **SANDBOX_CREDENTIALS
    )

    failed = start_run(STRUCTURE_SYNC, connection, inline=True)

    assert failed.status == RunStatus.FAILED
    connection.refresh_from_db()
    assert connection.last_check_ok is False
    assert f"Run #{failed.pk}: The PIM could not be reached" in connection.last_check_message


def test_a_run_failing_for_another_reason_says_nothing_of_the_pim(pim, tmp_path):
    profile = make_profile(pim, tmp_path / "exports", families=["no-such-family"])
    before = AkeneoConnection.objects.values_list("last_check_ok", "last_check_message").get()

    failed = start_run(EXPORT, profile, params={"job": "master"}, inline=True)

    assert failed.status == RunStatus.FAILED  # no product selected: the PIM answered
    assert AkeneoConnection.objects.values_list("last_check_ok", "last_check_message").get() == before


def test_an_export_refused_by_sfcc_marks_the_profile_until_a_delivery_succeeds(
    pim, sfcc, tmp_path, admin_client
):
    profile = make_instance_profile(pim, tmp_path / "exports", sfcc, api_client_secret="wrong")

    failed = start_run(EXPORT, profile, params={"job": "attributes"}, inline=True)

    assert failed.status == RunStatus.FAILED
    profile.refresh_from_db()
    assert profile.delivery_check_ok is False
    assert profile.delivery_check_message.startswith(f"Run #{failed.pk}: SFCC refused the API client")
    listed = admin_client.get(reverse("admin:sfcc_export_exportprofile_changelist")).content.decode()
    assert "SFCC refused the API client" in listed
    assert AkeneoConnection.objects.get().last_check_ok is True  # the PIM part went well

    ExportProfile.objects.filter(pk=profile.pk).update(api_client_secret=sfcc.client_secret)
    profile.refresh_from_db()
    done = start_run(EXPORT, profile, params={"job": "attributes"}, inline=True)

    assert done.status == RunStatus.DONE, done.error
    profile.refresh_from_db()
    assert (profile.delivery_check_ok, profile.delivery_check_message) == (
        True,
        f"Run #{done.pk} delivered to SFCC.",
    )
