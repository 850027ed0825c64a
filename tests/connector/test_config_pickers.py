"""Configuration is picked from the mirror and checked against it: admin forms, commands and models."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from connector.models import AkeneoConnection, Attribute
from connector.pickers import cron_description, next_runs
from sdm.models import Workflow, WorkflowStep
from sfcc_export.models import ExportProfile
from tests.sdm_helpers import make_workflow, sdm_admin_api_key
from tests.sfcc_helpers import make_profile
from tests.users import staff_user

pytestmark = pytest.mark.django_db

JSON_TEXTAREA = re.compile(r"<textarea[^>]*>\s*[\[{]", re.S)


@pytest.fixture
def profile(fake_akeneo, tmp_path):
    return make_profile(
        fake_akeneo, tmp_path / "exports", locale_mapping={"en_US": "x-default", "fr_FR": "fr-FR"}
    )


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_profile_form_has_no_json_box_and_offers_the_mirror(admin_client, profile):
    html = page(admin_client, reverse("admin:sfcc_export_exportprofile_change", args=[profile.pk]))

    assert "<textarea" not in html.split('name="alert_emails"')[0] or not JSON_TEXTAREA.search(html)
    assert not JSON_TEXTAREA.search(html)
    assert '<option value="ecommerce" selected>' in html  # the channel picked from the mirror
    assert 'name="locale_mapping__sfcc__fr_FR" value="fr-FR"' in html
    assert 'name="locale_mapping__default" value="en_US" checked' in html
    assert 'name="attribute_mapping__ean"' in html and "Simple select" in html or "Text" in html
    assert 'name="schedules__master"' in html
    assert 'class="selectfilter"' in html  # searchable multi-selects for families, categories, ...


def test_a_profile_saved_through_the_pickers_keeps_the_stored_formats(admin_client, profile):
    from tests.sfcc_export.test_sfcc_admin import form_data

    image = Attribute.objects.filter(connection=profile.connection, type="pim_catalog_image").first()
    response = admin_client.post(
        reverse("admin:sfcc_export_exportprofile_change", args=[profile.pk]),
        form_data(
            profile,
            **{
                "locale_mapping__sfcc__fr_FR": "fr-FR",
                "locale_mapping__sfcc__de_DE": "de",
                "attribute_mapping__display-name": "name",
                "attribute_mapping__ean": "ean",
                "association_mapping__UPSELL": "up-sell",
                "families": ["shoes", "clothing"],
                "categories": ["men"],
                "completeness_locales": ["en_US"],
                "image_view_types__view__0": "large",
                "image_view_types__attributes__0": [image.code],
                "image_view_types__view__1": "",
                "reference_entities": ["brand"],
                "schedules__master": "0 2 * * *",
            },
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.locale_mapping == {"en_US": "x-default", "fr_FR": "fr-FR", "de_DE": "de"}
    assert profile.system_attribute_of() == {"name": "display-name", "ean": "ean"}
    assert profile.association_mapping == {"UPSELL": "up-sell"}
    assert (profile.families, profile.categories, profile.completeness_locales) == (
        ["shoes", "clothing"],
        ["men"],
        ["en_US"],
    )
    assert profile.image_view_types == {"large": [image.code]}
    assert profile.reference_entities == ["brand"]
    assert profile.schedules == {"master": "0 2 * * *"}


def test_the_workflow_form_picks_targets_and_refuses_unknown_ones(admin_client, fake_akeneo):
    call_command(
        "akeneo_connect",
        "--name",
        "sandbox",
        "--url",
        fake_akeneo.base_url,
        "--client-id",
        "sandbox_client",
        "--secret",
        "sandbox_secret",
        "--username",
        "sandbox",
        "--password",
        "sandbox",
        stdout=StringIO(),
    )
    call_command("akeneo_sync", "--connection", "sandbox", stdout=StringIO())
    connection = AkeneoConnection.objects.get(name="sandbox")
    workflow = Workflow.objects.create(name="demo", connection=connection, channels=["ecommerce"])
    WorkflowStep.objects.create(workflow=workflow, name="Basics", config={"attributes": ["name"], "extra": 1})
    url = reverse("admin:sdm_workflow_change", args=[workflow.pk])

    html = page(admin_client, url)
    assert not JSON_TEXTAREA.search(html)
    assert '<option value="ecommerce" selected>' in html
    assert "At 03:00" in html or "Next:" in html  # the weekly sync schedule in words

    data = {
        "name": "demo",
        "connection": connection.pk,
        "channels": ["ecommerce", "no_such_channel"],
        "locales": ["en_US"],
        "category_hierarchies": "single",
        "metric_mode": "number_and_unit",
        "identifier_mode": "identifier",
        "sync_cron": "0 3 * * 1",
        "alert_emails": "",
        "active": "on",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "1",
        "steps-0-id": str(workflow.steps.get().pk),
        "steps-0-workflow": str(workflow.pk),
        "steps-0-position": "0",
        "steps-0-name": "Basics",
        "steps-0-attributes": ["name", "description"],
        "steps-0-required": ["name"],
        "steps-0-dependencies__when__0": "color",
        "steps-0-dependencies__value__0": "red",
        "steps-0-dependencies__require__0": "description",
    }
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert "no_such_channel is not one of the available choices" in refused.content.decode()

    saved = admin_client.post(url, {**data, "channels": ["ecommerce", "print"]})
    assert saved.status_code == 302
    workflow.refresh_from_db()
    assert workflow.channels == ["ecommerce", "print"]
    assert workflow.steps.get().config == {
        "attributes": ["name", "description"],
        "required": ["name"],
        "dependencies": [{"when": "color", "value": "red", "require": "description"}],
        "extra": 1,  # keys the form does not show are kept as they were
    }


def test_before_the_first_sync_the_form_says_the_mirror_is_empty(admin_client, fake_akeneo):
    workflow = make_workflow(fake_akeneo, channels=(), locales=())
    response = admin_client.post(
        reverse("admin:sdm_workflow_change", args=[workflow.pk]),
        {"name": "demo", "connection": workflow.connection_id, "channels": ["ecommerce"]},
    )
    html = response.content.decode()
    assert "The mirror of connection &#x27;sandbox&#x27; is empty" in html
    assert "click Test connection, then Synchronize" in html


def test_sdm_workflow_refuses_an_unknown_channel_naming_it(fake_akeneo, capsys):
    make_workflow(fake_akeneo, name="seed")
    call_command("akeneo_sync", "--connection", "sandbox", stdout=StringIO())
    with pytest.raises(
        CommandError, match="Unknown channel in the PIM of 'sandbox': no_such_channel"
    ) as refused:
        call_command(
            "sdm_workflow", "--name", "w", "--connection", "sandbox", "--channels", "no_such_channel"
        )
    assert "Known: ecommerce, print" in str(refused.value)
    with pytest.raises(CommandError, match="Unknown locale in the PIM of 'sandbox': xx_XX"):
        call_command("sdm_workflow", "--name", "w", "--connection", "sandbox", "--locales", "en_US,xx_XX")
    with pytest.raises(CommandError, match="Unknown family in the PIM of 'sandbox': nope"):
        call_command("sdm_workflow", "--name", "w", "--connection", "sandbox", "--families", "nope")
    assert not Workflow.objects.filter(name="w").exists()


def test_sfcc_profile_refuses_unknown_codes_naming_each(profile):
    base = [
        "sfcc_profile",
        "--name",
        "other",
        "--connection",
        "sandbox",
        "--channel",
        "ecommerce",
        "--master-catalog",
        "m",
        "--storefront-catalog",
        "s",
    ]
    with pytest.raises(CommandError, match="Unknown locale in the PIM of 'sandbox': xx_XX"):
        call_command(*base, "--locales", "xx_XX=x-default")
    with pytest.raises(CommandError, match="Unknown channel in the PIM of 'sandbox': mobile"):
        call_command(*base[:6], "mobile", *base[7:], "--locales", "en_US=x-default")
    with pytest.raises(CommandError, match="Unknown attributes in the PIM of 'sandbox': nope, nada"):
        call_command(*base, "--locales", "en_US=x-default", "--attributes", "nope=ean,nada=upc")
    with pytest.raises(CommandError, match="Unknown reference entity in the PIM of 'sandbox': ghosts"):
        call_command(*base, "--locales", "en_US=x-default", "--entities", "ghosts")
    with pytest.raises(
        CommandError, match="Unknown image or asset collection attribute in the PIM of 'sandbox': name"
    ):
        call_command(*base, "--locales", "en_US=x-default", "--images", "large=name")
    assert not ExportProfile.objects.filter(name="other").exists()


def test_a_cron_reads_in_words_with_its_next_times():
    assert cron_description("0 2 * * *") == "At 02:00"
    assert cron_description("*/30 * * * 1-5") == "Every 30 minutes, Monday through Friday"
    assert "Not a valid cron expression" in cron_description("every night")
    assert cron_description("") == "Not scheduled."
    times = next_runs("0 2 * * *")
    assert len(times) == 3 and times[0] < times[1] < times[2]
    assert {t.hour for t in times} == {2} and {t.minute for t in times} == {0}


def test_a_workflow_sync_whose_scope_selects_nothing_fails_and_keeps_the_project(fake_akeneo):
    from connector.models import RunStatus
    from sdm.models import SdmAttribute
    from tests.sdm_helpers import sync_workflow

    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    # Saved before the PIM dropped them: the sync, not the form, meets the unknown codes.
    Workflow.objects.filter(pk=workflow.pk).update(channels=["ecommerce", "gone_channel"])
    warned = sync_workflow(workflow)
    assert warned.status == RunStatus.DONE
    assert "Left out, no longer in the PIM: channels gone_channel." in [
        e.message for e in warned.log_entries.all()
    ]
    before = SdmAttribute.objects.filter(workflow=workflow).count()

    Workflow.objects.filter(pk=workflow.pk).update(families=["nope"])
    failed = sync_workflow(Workflow.objects.get(pk=workflow.pk))
    assert failed.status == RunStatus.FAILED
    assert "none of its families (nope) is in the PIM" in failed.error
    assert SdmAttribute.objects.filter(workflow=workflow).count() == before


def test_the_api_refuses_unknown_project_targets_naming_each(client, fake_akeneo):
    from connector.roles import BUSINESS_CONSULTANT

    workflow = make_workflow(fake_akeneo)
    call_command("akeneo_sync", "--connection", "sandbox", stdout=StringIO())
    url = f"/api/v1/projects/{workflow.pk}/"
    consultant = {"HTTP_AUTHORIZATION": f"Token {sdm_admin_api_key(client, 'bea', BUSINESS_CONSULTANT)}"}

    refused = client.patch(
        url,
        {"channels": ["ecommerce", "no_such_channel"], "families": ["nope"]},
        "application/json",
        **consultant,
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["errors"]["channels"] == [
        "Unknown channel in the PIM of 'sandbox': no_such_channel. Known: ecommerce, print."
    ]
    assert "Unknown family in the PIM of 'sandbox': nope." in body["errors"]["families"][0]
    workflow.refresh_from_db()
    assert workflow.channels == ["ecommerce", "print"]

    saved = client.patch(
        url, {"channels": ["print"], "families": ["shoes"]}, "application/json", **consultant
    )
    assert saved.status_code == 200
    assert (saved.json()["channels"], saved.json()["families"]) == (["print"], ["shoes"])

    sdm_admin = {"HTTP_AUTHORIZATION": f"Token {sdm_admin_api_key(client, 'sam')}"}
    assert client.patch(url, {"channels": []}, "application/json", **sdm_admin).status_code == 403


def test_viewers_read_the_settings_in_words(client, profile):

    from connector.roles import OPERATOR

    workflow = Workflow.objects.create(name="demo", connection=profile.connection, channels=["ecommerce"])
    WorkflowStep.objects.create(
        workflow=workflow, name="Basics", config={"attributes": ["name", "ean"], "required": ["name"]}
    )
    staff_user(OPERATOR, client=client)

    html = page(client, reverse("admin:sfcc_export_exportprofile_change", args=[profile.pk]))
    assert "en_US → x-default" in html and "fr_FR → fr-FR" in html
    assert "{&quot;" not in html and '{"' not in html.split("<body")[1]

    html = page(client, reverse("admin:sdm_workflow_change", args=[workflow.pk]))
    assert "ecommerce" in html and "name, ean" in html and "At 03:00" in html
    assert "[&quot;" not in html


def test_a_full_export_whose_filters_select_nothing_fails_and_takes_nothing_offline(profile):
    from connector.models import RunStatus
    from connector.runs import start_run
    from sfcc_export.models import ExportedItem
    from sfcc_export.tasks import EXPORT

    assert (
        start_run(EXPORT, profile, params={"job": "master", "mode": "full"}, inline=True).status
        == RunStatus.DONE
    )
    online = ExportedItem.objects.filter(profile=profile, online=True).count()
    assert online
    # A completeness no product reaches: a valid filter that happens to select nothing.
    ExportProfile.objects.filter(pk=profile.pk).update(completeness_min=101)
    profile.refresh_from_db()

    run = start_run(EXPORT, profile, params={"job": "master", "mode": "full"}, inline=True)

    assert run.status == RunStatus.FAILED
    assert "The profile's scope selects no product in the PIM (channel ecommerce)" in run.error
    assert ExportedItem.objects.filter(profile=profile, online=True).count() == online
