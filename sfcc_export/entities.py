"""The `entities` job: reference entities and their records → content assets in an SFCC library.

Each configured entity is a folder `akeneo_entity_<entity>`; each record a content asset
`akeneo_<entity>_<record>` with its localized label as display name and its other values as a
localized HTML `body`. Read from the mirror: the structure sync keeps the records.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from pathlib import Path

from connector.models import ReferenceEntity, ReferenceEntityAttribute, ReferenceEntityRecord

from .attributes import localized
from .models import ExportProfile
from .writers.library import ContentRecord, FolderRecord, write_library


def folder_id(entity: str) -> str:
    return f"akeneo_entity_{entity}"


def content_id(entity: str, record: str) -> str:
    return f"akeneo_{entity}_{record}"


def record_labels(record: ReferenceEntityRecord) -> dict[str, str]:
    """PIM locale → label: the record's labels, else its `label` values (where the API keeps them)."""
    if record.labels:
        return record.labels
    entries = ((record.raw or {}).get("values") or {}).get("label") or []
    return {
        entry["locale"]: str(entry["data"]) for entry in entries if entry.get("locale") and entry.get("data")
    }


def _text(data) -> str:
    if isinstance(data, list):
        return ", ".join(str(item) for item in data)
    if isinstance(data, dict):
        return (
            str(data.get("amount", ""))
            if "amount" in data
            else ", ".join(f"{k}: {v}" for k, v in data.items())
        )
    return str(data)


def record_body(
    values: dict, labels: dict[str, dict[str, str]], locales: dict[str, str], channel: str
) -> dict:
    """SFCC locale → a definition list of the record's values (label: value) in that locale."""
    body: dict[str, list[str]] = {}
    for code, entries in (values or {}).items():
        if code == "label":
            continue
        for entry in entries:
            if entry.get("channel") not in (None, channel) or entry.get("data") in (None, "", []):
                continue
            pim_locale = entry.get("locale")
            targets = (
                [locales[pim_locale]] if pim_locale in locales else ([] if pim_locale else locales.values())
            )
            for pim, sfcc in locales.items():
                if sfcc not in targets:
                    continue
                label = (labels.get(code) or {}).get(pim) or code
                body.setdefault(sfcc, []).append(
                    f"<dt>{escape(label)}</dt><dd>{escape(_text(entry['data']))}</dd>"
                )
    return {locale: "<dl>" + "".join(items) + "</dl>" for locale, items in body.items()}


def export_entities(profile: ExportProfile, folder: Path) -> dict:
    library_id = profile.content_library_id
    target = folder / "libraries" / library_id / "library.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    connection, locales = profile.connection, profile.locale_mapping
    codes = list(profile.reference_entities)
    entities = {
        e.code: e for e in ReferenceEntity.objects.live().filter(connection=connection, code__in=codes)
    }
    missing = sorted(set(codes) - set(entities))
    labels: dict[str, dict[str, dict[str, str]]] = {}
    for attribute in ReferenceEntityAttribute.objects.live().filter(
        connection=connection, entity_code__in=codes
    ):
        labels.setdefault(attribute.entity_code, {})[attribute.code] = attribute.labels

    folders = [
        FolderRecord(folder_id(code), localized(entities[code].labels, locales) or {"x-default": code})
        for code in codes
        if code in entities
    ]

    def contents() -> Iterator[ContentRecord]:
        for record in (
            ReferenceEntityRecord.objects.live()
            .filter(connection=connection, entity_code__in=list(entities))
            .order_by("entity_code", "code")
            .iterator(chunk_size=500)
        ):
            yield ContentRecord(
                content_id=content_id(record.entity_code, record.code),
                folder_id=folder_id(record.entity_code),
                display_name=localized(record_labels(record), locales) or {"x-default": record.code},
                body=record_body(
                    (record.raw or {}).get("values") or {},
                    labels.get(record.entity_code, {}),
                    locales,
                    profile.channel,
                ),
            )

    with target.open("wb") as out:
        count = write_library(out, library_id, folders, contents())
    return {"files": [str(target.relative_to(folder))], "content_assets": count, "missing_entities": missing}
