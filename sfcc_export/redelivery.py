"""Deliver again: an archive from a profile's history sent to SFCC once more, without exporting."""

from __future__ import annotations

from pathlib import Path

from connector.runs import RunContext, RunFailed

from .export import delivered
from .models import ArchivePart, ExportProfile, SiteArchive

LEDGER_UNCHANGED = "what the profile records as exported is unchanged"


def redeliver(profile: ExportProfile, context: RunContext) -> None:
    from .tasks import delivery_failures, finish_delivery

    archive = SiteArchive.objects.filter(pk=context.params["redeliver"], profile=profile).first()
    if archive is None:
        raise RunFailed("That archive is no longer in the profile's history (only the newest are kept).")
    if not profile.can_deliver:
        raise RunFailed("Delivery needs the profile's SFCC instance URL, API client id and secret.")
    parts = list(archive.parts.order_by("index"))
    missing = [part.file_name for part in parts if not Path(part.path).is_file()]
    if missing or not parts:
        raise RunFailed(f"The archive's files are gone from the server: {', '.join(missing) or 'no parts'}.")
    # A delivery that stopped part way goes on from where it stopped; a finished one is sent whole.
    resume = archive.status in (SiteArchive.Status.FAILED, SiteArchive.Status.DELIVERING)
    if not resume:
        ArchivePart.objects.filter(archive=archive).update(status=ArchivePart.Status.PENDING)
    context.info(
        f"Delivering again the archive of {archive.created_at:%Y-%m-%d %H:%M} UTC "
        f"({len(parts)} part{'s' if len(parts) != 1 else ''})"
        + (", from the first part not imported yet." if resume else ".")
    )
    result: dict = {
        "job": archive.job,
        "redelivered": archive.pk,
        "folder": archive.folder,
        "archive": parts[0].path,
        "archives": [part.path for part in parts],
        "files": [],
        "counts": {},
    }
    with delivery_failures(context, result, recorded=LEDGER_UNCHANGED):
        delivered(profile, archive, context, result, resume=resume)
    finish_delivery(profile, context, result)
