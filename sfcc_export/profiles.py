"""Create or update export profiles from plain values (sfcc_profile, scripted set-ups)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from connector.connections import find_connection
from connector.models import Attribute

from .models import ExportProfile

# Applied to a new profile for the PIM attributes that exist; SFCC's own fields beat custom ones.
USUAL_SYSTEM_MAPPING = {
    "name": "name",
    "short_description": "short-description",
    "description": "long-description",
    "ean": "ean",
    "upc": "upc",
    "brand": "brand",
    "manufacturer_name": "manufacturer-name",
    "manufacturer_sku": "manufacturer-sku",
}


def parse_locale_mapping(text: str) -> dict[str, str]:
    """``fr_FR=fr-FR,en_US=x-default`` → ``{"fr_FR": "fr-FR", "en_US": "x-default"}``."""
    return parse_pairs(text, "PIM_LOCALE=SFCC_LOCALE")


def parse_pairs(text: str, shape: str) -> dict[str, str]:
    mapping = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        pim, sep, sfcc = pair.partition("=")
        if not sep or not pim.strip() or not sfcc.strip():
            raise ValidationError(f"'{pair}' is not {shape}.")
        mapping[pim.strip()] = sfcc.strip()
    return mapping


def default_price_attribute(connection) -> str:
    """The usual "price" when the PIM has it, else its first price collection, else none."""
    codes = list(
        Attribute.objects.live()
        .filter(connection=connection, type="pim_catalog_price_collection")
        .order_by("code")
        .values_list("code", flat=True)
    )
    if "price" in codes:
        return "price"
    return codes[0] if codes else ""


@transaction.atomic
def save_profile(name: str, *, connection_name: str | None = None, **values) -> tuple[ExportProfile, bool]:
    profile = ExportProfile.objects.select_for_update().filter(name=name).first()
    created = profile is None
    if created:
        if not connection_name:
            raise ValidationError("A new profile needs a connection.")
        profile = ExportProfile(name=name, locale_mapping={"en_US": "x-default"})
    if connection_name:
        profile.connection = find_connection(connection_name)
    if created and values.get("attribute_mapping") is None:
        present = set(
            Attribute.objects.live()
            .filter(connection=profile.connection, code__in=USUAL_SYSTEM_MAPPING)
            .values_list("code", flat=True)
        )
        profile.attribute_mapping = {
            code: name for code, name in USUAL_SYSTEM_MAPPING.items() if code in present
        }
    if created and values.get("price_attribute") is None:
        profile.price_attribute = default_price_attribute(profile.connection)
    for field, value in values.items():
        if value is not None:
            setattr(profile, field, value)
    profile.full_clean()
    profile.save()
    return profile, created
