"""SFCC `attributes` job: custom attribute metadata from the mirror, valid against metadata.xsd."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from connector.models import AkeneoConnection, RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.tasks import STRUCTURE_SYNC
from sfcc_export.attributes import custom_attribute_id
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_profile
from tests.sfcc_xsd import SAFE_PARSER, assert_archive_valid, assert_valid, require_xsds

pytestmark = pytest.mark.django_db
NS = {"m": "http://www.demandware.com/xml/impex/metadata/2006-10-31"}


@pytest.fixture
def profile(fake_akeneo, tmp_path):
    require_xsds()
    return make_profile(fake_akeneo, tmp_path / "exports", attribute_mapping={"name": "name", "ean": "ean"})


def test_custom_attribute_ids_are_camel_case():
    assert custom_attribute_id("short_description") == "akeneo_shortDescription"
    assert custom_attribute_id("ean") == "akeneo_ean"


def test_the_attributes_job_writes_valid_metadata_with_types_options_and_names(profile, fake_akeneo):
    run = start_run(EXPORT, profile, params={"job": "attributes"}, inline=True)

    assert run.status == RunStatus.DONE, run.error
    archive = Path(run.result["archive"])
    assert assert_archive_valid(archive) == 1
    with zipfile.ZipFile(archive) as bundle:
        [name] = [n for n in bundle.namelist() if n.endswith("system-objecttype-extensions.xml")]
        data = bundle.read(name)
    assert_valid(data)
    root = etree.fromstring(data, SAFE_PARSER)
    definitions = {d.get("attribute-id"): d for d in root.iterfind(".//m:attribute-definition", NS)}
    assert "akeneo_name" not in definitions and "akeneo_ean" not in definitions  # mapped to system attributes
    assert "akeneo_sku" not in definitions and "akeneo_price" not in definitions
    assert definitions["akeneo_color"].findtext("m:type", namespaces=NS) == "enum-of-string"
    color_values = [
        v.findtext("m:value", namespaces=NS)
        for v in definitions["akeneo_color"].iterfind(".//m:value-definition", NS)
    ]
    assert color_values == list(fake_akeneo.catalog.options["color"])
    assert definitions["akeneo_features"].findtext("m:type", namespaces=NS) == "set-of-string"
    assert definitions["akeneo_warrantyYears"].findtext("m:type", namespaces=NS) == "int"
    assert definitions["akeneo_isNew"].findtext("m:type", namespaces=NS) == "boolean"
    assert definitions["akeneo_description"].findtext("m:type", namespaces=NS) == "html"
    names = {
        e.get("{http://www.w3.org/XML/1998/namespace}lang"): e.text
        for e in definitions["akeneo_weight"].iterfind("m:display-name", NS)
    }
    assert set(names) == {"x-default", "fr-FR", "de-DE"}
    group = root.find(".//m:attribute-group", NS)
    assert group.get("group-id") == "AkeneoAttributes"
    assert len(group.findall("m:attribute", NS)) == len(definitions)
    assert run.counters["attributes"] == run.result["attributes"] == len(definitions)


def test_an_unknown_job_fails_the_run_with_the_known_ones(profile):
    run = start_run(EXPORT, profile, params={"job": "pricing"}, inline=True)
    assert run.status == RunStatus.FAILED
    assert "Unknown export job 'pricing' (known: attributes, assets, pricebook, master" in run.error


def test_the_commands_create_a_profile_and_export(fake_akeneo, tmp_path):
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    require_xsds()
    connection = AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, max_requests_per_second=1000, **SANDBOX_CREDENTIALS
    )
    start_run(STRUCTURE_SYNC, connection, inline=True)
    out = StringIO()
    call_command(
        "sfcc_profile",
        "--name",
        "shop",
        "--connection",
        "sandbox",
        "--channel",
        "ecommerce",
        "--master-catalog",
        "m",
        "--storefront-catalog",
        "s",
        "--locales",
        "en_US=x-default,fr_FR=fr-FR",
        "--output",
        str(tmp_path),
        stdout=out,
    )
    assert out.getvalue().startswith("Created export profile 'shop'")
    with pytest.raises(CommandError, match="Exactly one PIM locale must be mapped to x-default"):
        call_command("sfcc_profile", "--name", "shop", "--locales", "en_US=en-US", stdout=StringIO())

    out = StringIO()
    call_command("sfcc_export", "--profile", "shop", "--job", "attributes", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["status"] == "done"
    assert report["files"] == ["meta/system-objecttype-extensions.xml"]
    assert_archive_valid(Path(report["archive"]))
