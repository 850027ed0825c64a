"""The workflow admin (attribute tab, Synchronize, status page) and the sdm_* commands."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_q.models import Schedule

from connector.models import Attribute, AttributeGroup
from sdm.models import AttributeSelection, SdmAttribute, Workflow
from sdm.signals import workflow_schedule_name
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = pytest.mark.django_db


def test_the_attribute_tab_shows_groups_locks_and_option_creation_only_where_allowed(
    admin_client, fake_akeneo
):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)

    html = admin_client.get(reverse("admin:sdm_workflow_attributes", args=[workflow.pk])).content.decode()

    assert 'data-group="marketing"' in html
    assert "Locked: Identifier" in html
    assert "Locked: Variant axis (clothing_color_size)" in html
    assert 'name="create_options" value="color"' in html
    assert 'name="create_options" value="brand"' in html  # reference entity
    assert 'name="create_options" value="name"' not in html  # a text attribute cannot create options


def test_saving_the_tab_stores_the_choices_and_keeps_locked_attributes(admin_client, fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    everything = set(Attribute.objects.values_list("code", flat=True))
    included = everything - {
        "keywords",
        "name",
        "sku",
        "size",
    }  # the browser never posts locked ones unchecked

    response = admin_client.post(
        reverse("admin:sdm_workflow_attributes", args=[workflow.pk]),
        {"include": sorted(included), "create_options": ["color", "name"]},
    )

    assert response.status_code == 302
    selections = {s.attribute_code: s for s in AttributeSelection.objects.filter(workflow=workflow)}
    assert len(selections) == len(everything)
    assert not selections["keywords"].included and not selections["name"].included
    assert selections["sku"].included and selections["size"].included  # locked: stay included
    assert selections["color"].allow_option_creation
    assert not selections["name"].allow_option_creation  # not an option-bearing type


def test_the_tab_handles_2000_attributes(
    admin_client, sandbox_catalog_factory, django_assert_max_num_queries
):
    from connector.sandbox import FakeAkeneo

    catalog = sandbox_catalog_factory(products=5)
    for n in range(2000):
        code = f"extra_{n:04d}"
        catalog.attributes[code] = {**catalog.attributes["manufacturer_name"], "code": code, "group": "erp"}
    with FakeAkeneo(catalog) as pim:
        workflow = make_workflow(pim)
        assert sync_workflow(workflow).status == "done"
    url = reverse("admin:sdm_workflow_attributes", args=[workflow.pk])

    with django_assert_max_num_queries(25):
        page = admin_client.get(url)
    assert page.content.decode().count('class="attribute-row') == len(catalog.attributes)
    included = [code for code in catalog.attributes if code != "extra_0007"]
    assert admin_client.post(url, {"include": included}).status_code == 302
    assert AttributeSelection.objects.get(workflow=workflow, attribute_code="extra_0007").included is False


def test_synchronize_and_the_status_page_show_counts_and_changes(
    admin_client, fake_akeneo, django_capture_on_commit_callbacks
):
    workflow = make_workflow(fake_akeneo)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:sdm_workflow_sync", args=[workflow.pk]))
    assert response.status_code == 302

    page = admin_client.get(reverse("admin:sdm_workflow_sync_status", args=[workflow.pk])).content.decode()

    count = SdmAttribute.objects.filter(workflow=workflow).count()
    assert f'<td data-count="sdm-attributes">{count}</td>' in page
    assert "run-status-done" in page
    assert f"{count} added" in page


def test_a_hand_edited_row_is_flagged_in_the_admin(admin_client, fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    row = SdmAttribute.objects.get(workflow=workflow, code="sku")
    SdmAttribute.objects.filter(pk=row.pk).update(labels={"en_US": "Hand made"})

    listing = admin_client.get(reverse("admin:sdm_sdmattribute_changelist") + "?q=sku").content.decode()
    detail = admin_client.get(reverse("admin:sdm_sdmattribute_change", args=[row.pk])).content.decode()

    assert "edited by hand: the next sync overwrites it" in listing
    assert "This row was edited by hand; the next workflow sync overwrites it" in detail


def test_workflow_admin_pages_render(admin_client, fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    for url in (
        reverse("admin:sdm_workflow_changelist"),
        reverse("admin:sdm_workflow_add"),
        reverse("admin:sdm_workflow_change", args=[workflow.pk]),
        reverse("admin:sdm_sdmattribute_changelist"),
        reverse("admin:sdm_displaygroup_changelist"),
        reverse("admin:sdm_hierarchy_changelist"),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_the_commands_create_exclude_include_and_sync(fake_akeneo):
    make_workflow(fake_akeneo, name="seed")  # creates the 'sandbox' connection
    # Codes are picked from the mirror: it must be synchronized before a workflow names any.
    call_command("akeneo_sync", "--connection", "sandbox", stdout=StringIO())
    out = StringIO()
    call_command(
        "sdm_workflow",
        "--name",
        "w",
        "--connection",
        "sandbox",
        "--channels",
        "ecommerce",
        "--locales",
        "en_US,fr_FR",
        stdout=out,
    )
    assert out.getvalue().startswith("Created workflow 'w' on 'sandbox'")
    call_command("sdm_workflow", "--name", "w", "--families", "shoes,clothing", stdout=out)
    workflow = Workflow.objects.get(name="w")
    assert (workflow.channels, workflow.locales, workflow.families) == (
        ["ecommerce"],
        ["en_US", "fr_FR"],
        ["shoes", "clothing"],
    )

    sync_out = StringIO()
    call_command("sdm_sync", "--workflow", "w", "--json", stdout=sync_out)
    first = json.loads(sync_out.getvalue())
    assert first["status"] == "done"
    assert "name-fr_FR" in first["attribute_codes"]
    assert first["attributes"] == len(first["attribute_codes"])
    assert first["hierarchies"] == ["families", "categories"]

    call_command("sdm_exclude", "--workflow", "w", "--groups", "seo", stdout=StringIO())
    call_command("sdm_include", "--workflow", "w", "--attributes", "keywords", stdout=StringIO())
    sync_out = StringIO()
    call_command("sdm_sync", "--workflow", "w", "--json", stdout=sync_out)
    second = json.loads(sync_out.getvalue())
    seo = set(AttributeGroup.objects.get(code="seo").attributes) - {"keywords"}
    assert {code.split("-")[0] for code in second["removed"]} == seo
    assert "keywords-en_US" in second["attribute_codes"]


def test_excluding_a_locked_attribute_by_command_says_why(fake_akeneo):
    sync_workflow(make_workflow(fake_akeneo))
    with pytest.raises(CommandError, match=r"'sku' cannot be excluded: Identifier"):
        call_command("sdm_exclude", "--workflow", "demo", "--attributes", "sku", stdout=StringIO())
    with pytest.raises(CommandError, match="unknown attribute 'nope'"):
        call_command("sdm_exclude", "--workflow", "demo", "--attributes", "nope", stdout=StringIO())


def test_the_workflow_schedule_follows_the_workflow(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    assert Schedule.objects.get(name=workflow_schedule_name(workflow.pk)).cron == "0 3 * * 0"
    workflow.active = False
    workflow.save()
    assert not Schedule.objects.filter(name=workflow_schedule_name(workflow.pk)).exists()
