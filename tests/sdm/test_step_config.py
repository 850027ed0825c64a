"""A workflow step's ``config`` is read by one parser: what it keeps, what it forgives, what it writes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from connector.roles import OPERATOR
from sdm.attribute_config import locked_attributes
from sdm.models import WorkflowStep
from sdm.step_config import DependencyRule, StepConfig, parse_step_config, store_step_config
from tests.sdm_helpers import make_workflow, sync_workflow
from tests.users import staff_user

VALID = {
    "attributes": ["name-en_US", "description-ecommerce-en_US", "color"],
    "required": ["name-en_US"],
    "ai_sources": ["short_description-en_US"],
    "dependencies": [
        {"when": "color", "value": "red", "require": "description-ecommerce-en_US"},
        {"when": "material", "value": "", "require": "certifications"},
    ],
}
PARSED = StepConfig(
    attributes=("name-en_US", "description-ecommerce-en_US", "color"),
    required=("name-en_US",),
    ai_sources=("short_description-en_US",),
    dependencies=(
        DependencyRule(when="color", value="red", require="description-ecommerce-en_US"),
        DependencyRule(when="material", value="", require="certifications"),
    ),
)


# ------------------------------------------------------------------------------- parsing


def test_a_valid_config_is_read_as_written():
    assert parse_step_config(VALID) == PARSED


def test_a_valid_config_with_extra_keys_reads_only_the_known_ones():
    assert parse_step_config({**VALID, "note": "by hand", "extra": 1}) == PARSED


@pytest.mark.parametrize("raw", [None, [], ["name"], "name", 3, True, {}, {"note": "x"}])
def test_no_config_or_one_that_is_not_an_object_reads_as_empty(raw):
    assert parse_step_config(raw) == StepConfig()
    assert parse_step_config(raw).to_json() == {}


@pytest.mark.parametrize("value", ["name", {"name": True}, 3, None, True])
def test_a_list_key_that_holds_no_list_reads_as_empty(value):
    config = parse_step_config(
        {"attributes": value, "required": value, "ai_sources": value, "dependencies": value}
    )
    assert config == StepConfig()


def test_codes_that_are_empty_or_not_text_are_left_out_in_order_with_repeats_kept():
    config = parse_step_config(
        {
            "attributes": ["name", 3, None, "", {"code": "ean"}, ["sku"], True, "color", "name"],
            "required": [1.5, "sku"],
            "ai_sources": [None],
        }
    )
    assert config.attributes == ("name", "color", "name")
    assert config.required == ("sku",)
    assert config.ai_sources == ()


def test_rules_that_are_not_objects_or_miss_an_attribute_are_left_out():
    config = parse_step_config(
        {
            "dependencies": [
                "color",
                ["color", "red", "name"],
                None,
                {},
                {"when": "color", "value": "red"},
                {"value": "red", "require": "name"},
                {"when": "", "require": "name"},
                {"when": "color", "require": 7},
                {"when": ["color"], "require": "name"},
                {"when": "color", "value": ["red"], "require": "name"},
                {"when": "color", "value": {"en_US": "red"}, "require": "name"},
                {"when": "color", "value": True, "require": "name"},
                {"when": "color", "require": "name"},
                {"when": "size", "value": None, "require": "name", "note": "by hand"},
                {"when": "weight", "value": 5, "require": "name"},
                {"when": "weight", "value": 2.5, "require": "description"},
            ]
        }
    )
    assert config.dependencies == (
        DependencyRule(when="color", require="name", value=""),
        DependencyRule(when="size", require="name", value=""),
        DependencyRule(when="weight", require="name", value="5"),
        DependencyRule(when="weight", require="description", value="2.5"),
    )


def test_the_parsed_config_cannot_be_changed():
    with pytest.raises(AttributeError):
        PARSED.attributes = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        PARSED.dependencies[0].when = "size"  # type: ignore[misc]


# ------------------------------------------------------------------------------- writing back


def test_a_valid_config_round_trips_to_the_same_json():
    assert PARSED.to_json() == VALID
    assert parse_step_config(PARSED.to_json()) == PARSED


def test_empty_keys_are_left_out_and_a_rule_keeps_its_empty_value():
    config = StepConfig(required=("sku",), dependencies=(DependencyRule(when="color", require="name"),))
    assert config.to_json() == {
        "required": ["sku"],
        "dependencies": [{"when": "color", "value": "", "require": "name"}],
    }
    assert list(config.to_json()["dependencies"][0]) == ["when", "value", "require"]
    assert StepConfig().to_json() == {}


def test_a_malformed_config_is_written_back_with_only_what_was_valid():
    raw = {
        "attributes": ["name", 3],
        "required": "sku",
        "dependencies": ["x", {"when": "color", "require": "name"}],
    }
    assert parse_step_config(raw).to_json() == {
        "attributes": ["name"],
        "dependencies": [{"when": "color", "value": "", "require": "name"}],
    }


def test_storing_replaces_the_known_keys_and_keeps_the_others():
    stored = {"note": "by hand", "attributes": ["old"], "ai_sources": ["gone"], "extra": {"a": 1}}
    written = store_step_config(stored, StepConfig(attributes=("name",), required=("sku",)))
    assert written == {"note": "by hand", "attributes": ["name"], "extra": {"a": 1}, "required": ["sku"]}
    assert list(written) == ["note", "attributes", "extra", "required"]  # keys in place, new ones last
    assert stored == {"note": "by hand", "attributes": ["old"], "ai_sources": ["gone"], "extra": {"a": 1}}


@pytest.mark.parametrize("stored", [None, [], "text", 3])
def test_storing_over_a_config_that_is_no_object_starts_a_new_one(stored):
    assert store_step_config(stored, PARSED) == VALID
    assert store_step_config(stored, StepConfig()) == {}


# ------------------------------------------------------------------------------- referenced codes


def test_referenced_codes_are_the_lists_then_each_rules_attributes_in_order():
    assert PARSED.referenced_codes() == [
        "name-en_US",
        "description-ecommerce-en_US",
        "color",
        "name-en_US",
        "short_description-en_US",
        "color",
        "description-ecommerce-en_US",
        "material",
        "certifications",
    ]


def test_referenced_codes_of_a_malformed_config_are_only_the_valid_ones():
    raw = {
        "attributes": ["name", None],
        "required": "sku",
        "ai_sources": [{"code": "ean"}],
        "dependencies": [{"when": "color"}, {"when": "size", "value": "XL", "require": "weight"}, 3],
    }
    assert parse_step_config(raw).referenced_codes() == ["name", "size", "weight"]
    assert parse_step_config(None).referenced_codes() == []


# ------------------------------------------------------------------------------- through the real readers


@pytest.mark.django_db
def test_the_step_form_stores_json_the_parser_reads_back(admin_client, fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    step = WorkflowStep.objects.create(
        workflow=workflow,
        name="Basics",
        config={
            "attributes": ["name-en_US", 3, None],  # only the valid code reaches the form
            "ai_sources": "short_description-en_US",  # not a list: nothing
            "dependencies": ["color", {"when": "material", "require": "certifications"}, {"when": "size"}],
            "note": "kept as written",
        },
    )
    url = reverse("admin:sdm_workflow_change", args=[workflow.pk])

    html = admin_client.get(url).content.decode()
    selected = re.findall(r'<option value="([^"]*)" selected>', html)
    assert "name-en_US" in selected and "short_description-en_US" not in selected
    assert "material" in selected and "certifications" in selected  # the one valid rule, shown
    assert "size" not in selected  # a rule without "require" is not shown
    assert 'name="steps-0-dependencies__when__0"' in html
    assert 'name="steps-0-dependencies__when__1"' in html  # the stored rule, then one empty row
    assert 'name="steps-0-dependencies__when__2"' not in html

    data = {
        "name": workflow.name,
        "connection": workflow.connection.pk,
        "channels": workflow.channels,
        "locales": workflow.locales,
        "category_hierarchies": workflow.category_hierarchies,
        "metric_mode": workflow.metric_mode,
        "identifier_mode": workflow.identifier_mode,
        "sync_cron": workflow.sync_cron,
        "alert_emails": "",
        "active": "on",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "1",
        "steps-0-id": str(step.pk),
        "steps-0-workflow": str(workflow.pk),
        "steps-0-position": "0",
        "steps-0-name": "Basics",
        "steps-0-attributes": ["name-en_US", "description-ecommerce-en_US"],
        "steps-0-required": ["name-en_US"],
        "steps-0-ai_sources": ["short_description-en_US"],
        "steps-0-dependencies__when__0": "color",
        "steps-0-dependencies__value__0": " red ",
        "steps-0-dependencies__require__0": "description-ecommerce-en_US",
        "steps-0-dependencies__when__1": "material",
        "steps-0-dependencies__value__1": "",
        "steps-0-dependencies__require__1": "certifications",
        "steps-0-dependencies__when__2": "",
        "steps-0-dependencies__value__2": "",
        "steps-0-dependencies__require__2": "",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )

    step.refresh_from_db()
    assert step.config == {
        "attributes": ["name-en_US", "description-ecommerce-en_US"],
        "required": ["name-en_US"],
        "ai_sources": ["short_description-en_US"],
        "dependencies": [
            {"when": "color", "value": "red", "require": "description-ecommerce-en_US"},
            {"when": "material", "value": "", "require": "certifications"},
        ],
        "note": "kept as written",
    }
    assert parse_step_config(step.config) == StepConfig(
        attributes=("name-en_US", "description-ecommerce-en_US"),
        required=("name-en_US",),
        ai_sources=("short_description-en_US",),
        dependencies=PARSED.dependencies,
    )
    assert store_step_config(step.config, parse_step_config(step.config)) == step.config

    # Emptied pickers remove their keys; the key the form does not show stays.
    emptied = {k: v for k, v in data.items() if not k.startswith("steps-0-") or k in _STEP_FORM_BASICS}
    emptied["steps-0-dependencies__when__0"] = ""
    assert admin_client.post(url, emptied).status_code == 302
    step.refresh_from_db()
    assert step.config == {"note": "kept as written"}
    assert parse_step_config(step.config) == StepConfig()


_STEP_FORM_BASICS = {"steps-0-id", "steps-0-workflow", "steps-0-position", "steps-0-name"}


@pytest.mark.django_db
def test_viewers_read_a_malformed_step_in_words_and_the_sync_flags_only_valid_codes(client, fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    WorkflowStep.objects.create(
        workflow=workflow,
        name="Basics",
        config={
            "attributes": ["name-en_US", 3, "no_such_attribute"],
            "required": "sku",
            "dependencies": [
                {"when": "season", "value": "summer", "require": "gone_too"},
                {"when": "material", "require": "certifications"},
                {"when": "never_checked"},
                "also_never_checked",
            ],
        },
    )
    WorkflowStep.objects.create(workflow=workflow, name="Broken", config=["not", "an", "object"])

    run = sync_workflow(workflow)

    assert run.result["flagged_steps"] == 1
    flagged = dict(workflow.steps.values_list("name", "missing_attributes"))
    assert flagged == {"Basics": ["gone_too", "no_such_attribute"], "Broken": []}
    locks = locked_attributes(workflow)
    assert locks["season"] == "Dependency trigger (step 'Basics')"
    assert locks["material"] == "Dependency trigger (step 'Basics')"

    staff_user(OPERATOR, client=client)
    response = client.get(reverse("admin:sdm_workflow_change", args=[workflow.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "name-en_US, no_such_attribute" in html
    assert "when season is summer, require gone_too" in html
    assert "when material, require certifications" in html
    assert "never_checked" not in html
