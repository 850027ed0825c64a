"""An export profile on a synced sandbox connection, for the SFCC export tests."""

from __future__ import annotations

from pathlib import Path

from connector.models import AkeneoConnection, RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo
from connector.tasks import STRUCTURE_SYNC
from sfcc_export.models import ExportProfile

LOCALES = {"en_US": "x-default", "fr_FR": "fr-FR", "de_DE": "de-DE"}
# What a profile needs beyond make_profile's for the site archive to hold every kind of document:
# a library (brand records as content assets), a site (refinements) and packed images.
EVERY_DOCUMENT = {
    "reference_entities": ["brand"],
    "site_id": "RefArch",
    "image_view_types": {"large": ["main_image"]},
}


def make_profile(pim: FakeAkeneo, output: Path, **overrides) -> ExportProfile:
    connection = AkeneoConnection.objects.create(
        name="sandbox", base_url=pim.base_url, max_requests_per_second=1000, **SANDBOX_CREDENTIALS
    )
    assert start_run(STRUCTURE_SYNC, connection, inline=True).status == RunStatus.DONE
    values = {
        "name": "shop",
        "connection": connection,
        "channel": "ecommerce",
        "master_catalog_id": "akeneo-master",
        "storefront_catalog_id": "akeneo-storefront",
        "locale_mapping": LOCALES,
        "attribute_mapping": {
            "name": "name",
            "ean": "ean",
            "description": "long-description",
            "brand": "brand",
        },
        "output_dir": str(output),
    }
    return ExportProfile.objects.create(**{**values, **overrides})


def make_instance_profile(pim: FakeAkeneo, output: Path, sfcc, **overrides) -> ExportProfile:
    """A profile that delivers to the fake SFCC ``sfcc`` (tests/fake_sfcc.py) with its API client."""
    delivery = {
        "delivery_target": "instance",
        "instance_url": sfcc.instance_url,
        "account_manager_url": sfcc.account_manager_url,
        "api_client_id": sfcc.client_id,
        "api_client_secret": sfcc.client_secret,
    }
    return make_profile(pim, output, **{**delivery, **overrides})
