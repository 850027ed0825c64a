"""The value-mapping step on the job page: every distinct value with its rows and suggestion, a
searchable choice among the attribute's options, accept-all, new options where allowed, a bounded
number of queries whatever the job's size."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connector.roles import OPERATOR
from sdm.jobs import import_supplier_file
from sdm.models import AttributeSelection
from tests.sdm.test_sdm_push import write_csv
from tests.users import staff_user

pytestmark = pytest.mark.django_db

HEADERS = ["sku", "family", "color", "material", "certifications"]


@pytest.fixture
def workflow(synced_workflow):
    workflow = synced_workflow
    AttributeSelection.objects.create(workflow=workflow, attribute_code="color", allow_option_creation=True)
    return workflow


def job_with(workflow, tmp_path, shades: int):
    rows = [
        {"sku": f"ST-{n}", "family": "accessories", "color": f"Shade {n % shades}", "material": "Wood"}
        for n in range(shades * 2)
    ]
    rows.append({"sku": "ST-X", "family": "accessories", "color": "rEd", "certifications": "CE, Fairtrade"})
    return import_supplier_file(workflow, write_csv(tmp_path / f"s{shades}.csv", rows, HEADERS))


def step_url(job) -> str:
    return reverse("admin:sdm_supplierjob_values", args=[job.pk])


def test_the_step_lists_values_with_rows_suggestions_and_creation_only_where_allowed(
    admin_client, workflow, tmp_path
):
    job = job_with(workflow, tmp_path, 3)

    page = admin_client.get(step_url(job)).content.decode()
    listing = admin_client.get(reverse("admin:sdm_supplierjob_changelist")).content.decode()
    job_page = admin_client.get(reverse("admin:sdm_supplierjob_change", args=[job.pk])).content.decode()

    assert "<strong>4</strong> of 7 distinct values still need a PIM option" in page  # 3 shades, Fairtrade
    red = job.value_mappings.get(raw_value="rEd")
    assert red.suggested_code == "red"
    assert '<option value="red" selected>Red (red)</option>' in page
    shade = job.value_mappings.get(raw_value="Shade 0")
    assert shade.occurrences == 2
    assert f'name="create-{shade.pk}"' in page  # color allows new options
    assert "en_US “Shade 0”, fr_FR “Shade 0”, de_DE “Shade 0”" in page  # labels shown before sending
    wood = job.value_mappings.get(raw_value="Wood")
    assert f'name="create-{wood.pk}"' not in page  # material does not
    assert "4 unmapped" in listing
    assert "This job waits for its value mapping: 4 values have no PIM option yet" in job_page


def test_the_step_costs_the_same_queries_for_10_or_300_values(
    admin_client, workflow, tmp_path, django_assert_max_num_queries
):
    small, big = job_with(workflow, tmp_path, 10), job_with(workflow, tmp_path, 300)
    admin_client.get(step_url(small))  # sessions and caches warm

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(step_url(small)).status_code == 200
    with django_assert_max_num_queries(len(few)):
        page = admin_client.get(step_url(big), {"page": 3})
    assert "page 3 of 7 (304 values)" in page.content.decode()


def test_options_are_searched_by_code_or_label_a_page_at_a_time(admin_client, workflow, tmp_path):
    job = job_with(workflow, tmp_path, 2)
    url = reverse("admin:sdm_supplierjob_options", args=[job.pk])

    found = admin_client.get(url, {"attribute": "color", "term": "gre"}).json()
    every = admin_client.get(url, {"attribute": "color", "term": ""}).json()
    nothing = admin_client.get(url, {"attribute": "no_such_attribute", "term": "x"}).json()

    assert found["results"] == [
        {"id": "green", "text": "Green (green)"},
        {"id": "grey", "text": "Grey (grey)"},
    ]
    assert len(every["results"]) == 6 and every["pagination"]["more"] is False
    assert nothing == {"results": [], "pagination": {"more": False}}


def test_saving_accepting_suggestions_and_planning_new_options(admin_client, workflow, tmp_path):
    job = job_with(workflow, tmp_path, 2)
    shade0, shade1 = job.value_mappings.get(raw_value="Shade 0"), job.value_mappings.get(raw_value="Shade 1")
    red = job.value_mappings.get(raw_value="rEd")

    admin_client.post(step_url(job), {"action": "suggestions"})
    red.refresh_from_db()
    assert red.option_code == "red"
    saved = admin_client.post(
        step_url(job),
        {
            "shown": [shade0.pk, shade1.pk],
            f"option-{shade0.pk}": "blue",
            f"create-{shade1.pk}": "on",
            f"code-{shade1.pk}": "shade_one",
            f"option-{shade1.pk}": "",
        },
    )
    assert saved.status_code == 302
    shade0.refresh_from_db()
    shade1.refresh_from_db()
    assert (shade0.option_code, shade0.create_option) == ("blue", False)
    assert (shade1.option_code, shade1.create_option) == ("shade_one", True)
    page = admin_client.get(step_url(job)).content.decode()
    assert "<code>shade_one</code> in Color for “Shade 1”" in page

    admin_client.post(step_url(job), {"action": "plan"})
    fairtrade = job.value_mappings.get(raw_value="Fairtrade")
    assert fairtrade.option_code == ""  # certifications does not allow new options


def test_an_operator_sees_the_step_but_cannot_change_it(client, workflow, tmp_path):
    job = job_with(workflow, tmp_path, 2)
    staff_user(OPERATOR, client=client)

    page = client.get(step_url(job))

    assert page.status_code == 200 and 'id="save-mapping"' not in page.content.decode()
    assert client.post(step_url(job), {"action": "suggestions"}).status_code == 403
