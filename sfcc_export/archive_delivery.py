"""A site archive's parts delivered one after the other, recorded part by part, resumed by a rerun.

SFCC has no rollback: a part it imported stays imported. So each part's outcome is written as soon
as it is known, the delivery stops at the first part that fails, and the next delivery of the same
profile and job skips the parts the failed one got in, as long as they are the same files (same
digest, same place in the order). What comes after a changed part is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .archive_parts import ArchivePart as PackedPart
from .delivery import ImportResult, SfccClient, SfccError
from .models import ArchivePart, ExportProfile, SiteArchive

MB = 1_000_000
LOG_LINES_ON_RUN = 50


class DeliveryRejected(Exception):
    def __init__(self, result: ImportResult, part: ArchivePart | None = None, total: int = 1):
        super().__init__(result.message)
        self.result = result
        self.part = part
        self.total = total

    @property
    def where(self) -> str:
        if self.part is None or self.total == 1:
            return self.result.file_name
        return f"part {self.part.index} of {self.total} ({self.result.file_name})"


@dataclass
class DeliveryOutcome:
    parts: list[dict] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # object type → ids SFCC skipped
    skipped_count: int = 0
    log_lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        last = self.parts[-1] if self.parts else {}
        return {
            **{key: last.get(key) for key in ("execution_id", "exit_status", "message", "file_name", "api")},
            "parts": self.parts,
            "skipped": self.skipped,
            "skipped_count": self.skipped_count,
            "log_lines": self.log_lines,
        }


def sfcc_client(profile: ExportProfile) -> SfccClient:
    return SfccClient(
        profile.instance_url,
        profile.account_manager_url,
        profile.api_client_id,
        profile.api_client_secret,
        ocapi_version=profile.ocapi_version,
        scapi_url=settings.SFCC_SCAPI_URL.format(short_code=profile.scapi_short_code)
        if profile.uses_scapi
        else "",
        tenant_id=profile.scapi_tenant_id if profile.uses_scapi else "",
        max_attempts=settings.SFCC_MAX_RETRIES,
        backoff_initial=settings.SFCC_BACKOFF_SECONDS,
        poll_seconds=settings.SFCC_POLL_SECONDS,
        import_timeout=settings.SFCC_IMPORT_TIMEOUT_SECONDS,
    )


def record_archive(
    profile: ExportProfile, run, job: str, folder: Path, parts: list[PackedPart]
) -> SiteArchive:
    archive = SiteArchive.objects.create(
        profile=profile,
        run=run,
        job=job,
        folder=str(folder),
        size=sum(part.size for part in parts),
        created_at=timezone.now(),
    )
    ArchivePart.objects.bulk_create(
        ArchivePart(
            archive=archive,
            index=part.index,
            file_name=part.name,
            path=str(part.path),
            size=part.size,
            digest=part.digest,
            files=part.files,
        )
        for part in parts
    )
    prune_archives(profile)
    return archive


def prune_archives(profile: ExportProfile) -> int:
    """Keep the newest SFCC_ARCHIVES_KEPT archives of the profile; remove the older ones' files."""
    from .export import output_root

    old = list(
        SiteArchive.objects.filter(profile=profile).order_by("-created_at", "-pk")[
            settings.SFCC_ARCHIVES_KEPT :
        ]
    )
    if not old:
        return 0
    roots = [Path(settings.EXPORT_ROOT).resolve(), output_root(profile).resolve()]
    paths = [
        Path(path) for path in ArchivePart.objects.filter(archive__in=old).values_list("path", flat=True)
    ]
    for path in paths:
        if any(path.resolve().is_relative_to(root) for root in roots):
            path.unlink(missing_ok=True)
    SiteArchive.objects.filter(pk__in=[archive.pk for archive in old]).delete()
    return len(old)


def resume_point(archive: SiteArchive, parts: list[ArchivePart]) -> tuple[int, SiteArchive | None]:
    """How many leading parts an earlier, unfinished delivery already got into SFCC."""
    done_here = 0
    for part in parts:
        if part.status not in ArchivePart.DONE:
            break
        done_here += 1
    if done_here:  # this archive's own delivery stopped part way: go on from there
        return done_here, archive
    previous = (
        SiteArchive.objects.filter(
            profile=archive.profile, job=archive.job, created_at__lte=archive.created_at
        )
        .exclude(pk=archive.pk)
        .exclude(status=SiteArchive.Status.WRITTEN)
        .order_by("-created_at", "-pk")
        .first()
    )
    if previous is None or previous.status not in (SiteArchive.Status.FAILED, SiteArchive.Status.DELIVERING):
        return 0, None
    imported = []
    for part in previous.parts.order_by("index"):
        if part.status not in ArchivePart.DONE:
            break
        imported.append(part.digest)
    same = 0
    for digest, part in zip(imported, parts, strict=False):
        if digest != part.digest:
            break
        same += 1
    return same, previous if same else None


def _part_dict(part: ArchivePart) -> dict:
    return {
        "index": part.index,
        "file_name": part.file_name,
        "size": part.size,
        "status": part.status,
        "api": part.api,
        "execution_id": part.execution_id or None,
        "exit_status": part.exit_status or None,
        "message": part.message,
        "skipped_count": (part.log or {}).get("error_count", 0),
    }


def deliver_archive(
    profile: ExportProfile, archive: SiteArchive, progress, *, resume: bool = True
) -> DeliveryOutcome:
    """Upload and import every part in order; raises DeliveryRejected or SfccError at the first
    part that does not get in, after recording it."""
    parts = list(archive.parts.order_by("index"))
    total = len(parts)
    outcome = DeliveryOutcome()
    skip, earlier = resume_point(archive, parts) if resume else (0, None)
    archive.status = SiteArchive.Status.DELIVERING
    archive.message = ""
    archive.save(update_fields=["status", "message"])
    if skip and earlier is not None and earlier.pk != archive.pk:
        progress.info(
            f"Parts 1 to {skip} of {total} are the ones run #{earlier.run_id} got into SFCC before it "
            "stopped: they are not sent again."
        )
    with sfcc_client(profile) as client:
        for part in parts:
            if part.index <= skip:
                if part.status not in ArchivePart.DONE:
                    part.status = ArchivePart.Status.ALREADY
                    part.message = f"Imported by run #{earlier.run_id}." if earlier else part.message
                    part.save(update_fields=["status", "message"])
                outcome.parts.append(_part_dict(part))
                continue
            progress.checkpoint()
            try:
                _deliver_part(client, profile, part, total, progress, outcome)
            except DeliveryRejected as exc:
                exc.total = total
                _failed(archive, f"SFCC rejected {exc.where}: {exc.result.message}")
                outcome.parts.append(_part_dict(part))
                exc.outcome = outcome
                raise
            except SfccError as exc:
                part.status = ArchivePart.Status.FAILED
                part.message = exc.message
                part.save(update_fields=["status", "message"])
                outcome.parts.append(_part_dict(part))
                where = part.file_name if total == 1 else f"part {part.index} of {total} ({part.file_name})"
                _failed(archive, f"{where}: {exc.message}")
                exc.outcome = outcome
                exc.message = f"{where}: {exc.message}" if total > 1 else exc.message
                raise
            outcome.parts.append(_part_dict(part))
    archive.status = SiteArchive.Status.WARNINGS if outcome.skipped_count else SiteArchive.Status.DELIVERED
    archive.delivered_at = timezone.now()
    archive.message = skipped_text(outcome) if outcome.skipped_count else ""
    archive.save(update_fields=["status", "delivered_at", "message"])
    return outcome


def _failed(archive: SiteArchive, message: str) -> None:
    archive.status = SiteArchive.Status.FAILED
    archive.message = message[:5000]
    archive.save(update_fields=["status", "message"])


def _deliver_part(
    client: SfccClient,
    profile: ExportProfile,
    part: ArchivePart,
    total: int,
    progress,
    outcome: DeliveryOutcome,
) -> None:
    label = part.file_name if total == 1 else f"Part {part.index} of {total} ({part.file_name})"
    progress.info(f"{label}: uploading {part.size / MB:.1f} MB to {profile.instance_url}.")
    client.upload(Path(part.path))
    execution = client.start_import(part.file_name)
    if execution.scapi_refusal:
        progress.warning(f"SCAPI refused the job start, so OCAPI ran it: {execution.scapi_refusal}")
    result = client.wait_for_import(execution)
    part.api = result.api
    part.execution_id = result.execution_id
    part.exit_status = result.exit_code
    part.message = result.message[:5000]
    part.delivered_at = timezone.now()
    part.log = _read_log(client, result, progress)
    if not result.ok:
        part.status = ArchivePart.Status.REJECTED
        part.save()
        raise DeliveryRejected(result, part, total)
    skipped = part.log.get("skipped") or {}
    part.status = ArchivePart.Status.WARNINGS if part.log.get("error_count") else ArchivePart.Status.IMPORTED
    part.save()
    via = "SCAPI" if result.api == "scapi" else "OCAPI"
    progress.info(
        f"{label}: SFCC imported it through {via}: {result.exit_code} {result.message} "
        f"(execution {result.execution_id})."
    )
    if part.log.get("error_count"):
        outcome.skipped_count += part.log["error_count"]
        for kind, ids in skipped.items():
            outcome.skipped.setdefault(kind, []).extend(
                i for i in ids if i not in outcome.skipped.get(kind, [])
            )
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(part.log.get("errors", {}).items()))
        progress.warning(
            f"{label}: the import ended OK but its log names {part.log['error_count']} errors ({counts})."
        )
        room = LOG_LINES_ON_RUN - len(outcome.log_lines)
        for line in part.log.get("lines", [])[: max(room, 0)]:
            outcome.log_lines.append(line)
            progress.warning(f"SFCC job log: {line}")


def _read_log(client: SfccClient, result: ImportResult, progress) -> dict:
    if not result.log_file_path:
        return {}
    try:
        text, cut = client.read_job_log(result.log_file_path, settings.SFCC_JOB_LOG_MAX_BYTES)
    except SfccError as exc:
        progress.warning(f"The job log of execution {result.execution_id} could not be read: {exc.message}")
        return {}
    from .job_log import parse_job_log

    summary = parse_job_log(text, max_lines=LOG_LINES_ON_RUN).as_dict()
    summary["path"] = result.log_file_path
    if cut:
        summary["cut_at_bytes"] = settings.SFCC_JOB_LOG_MAX_BYTES
        progress.warning(
            f"The job log of execution {result.execution_id} is larger than "
            f"{settings.SFCC_JOB_LOG_MAX_BYTES / MB:.0f} MB: only its beginning was read."
        )
    return summary


def skipped_text(outcome: DeliveryOutcome) -> str:
    kinds = ", ".join(
        f"{len(ids)} {kind}{'s' if len(ids) != 1 else ''} ({', '.join(ids[:10])}{', ...' * (len(ids) > 10)})"
        for kind, ids in sorted(outcome.skipped.items())
    )
    return f"OK with {outcome.skipped_count} skipped elements: {kinds or 'see the job log'}."
