"""Value mapping: suggestions, manual choices, option creation only where allowed, at 3 requests/second."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import AttributeSelection, ValueMapping
from sdm.option_creation import create_planned_options
from sdm.tasks import JOB_PUSH
from sdm.value_mapping import auto_map_values, collect_values
from tests.sdm.test_sdm_push import new_row, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def workflow(synced_workflow):
    return synced_workflow


def mapping(job, attribute, raw) -> ValueMapping:
    return job.value_mappings.get(pim_attribute_code=attribute, raw_value=raw)


def test_distinct_values_are_listed_with_case_and_accent_insensitive_suggestions(workflow, tmp_path):
    rows = [
        new_row(1, color="rEd"),
        new_row(2, color="Gréy"),
        new_row(3, color="rEd"),
        new_row(4, color="Teal"),
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))

    assert collect_values(job) == 3  # rEd, Gréy, Teal
    assert (mapping(job, "color", "rEd").suggested_code, mapping(job, "color", "rEd").occurrences) == (
        "red",
        2,
    )
    assert mapping(job, "color", "Gréy").suggested_code == "grey"
    assert mapping(job, "color", "Teal").suggested_code == ""


def test_a_manual_mapping_is_used_by_the_push(workflow, fake_akeneo, tmp_path):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(1, color="Teal")]))
    collect_values(job)
    ValueMapping.objects.filter(job=job, raw_value="Teal").update(option_code="blue")

    start_run(JOB_PUSH, job, inline=True)

    product = fake_akeneo.catalog.product_by_identifier("SUP-00001")
    assert product["values"]["color"][0]["data"] == "blue"


def test_new_options_are_created_only_where_the_tab_allows_it(workflow, fake_akeneo, tmp_path):
    AttributeSelection.objects.create(workflow=workflow, attribute_code="color", allow_option_creation=True)
    rows = [new_row(1, color="Ultraviolet"), new_row(2, color="Red"), new_row(3, color="Red"), new_row(4)]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))

    result = auto_map_values(job)

    assert (result.to_create, result.unmapped) == (1, 0)
    planned = mapping(job, "color", "Ultraviolet")
    assert (planned.option_code, planned.create_option) == ("ultraviolet", True)
    fake_akeneo.clear_requests()
    run = start_run(JOB_PUSH, job, inline=True)

    assert run.counters == {"created": 4}
    assert fake_akeneo.catalog.options["color"]["ultraviolet"]["labels"]["fr_FR"] == "Ultraviolet"
    assert fake_akeneo.count(method="POST", path_prefix="/api/rest/v1/attributes/color/options") == 1
    assert (
        fake_akeneo.catalog.product_by_identifier("SUP-00001")["values"]["color"][0]["data"] == "ultraviolet"
    )


def test_without_permission_to_create_an_unknown_value_stays_unmapped_and_the_row_says_so(workflow, tmp_path):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(1, color="Ultraviolet")]))

    result = auto_map_values(job)
    run = start_run(JOB_PUSH, job, inline=True)

    assert (result.to_create, result.unmapped) == (0, 1)
    assert run.counters == {"failed": 1}
    assert "'Ultraviolet' is not an option of color (map it first)" in job.rows.get().message


def test_option_creation_respects_three_requests_per_second(workflow, fake_akeneo, tmp_path):
    AttributeSelection.objects.create(workflow=workflow, attribute_code="color", allow_option_creation=True)
    rows = [new_row(n, color=f"Shade {n}") for n in range(1, 5)]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))
    auto_map_values(job)
    waits = []

    class Progress:
        def info(self, message):
            pass

        def warning(self, message):
            raise AssertionError(message)

    with job.workflow.connection.client() as client:
        created = create_planned_options(job, client, Progress(), sleep=waits.append)

    assert created == 4
    # The recorded sleeps do not pass time, so each wait is measured from the first write: the
    # writes are booked 1/3 s apart (at +1/3, +2/3 and +1 s), i.e. at most 3 per second.
    assert len(waits) == 3
    for n, wait in enumerate(waits, start=1):
        assert n / 3 - 0.1 < wait <= n / 3 + 1e-9


def test_the_map_values_command(workflow, tmp_path):
    job = import_supplier_file(
        workflow, write_csv(tmp_path / "f.csv", [new_row(1, color="Teal"), new_row(2)])
    )
    out = StringIO()

    call_command("sdm_job_map_values", "--job", str(job.pk), "--auto", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["unmapped_values"] == [["color", "Teal"]]
    assert report["mapped"] >= 1
