"""A profile's site archive history as the admin shows it: newest first, parts with their links."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.urls import reverse

from connector.run_views import size_text, when_text

from .models import ArchivePart, ExportProfile, SiteArchive


@dataclass
class PartLine:
    part: ArchivePart
    url: str

    @property
    def size_text(self) -> str:
        return size_text(self.part.size)


@dataclass
class ArchiveLine:
    archive: SiteArchive
    parts: list[PartLine] = field(default_factory=list)

    @property
    def created_text(self) -> str:
        return when_text(self.archive.created_at)

    @property
    def size_text(self) -> str:
        return size_text(self.archive.size)

    @property
    def can_deliver_again(self) -> bool:
        return bool(self.parts) and self.archive.status != SiteArchive.Status.DELIVERING


def archive_history(profile: ExportProfile, site: str = "admin") -> list[ArchiveLine]:
    archives = SiteArchive.objects.filter(profile=profile).prefetch_related(
        Prefetch("parts", queryset=ArchivePart.objects.order_by("index"))
    )
    lines = []
    for archive in archives:
        lines.append(
            ArchiveLine(
                archive,
                [
                    PartLine(
                        part,
                        reverse(f"{site}:connector_run_archive", args=[archive.run_id, part.file_name])
                        if archive.run_id
                        else "",
                    )
                    for part in archive.parts.all()
                ],
            )
        )
    return lines
