"""Readable everywhere: attribute types, values, labels and PIM objects in words on the pages people read.

Formatters are checked on their own and through a synced sandbox mirror; pages are rendered by the
admin itself and read as a person does (visible text, not the HTML's attributes).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin as django_admin
from django.urls import reverse

from connector import models as mirror
from connector.labels import (
    attribute_type_label,
    entity_attribute_type_label,
    label_with_code,
    number_text,
    pim_data_rows,
    sdm_type_label,
    table_column_type_label,
    words,
)
from connector.sandbox import FakeAkeneo, add_table_attribute
from connector.sandbox.structure import ATTRIBUTE_DEFS, TABLE_DATA_TYPES, TABLE_TYPE
from sdm.admin_derived import tree_lines
from sdm.derive import SDM_TYPES
from sdm.jobs import import_supplier_file
from sdm.models import DisplayGroup, Hierarchy, SdmAttribute
from sdm.value_display import ValueFormatter, date_text, media_name, money, plain_text
from tests.paths import ROOT
from tests.sdm.test_sdm_push import new_row, write_csv
from tests.sdm_helpers import make_workflow, sync_workflow

SAMPLE = ROOT / "sdm" / "samples" / "supplier-demo.csv"
PYTHON_DATA = re.compile(r"\{'|\[\{|\{\"|'amount'|'unit'|\bTrue\b|\bFalse\b|\bNone\b")


BLOCKS = {"p", "div", "td", "th", "tr", "li", "br", "h1", "h2", "h3", "label", "option", "table"}


class _VisibleText(HTMLParser):
    """What a person reads on a page: text outside scripts and styles, attributes left out."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self._hidden += 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def page(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


# ----------------------------------------------------------------------------- words (units)
def test_every_type_we_know_has_words_and_an_unknown_type_stays_its_code(sandbox_catalog_factory):
    catalog = sandbox_catalog_factory(products=1)
    product_types = {a["type"] for a in ATTRIBUTE_DEFS} | {TABLE_TYPE, "pim_catalog_product_link"}
    entity_types = {
        a["type"]
        for attributes in (
            *catalog.reference_entity_attributes.values(),
            *catalog.asset_family_attributes.values(),
        )
        for a in attributes
    }

    assert all(attribute_type_label(t) != t for t in product_types)
    assert all(entity_attribute_type_label(t) != t for t in entity_types)
    assert all(table_column_type_label(t) != t for t in TABLE_DATA_TYPES)
    assert all(sdm_type_label(t) != t for t in set(SDM_TYPES.values()) | {"text"})
    assert attribute_type_label("pim_catalog_simpleselect") == "Simple select"
    assert attribute_type_label("pim_catalog_boolean") == "Yes/No"
    assert attribute_type_label("akeneo_reference_entity_collection") == "Reference entity (multiple links)"
    assert attribute_type_label("pim_catalog_product_link") == "Product link"
    assert attribute_type_label("pim_catalog_hologram") == "pim_catalog_hologram"


def test_small_formatters():
    assert [number_text(v) for v in ("0.90", "12.0000", 100, "1E+2", "-0.0", "n/a")] == [
        "0.9",
        "12",
        "100",
        "100",
        "0",
        "n/a",
    ]
    assert [money(v) for v in ("12.5", "14", "0.125", 3)] == ["12.50", "14.00", "0.125", "3.00"]
    assert date_text("2026-03-01T00:00:00+00:00") == "March 1, 2026"
    assert date_text("someday") == "someday"
    assert media_name("8/b/5/c/8b5cf9bfd2e7e4725fd581e03251133ada1b2c99_jacket.jpg") == "jacket.jpg"
    assert plain_text("<p>A <b>sturdy</b>\n bag</p>") == "A sturdy bag"
    assert (label_with_code("Red", "red"), label_with_code("38", "size_38"), label_with_code("", "x")) == (
        "Red",
        "38 (size_38)",
        "x",
    )
    assert (words("CUBIC_METER"), words("attribute_as_label")) == ("cubic meter", "attribute as label")


def test_pim_data_becomes_key_value_rows():
    raw = {
        "code": "tshirt",
        "labels": {"en_US": "T-shirt"},
        "attribute_requirements": {"ecommerce": ["sku", "name"]},
        "variant_attribute_sets": [{"level": 1, "axes": ["color"]}],
        "unique": True,
        "max_characters": None,
        "allowed_extensions": [],
    }

    assert pim_data_rows(raw) == [
        ("Code", "tshirt"),
        ("Labels › en_US", "T-shirt"),
        ("Attribute requirements › ecommerce", "sku, name"),
        ("Variant attribute sets › 1 › level", "1"),
        ("Variant attribute sets › 1 › axes", "color"),
        ("Unique", "Yes"),
        ("Max characters", "—"),
        ("Allowed extensions", "—"),
    ]


def test_a_hierarchy_tree_puts_each_node_under_its_parent():
    nodes = [
        {"code": "master", "parent": None, "labels": {"en_US": "Master"}},
        {"code": "men", "parent": "clothing", "labels": {}},
        {"code": "clothing", "parent": "master", "labels": {"en_US": "Clothing"}},
        {"code": "stray", "parent": "gone", "labels": {"en_US": "Stray"}},  # its parent left the list
        {"code": "loop", "parent": "loop", "labels": {}},  # edited by hand into a cycle
    ]

    assert tree_lines(nodes) == [
        (0, "master", "Master"),
        (1, "clothing", "Clothing"),
        (2, "men", "men"),
        (0, "stray", "Stray"),
    ]


# ----------------------------------------------------------------- values, through the mirror
@pytest.fixture
def table_pim(sandbox_catalog_factory):
    catalog = sandbox_catalog_factory(products=20)
    add_table_attribute(catalog)
    with FakeAkeneo(catalog) as pim:
        yield pim


@pytest.mark.django_db
def test_values_are_written_as_a_person_writes_them(table_pim, django_assert_max_num_queries):
    workflow = make_workflow(table_pim)
    assert sync_workflow(workflow).status == "done"
    values = [
        ("weight", {"amount": "0.90", "unit": "KILOGRAM"}),
        ("weight", {"amount": "12", "unit": "CUBIC_METER"}),  # a unit the mirror does not know
        ("length", {"amount": "1.5000", "unit": "INCH", "symbol": "in"}),
        ("price", [{"amount": "12.5", "currency": "EUR"}, {"amount": "14", "currency": "USD"}]),
        ("is_new", True),
        ("eco_friendly", False),
        ("color", "red"),
        ("size", "size_38"),
        ("color", "teal"),  # planned: the push creates it first
        ("color", "mauve"),  # unknown to the mirror
        ("certifications", ["ce", "fsc"]),
        ("brand", "acme"),
        ("designers", ["ada_moreau", "ben_ito"]),
        ("release_date", "2026-03-01T00:00:00+00:00"),
        ("main_image", "8/b/5/c/8b5cf9bfd2e7e4725fd581e03251133ada1b2c99_jacket.jpg"),
        ("description", "<p>A <strong>sturdy</strong> bag.</p>"),
        ("rating", "4.50"),
        ("packshots", ["packshot_001", "packshot_002"]),
        (
            "nutrition",
            [
                {"nutrient": "sugar", "quantity": "12.50", "note": "low"},
                {"nutrient": "salt", "quantity": 0.3},
                {"nutrient": "fat"},
                {"nutrient": "protein", "quantity": "7"},
            ],
        ),
        ("family", "accessories"),
        ("categories", ["bags", "men"]),
        ("name", None),
        ("no_such_attribute", {"a": 1, "b": [True, None]}),
    ]
    formatter = ValueFormatter(workflow.connection, new_options=[("color", "teal")])

    with django_assert_max_num_queries(7):
        formatter.load(values)
    with django_assert_max_num_queries(0):
        texts = [formatter.text(code, data) for code, data in values]

    assert texts == [
        "0.9 kg",
        "12 cubic meter",
        "1.5 in",
        "12.50 EUR, 14.00 USD",
        "Yes",
        "No",
        "Red",
        "38 (size_38)",
        "teal (new option)",
        "mauve",
        "CE, FSC",
        "Acme",
        "Ada Moreau, Ben Ito",
        "March 1, 2026",
        "jacket.jpg",
        "A sturdy bag.",
        "4.5",
        "packshot_001, packshot_002",
        "4 rows: Sugar: Quantity 12.5, Note low; Salt: Quantity 0.3; Fat; … 1 more row",
        "Accessories",
        "Bags, Men",
        "—",
        "a: 1, b: Yes, —",
    ]


# ---------------------------------------------------------------------------- pages
@pytest.fixture
def workflow(synced_workflow):
    return synced_workflow


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.mark.django_db
def test_the_mirror_attribute_list_names_types_in_words(admin_client, workflow):
    listing = visible(page(admin_client, reverse("admin:connector_attribute_changelist")))
    metric_only = visible(
        page(admin_client, reverse("admin:connector_attribute_changelist"), type="pim_catalog_metric")
    )

    for words_ in ("Simple select", "Measurement", "Reference entity (single link)", "Yes/No", "Text area"):
        assert words_ in listing
    assert "pim_catalog" not in listing and "akeneo_reference" not in listing
    assert "Weight" in metric_only and "Screen size" in metric_only and "Color" not in metric_only


MIRROR_MODELS = [
    model
    for model in django_admin.site._registry
    if model._meta.app_label == "connector" and issubclass(model, mirror.MirrorModel)
]


@pytest.mark.django_db
def test_every_mirror_object_page_is_structured_with_the_pim_data_folded_away(
    admin_client, workflow, django_assert_max_num_queries
):
    shown = 0
    for model in MIRROR_MODELS:
        obj = model.objects.live().order_by("pk").first()
        if obj is None:
            continue
        with django_assert_max_num_queries(20):
            html = page(admin_client, change_url(obj))
        text = visible(html)
        assert "<textarea" not in html, model
        assert re.search(r"<details><summary>\s*<h2[^>]*>PIM data</h2>", html), model
        assert 'class="mirror-table labels-table"' in html, model
        assert not PYTHON_DATA.search(text), (model, PYTHON_DATA.search(text))
        shown += 1
    assert shown >= 14


@pytest.mark.django_db
def test_family_variant_category_attribute_and_unit_pages_say_what_they_hold(admin_client, workflow):
    def text_of(model, code):
        return visible(page(admin_client, change_url(model.objects.get(code=code))))

    family = text_of(mirror.Family, "clothing")
    variant = text_of(mirror.FamilyVariant, "clothing_color_size")
    category = text_of(mirror.Category, "men")
    weight = text_of(mirror.Attribute, "weight")
    ean = text_of(mirror.Attribute, "ean")
    units = text_of(mirror.MeasurementFamily, "Weight")
    record = text_of(mirror.ReferenceEntityRecord, "acme")

    assert "Attribute used as label: Name" in family and "Attribute used as image: Main image" in family
    assert "SKU Identifier Ecommerce, Print" in family  # required per channel, by the channels' labels
    assert "Description Text area Ecommerce" in family
    assert "Color Simple select —" in family
    assert "Clothing by color and size (clothing_color_size)" in family
    assert "1: sub-models Color Color, Main image, Lifestyle image" in variant
    assert "2: variant products Size Size, SKU, EAN, Weight, Price" in variant
    assert "Common attributes (set on the root model): Name, Description, Brand, Material, Season" in variant
    assert "Path: Master catalog › Clothing › Men" in category and "Parent: Clothing" in category
    assert "Type: Measurement" in weight and "Default unit kilogram" in weight
    assert "Decimals allowed Yes" in weight and "Negative values allowed No" in weight
    assert "In families: Accessories, Clothing, Electronics, Furniture, Shoes" in weight
    assert "Validation Matches a pattern: ^[0-9]{13}$" in ean and "Unique value Yes" in ean
    assert "GRAM Gram g × 0.001" in units and "Standard unit: Kilogram" in units
    assert "Labels: Locale Label de_DE Acme en_US Acme fr_FR Acme" in record  # from its label values
    assert "Description fr_FR — À propos de Acme." in record


@pytest.mark.django_db
def test_object_pages_link_to_the_options_and_records_they_count(admin_client, workflow):
    color = page(admin_client, change_url(mirror.Attribute.objects.get(code="color")))
    brand = page(admin_client, change_url(mirror.ReferenceEntity.objects.get(code="brand")))
    options_url = re.search(r'<a href="([^"]+)">6 options</a>', color).group(1).replace("&amp;", "&")
    records_url = re.search(r'<a href="([^"]+)">12 records</a>', brand).group(1).replace("&amp;", "&")

    options = visible(page(admin_client, options_url))
    records = visible(page(admin_client, records_url))

    assert "6 attribute options" in options and "Black" in options and "Cotton" not in options
    assert "12 reference entity records" in records and "Acme" in records and "Ada Moreau" not in records


@pytest.mark.django_db
def test_a_table_attribute_page_lists_its_columns(admin_client, table_pim):
    sync_workflow(make_workflow(table_pim))

    text = visible(page(admin_client, change_url(mirror.Attribute.objects.get(code="nutrition"))))

    assert "Type: Table" in text
    assert "nutrient Nutrient Simple select Sugar, Salt, Fat, Protein" in text
    assert "quantity Quantity Number" in text


@pytest.mark.django_db
def test_the_attribute_tab_and_the_sdm_attribute_list_name_types_in_words(admin_client, workflow):
    tab = visible(page(admin_client, reverse("admin:sdm_workflow_attributes", args=[workflow.pk])))
    listing_html = page(admin_client, reverse("admin:sdm_sdmattribute_changelist"))
    listing = visible(listing_html)

    assert "Simple select" in tab and "Measurement" in tab and "Asset collection" in tab
    assert "pim_catalog" not in tab and "akeneo_reference" not in tab
    assert "Multi select" in listing and "Text area" in listing and "Simple select (unit)" in listing
    assert not re.search(r"\b(multiselect|textarea|asset_collection)\b", listing)
    headers = re.findall(r'<th scope="col"[^>]*class="([^"]*)"', listing_html)
    assert len(headers) == 6, headers  # the checkbox and five columns; the rest is on the object page


@pytest.mark.django_db
def test_derived_labels_are_edited_one_locale_at_a_time_and_stored_as_the_same_dict(admin_client, workflow):
    row = SdmAttribute.objects.get(workflow=workflow, code="color")
    original = dict(row.labels)
    url = change_url(row)
    html = page(admin_client, url)
    form = {
        "workflow": workflow.pk,
        "code": row.code,
        "pim_attribute_code": row.pim_attribute_code,
        "channel": "",
        "locale": "",
        "kind": row.kind,
        "pim_type": row.pim_type,
        "sdm_type": row.sdm_type,
        "display_group": row.display_group,
        "position": row.position,
        **{f"labels[{locale}]": text for locale, text in original.items()},
        "labels[+locale]": "",
        "labels[+label]": "",
    }

    assert "<textarea" not in html
    for locale, text in original.items():
        assert f'name="labels[{locale}]" id="id_labels_{locale}" value="{text}"' in html
    assert '<option value="pim_catalog_simpleselect" selected>Simple select</option>' in html
    assert "6 values, from the PIM" in visible(html) and "black Black" in visible(html)

    assert admin_client.post(url, form).status_code == 302
    row.refresh_from_db()
    assert row.labels == original and not row.edited_by_hand  # an untouched form changes nothing

    edited = {**form, "labels[fr_FR]": "Couleur", "labels[de_DE]": "", "labels[+locale]": "it_IT"}
    edited["labels[+label]"] = "Colore"
    assert admin_client.post(url, edited).status_code == 302
    row.refresh_from_db()
    assert row.labels == {"en_US": original["en_US"], "fr_FR": "Couleur", "it_IT": "Colore"}
    assert row.edited_by_hand

    refused = admin_client.post(url, {**form, "labels[+locale]": "Italian!", "labels[+label]": "Colore"})
    assert refused.status_code == 200
    assert "&#x27;Italian!&#x27; is not a locale code (like en_US)." in refused.content.decode()


@pytest.mark.django_db
def test_hierarchy_nodes_are_an_indented_tree_and_display_groups_have_per_locale_labels(
    admin_client, workflow
):
    hierarchy = page(admin_client, change_url(Hierarchy.objects.get(workflow=workflow, code="categories")))
    group = page(admin_client, change_url(DisplayGroup.objects.get(workflow=workflow, code="marketing")))

    assert "<textarea" not in hierarchy and "<textarea" not in group
    tree = re.findall(r'<li style="padding-left: ([\d.]+)em">([^<]+) <span', hierarchy)
    assert tree[:4] == [("0", "Master catalog"), ("1.5", "Accessories"), ("3", "Bags"), ("3", "Jewelry")]
    assert ("1.5", "Clothing") in tree and ("3", "Men") in tree
    assert 'name="labels[en_US]" id="id_labels_en_US" value="Marketing"' in group


@pytest.mark.django_db
def test_the_preview_shows_values_as_a_person_writes_them(admin_client, workflow, fake_akeneo, tmp_path):
    existing = next(
        p for p in fake_akeneo.catalog.products.values() if p["family"] == "accessories" and not p["parent"]
    )
    before = existing["values"]["weight"][0]["data"]
    rows = [new_row(1), {"sku": existing["identifier"], "weight": "2,5", "weight-unit": "Kilogram"}]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))

    html = page(admin_client, reverse("admin:sdm_supplierjob_preview", args=[job.pk]))
    created = visible(html.split('data-line="1"')[1].split("</tr>")[0])
    updated = visible(html.split('data-line="2"')[1].split("</tr>")[0])

    assert not PYTHON_DATA.search(visible(html))
    assert "Weight: 1.5 g" in created
    assert "Price: 12.50 EUR, 14.00 USD" in created
    assert "New: Yes" in created and "Color: Red" in created
    assert "Release date (ecommerce): March 1, 2026" in created
    assert "Family: Accessories" in created and "Categories: Bags" in created
    assert "Name (en_US): Supplier bag 1" in created
    assert f"Weight: {number_text(before['amount'])} kg → 2.5 kg" in updated


@pytest.mark.django_db
def test_value_mappings_and_job_rows_read_in_words_in_few_columns(
    admin_client, workflow, django_assert_max_num_queries
):
    job = import_supplier_file(workflow, SAMPLE)
    listing_url = reverse("admin:sdm_valuemapping_changelist")

    with django_assert_max_num_queries(15):
        listing_html = page(admin_client, listing_url)
    listing = visible(listing_html)
    mapping = job.value_mappings.get(raw_value="Cotton")
    detail = visible(page(admin_client, change_url(mapping)))
    row = visible(page(admin_client, change_url(job.rows.get(line=1))))

    headers = re.findall(r'<th scope="col"[^>]*class="([^"]*)"', listing_html)
    assert len(headers) == 6, headers
    assert "Cotton Material 5 Not mapped (suggested: Cotton)" in listing
    assert "Ultraviolet Color 1 Not mapped" in listing
    assert "PIM attribute: Material" in detail and "Suggested: Cotton" in detail
    assert "weight-unit Weight – unit KILOGRAM" in row
    assert "supplier_internal_code Ignored INT-1" in row
    assert not PYTHON_DATA.search(row)
