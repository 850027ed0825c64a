"""Export profiles in the admin (form validation, the Export button per role) and their schedules."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_q.models import Schedule

from connector.models import Run, RunStatus, RunTrigger
from connector.roles import BUSINESS_CONSULTANT, OPERATOR
from sfcc_export.models import ExportProfile
from sfcc_export.signals import export_schedule_name
from sfcc_export.tasks import EXPORT, scheduled_export
from tests.sfcc_helpers import make_profile
from tests.sfcc_xsd import assert_archive_valid, require_xsds
from tests.users import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(fake_akeneo, tmp_path):
    return make_profile(
        fake_akeneo, tmp_path / "exports", locale_mapping={"en_US": "x-default", "fr_FR": "fr-FR"}
    )


def login(client, role: str | None, name: str) -> User:
    return staff_user(role, name, client=client)


def form_data(profile: ExportProfile, **changes) -> dict:
    """What the profile form posts: pickers and grids, one input per row (None drops an input)."""
    data = {
        "name": profile.name,
        "connection": profile.connection_id,
        "channel": profile.channel,
        "master_catalog_id": profile.master_catalog_id,
        "storefront_catalog_id": profile.storefront_catalog_id,
        "site_id": "",
        "locale_mapping__default": "en_US",
        "attribute_group_id": "AkeneoAttributes",
        "only_enabled": "on",
        "completeness_min": "",
        "removal_mode": "offline",
        "output_dir": profile.output_dir,
        "image_view_types__view__0": "",
        "image_location": "archive",
        "image_base_url": "",
        "price_attribute": "price",
        "library_id": "",
        "record_group_id": "AkeneoRecords",
        "delivery_target": "folder",
        "instance_url": "",
        "account_manager_url": "https://account.demandware.com",
        "api_client_id": "",
        "api_client_secret": "",
        "ocapi_version": "v23_2",
        "scapi_short_code": "",
        "scapi_tenant_id": "",
        "archive_max_mb": "100",
        "skipped_alert_threshold": "0",
        "near_real_time_minutes": "2",  # the fields' initial values, as a browser posts them
        "reconciliation_cron": "30 2 * * *",
        "alert_emails": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_operator_starts_an_export_from_the_profile_page_and_lands_on_the_run(
    client, profile, django_capture_on_commit_callbacks
):
    require_xsds()
    login(client, OPERATOR, "olivia")
    page = client.get(reverse("admin:sfcc_export_exportprofile_change", args=[profile.pk]))
    assert page.status_code == 200
    assert b'id="export-form"' in page.content and b'value="storefront"' in page.content

    with django_capture_on_commit_callbacks(execute=True):  # the task is queued once the request commits
        response = client.post(
            reverse("admin:sfcc_export_exportprofile_export", args=[profile.pk]),
            {"job": "all", "mode": "full"},
        )

    run = Run.objects.get(kind=EXPORT)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:connector_run_change", args=[run.pk])
    assert run.status == RunStatus.DONE and run.requested_by.username == "olivia"  # Q_SYNC: ran at once
    assert run.params == {"job": "all", "mode": "full"}
    assert_archive_valid(Path(run.result["archive"]))
    assert client.get(response["Location"]).status_code == 200


def test_users_without_the_export_permission_get_403_and_no_run(client, profile):
    login(client, None, "nobody")
    url = reverse("admin:sfcc_export_exportprofile_export", args=[profile.pk])
    assert client.post(url, {"job": "master", "mode": "full"}).status_code == 403
    assert client.get(url).status_code == 405  # state changes only by POST
    assert not Run.objects.filter(kind=EXPORT).exists()


def test_an_unknown_job_posted_to_the_export_url_is_refused_with_a_message(client, profile):
    login(client, BUSINESS_CONSULTANT, "bea")
    response = client.post(
        reverse("admin:sfcc_export_exportprofile_export", args=[profile.pk]),
        {"job": "stock-levels", "mode": "full"},
        follow=True,
    )
    assert "Choose a job" in response.content.decode()
    assert not Run.objects.filter(kind=EXPORT).exists()


@pytest.mark.parametrize(
    ("field", "posted", "message"),
    [
        (
            "locale_mapping",
            {"locale_mapping__default": None, "locale_mapping__sfcc__en_US": "en-US"},
            "Exactly one PIM locale must be mapped to x-default.",
        ),
        ("locale_mapping", {"locale_mapping__sfcc__fr_FR": "fr FR!"}, "Not SFCC locale ids: fr FR!"),
        (
            "attribute_mapping",
            {"attribute_mapping__ean": "no_such_attribute"},
            "Unknown attribute in the PIM of 'sandbox': no_such_attribute.",
        ),
        (
            "attribute_mapping",
            {"attribute_mapping__ean": "name", "attribute_mapping__upc": "name"},
            "chosen twice: name",
        ),
        (
            "association_mapping",
            {"association_mapping__X_SELL": "sideways"},
            "Not SFCC product link types: sideways",
        ),
        ("schedules", {"schedules__master": "every night"}, "master:"),
        ("families", {"families": ["shoes", "nope"]}, "nope is not one of the available choices"),
        ("channel", {"channel": "no_such_channel"}, "no_such_channel is not one of the available choices"),
        (
            "image_view_types",
            {"image_view_types__view__0": "large", "image_view_types__attributes__0": ["name"]},
            "Unknown image or asset collection attribute in the PIM of 'sandbox': name.",
        ),
    ],
)
def test_the_profile_form_refuses_bad_settings_with_a_message(client, profile, field, posted, message):
    login(client, BUSINESS_CONSULTANT, "bea")
    response = client.post(
        reverse("admin:sfcc_export_exportprofile_change", args=[profile.pk]),
        form_data(profile, **posted),
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])


def test_a_cron_per_job_becomes_a_schedule_that_runs_the_export(profile):
    require_xsds()
    profile.schedules = {"attributes": "0 1 * * *", "master": "*/30 * * * *"}
    profile.full_clean()
    profile.save()
    schedules = {s.name: s for s in Schedule.objects.filter(name__startswith=f"sfcc-export-{profile.pk}-")}
    assert set(schedules) == {
        export_schedule_name(profile.pk, "attributes"),
        export_schedule_name(profile.pk, "master"),
    }
    master = schedules[export_schedule_name(profile.pk, "master")]
    assert master.cron == "*/30 * * * *" and master.func == "sfcc_export.tasks.scheduled_export"

    assert scheduled_export(profile.pk, "master") == RunStatus.DONE
    run = Run.objects.get(kind=EXPORT)
    assert run.trigger == RunTrigger.SCHEDULE and run.params == {"job": "master", "mode": "differential"}

    profile.schedules = {}
    profile.save()
    assert not Schedule.objects.filter(name__startswith=f"sfcc-export-{profile.pk}-").exists()
