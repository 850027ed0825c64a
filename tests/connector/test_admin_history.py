"""Every custom admin action leaves a line in the object's admin history: who, when, what."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from connector.models import Run, RunStatus
from connector.tasks import STRUCTURE_SYNC
from sdm.models import AttributeSelection
from tests.sdm.test_sdm_value_mapping_step import job_with
from tests.sdm_helpers import make_workflow, sync_workflow
from tests.sfcc_helpers import make_profile

pytestmark = pytest.mark.django_db


def history(obj) -> list[str]:
    """The object's history as its History page lists it, oldest first, with who did it."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("pk")
    return [f"{entry.user.username}: {entry.get_change_message()}" for entry in entries]


def test_synchronize_export_and_cancel_are_in_the_history(admin_client, fake_akeneo, tmp_path):
    profile = make_profile(fake_akeneo, tmp_path / "exports")
    connection = profile.connection
    sync_url = reverse("admin:connector_akeneoconnection_sync", args=[connection.pk])

    admin_client.post(sync_url)  # queued: nothing executes it in this test
    queued = Run.objects.filter(kind=STRUCTURE_SYNC).latest("pk")
    admin_client.post(sync_url)  # refused: the first one holds the connection
    admin_client.post(reverse("admin:connector_run_cancel", args=[queued.pk]))
    admin_client.post(
        reverse("admin:sfcc_export_exportprofile_export", args=[profile.pk]),
        {"job": "master", "mode": "full"},
    )
    export = Run.objects.filter(kind="sfcc_export").latest("pk")

    assert queued.status == RunStatus.QUEUED
    assert history(connection) == [
        f"admin: Started: PIM structure sync (run #{queued.pk}).",
        f"admin: Not started: PIM structure sync; run #{queued.pk} was already doing it.",
        f"admin: Cancellation of run #{queued.pk} (PIM structure sync) requested.",
    ]
    assert history(queued) == ["admin: Cancellation requested."]
    assert history(profile) == [f"admin: Started: SFCC export, job master, mode full (run #{export.pk})."]
    page = admin_client.get(reverse("admin:sfcc_export_exportprofile_history", args=[profile.pk]))
    assert "Started: SFCC export, job master, mode full" in page.content.decode()


def test_the_attribute_tab_and_the_value_mapping_say_what_changed(admin_client, fake_akeneo, tmp_path):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    AttributeSelection.objects.create(workflow=workflow, attribute_code="color", allow_option_creation=True)
    tab = admin_client.get(reverse("admin:sdm_workflow_attributes", args=[workflow.pk]))
    included = [a.code for g in tab.context["groups"] for a in g.attributes if a.included]

    kept = [code for code in included if code not in ("ean", "weight")]
    admin_client.post(reverse("admin:sdm_workflow_attributes", args=[workflow.pk]), {"include": kept})
    job = job_with(workflow, tmp_path, 2)
    shade = job.value_mappings.get(raw_value="Shade 0")
    values = reverse("admin:sdm_supplierjob_values", args=[job.pk])
    admin_client.post(values, {"action": "suggestions"})
    admin_client.post(values, {"shown": [shade.pk], f"option-{shade.pk}": "blue"})

    assert history(workflow) == [
        "admin: Attribute configuration saved: excluded: ean, weight; new options no longer allowed: color."
    ]
    assert history(job)[0].startswith("admin: Value mapping: suggestions applied (")
    assert history(job)[1] == "admin: Value mapping saved (1 values)."
