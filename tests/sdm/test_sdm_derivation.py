"""The derived project configuration: naming rule, metrics, selects, groups, hierarchies, locks, steps."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from connector.models import RunStatus
from sdm.attribute_config import locked_attributes, set_included
from sdm.models import DisplayGroup, Hierarchy, SdmAttribute, Workflow, WorkflowStep
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = pytest.mark.django_db


def codes(workflow: Workflow, pim_code: str) -> list[str]:
    return list(
        SdmAttribute.objects.filter(workflow=workflow, pim_attribute_code=pim_code)
        .order_by("position")
        .values_list("code", flat=True)
    )


def test_the_naming_rule_covers_all_four_combinations_and_channel_locales(fake_akeneo):
    # The demo PIM: fr_FR is active on 'ecommerce' only; 'print' has en_US and de_DE.
    workflow = make_workflow(fake_akeneo)

    run = sync_workflow(workflow)

    assert run.status == RunStatus.DONE, run.error
    assert codes(workflow, "sku") == ["sku"]  # neither scopable nor localizable
    assert codes(workflow, "name") == ["name-en_US", "name-fr_FR", "name-de_DE"]  # localizable
    assert codes(workflow, "gift_wrappable") == [
        "gift_wrappable-ecommerce",
        "gift_wrappable-print",
    ]  # scopable
    assert codes(workflow, "description") == [  # both: only locales active on each channel
        "description-ecommerce-en_US",
        "description-ecommerce-fr_FR",
        "description-ecommerce-de_DE",
        "description-print-en_US",
        "description-print-de_DE",
    ]
    description = SdmAttribute.objects.get(workflow=workflow, code="description-print-de_DE")
    assert (description.channel, description.locale, description.pim_type) == (
        "print",
        "de_DE",
        "pim_catalog_textarea",
    )
    assert description.labels["en_US"] == "Description (Print, de_DE)"


def test_a_locale_not_active_on_any_targeted_channel_gives_no_attribute(fake_akeneo):
    workflow = make_workflow(fake_akeneo, channels=["print"], locales=["fr_FR", "de_DE"])

    sync_workflow(workflow)

    assert codes(workflow, "name") == ["name-de_DE"]
    assert codes(workflow, "description") == ["description-print-de_DE"]


def test_metrics_become_a_number_and_a_unit_select(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)

    number = SdmAttribute.objects.get(workflow=workflow, code="weight")
    unit = SdmAttribute.objects.get(workflow=workflow, code="weight-unit")
    assert (number.sdm_type, number.kind) == ("number", "value")
    assert (unit.sdm_type, unit.kind, unit.pim_attribute_code) == ("select", "unit", "weight")
    assert {v["code"] for v in unit.allowed_values} == {"GRAM", "KILOGRAM", "POUND"}

    Workflow.objects.filter(pk=workflow.pk).update(metric_mode=Workflow.MetricMode.DEFAULT_UNIT)
    sync_workflow(Workflow.objects.get(pk=workflow.pk))
    assert not SdmAttribute.objects.filter(workflow=workflow, code="weight-unit").exists()


def test_selects_carry_their_options_and_reference_entities_their_records(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)

    color = SdmAttribute.objects.get(workflow=workflow, code="color")
    assert color.sdm_type == "select"
    assert [v["code"] for v in color.allowed_values] == list(fake_akeneo.catalog.options["color"])
    assert color.allowed_values[2]["labels"]["en_US"] == "Red"
    brand = SdmAttribute.objects.get(workflow=workflow, code="brand")
    assert len(brand.allowed_values) == len(fake_akeneo.catalog.records["brand"])


def test_groups_become_display_groups_and_families_and_categories_hierarchies(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)

    groups = list(
        DisplayGroup.objects.filter(workflow=workflow).order_by("position").values_list("code", flat=True)
    )
    assert groups == [g for g in fake_akeneo.catalog.attribute_groups]
    hierarchies = {h.code: h for h in Hierarchy.objects.filter(workflow=workflow)}
    assert set(hierarchies) == {"families", "categories"}
    assert {n["code"] for n in hierarchies["families"].nodes} == set(fake_akeneo.catalog.families)
    category_nodes = {n["code"]: n["parent"] for n in hierarchies["categories"].nodes}
    assert category_nodes["men"] == "clothing" and category_nodes["master"] is None

    Workflow.objects.filter(pk=workflow.pk).update(category_hierarchies=Workflow.CategoryHierarchies.PER_ROOT)
    sync_workflow(Workflow.objects.get(pk=workflow.pk))
    assert set(Hierarchy.objects.filter(workflow=workflow).values_list("code", flat=True)) == {
        "families",
        "master",
    }


def test_targeted_families_limit_the_attributes(fake_akeneo):
    workflow = make_workflow(fake_akeneo, families=["shoes"])
    sync_workflow(workflow)

    pim_codes = set(
        SdmAttribute.objects.filter(workflow=workflow).values_list("pim_attribute_code", flat=True)
    )
    assert pim_codes == set(fake_akeneo.catalog.families["shoes"]["attributes"])
    assert "screen_size" not in pim_codes


def test_excluding_a_group_excludes_its_members_except_locked_ones(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)

    changed, kept = set_included(workflow, include=False, groups=["marketing"])
    sync_workflow(workflow)

    marketing = set(fake_akeneo.catalog.attribute_groups["marketing"]["attributes"])
    assert kept == {
        "color": "Variant axis (clothing_color_size)",
        "size": "Variant axis (clothing_color_size)",
    }
    assert changed == marketing - set(kept)
    remaining = set(
        SdmAttribute.objects.filter(workflow=workflow).values_list("pim_attribute_code", flat=True)
    )
    assert remaining & marketing == {"color", "size"}
    assert "name" not in remaining


def test_excluding_a_locked_attribute_is_refused_with_the_reason(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    WorkflowStep.objects.create(
        workflow=workflow,
        name="Enrich",
        config={
            "ai_sources": ["short_description-en_US"],
            "dependencies": [{"when": "material", "value": "wood", "require": "certifications"}],
        },
    )
    sync_workflow(workflow)

    locks = locked_attributes(workflow)
    assert locks["sku"] == "Identifier"
    assert locks["size"] == "Variant axis (clothing_color_size)"
    assert locks["short_description"] == "AI source (step 'Enrich')"
    assert locks["material"] == "Dependency trigger (step 'Enrich')"
    for code, reason in [("sku", "Identifier"), ("material", "Dependency trigger (step 'Enrich')")]:
        with pytest.raises(
            ValidationError,
            match=f"'{code}' cannot be excluded: {reason}".replace("(", r"\(").replace(")", r"\)"),
        ):
            set_included(workflow, include=False, attributes=[code])
    assert not workflow.attribute_selections.filter(included=False).exists()


def test_a_sync_never_changes_step_configurations_but_flags_missing_attributes(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    config = {
        "attributes": ["name-en_US", "keywords-fr_FR", "weight-unit"],
        "required": ["sku"],
        "ai_sources": [],
        "dependencies": [{"when": "color", "value": "red", "require": "keywords-en_US"}],
        "note": "kept as written",
    }
    step = WorkflowStep.objects.create(workflow=workflow, name="Basics", config=config)
    before = json.dumps(WorkflowStep.objects.values_list("config", flat=True).get(pk=step.pk))
    sync_workflow(workflow)
    del fake_akeneo.catalog.attributes["keywords"]

    run = sync_workflow(workflow)

    after = json.dumps(WorkflowStep.objects.values_list("config", flat=True).get(pk=step.pk))
    assert after == before
    step.refresh_from_db()
    assert step.missing_attributes == ["keywords-en_US", "keywords-fr_FR"]
    assert run.result["removed"] == ["keywords-de_DE", "keywords-en_US", "keywords-fr_FR"]
    assert run.result["flagged_steps"] == 1


def test_a_hand_edited_derived_row_is_restored_by_the_next_sync(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    row = SdmAttribute.objects.get(workflow=workflow, code="name-fr_FR")
    original = (row.labels, row.sdm_type)
    row.labels = {"en_US": "Changed by hand"}
    row.sdm_type = "textarea"
    row.save()
    assert SdmAttribute.objects.get(pk=row.pk).edited_by_hand

    run = sync_workflow(workflow)

    row.refresh_from_db()
    assert (row.labels, row.sdm_type) == original
    assert not row.edited_by_hand
    assert run.result["restored"] == ["name-fr_FR"]


def test_a_second_sync_without_changes_reports_nothing_added_or_removed(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    first = sync_workflow(workflow)
    second = sync_workflow(workflow)

    assert first.result["added"] == first.result["attribute_codes"]
    assert second.result["added"] == second.result["removed"] == second.result["updated"] == []
    assert second.counters["unchanged"] == first.result["counts"]["attributes"]
