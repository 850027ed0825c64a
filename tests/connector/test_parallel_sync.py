"""The structure sync reads its listings side by side and mirrors exactly what a sequential read does."""

from __future__ import annotations

import pytest

from connector.models import AkeneoConnection, Attribute, FamilyVariant
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo
from connector.sync import SPECS
from connector.tasks import STRUCTURE_SYNC

pytestmark = pytest.mark.django_db


def connect(pim: FakeAkeneo, name: str, budget: int) -> AkeneoConnection:
    return AkeneoConnection.objects.create(
        name=name,
        base_url=pim.base_url,
        max_concurrency=budget,
        max_requests_per_second=1000,  # the request-rate cap would space the calls out
        **SANDBOX_CREDENTIALS,
    )


def mirror(connection: AkeneoConnection) -> dict[str, list]:
    parent = {name: spec.parent_field for name, spec in SPECS.items()}
    return {
        name: list(
            spec.model.objects.filter(connection=connection)
            .order_by("pk")
            .values_list(*(f for f in ("code", parent[name]) if f), "checksum")
        )
        for name, spec in SPECS.items()
    }


def test_a_sync_at_budget_4_mirrors_the_same_rows_in_the_same_order_as_at_budget_1(fake_akeneo):
    sequential, parallel = connect(fake_akeneo, "one", 1), connect(fake_akeneo, "four", 4)
    fake_akeneo.latency = 0.01  # so that listings overlap when they may
    try:
        fake_akeneo.clear_requests()
        first = start_run(STRUCTURE_SYNC, sequential, inline=True)
        peak_sequential = fake_akeneo.peak_in_flight
        calls_sequential = fake_akeneo.count()
        fake_akeneo.clear_requests()
        second = start_run(STRUCTURE_SYNC, parallel, inline=True)
        peak_parallel = fake_akeneo.peak_in_flight
        calls_parallel = fake_akeneo.count()
    finally:
        fake_akeneo.latency = 0.0

    assert (first.status, second.status) == ("done", "done")
    assert mirror(sequential) == mirror(parallel)
    assert sum(len(rows) for rows in mirror(parallel).values()) > 100
    messages = [list(run.log_entries.values_list("level", "message")) for run in (first, second)]
    assert messages[0] == messages[1]
    assert calls_sequential == calls_parallel
    assert peak_sequential == 1
    assert 2 <= peak_parallel <= 4


def test_a_child_listing_that_vanishes_mid_sync_is_a_warning_and_the_rest_is_mirrored(fake_akeneo):
    connection = connect(fake_akeneo, "four", 4)
    family = sorted(fake_akeneo.catalog.family_variants)[0]
    fake_akeneo.faults.burst(1, 404, path_prefix=f"/api/rest/v1/families/{family}/variants")

    run = start_run(STRUCTURE_SYNC, connection, inline=True)

    assert run.status == "done"
    warnings = list(run.log_entries.filter(level=30).values_list("message", flat=True))
    assert f"family variants: {family} disappeared from the PIM during the sync; skipped." in warnings
    others = sum(len(v) for f, v in fake_akeneo.catalog.family_variants.items() if f != family)
    assert FamilyVariant.objects.filter(connection=connection).count() == others
    assert Attribute.objects.filter(connection=connection).count() == len(fake_akeneo.catalog.attributes)
