"""SFCC export runs: files laid out as a site archive, then zipped."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from connector.models import Run, RunStatus

from .attributes import custom_attributes
from .catalog_export import CatalogExport, CatalogFiles
from .models import EXPORT_JOBS, ExportProfile
from .structure import load_structure
from .writers.metadata import write_product_attributes

JOBS = (*EXPORT_JOBS, "all")
CATALOG_JOBS = ("master", "storefront")
MODES = ("full", "differential")


def jobs_of(job: str) -> tuple[str, ...]:
    return EXPORT_JOBS if job == "all" else (job,)


def output_root(profile: ExportProfile, override: str | None = None) -> Path:
    return Path(override or profile.output_dir or Path(settings.EXPORT_ROOT) / profile.name)


def archive_folder(profile: ExportProfile, run_id: int, override: str | None = None) -> Path:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    folder = output_root(profile, override) / f"{stamp}-run{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def catalog_path(folder: Path, catalog_id: str) -> Path:
    return folder / "catalogs" / catalog_id / "catalog.xml"


def export_attributes(profile: ExportProfile, folder: Path) -> dict:
    target = folder / "meta" / "system-objecttype-extensions.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        count = write_product_attributes(
            out, custom_attributes(profile), profile.attribute_group_id, {"x-default": "Akeneo attributes"}
        )
    return {"files": [str(target.relative_to(folder))], "attributes": count}


def last_watermark(profile: ExportProfile, job: str) -> datetime | None:
    """The PIM update date reached by the latest successful run that exported ``job``."""
    run = (
        Run.objects.for_target(profile)
        .filter(status=RunStatus.DONE, result__watermarks__has_key=job)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return datetime.fromisoformat(run.result["watermarks"][job]) if run else None


def export_catalogs(
    profile: ExportProfile,
    jobs: tuple[str, ...],
    folder: Path,
    mode: str,
    progress,
    deliver: Callable[[], None],
) -> dict:
    """Write the master and/or storefront catalog; returns the run result (files, counts, watermarks).

    ``deliver`` runs once the files are written; only if it returns is the export recorded as done.
    """
    catalog_jobs = [job for job in CATALOG_JOBS if job in jobs]
    previous = {job: last_watermark(profile, job) for job in catalog_jobs}
    since = None
    if mode == "differential":
        if any(stamp is None for stamp in previous.values()):
            progress.info("No successful run of this job yet: the differential export exports everything.")
        else:
            since = min(previous.values())
            progress.info(f"Differential: products and models updated in the PIM after {since.isoformat()}.")
    files = CatalogFiles(
        master=catalog_path(folder, profile.master_catalog_id) if "master" in jobs else None,
        storefront=catalog_path(folder, profile.storefront_catalog_id) if "storefront" in jobs else None,
    )
    with tempfile.TemporaryDirectory(prefix="sfcc-export-") as scratch, profile.connection.client() as client:
        export = CatalogExport(profile, client, load_structure(profile), progress, Path(scratch), since=since)
        try:
            outcome = export.run(files)
            deliver()
            export.commit()
        finally:
            export.close()
    watermark = outcome.watermark or since
    if watermark is None:
        watermark = max((stamp for stamp in previous.values() if stamp), default=None)
    return {
        "files": [str(path.relative_to(folder)) for path in (files.master, files.storefront) if path],
        "counts": outcome.counts,
        "watermarks": {job: watermark.isoformat() for job in catalog_jobs} if watermark else {},
        "mode": "differential" if since else "full",
    }


def zip_archive(folder: Path) -> Path:
    return Path(shutil.make_archive(str(folder), "zip", root_dir=folder.parent, base_dir=folder.name))
