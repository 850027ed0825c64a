"""A failed export never leaves a folder that looks like a finished site archive: the run writes into
"<stamp>-run<id>.partial", renamed (then zipped) only once every file is complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.models import RunStatus
from connector.runs import start_run
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_profile
from tests.sfcc_xsd import require_xsds

pytestmark = pytest.mark.django_db


def test_an_export_that_fails_half_way_leaves_only_a_partial_folder(fake_akeneo, tmp_path, settings):
    require_xsds()
    settings.AKENEO_MAX_RETRIES = 1
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    profile = make_profile(fake_akeneo, tmp_path / "exports")
    fake_akeneo.faults.every_nth(1, status=500, path_prefix="/api/rest/v1/products")

    failed = start_run(EXPORT, profile, params={"job": "master", "mode": "full"}, inline=True)

    assert failed.status == RunStatus.FAILED
    written = sorted(
        p.name for p in Path(tmp_path / "exports").rglob("*") if p.parent == Path(tmp_path / "exports")
    )
    assert len(written) == 1 and written[0].endswith(f"-run{failed.pk}.partial"), written

    fake_akeneo.faults.clear()
    done = start_run(EXPORT, profile, params={"job": "master", "mode": "full"}, inline=True)
    assert done.status == RunStatus.DONE, done.error
    folder = Path(done.result["folder"])
    assert folder.name.endswith(f"-run{done.pk}") and folder.is_dir()
    assert Path(done.result["archive"]).name == folder.name + ".zip"
    assert not list(folder.parent.glob(f"*-run{done.pk}.partial"))
