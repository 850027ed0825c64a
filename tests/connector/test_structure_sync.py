"""The structure sync against the fake PIM: counts, idempotence, deletions, renames, failures, queries."""

from __future__ import annotations

import json
import math
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from connector import models
from connector.models import AkeneoConnection, Run, RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, add_table_attribute
from connector.schedules import schedule_name
from connector.sync import SPECS, mirror_counts
from connector.tasks import STRUCTURE_SYNC

pytestmark = pytest.mark.django_db


def connect(pim: FakeAkeneo, name: str = "sandbox") -> AkeneoConnection:
    return AkeneoConnection.objects.create(
        name=name,
        base_url=pim.base_url,
        client_id=SANDBOX_CREDENTIALS["client_id"],
        secret=SANDBOX_CREDENTIALS["secret"],
        username=SANDBOX_CREDENTIALS["username"],
        password=SANDBOX_CREDENTIALS["password"],
    )


def sync(connection: AkeneoConnection) -> Run:
    return start_run(STRUCTURE_SYNC, connection, inline=True)


def served_counts(pim: FakeAkeneo) -> dict[str, int]:
    catalog = pim.catalog
    return {
        "channels": len(catalog.channels),
        "locales": len(catalog.locales),
        "currencies": len(catalog.currencies),
        "measurement families": len(catalog.measurement_families),
        "attribute groups": len(catalog.attribute_groups),
        "attributes": len(catalog.attributes),
        "attribute options": sum(len(options) for options in catalog.options.values()),
        "families": len(catalog.families),
        "family variants": sum(len(variants) for variants in catalog.family_variants.values()),
        "categories": len(catalog.categories),
        "association types": len(catalog.association_types),
        "reference entities": len(catalog.reference_entities),
        "reference entity attributes": sum(len(a) for a in catalog.reference_entity_attributes.values()),
        "reference entity records": sum(len(r) for r in catalog.records.values()),
        "asset families": len(catalog.asset_families),
        "asset family attributes": sum(len(a) for a in catalog.asset_family_attributes.values()),
    }


def test_the_mirror_holds_exactly_what_the_pim_serves(fake_akeneo):
    connection = connect(fake_akeneo)

    run = sync(connection)

    assert run.status == RunStatus.DONE, run.error
    assert mirror_counts(connection) == served_counts(fake_akeneo)
    assert run.counters["created"] == sum(served_counts(fake_akeneo).values())
    connection.refresh_from_db()
    assert connection.last_synced_at is not None
    assert run.progress_percent == 100
    sku = models.Attribute.objects.get(connection=connection, code="sku")
    assert (sku.type, sku.group_code, sku.unique, sku.is_identifier) == (
        "pim_catalog_identifier",
        "general",
        True,
        True,
    )
    weight = models.Attribute.objects.get(connection=connection, code="weight")
    assert (weight.metric_family, weight.default_metric_unit, weight.decimals_allowed) == (
        "Weight",
        "KILOGRAM",
        True,
    )
    description = models.Attribute.objects.get(connection=connection, code="description")
    assert description.scopable and description.localizable
    assert description.labels["fr_FR"]
    variant = models.FamilyVariant.objects.get(connection=connection, code="clothing_color_size")
    assert (variant.family_code, variant.levels, variant.axes) == (
        "clothing",
        2,
        {"1": ["color"], "2": ["size"]},
    )
    men = models.Category.objects.get(connection=connection, code="men")
    assert (men.parent_code, men.root_code, men.depth) == ("clothing", "master", 2)
    option = models.AttributeOption.objects.get(connection=connection, attribute_code="color", code="red")
    assert option.labels["en_US"] == "Red"
    assert (
        models.ReferenceEntityRecord.objects.filter(connection=connection, entity_code="brand").count() == 12
    )


def test_a_second_sync_with_no_change_updates_nothing(fake_akeneo):
    connection = connect(fake_akeneo)
    sync(connection)

    run = sync(connection)

    assert run.status == RunStatus.DONE
    assert (
        run.counters.get("created", 0)
        == run.counters.get("updated", 0)
        == run.counters.get("deleted", 0)
        == 0
    )
    assert run.counters["unchanged"] == sum(served_counts(fake_akeneo).values())


def test_removed_objects_are_marked_deleted_and_renamed_labels_updated(fake_akeneo):
    connection = connect(fake_akeneo)
    sync(connection)
    catalog = fake_akeneo.catalog
    del catalog.attributes["keywords"]
    del catalog.options["color"]["grey"]
    del catalog.categories["jewelry"]
    catalog.attributes["name"]["labels"] = {**catalog.attributes["name"]["labels"], "en_US": "Product name"}

    run = sync(connection)

    assert run.status == RunStatus.DONE
    assert run.counters["deleted"] == 3
    assert run.counters["updated"] == 1
    assert run.result["per_type"]["attributes"] == {"created": 0, "updated": 1, "unchanged": 40, "deleted": 1}
    gone = models.Attribute.objects.get(connection=connection, code="keywords")
    assert gone.deleted_at is not None
    assert models.AttributeOption.objects.get(connection=connection, code="grey").deleted_at is not None
    assert models.Category.objects.get(connection=connection, code="jewelry").deleted_at is not None
    assert models.Attribute.objects.get(connection=connection, code="name").labels["en_US"] == "Product name"
    assert mirror_counts(connection) == served_counts(fake_akeneo)

    # Back in the PIM: the same row comes back to life instead of a duplicate.
    catalog.categories["jewelry"] = {
        "code": "jewelry",
        "parent": "accessories",
        "labels": {"en_US": "Jewelry"},
    }
    sync(connection)
    assert models.Category.objects.get(connection=connection, code="jewelry").deleted_at is None


def test_a_failing_pim_fails_the_run_with_a_reason_and_leaves_the_mirror_intact(fake_akeneo):
    connection = connect(fake_akeneo)
    sync(connection)
    connection.refresh_from_db()
    last_synced = connection.last_synced_at
    before = mirror_counts(connection)
    del fake_akeneo.catalog.attributes["keywords"]
    fake_akeneo.faults.burst(100, status=500, path_prefix="/api/rest/v1/categories")
    AkeneoConnection.objects.filter(pk=connection.pk).update(timeout=5)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.AKENEO_MAX_RETRIES", 2)
        patch.setattr("connector.akeneo.client.AkeneoClient._wait", lambda self, state: 0.0)
        run = sync(connection)

    assert run.status == RunStatus.FAILED
    assert "the mirror was left as it was" in run.error
    assert "HTTP 500" in run.error
    assert mirror_counts(connection) == before
    assert models.Attribute.objects.get(connection=connection, code="keywords").deleted_at is None
    connection.refresh_from_db()
    assert connection.last_synced_at == last_synced


def test_20000_options_sync_with_a_bounded_number_of_queries_per_page(
    sandbox_catalog_factory, django_assert_max_num_queries
):
    catalog = sandbox_catalog_factory(products=10)
    catalog.options["features"] = {
        f"feature_{n:05d}": {
            "code": f"feature_{n:05d}",
            "attribute": "features",
            "sort_order": n,
            "labels": {"en_US": f"Feature {n}"},
        }
        for n in range(20_000)
    }
    with FakeAkeneo(catalog) as pim:
        connection = connect(pim)
        objects = sum(served_counts(pim).values())
        chunks = sum(math.ceil(n / 100) for n in served_counts(pim).values())
        # At most 4 queries per chunk of 100 (read, create, update, touch) + 1 per type + the run's own.
        with django_assert_max_num_queries(4 * chunks + len(SPECS) + 40):
            run = sync(connection)

    assert run.status == RunStatus.DONE, run.error
    assert objects > 20_000
    assert (
        models.AttributeOption.objects.filter(connection=connection, attribute_code="features").count()
        == 20_000
    )


def test_a_table_attribute_is_mirrored_with_its_select_options(sandbox_catalog_factory):
    catalog = sandbox_catalog_factory(products=10)
    add_table_attribute(catalog)
    with FakeAkeneo(catalog) as pim:
        run = sync(connect(pim))
        listings = [r for r in pim.requests if r.path == "/api/rest/v1/attributes"]

    assert run.status == RunStatus.DONE, run.error
    assert listings and all(r.query.get("with_table_select_options") == "true" for r in listings)
    nutrition = models.Attribute.objects.get(code="nutrition")
    assert (nutrition.type, nutrition.group_code) == ("pim_catalog_table", "technical")
    assert nutrition.raw["table_configuration"] == catalog.attributes["nutrition"]["table_configuration"]
    nutrient = nutrition.raw["table_configuration"][0]
    assert [o["code"] for o in nutrient["options"]] == ["sugar", "salt", "fat", "protein"]
    assert nutrient["options"][3]["labels"]["de_DE"] == "Eiweiß"
    assert not models.AttributeOption.objects.filter(attribute_code="nutrition").exists()


def test_the_command_prints_json_with_counts_and_changes(fake_akeneo):
    connect(fake_akeneo)
    out = StringIO()

    call_command("akeneo_sync", "--connection", "sandbox", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["status"] == "done"
    assert report["counts"] == served_counts(fake_akeneo)
    assert report["created"]["attributes"] == len(fake_akeneo.catalog.attributes)
    assert set(report) >= {"run", "status", "counts", "created", "updated", "deleted"}


def test_the_command_exits_1_when_the_run_fails(fake_akeneo):
    connection = connect(fake_akeneo)
    AkeneoConnection.objects.filter(pk=connection.pk).update(password="wrong-password")

    with pytest.raises(CommandError, match="failed: .*refused the API credentials"):
        call_command("akeneo_sync", "--connection", "sandbox", stdout=StringIO())
    assert "wrong-password" not in Run.objects.get().error


def test_the_command_can_queue_instead(fake_akeneo, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    connect(fake_akeneo)
    out = StringIO()

    call_command("akeneo_sync", "--connection", "sandbox", "--async", "--json", stdout=out)

    assert json.loads(out.getvalue())["status"] == "queued"
    with pytest.raises(CommandError, match="already running"):
        call_command("akeneo_sync", "--connection", "sandbox", stdout=StringIO())


def test_the_schedule_follows_the_connection(fake_akeneo):
    connection = connect(fake_akeneo)
    schedule = Schedule.objects.get(name=schedule_name(connection.pk))
    assert (schedule.cron, schedule.schedule_type) == ("0 3 * * 0", Schedule.CRON)

    connection.sync_cron = "30 1 * * *"
    connection.save()
    assert Schedule.objects.get(name=schedule_name(connection.pk)).cron == "30 1 * * *"

    connection.sync_cron = ""
    connection.save()
    assert not Schedule.objects.filter(name=schedule_name(connection.pk)).exists()

    connection.sync_cron = "0 4 * * 1"
    connection.save()
    pk = connection.pk
    connection.delete()
    assert not Schedule.objects.filter(name=schedule_name(pk)).exists()


def test_the_scheduled_task_runs_a_sync_and_skips_when_one_is_active(fake_akeneo):
    from connector.tasks import scheduled_structure_sync

    connection = connect(fake_akeneo)
    assert scheduled_structure_sync(connection.pk) == RunStatus.DONE
    assert Run.objects.get().trigger == "schedule"

    Run.objects.create(kind=STRUCTURE_SYNC, target=connection, target_label="x", status=RunStatus.IN_PROGRESS)
    assert scheduled_structure_sync(connection.pk) == "skipped"
