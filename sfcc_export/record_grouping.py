"""The `record-grouping` job: the records of the configured reference entities as an SFCC attribute group.

One enum-of-string product attribute per entity (`akeneo_<entity>Records`), whose values are the
entity's records with their localized labels, all in the profile's record attribute group.
"""

from __future__ import annotations

from collections.abc import Iterator

from connector.models import ReferenceEntity, ReferenceEntityRecord

from .attributes import custom_attribute_id, localized
from .entities import record_labels
from .models import ExportProfile
from .writers.metadata import AttributeDefinition, GroupDefinition, ValueDefinition


def records_attribute_id(entity: str) -> str:
    return custom_attribute_id(entity) + "Records"


def record_group(profile: ExportProfile) -> GroupDefinition:
    return GroupDefinition(
        group_id=profile.record_group_id,
        display_name={"x-default": "Akeneo reference entity records"},
        attributes=_definitions(profile),
    )


def _definitions(profile: ExportProfile) -> Iterator[AttributeDefinition]:
    connection, locales = profile.connection, profile.locale_mapping
    entities = ReferenceEntity.objects.live().filter(
        connection=connection, code__in=profile.reference_entities
    )
    records: dict[str, list[ValueDefinition]] = {}
    for record in (
        ReferenceEntityRecord.objects.live()
        .filter(connection=connection, entity_code__in=profile.reference_entities)
        .order_by("entity_code", "code")
        .only("entity_code", "code", "labels", "raw")
    ):
        records.setdefault(record.entity_code, []).append(
            ValueDefinition(
                record.code, localized(record_labels(record), locales) or {"x-default": record.code}
            )
        )
    for entity in entities.order_by("code"):
        yield AttributeDefinition(
            attribute_id=records_attribute_id(entity.code),
            type="enum-of-string",
            display_name=localized(entity.labels, locales) or {"x-default": entity.code},
            values=tuple(records.get(entity.code, [])),
        )
