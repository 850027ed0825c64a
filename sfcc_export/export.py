"""SFCC export runs: the jobs' files laid out as a site archive, zipped, and delivered if asked."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from connector.models import Run
from connector.models.run import SUCCEEDED_STATUSES

from .archive_delivery import DeliveryRejected, deliver_archive, record_archive
from .archive_parts import MB, pack_parts
from .attributes import custom_attributes
from .catalog_export import CatalogExport, CatalogFiles
from .entities import export_entities
from .event_targets import EventTargets, move_cursor
from .images import STATIC_IMAGES
from .models import EXPORT_JOBS, READ_JOBS, DeliveryTarget, ExportProfile, ExportWatermark
from .record_grouping import record_group
from .structure import load_structure
from .writers.metadata import GroupDefinition, write_product_extensions
from .xml_check import SchemasMissing, check_folder

# The product pass for what the PIM's events named, and the comparison that catches what they missed.
EVENT_JOBS = ("events", "reconcile")
JOBS = (*EXPORT_JOBS, *READ_JOBS, "all", *EVENT_JOBS)
# The jobs served by one streamed pass over the PIM's products.
PASS_JOBS = ("assets", "pricebook", "master", "storefront")
MODES = ("full", "differential")
METADATA_FILE = "meta/system-objecttype-extensions.xml"


class InvalidDocuments(Exception):
    """A document of the archive fails SFCC's schemas: nothing is sent (SFCC has no rollback)."""


__all__ = ["DeliveryRejected", "InvalidDocuments"]


def jobs_of(job: str, profile: ExportProfile | None = None) -> tuple[str, ...]:
    if job in EVENT_JOBS:
        images = profile is not None and bool(profile.image_view_types)
        return tuple(name for name in PASS_JOBS if name != "assets" or images)
    return EXPORT_JOBS if job == "all" else (job,)


def output_root(profile: ExportProfile, override: str | None = None) -> Path:
    return Path(override or profile.output_dir or Path(settings.EXPORT_ROOT) / profile.name)


# A folder being written carries this suffix until its files are complete: a failed or killed
# export leaves "...-run12.partial", never a folder that looks like a finished site archive.
PARTIAL_SUFFIX = ".partial"


def archive_folder(profile: ExportProfile, run_id: int, override: str | None = None) -> Path:
    """The folder a run writes into, under its partial name until ``complete_folder``."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    folder = output_root(profile, override) / f"{stamp}-run{run_id}{PARTIAL_SUFFIX}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def complete_folder(folder: Path) -> Path:
    final = folder.with_name(folder.name.removesuffix(PARTIAL_SUFFIX))
    folder.rename(final)
    return final


def catalog_path(folder: Path, catalog_id: str) -> Path:
    return folder / "catalogs" / catalog_id / "catalog.xml"


def export_metadata(profile: ExportProfile, jobs: tuple[str, ...], folder: Path) -> dict:
    """attributes and record-grouping share the one Product type extension file of a site archive."""
    groups = []
    if "attributes" in jobs:
        groups.append(
            GroupDefinition(
                profile.attribute_group_id, {"x-default": "Akeneo attributes"}, custom_attributes(profile)
            )
        )
    if "record-grouping" in jobs and profile.reference_entities:
        groups.append(record_group(profile))
    target = folder / METADATA_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        written = write_product_extensions(out, groups)
    return {
        "files": [METADATA_FILE],
        "attributes": written.get(profile.attribute_group_id, 0) if "attributes" in jobs else 0,
        "record_attributes": written.get(profile.record_group_id, 0) if "record-grouping" in jobs else 0,
    }


def last_watermarks(profile: ExportProfile, jobs: list[str]) -> dict[str, datetime | None]:
    """The PIM update date each job has delivered up to (None: never delivered)."""
    reached = dict(
        ExportWatermark.objects.filter(profile=profile, job__in=jobs).values_list("job", "reached_at")
    )
    return {job: reached.get(job) for job in jobs}


def estimated_total(profile: ExportProfile, run: Run, mode: str) -> int | None:
    """What the last successful run of the same job and mode read: the progress total when the PIM
    gives no count."""
    return (
        Run.objects.for_target(profile, run.kind)
        .filter(
            status__in=SUCCEEDED_STATUSES,
            params__job=run.params.get("job"),
            result__mode=mode,
            progress_done__gt=0,
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .values_list("progress_done", flat=True)
        .first()
    )


class EmptySelection(Exception):
    """A full catalog export found no product: delivering it would take everything offline in SFCC."""


def _exported_any(counts: dict, names=("products", "masters", "variants")) -> bool:
    return any(counts.get(name) for name in names)


def _changes_anything(counts: dict) -> bool:
    return _exported_any(counts, ("products", "masters", "variants", "offline", "deleted"))


def export_catalogs(
    profile: ExportProfile,
    jobs: tuple[str, ...],
    folder: Path,
    mode: str,
    progress,
    deliver: Callable[[bool], None],
    targets: EventTargets | None = None,
) -> dict:
    """The product pass: catalogs and pricebooks; returns files, counts and watermarks.

    ``deliver(send)`` runs once the files are written (``send`` False: they change nothing in SFCC);
    only if it returns is the export recorded as done. ``targets``: only what events named.
    """
    pass_jobs = [job for job in PASS_JOBS if job in jobs]
    previous = last_watermarks(profile, pass_jobs)
    since = None
    if targets is not None:
        mode = "reconcile" if targets.reconcile else "events"
        if targets.events:
            progress.info(
                f"{targets.events} PIM events name {len(targets.product_uuids)} products and "
                f"{len(targets.model_codes)} product models ({targets.deletions} deleted)."
            )
    elif mode == "differential":
        if any(stamp is None for stamp in previous.values()):
            progress.info("No successful run of this job yet: the differential export exports everything.")
        else:
            since = min(previous.values())
            progress.info(f"Differential: products and models updated in the PIM after {since.isoformat()}.")
    images = "assets" in jobs and bool(profile.image_view_types)
    if "assets" in jobs and not images:
        progress.info("Assets: the profile maps no image attribute to an SFCC view type.")
    master = catalog_path(folder, profile.master_catalog_id)
    files = CatalogFiles(
        master=master if "master" in jobs or images else None,
        storefront=catalog_path(folder, profile.storefront_catalog_id) if "storefront" in jobs else None,
        pricebooks=folder / "pricebooks" if "pricebook" in jobs else None,
    )
    estimated = False

    def report_total(count: int | None) -> None:
        nonlocal estimated
        if count is None:
            count = estimated_total(profile, progress.run, "differential" if since else "full")
            estimated = count is not None
            if estimated:  # for the run page while the run goes on; the final result says it too
                progress.set_result({"progress_estimated": True})
        progress.set_total(count)

    with tempfile.TemporaryDirectory(prefix="sfcc-export-") as scratch, profile.connection.client() as client:
        export = CatalogExport(
            profile,
            client,
            load_structure(profile),
            progress,
            Path(scratch),
            since=since,
            values="master" in jobs,
            images=images,
            static_folder=master.parent / STATIC_IMAGES if images and not profile.images_by_url else None,
            report_total=report_total,
            targets=targets,
        )
        try:
            outcome = export.run(files)
            if targets is not None and targets.reconcile:
                missed = targets.missed
                progress.info(
                    f"Reconciliation: events had missed {missed['products']} products, "
                    f"{missed['models']} product models and {missed['removals']} removals."
                )
            if (
                targets is None
                and since is None
                and (files.master or files.storefront)
                and not _exported_any(outcome.counts)
            ):
                raise EmptySelection(
                    f"The profile's scope selects no product in the PIM (channel {profile.channel}"
                    + (f", families {', '.join(profile.families)}" if profile.families else "")
                    + (f", categories {', '.join(profile.categories)}" if profile.categories else "")
                    + "): nothing was delivered and nothing was set offline in SFCC. "
                    "Check the profile's channel and product filters."
                )
            # Listed before deliver(), which gives the folder its final name.
            written = [path for path in (files.master, files.storefront) if path]
            if files.pricebooks:
                written += sorted(files.pricebooks.glob("*.xml"))
            if targets is not None:
                send = _changes_anything(outcome.counts)
                if not send:
                    progress.info("Nothing the events name changes anything in SFCC: nothing was sent.")
                    written = []
                deliver(send)
                # The pass saw only what the events named: the watermark stays where it is.
                watermark = None
                export.commit(
                    {}, run=progress.run, also=lambda: move_cursor(profile, targets.last_event, progress.run)
                )
            else:
                deliver(True)
                watermark = outcome.watermark or since
                if watermark is None:
                    watermark = max((stamp for stamp in previous.values() if stamp), default=None)
                export.commit({job: watermark for job in pass_jobs} if watermark else {}, run=progress.run)
        finally:
            export.close()
    return {
        "files": [str(path.relative_to(folder)) for path in written],
        "counts": outcome.counts,
        "watermarks": {job: watermark.isoformat() for job in pass_jobs} if watermark else {},
        "mode": mode if targets is not None else ("differential" if since else "full"),
        "progress_estimated": estimated,
    }


def check_documents(folder: Path, progress, *, delivering: bool) -> None:
    """Every XML document of the archive against SFCC's schemas, before anything is sent."""
    try:
        problems = check_folder(folder, Path(settings.SFCC_XSD_DIR))
    except SchemasMissing as exc:
        if delivering:
            raise InvalidDocuments(f"The archive could not be checked before upload: {exc}") from None
        progress.warning(f"The archive was not checked against SFCC's schemas: {exc}")
        return
    if problems:
        listed = "; ".join(str(problem) for problem in problems[:5])
        more = f" (and {len(problems) - 5} more files)" if len(problems) > 5 else ""
        documents = f"{len(problems)} documents fail" if len(problems) != 1 else "A document fails"
        raise InvalidDocuments(f"{documents} SFCC's schemas, so nothing was sent: {listed}{more}.")
    progress.info("Every document of the archive is valid against SFCC's schemas.")


def pack_archive(profile: ExportProfile, job: str, folder: Path, progress):
    """The completed folder zipped into parts under the profile's limit, recorded in its history."""
    limit = profile.archive_max_bytes
    parts = pack_parts(
        folder, limit, catalog_order=(profile.master_catalog_id, profile.storefront_catalog_id)
    )
    if len(parts) > 1:
        progress.info(
            f"The archive is larger than {limit / MB:g} MB: it goes in {len(parts)} parts, "
            "imported in order (" + ", ".join(f"{part.name} {part.size / MB:.1f} MB" for part in parts) + ")."
        )
    return record_archive(profile, progress.run, job, folder, parts), parts


def wants_delivery(profile: ExportProfile, requested: bool | None) -> bool:
    return profile.delivery_target == DeliveryTarget.INSTANCE if requested is None else requested


def run_jobs(
    profile: ExportProfile,
    job: str,
    mode: str,
    progress,
    *,
    output: str | None,
    deliver: bool,
    result: dict | None = None,
    targets: EventTargets | None = None,
) -> dict:
    """Write the job's files into a new archive folder, zip it, deliver it; returns the run result,
    filled in ``result`` as it goes so that a failure still shows what was done."""
    jobs = jobs_of(job, profile)
    folder = archive_folder(profile, progress.run.pk, output)
    result = {} if result is None else result
    result.update({"job": job, "folder": str(folder), "files": [], "counts": {}, "attributes": 0})
    if "record-grouping" in jobs and not profile.reference_entities:
        progress.info("Record grouping: the profile names no reference entity.")
    if "attributes" in jobs or ("record-grouping" in jobs and profile.reference_entities):
        metadata = export_metadata(profile, jobs, folder)
        result["files"] += metadata["files"]
        result["attributes"] = metadata["attributes"]
        result["counts"]["record_attributes"] = metadata["record_attributes"]
        progress.count("attributes", metadata["attributes"])
    if "entities" in jobs and not profile.reference_entities:
        progress.info("Entities: the profile names no reference entity.")
    elif "entities" in jobs and not profile.content_library_id:
        progress.warning("Entities: set the profile's library id (or site id) to export reference entities.")
    elif "entities" in jobs:
        entities = export_entities(profile, folder)
        result["files"] += entities["files"]
        result["counts"]["content_assets"] = entities["content_assets"]
        progress.count("content_assets", entities["content_assets"])
        for code in entities["missing_entities"]:
            progress.warning(f"Reference entity '{code}' is not in the mirror: synchronise the structure.")

    def finish(send: bool = True) -> None:
        if not send:
            shutil.rmtree(folder, ignore_errors=True)
            result["folder"] = ""
            return
        check_documents(folder, progress, delivering=deliver)
        final = complete_folder(folder)
        result["folder"] = str(final)
        archive, parts = pack_archive(profile, job, final, progress)
        result["archive"] = str(parts[0].path)
        result["archives"] = [str(part.path) for part in parts]
        result["site_archive"] = archive.pk
        if deliver:
            delivered(profile, archive, progress, result)

    if any(name in jobs for name in PASS_JOBS):
        catalogs = export_catalogs(profile, jobs, folder, mode, progress, finish, targets)
        result["files"] += catalogs["files"]
        result["counts"].update(catalogs["counts"])
        result.update(
            watermarks=catalogs["watermarks"],
            mode=catalogs["mode"],
            progress_estimated=catalogs["progress_estimated"],
        )
    else:
        finish()
    return result


def delivered(profile: ExportProfile, archive, progress, result: dict, *, resume: bool = True) -> None:
    """Deliver the archive's parts; the run's result says what each part did, failed or not."""
    try:
        outcome = deliver_archive(profile, archive, progress, resume=resume)
    except Exception as exc:
        outcome = getattr(exc, "outcome", None)
        if outcome is not None:
            result["delivery"] = outcome.as_dict()
        raise
    result["delivery"] = outcome.as_dict()
