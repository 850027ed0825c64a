"""Synchronize button, sync status page, mirror and run lists, for each kind of user."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from connector import models
from connector.models import AkeneoConnection, Run, RunStatus
from connector.roles import BUSINESS_CONSULTANT, OPERATOR
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.tasks import STRUCTURE_SYNC
from tests.users import staff_user

pytestmark = pytest.mark.django_db

MIRROR_MODELS = [
    models.Channel,
    models.Locale,
    models.Currency,
    models.MeasurementFamily,
    models.AttributeGroup,
    models.Attribute,
    models.AttributeOption,
    models.Family,
    models.FamilyVariant,
    models.Category,
    models.ReferenceEntity,
    models.ReferenceEntityAttribute,
    models.ReferenceEntityRecord,
    models.AssetFamily,
    models.AssetFamilyAttribute,
]


def connect(pim) -> AkeneoConnection:
    return AkeneoConnection.objects.create(
        name="sandbox",
        base_url=pim.base_url,
        client_id=SANDBOX_CREDENTIALS["client_id"],
        secret=SANDBOX_CREDENTIALS["secret"],
        username=SANDBOX_CREDENTIALS["username"],
        password=SANDBOX_CREDENTIALS["password"],
    )


def user_with_role(role: str | None, name: str) -> User:
    return staff_user(role, name)


def admin_urls(connection: AkeneoConnection, run: Run) -> list[str]:
    urls = [
        reverse("admin:connector_akeneoconnection_changelist"),
        reverse("admin:connector_akeneoconnection_change", args=[connection.pk]),
        reverse("admin:connector_akeneoconnection_sync_status", args=[connection.pk]),
        reverse("admin:connector_run_changelist"),
        reverse("admin:connector_run_changelist") + "?status=done&kind=structure_sync",
        reverse("admin:connector_run_change", args=[run.pk]),
        reverse("admin:connector_run_change", args=[run.pk]) + "?level=30",
        reverse("admin:connector_run_progress", args=[run.pk]),
    ]
    for model in MIRROR_MODELS:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        urls += [changelist, changelist + "?deleted=no&q=a", changelist + "?deleted=yes"]
    return urls


def test_synchronize_queues_a_run_and_redirects_to_the_status_page(
    admin_client, fake_akeneo, django_capture_on_commit_callbacks
):
    connection = connect(fake_akeneo)
    change_page = admin_client.get(reverse("admin:connector_akeneoconnection_change", args=[connection.pk]))
    assert 'id="synchronize"' in change_page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:connector_akeneoconnection_sync", args=[connection.pk]), follow=True
        )

    status_url = reverse("admin:connector_akeneoconnection_sync_status", args=[connection.pk])
    assert response.redirect_chain[-1][0] == status_url
    run = Run.objects.get()
    assert f"PIM structure sync queued (run #{run.pk})." in response.content.decode()
    assert run.status == RunStatus.DONE  # after commit, django-q (sync mode) really ran the task
    assert run.requested_by.username == "admin"
    html = admin_client.get(status_url).content.decode()
    assert '<span class="run-status run-status-done" data-field="status_label">Done</span>' in html
    assert f"Attributes: {len(fake_akeneo.catalog.attributes)} created" in html


def test_a_second_synchronize_while_one_is_active_says_so(admin_client, fake_akeneo):
    connection = connect(fake_akeneo)
    active = Run.objects.create(
        kind=STRUCTURE_SYNC, target=connection, target_label=str(connection), status=RunStatus.IN_PROGRESS
    )

    response = admin_client.post(
        reverse("admin:connector_akeneoconnection_sync", args=[connection.pk]), follow=True
    )

    page = response.content.decode()
    assert f"already running (run #{active.pk}, in progress)" in page
    assert Run.objects.active().get() == active
    skipped = Run.objects.exclude(pk=active.pk).get()  # the refusal, recorded
    assert (skipped.status, skipped.held_by) == (RunStatus.SKIPPED, active)
    # The page still follows the run that does the work; the refusal is listed below it.
    assert f"<h2>Run #{active.pk} " in page
    assert f'<tr data-run-id="{skipped.pk}">' in page


def test_every_page_renders_for_a_business_consultant(client, fake_akeneo):
    connection = connect(fake_akeneo)
    run = start_run(STRUCTURE_SYNC, connection, inline=True)
    client.force_login(user_with_role(BUSINESS_CONSULTANT, "consultant"))

    for url in admin_urls(connection, run):
        assert client.get(url).status_code == 200, url
    assert (
        client.post(reverse("admin:connector_akeneoconnection_sync", args=[connection.pk])).status_code == 302
    )


def test_an_operator_may_synchronize_but_not_edit(client, fake_akeneo):
    connection = connect(fake_akeneo)
    client.force_login(user_with_role(OPERATOR, "operator"))

    assert (
        client.post(reverse("admin:connector_akeneoconnection_sync", args=[connection.pk])).status_code == 302
    )
    page = client.get(
        reverse("admin:connector_akeneoconnection_change", args=[connection.pk])
    ).content.decode()
    assert 'name="secret"' not in page  # view-only: no form fields to change
    edit = client.post(
        reverse("admin:connector_akeneoconnection_change", args=[connection.pk]), {"name": "x"}
    )
    assert edit.status_code == 403


def test_an_unprivileged_user_is_refused_everywhere(client, fake_akeneo):
    connection = connect(fake_akeneo)
    run = start_run(STRUCTURE_SYNC, connection, inline=True)
    client.force_login(user_with_role(None, "nobody"))

    for url in admin_urls(connection, run):
        assert client.get(url).status_code in (403, 302), url
    assert (
        client.post(reverse("admin:connector_akeneoconnection_sync", args=[connection.pk])).status_code == 403
    )
    assert Run.objects.count() == 1


def test_synchronize_is_post_only(admin_client, fake_akeneo):
    connection = connect(fake_akeneo)
    assert (
        admin_client.get(reverse("admin:connector_akeneoconnection_sync", args=[connection.pk])).status_code
        == 405
    )
    assert not Run.objects.exists()


def test_the_progress_endpoint_reports_the_run(admin_client, fake_akeneo):
    connection = connect(fake_akeneo)
    run = start_run(STRUCTURE_SYNC, connection, inline=True)

    snapshot = admin_client.get(reverse("admin:connector_run_progress", args=[run.pk])).json()

    assert snapshot["status"] == "done"
    assert snapshot["percent"] == 100
    assert snapshot["counters"]["created"] > 0
    assert any("Attributes:" in entry["message"] for entry in snapshot["log"])


def test_an_invalid_cron_is_refused_by_the_form(admin_client, fake_akeneo):
    connection = connect(fake_akeneo)
    response = admin_client.post(
        reverse("admin:connector_akeneoconnection_change", args=[connection.pk]),
        {
            "name": "sandbox",
            "base_url": fake_akeneo.base_url,
            "client_id": "c",
            "username": "u",
            "timeout": "30",
            "max_requests_per_second": "20",
            "max_concurrency": "4",
            "sync_cron": "every tuesday",
        },
    )
    assert response.status_code == 200
    assert "not a valid cron expression" in str(response.context["adminform"].form.errors["sync_cron"])


def test_the_mirror_changelist_does_not_query_per_row(
    admin_client, fake_akeneo, django_assert_max_num_queries
):
    connection = connect(fake_akeneo)
    start_run(STRUCTURE_SYNC, connection, inline=True)
    url = reverse("admin:connector_attributeoption_changelist")

    with django_assert_max_num_queries(15):
        assert admin_client.get(url).status_code == 200
