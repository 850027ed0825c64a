"""The first-run guide on the admin index: connection → Test connection → Synchronize → workflow →
export profile, each step ticked from the database as the user does it through the admin, each a
link to its page, the whole guide gone once everything is set up."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from connector.models import AkeneoConnection
from connector.roles import OPERATOR
from connector.sandbox import SANDBOX_CREDENTIALS
from sdm.models import Workflow
from sfcc_export.models import ExportProfile
from tests.sfcc_helpers import LOCALES
from tests.users import staff_user

pytestmark = pytest.mark.django_db


def steps(client) -> dict[int, tuple[str, str]]:
    """Step number → (Done / To do, the link it offers or "")."""
    html = client.get(reverse("admin:index")).content.decode()
    found = {}
    for number, body in re.findall(
        r'<li class="first-run-step [a-z]+" data-step="(\d)">(.*?)</li>', html, re.S
    ):
        state = re.search(r'<span class="first-run-state">([^<]+)</span>', body).group(1)
        link = re.search(r'<a href="([^"]+)">', body)
        found[int(number)] = (state, link.group(1) if link else "")
    return found


def test_each_step_is_ticked_as_it_is_done_and_the_guide_goes_once_all_are(
    admin_client, fake_akeneo, django_capture_on_commit_callbacks
):
    assert steps(admin_client) == {
        1: ("To do", reverse("admin:connector_akeneoconnection_add")),
        2: ("To do", ""),
        3: ("To do", ""),
        4: ("To do", ""),
        5: ("To do", ""),
    }  # until there is a connection to test, synchronize, or build a workflow or an export on
    assert "Comes after step 1." in admin_client.get(reverse("admin:index")).content.decode()

    connection = AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS
    )
    change = reverse("admin:connector_akeneoconnection_change", args=[connection.pk])
    status = reverse("admin:connector_akeneoconnection_sync_status", args=[connection.pk])
    assert steps(admin_client)[1] == ("Done", change)
    assert steps(admin_client)[2] == ("To do", change)  # where the Test connection button is
    assert steps(admin_client)[3] == ("To do", status)
    assert steps(admin_client)[4] == ("To do", reverse("admin:sdm_workflow_add"))
    assert steps(admin_client)[5] == ("To do", reverse("admin:sfcc_export_exportprofile_add"))

    admin_client.post(reverse("admin:connector_akeneoconnection_test", args=[connection.pk]))
    assert steps(admin_client)[2][0] == "Done"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:connector_akeneoconnection_sync", args=[connection.pk]))
    assert steps(admin_client)[3] == ("Done", status)

    Workflow.objects.create(name="demo", connection=connection, channels=["ecommerce"], locales=["en_US"])
    assert steps(admin_client)[4] == ("Done", reverse("admin:sdm_workflow_changelist"))
    assert steps(admin_client)[5][0] == "To do"

    ExportProfile.objects.create(
        name="shop",
        connection=connection,
        channel="ecommerce",
        master_catalog_id="akeneo-master",
        storefront_catalog_id="akeneo-storefront",
        locale_mapping=LOCALES,
    )
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="first-run"' not in html and 'id="dashboard-module"' in html


def test_a_failed_connection_test_leaves_the_step_to_do(admin_client, fake_akeneo):
    connection = AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, **{**SANDBOX_CREDENTIALS, "password": "wrong"}
    )

    admin_client.post(reverse("admin:connector_akeneoconnection_test", args=[connection.pk]))

    connection.refresh_from_db()
    assert connection.last_check_ok is False
    assert steps(admin_client)[2][0] == "To do"
    assert "Getting started: 1 of 5 steps done" in admin_client.get(reverse("admin:index")).content.decode()


def test_a_step_the_user_may_not_take_is_shown_without_a_link(client):
    staff_user(OPERATOR, client=client)

    html = client.get(reverse("admin:index")).content.decode()

    assert steps(client)[1] == ("To do", "")  # operators do not add connections
    assert "Ask an administrator" in html.split('data-step="1"')[1].split("</li>")[0]
