"""Nothing in the PIM changes unless a row asks for it: an existing option is never changed, mapped
codes must exist, and new options are created only where the attribute configuration allows it,
whatever a form, the API or the database says."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import AttributeSelection, JobRow, ValueMapping
from sdm.tasks import JOB_PUSH
from tests.sdm.test_sdm_push import new_row, write_csv
from tests.sdm_helpers import sdm_admin_api_key

pytestmark = pytest.mark.django_db

HEADERS = ["sku", "family", "categories", "Name-en_US", "material", "color"]


@pytest.fixture
def workflow(synced_workflow):
    cache.clear()  # the API throttle keeps its counts in the cache: start from zero
    return synced_workflow


def bamboo_job(workflow, tmp_path):
    rows = [
        {key: value for key, value in new_row(n, material="Bamboo").items() if key in HEADERS} for n in (1, 2)
    ]
    return import_supplier_file(workflow, write_csv(tmp_path / "bamboo.csv", rows, headers=HEADERS))


def pim_option(workflow, attribute: str, code: str) -> dict:
    with workflow.connection.client() as client:
        option = client.get(f"attributes/{attribute}/options/{code}")
    return {key: option[key] for key in ("code", "labels", "sort_order")}


def step_post(admin_client, job, mapping: ValueMapping, **fields):
    data = {"shown": mapping.pk, **{f"{name}-{mapping.pk}": value for name, value in fields.items()}}
    return admin_client.post(reverse("admin:sdm_supplierjob_values", args=[job.pk]), data)


def api_mappings(client, job, items: list[dict]):
    key = sdm_admin_api_key(client)
    return client.post(
        f"/api/v1/jobs/{job.public_id}/mappings/",
        {"mappings": items},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )


def test_creating_an_existing_code_is_refused_everywhere_and_the_pim_option_stays_as_it_was(
    admin_client, client, workflow, fake_akeneo, tmp_path
):
    AttributeSelection.objects.create(
        workflow=workflow, attribute_code="material", allow_option_creation=True
    )
    job = bamboo_job(workflow, tmp_path)
    bamboo = job.value_mappings.get(pim_attribute_code="material", raw_value="Bamboo")
    before = pim_option(workflow, "material", "wood")

    page = step_post(admin_client, job, bamboo, create="on", code="wood").content.decode()
    answer = api_mappings(
        client, job, [{"attribute": "material", "value": "Bamboo", "option": "wood", "create": True}]
    )

    assert "&#x27;wood&#x27; already exists in Material" in page
    assert answer.status_code == 409
    assert "'wood' already exists in Material" in answer.json()["errors"]["mappings"][0]
    bamboo.refresh_from_db()
    assert (bamboo.option_code, bamboo.create_option) == ("", False)

    # Even a mapping that says so in the database (an old job, a script) changes nothing in the PIM.
    ValueMapping.objects.filter(pk=bamboo.pk).update(option_code="wood", create_option=True)
    fake_akeneo.clear_requests()
    run = start_run(JOB_PUSH, job, inline=True)

    assert fake_akeneo.count(path_prefix="/api/rest/v1/attributes/material/options") == 0
    assert pim_option(workflow, "material", "wood") == before
    assert run.counters == {"failed": 2}
    bamboo.refresh_from_db()
    assert not bamboo.created_in_pim and "already exists" in bamboo.creation_error
    for row in job.rows.all():
        assert "maps to the new option 'wood' of material, but it already exists" in row.message
    log = " ".join(run.log_entries.values_list("message", flat=True))
    assert "New option wood of Material not created" in log


def test_a_code_that_appeared_in_the_pim_after_the_sync_is_not_overwritten(workflow, fake_akeneo, tmp_path):
    AttributeSelection.objects.create(
        workflow=workflow, attribute_code="material", allow_option_creation=True
    )
    job = bamboo_job(workflow, tmp_path)
    from sdm.value_mapping import auto_map_values

    assert auto_map_values(job).to_create == 1
    assert job.value_mappings.get(raw_value="Bamboo").option_code == "bamboo"
    # Someone adds the option in the PIM between the sync and the push, with their own labels.
    fake_akeneo.catalog.options["material"]["bamboo"] = {
        "code": "bamboo",
        "attribute": "material",
        "sort_order": 9,
        "labels": {"en_US": "Bamboo fibre", "fr_FR": "Fibre de bambou"},
    }
    before = pim_option(workflow, "material", "bamboo")

    run = start_run(JOB_PUSH, job, inline=True)

    assert pim_option(workflow, "material", "bamboo") == before
    assert run.counters == {"failed": 2}
    assert "it already exists in the PIM; the existing option was not changed" in job.rows.first().message


def test_creation_is_refused_server_side_where_the_tab_does_not_allow_it(
    admin_client, client, workflow, fake_akeneo, tmp_path
):
    job = bamboo_job(workflow, tmp_path)  # material: option creation not allowed (the default)
    bamboo = job.value_mappings.get(raw_value="Bamboo")

    page = step_post(admin_client, job, bamboo, create="on", code="bamboo")
    answer = api_mappings(
        client, job, [{"attribute": "material", "value": "Bamboo", "option": "bamboo", "create": True}]
    )

    assert page.status_code == 200
    assert "new options cannot be created for Material" in page.content.decode()
    assert answer.status_code == 409 and "cannot be created" in answer.json()["errors"]["mappings"][0]
    bamboo.refresh_from_db()
    assert not bamboo.create_option
    # Planned anyway, behind the form's back: the push checks the tab again and sends nothing.
    ValueMapping.objects.filter(pk=bamboo.pk).update(option_code="bamboo", create_option=True)
    fake_akeneo.clear_requests()
    start_run(JOB_PUSH, job, inline=True)
    assert "bamboo" not in fake_akeneo.catalog.options["material"]
    assert fake_akeneo.count(path_prefix="/api/rest/v1/attributes/material/options") == 0
    assert "does not allow new options" in ValueMapping.objects.get(pk=bamboo.pk).creation_error


def test_a_mapped_code_must_be_an_option_of_the_attribute(admin_client, client, workflow, tmp_path):
    job = bamboo_job(workflow, tmp_path)
    bamboo = job.value_mappings.get(raw_value="Bamboo")

    page = step_post(admin_client, job, bamboo, option="no_such_option")
    answer = api_mappings(
        client, job, [{"attribute": "material", "value": "Bamboo", "option": "no_such_option"}]
    )
    accepted = step_post(admin_client, job, bamboo, option="wood")

    assert "&#x27;no_such_option&#x27; is not an option of Material" in page.content.decode()
    assert answer.status_code == 409 and "'no_such_option'" in answer.json()["errors"]["mappings"][0]
    assert accepted.status_code == 302
    bamboo.refresh_from_db()
    assert (bamboo.option_code, bamboo.create_option) == ("wood", False)


def test_an_allowed_new_option_is_created_once_with_its_labels_and_used(
    admin_client, workflow, fake_akeneo, tmp_path
):
    AttributeSelection.objects.create(
        workflow=workflow, attribute_code="material", allow_option_creation=True
    )
    job = bamboo_job(workflow, tmp_path)
    bamboo = job.value_mappings.get(raw_value="Bamboo")
    assert step_post(admin_client, job, bamboo, create="on", code="bamboo").status_code == 302

    run = start_run(JOB_PUSH, job, inline=True)

    assert run.counters == {"created": 2}
    assert pim_option(workflow, "material", "bamboo")["labels"] == {
        "en_US": "Bamboo",
        "fr_FR": "Bamboo",
        "de_DE": "Bamboo",
    }
    assert fake_akeneo.catalog.product_by_identifier("SUP-00001")["values"]["material"][0]["data"] == "bamboo"
    assert job.rows.filter(outcome=JobRow.Outcome.CREATED).count() == 2
