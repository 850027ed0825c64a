"""SFCC export runs: files laid out as a site archive, then zipped."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .attributes import custom_attributes
from .models import ExportProfile
from .writers.metadata import write_product_attributes

JOBS = ("attributes",)


def output_root(profile: ExportProfile, override: str | None = None) -> Path:
    return Path(override or profile.output_dir or Path(settings.EXPORT_ROOT) / profile.name)


def archive_folder(profile: ExportProfile, run_id: int, override: str | None = None) -> Path:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    folder = output_root(profile, override) / f"{stamp}-run{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_attributes(profile: ExportProfile, folder: Path) -> dict:
    target = folder / "meta" / "system-objecttype-extensions.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        count = write_product_attributes(
            out, custom_attributes(profile), profile.attribute_group_id, {"x-default": "Akeneo attributes"}
        )
    return {"files": [str(target.relative_to(folder))], "attributes": count}


def zip_archive(folder: Path) -> Path:
    return Path(shutil.make_archive(str(folder), "zip", root_dir=folder.parent, base_dir=folder.name))
