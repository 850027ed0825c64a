"""Data migrations carry what older versions stored: run through the real migration executor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("sfcc_export", "0007_profile_delivery_health"), ("connector", "0008_run_lock_key_skipped")]
AFTER = [("sfcc_export", "0008_export_watermarks")]


@pytest.fixture(autouse=True)
def latest_schema_afterwards(transactional_db):
    """The tests after this file need every migration applied, not just the ones it stops at."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_export_watermarks_are_carried_over_from_the_newest_successful_runs():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    pim = old.get_model("connector", "AkeneoConnection").objects.create(
        name="pim", base_url="http://pim.example", client_id="c", secret="s", username="u", password="p"
    )
    profile = old.get_model("sfcc_export", "ExportProfile").objects.create(
        name="shop", connection=pim, channel="ecommerce", output_dir="/tmp/out"
    )
    profile_type = old.get_model("contenttypes", "ContentType").objects.get(
        app_label="sfcc_export", model="exportprofile"
    )
    run_model = old.get_model("connector", "Run")

    def run(status: str, finished: datetime, watermarks: dict):
        return run_model.objects.create(
            kind="sfcc_export",
            target_type=profile_type,
            target_id=profile.pk,
            target_label="shop",
            status=status,
            finished_at=finished,
            result={"watermarks": watermarks},
        )

    run("done", datetime(2026, 11, 1, tzinfo=UTC), {"master": "2026-10-31T10:00:00+00:00"})
    newest = run("warnings", datetime(2026, 11, 2, tzinfo=UTC), {"master": "2026-11-01T09:00:00+00:00"})
    run("failed", datetime(2026, 11, 3, tzinfo=UTC), {"master": "2026-11-02T09:00:00+00:00"})
    pricebook = run("done", datetime(2026, 10, 1, tzinfo=UTC), {"pricebook": "2026-09-30T08:00:00+00:00"})

    executor.loader.build_graph()
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps
    marks = {
        mark.job: (mark.reached_at, mark.run_id)
        for mark in new.get_model("sfcc_export", "ExportWatermark").objects.filter(profile_id=profile.pk)
    }
    assert marks == {
        "master": (datetime(2026, 11, 1, 9, tzinfo=UTC), newest.pk),
        "pricebook": (datetime(2026, 9, 30, 8, tzinfo=UTC), pricebook.pk),
    }
