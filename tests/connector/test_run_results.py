"""Typed run results (connector.results): each kind writes and reads its result through one class."""

from __future__ import annotations

import pytest

from connector.models import Run, RunStatus
from connector.results import RunResult, StructureSyncResult
from connector.runs import get_kind, registered_kinds, start_run
from connector.tasks import STRUCTURE_SYNC
from sdm.results import JobPushResult
from sfcc_export.results import ExportResult
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_profile


def test_every_listed_kind_has_a_result_type():
    listed = [kind for kind in registered_kinds() if kind.target_model]
    assert listed and all(issubclass(kind.result_type, RunResult) for kind in listed)


def test_reading_forgives_old_or_foreign_data_and_writing_refuses_unknown_keys():
    assert ExportResult.from_json(None) == ExportResult()
    assert ExportResult.from_json({"archive": "a.zip", "gone": 1}).archive == "a.zip"
    assert JobPushResult.from_json({"created": 2}).to_json() == {
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "failed": 0,
    }
    with pytest.raises(TypeError, match="ExportResult has no field archvie"):
        ExportResult.checked({"archvie": "a.zip"})
    assert "delivery" not in ExportResult(job="master").to_json()  # None is left out: "has a delivery"


@pytest.mark.django_db
def test_a_runs_result_is_read_back_through_its_kinds_type(fake_akeneo, tmp_path):
    profile = make_profile(fake_akeneo, tmp_path / "exports")
    sync = Run.objects.get(kind=STRUCTURE_SYNC)
    export = start_run(EXPORT, profile, params={"job": "attributes"}, inline=True)

    assert export.status == RunStatus.DONE
    assert isinstance(sync.typed_result, StructureSyncResult)
    assert sync.typed_result.mirror_counts["attributes"] > 0
    result = export.typed_result
    assert isinstance(result, ExportResult) and get_kind(EXPORT).result_type is ExportResult
    assert result.job == "attributes" and result.archive.endswith(".zip") and result.attributes > 0
