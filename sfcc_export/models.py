"""SFCC export profiles: which PIM data goes to which SFCC catalogs, how, and where."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from connector.emails import alert_emails_field
from connector.models import AkeneoConnection
from connector.models.connection import http_url_validator, validate_cron
from connector.secrets import EncryptedTextField

from .writers.catalog import SYSTEM_ORDER

SFCC_LOCALE_DEFAULT = "x-default"
# The cartridge's jobs, in the order `all` runs them; `refinements` reads from SFCC and runs alone.
EXPORT_JOBS = ("attributes", "assets", "pricebook", "master", "storefront", "entities", "record-grouping")
READ_JOBS = ("refinements",)
# PIM attribute → SFCC system attribute; "name" is the usual spelling of display-name.
SYSTEM_ATTRIBUTES = SYSTEM_ORDER
SYSTEM_ATTRIBUTE_ALIASES = {"name": "display-name"}
LINK_TYPES = ("cross-sell", "replacement", "up-sell", "accessory", "spare-part", "newer-version", "other")
IMAGE_ATTRIBUTE_TYPES = ("pim_catalog_image", "pim_catalog_asset_collection")
DEFAULT_LINK_TYPES = {"X_SELL": "cross-sell", "UPSELL": "up-sell", "SUBSTITUTION": "replacement"}


def validate_locale_mapping(value) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(
            'The locale mapping is a JSON object like {"en_US": "x-default", "fr_FR": "fr-FR"}.'
        )
    if list(value.values()).count(SFCC_LOCALE_DEFAULT) != 1:
        raise ValidationError("Exactly one PIM locale must be mapped to x-default.")


def _string_map(value, what: str, example: str) -> dict:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(f"The {what} is a JSON object like {example}.")
    return value


def validate_attribute_mapping(value) -> None:
    mapping = _string_map(value, "attribute mapping", '{"name": "name", "ean": "ean"}')
    unknown = sorted(
        {v for v in mapping.values() if SYSTEM_ATTRIBUTE_ALIASES.get(v, v) not in SYSTEM_ATTRIBUTES}
    )
    if unknown:
        raise ValidationError(
            f"Not SFCC system attributes: {', '.join(unknown)} (known: name, {', '.join(SYSTEM_ATTRIBUTES)})."
        )
    targets = [SYSTEM_ATTRIBUTE_ALIASES.get(v, v) for v in mapping.values()]
    doubled = sorted({t for t in targets if targets.count(t) > 1})
    if doubled:
        raise ValidationError(
            f"Each system attribute takes one PIM attribute; doubled: {', '.join(doubled)}."
        )


def validate_association_mapping(value) -> None:
    mapping = _string_map(value, "association mapping", '{"X_SELL": "cross-sell"}')
    unknown = sorted({v for v in mapping.values() if v not in LINK_TYPES})
    if unknown:
        raise ValidationError(
            f"Not SFCC product link types: {', '.join(unknown)} (known: {', '.join(LINK_TYPES)})."
        )


def validate_schedules(value) -> None:
    schedules = _string_map(value, "schedule list", '{"master": "0 2 * * *"}')
    unknown = sorted(set(schedules) - {*EXPORT_JOBS, *READ_JOBS, "all"})
    if unknown:
        raise ValidationError(f"Unknown export jobs: {', '.join(unknown)}.")
    for job, cron in schedules.items():
        try:
            validate_cron(cron)
        except ValidationError as exc:
            raise ValidationError(f"{job}: {' '.join(exc.messages)}") from None


def validate_code_list(value) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) and code for code in value):
        raise ValidationError('A JSON list of codes, like ["shoes", "clothing"].')


def validate_view_types(value) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(view, str)
        and view
        and isinstance(codes, list)
        and all(isinstance(c, str) and c for c in codes)
        for view, codes in value.items()
    ):
        raise ValidationError(
            'Image view types are a JSON object like {"large": ["main_image", "packshots"]}.'
        )


class ImageLocation(models.TextChoices):
    ARCHIVE = "archive", "Packed into the site archive (static images)"
    URL = "url", "Referenced by URL (external location)"


class DeliveryTarget(models.TextChoices):
    FOLDER = "folder", "Folder only"
    INSTANCE = "instance", "SFCC instance (WebDAV + OCAPI site import)"


class RemovalMode(models.TextChoices):
    OFFLINE = "offline", "Set offline"
    DELETE = "delete", 'Delete (mode="delete")'


class ExportProfile(models.Model):
    name = models.CharField(max_length=100, unique=True)
    connection = models.ForeignKey(AkeneoConnection, on_delete=models.PROTECT, related_name="export_profiles")
    channel = models.CharField("PIM channel", max_length=255)
    master_catalog_id = models.CharField(max_length=256)
    storefront_catalog_id = models.CharField(max_length=256)
    site_id = models.CharField(max_length=256, blank=True)
    locale_mapping = models.JSONField(
        default=dict,
        validators=[validate_locale_mapping],
        help_text='PIM locale → SFCC locale, e.g. {"en_US": "x-default"}',
    )
    attribute_mapping = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_attribute_mapping],
        help_text='PIM attribute → SFCC system attribute, e.g. {"name": "name", "ean": "ean"}',
    )
    association_mapping = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_association_mapping],
        help_text="PIM association type → SFCC product link type; unlisted types use "
        'X_SELL=cross-sell, UPSELL=up-sell, SUBSTITUTION=replacement, others "other".',
    )
    attribute_group_id = models.CharField(max_length=256, default="AkeneoAttributes")
    families = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_code_list],
        help_text="Family codes to export; empty = all.",
    )
    categories = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_code_list],
        help_text="Only products in these categories or below them; empty = all.",
    )
    only_enabled = models.BooleanField(
        default=True, help_text="Full exports skip disabled products; differential ones set them offline."
    )
    completeness_min = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Only products at least this complete (percent) on the channel; empty = no filter.",
    )
    completeness_locales = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_code_list],
        help_text="PIM locales the completeness must hold for; empty = every mapped locale.",
    )
    removal_mode = models.CharField(
        max_length=10,
        choices=RemovalMode.choices,
        default=RemovalMode.OFFLINE,
        help_text="What happens in SFCC to products removed, disabled or filtered out in the PIM.",
    )
    output_dir = models.CharField(
        max_length=500, blank=True, help_text="Default: EXPORT_ROOT/<profile name>."
    )
    image_view_types = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_view_types],
        help_text='SFCC view type → PIM image or asset collection attributes, e.g. {"large": ["photo"]}.',
    )
    image_location = models.CharField(
        max_length=10, choices=ImageLocation.choices, default=ImageLocation.ARCHIVE
    )
    image_base_url = models.URLField(
        blank=True,
        validators=[http_url_validator],
        help_text="Base URL of the images when referenced by URL.",
    )
    price_attribute = models.CharField(
        max_length=255, blank=True, default="price", help_text="PIM price collection feeding the pricebooks."
    )
    reference_entities = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_code_list],
        help_text="Reference entities exported as content assets and grouped as records.",
    )
    library_id = models.CharField(
        max_length=256,
        blank=True,
        help_text="SFCC content library of the entity records; default: the site id.",
    )
    record_group_id = models.CharField(max_length=256, default="AkeneoRecords")
    delivery_target = models.CharField(
        max_length=10, choices=DeliveryTarget.choices, default=DeliveryTarget.FOLDER
    )
    instance_url = models.URLField(
        blank=True,
        validators=[http_url_validator],
        help_text="e.g. https://my-sandbox.dx.commercecloud.salesforce.com",
    )
    account_manager_url = models.URLField(
        default="https://account.demandware.com", validators=[http_url_validator]
    )
    api_client_id = models.CharField("API client id", max_length=255, blank=True)
    api_client_secret = EncryptedTextField("API client secret", blank=True)
    ocapi_version = models.CharField("OCAPI version", max_length=10, default="v23_2")
    scapi_short_code = models.CharField(
        "SCAPI short code",
        max_length=32,
        blank=True,
        validators=[RegexValidator(r"^[a-z0-9]{1,32}$", "A short code is lower-case letters and digits.")],
        help_text="Business Manager → Administration → Site Development → Salesforce Commerce API "
        "Settings. With the tenant id, imports run through SCAPI and fall back to OCAPI.",
    )
    scapi_tenant_id = models.CharField(
        "SCAPI tenant id",
        max_length=64,
        blank=True,
        validators=[
            RegexValidator(
                r"^(f_ecom_)?[a-z0-9]+_[a-z0-9]+$",
                "A tenant id looks like zzxy_prd (the instance's realm_instance).",
            )
        ],
        help_text="e.g. zzxy_prd; the organization is f_ecom_<tenant id>.",
    )
    archive_max_mb = models.DecimalField(
        "archive size limit (MB)",
        max_digits=7,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("2000"))],
        help_text="Archives larger than this are delivered in several parts, each imported in turn "
        "(Salesforce documents 100 MB per upload).",
    )
    skipped_alert_threshold = models.PositiveIntegerField(
        "mail when more elements are skipped than",
        default=0,
        help_text="An import that ends OK but skipped elements makes the run 'done with warnings'; "
        "above this many skipped elements the contacts are mailed as for a failure.",
    )
    # Whether the SFCC instance answered the last delivery (connector.health, from the runs).
    delivery_check_at = models.DateTimeField("SFCC last heard of", null=True, blank=True, editable=False)
    delivery_check_ok = models.BooleanField("SFCC answers", null=True, editable=False)
    delivery_check_message = models.TextField("SFCC status", blank=True, editable=False)
    near_real_time = models.BooleanField(
        "near-real-time export",
        default=False,
        help_text="Export the products and models named by the PIM's events every few minutes "
        "(the connection needs a PIM event subscription).",
    )
    near_real_time_minutes = models.PositiveSmallIntegerField(
        "every (minutes)",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    reconciliation_cron = models.CharField(
        "reconciliation schedule",
        max_length=100,
        blank=True,
        default="30 2 * * *",
        validators=[validate_cron],
        help_text="Cron (server time zone) of the job that compares SFCC's products with the PIM's "
        "and exports what events missed; runs only in near-real-time mode. Default: nightly at 02:30.",
    )
    alert_emails = alert_emails_field()
    schedules = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_schedules],
        help_text='Cron per job, e.g. {"attributes": "0 1 * * *", "master": "*/30 * * * *"}. '
        "Scheduled catalog exports are differential.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("export_exportprofile", "Can run SFCC exports")]

    def __str__(self) -> str:
        return self.name

    @property
    def health_problem(self) -> str:
        """Why SFCC did not answer the last delivery, or "" (sfcc_export.health)."""
        return self.delivery_check_message if self.delivery_check_ok is False else ""

    DELIVERY_FIELDS = ("instance_url", "api_client_id", "api_client_secret")

    def clean(self) -> None:
        if self.delivery_target == DeliveryTarget.INSTANCE and not self.can_deliver:
            raise ValidationError(
                {
                    name: "Needed to deliver to an SFCC instance."
                    for name in self.DELIVERY_FIELDS
                    if not getattr(self, name)
                }
            )
        if self.images_by_url and self.image_view_types and not self.image_base_url:
            raise ValidationError({"image_base_url": "Needed when images are referenced by URL."})
        self.scapi_tenant_id = (self.scapi_tenant_id or "").strip().removeprefix("f_ecom_")
        if bool(self.scapi_short_code) != bool(self.scapi_tenant_id):
            missing = "scapi_tenant_id" if self.scapi_short_code else "scapi_short_code"
            raise ValidationError({missing: "SCAPI needs both the short code and the tenant id."})
        if not re.fullmatch(r"v\d+_\d+", self.ocapi_version or ""):
            raise ValidationError({"ocapi_version": "An OCAPI version looks like v23_2."})
        if self.near_real_time and self.connection_id and not self.connection_has_events:
            raise ValidationError(
                {
                    "near_real_time": f"The connection {self.connection} is not subscribed to the PIM's "
                    "events: open it, choose PIM events, save and subscribe first."
                }
            )
        if self.connection_id:
            self.check_codes_against_mirror()

    def check_codes_against_mirror(self) -> None:
        """Every PIM code the profile names must be live in the connection's mirror."""
        from connector.mirror_codes import CodeCheck
        from connector.models import (
            AssociationType,
            Attribute,
            Category,
            Channel,
            Family,
            Locale,
            ReferenceEntity,
        )

        check = CodeCheck(self.connection)
        check.codes("channel", Channel, [self.channel], "channel")
        check.codes("locale_mapping", Locale, self.locale_mapping or {}, "locale")
        check.codes("completeness_locales", Locale, self.completeness_locales or [], "locale")
        check.codes("attribute_mapping", Attribute, self.attribute_mapping or {}, "attribute")
        check.codes(
            "image_view_types",
            Attribute,
            [code for codes in (self.image_view_types or {}).values() for code in codes],
            "image or asset collection attribute",
            type__in=IMAGE_ATTRIBUTE_TYPES,
        )
        check.codes(
            "price_attribute",
            Attribute,
            [self.price_attribute],
            "price attribute",
            type="pim_catalog_price_collection",
        )
        check.codes("families", Family, self.families or [], "family")
        check.codes("categories", Category, self.categories or [], "category")
        check.codes("reference_entities", ReferenceEntity, self.reference_entities or [], "reference entity")
        # A mirror synchronized before association types were mirrored has none: no check until it has.
        if AssociationType.objects.filter(connection=self.connection).exists():
            check.codes(
                "association_mapping", AssociationType, self.association_mapping or {}, "association type"
            )
        check.raise_errors()

    @property
    def connection_has_events(self) -> bool:
        from connector.models import EventSubscription

        return EventSubscription.objects.filter(connection_id=self.connection_id).exists()

    @property
    def events_cron(self) -> str:
        """The near-real-time cycle as a schedule ("" when off)."""
        if not self.near_real_time:
            return ""
        minutes = int(self.near_real_time_minutes or 2)
        return "0 * * * *" if minutes >= 60 else f"*/{minutes} * * * *"

    @property
    def can_deliver(self) -> bool:
        return all(getattr(self, name) for name in self.DELIVERY_FIELDS)

    @property
    def uses_scapi(self) -> bool:
        return bool(self.scapi_short_code and self.scapi_tenant_id)

    @property
    def archive_max_bytes(self) -> int:
        return int(Decimal(self.archive_max_mb) * 1_000_000)

    @property
    def images_by_url(self) -> bool:
        return self.image_location == ImageLocation.URL

    @property
    def content_library_id(self) -> str:
        return self.library_id or self.site_id

    def system_attribute_of(self) -> dict[str, str]:
        """PIM attribute code → SFCC system element name."""
        return {
            code: SYSTEM_ATTRIBUTE_ALIASES.get(name, name) for code, name in self.attribute_mapping.items()
        }

    def link_type(self, association_type: str) -> str:
        return self.association_mapping.get(association_type) or DEFAULT_LINK_TYPES.get(
            association_type, "other"
        )


class ExportedItem(models.Model):
    """What a profile has put into SFCC, so that items gone from the PIM can be set offline or deleted."""

    class Kind(models.TextChoices):
        PRODUCT = "product"
        MASTER = "master"
        GROUP = "group", "variation group"

    profile = models.ForeignKey(ExportProfile, on_delete=models.CASCADE, related_name="exported_items")
    sfcc_id = models.CharField("SFCC product id", max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    online = models.BooleanField(default=True)
    exported_at = models.DateTimeField()
    # What the PIM said when it was exported: a deletion event names the uuid, and the
    # reconciliation compares update dates.
    pim_uuid = models.CharField("PIM uuid", max_length=36, blank=True, default="")
    pim_updated = models.DateTimeField("PIM update date", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "sfcc_id"], name="sfcc_exported_item_unique")
        ]
        indexes = [models.Index(fields=["profile", "pim_uuid"], name="sfcc_exported_item_uuid")]

    def __str__(self) -> str:
        return self.sfcc_id


class ExportWatermark(models.Model):
    """How far in the PIM's update dates a profile's job has been delivered: a differential run of
    the job exports what changed after it. Written with the exported items, in one transaction, once
    SFCC has the files (CatalogExport.commit)."""

    profile = models.ForeignKey(ExportProfile, on_delete=models.CASCADE, related_name="watermarks")
    job = models.CharField(max_length=30)
    reached_at = models.DateTimeField(help_text="The latest PIM update date the job has delivered.")
    run = models.ForeignKey(
        "connector.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "job"], name="sfcc_watermark_unique")]

    def __str__(self) -> str:
        return f"{self.profile} · {self.job} · {self.reached_at.isoformat()}"


class EventCursor(models.Model):
    """The last PIM event (connector.PimEvent) a profile's near-real-time export has delivered:
    moved with the exported items, in one transaction, once SFCC has the files."""

    profile = models.OneToOneField(ExportProfile, on_delete=models.CASCADE, related_name="event_cursor")
    last_event = models.BigIntegerField(default=0)
    run = models.ForeignKey(
        "connector.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.profile} · event #{self.last_event}"


class MediaFile(models.Model):
    """A PIM media file or asset media downloaded once, kept by content hash across runs and profiles.

    PIM media keys name one content for ever (a changed image gets a new key), so a known key is
    never downloaded again.
    """

    connection = models.ForeignKey(AkeneoConnection, on_delete=models.CASCADE, related_name="+")
    pim_key = models.CharField("PIM media key", max_length=500)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    file_name = models.CharField(max_length=255, help_text="Name in the SFCC static folder.")
    downloaded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "pim_key"], name="sfcc_media_file_unique_key")
        ]

    def __str__(self) -> str:
        return self.pim_key


class SavedRefinements(models.Model):
    """Refinement definitions contributed by hand in SFCC, re-inserted by every storefront export."""

    profile = models.ForeignKey(ExportProfile, on_delete=models.CASCADE, related_name="saved_refinements")
    category_id = models.CharField(max_length=256)
    definitions = models.TextField(help_text="The category's <refinement-definitions> element, as read.")
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "category_id"], name="sfcc_saved_refinements_unique")
        ]
        verbose_name_plural = "saved refinements"

    def __str__(self) -> str:
        return f"{self.profile} · {self.category_id}"


class SiteArchive(models.Model):
    """One site archive a run wrote, in the parts it is delivered in: the profile's history."""

    class Status(models.TextChoices):
        WRITTEN = "written", "Written, not delivered"
        DELIVERING = "delivering", "Being delivered"
        DELIVERED = "delivered", "Delivered"
        WARNINGS = "warnings", "Delivered; SFCC skipped elements"
        FAILED = "failed", "Delivery failed"

    profile = models.ForeignKey(ExportProfile, on_delete=models.CASCADE, related_name="archives")
    run = models.ForeignKey("connector.Run", on_delete=models.SET_NULL, null=True, related_name="+")
    job = models.CharField(max_length=30)
    folder = models.CharField(max_length=1000)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WRITTEN)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.profile} · {self.job} · {self.created_at:%Y-%m-%d %H:%M}"


class ArchivePart(models.Model):
    """One zip of an archive, uploaded and imported on its own, in ``index`` order."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not sent"
        IMPORTED = "imported", "Imported"
        WARNINGS = "warnings", "Imported; SFCC skipped elements"
        ALREADY = "already", "Already imported by an earlier run"
        REJECTED = "rejected", "Rejected by the import"
        FAILED = "failed", "Not delivered"

    DONE = (Status.IMPORTED, Status.WARNINGS, Status.ALREADY)

    archive = models.ForeignKey(SiteArchive, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveSmallIntegerField()
    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=1000)
    size = models.PositiveBigIntegerField()
    digest = models.CharField(max_length=64, help_text="Of the part's files and their content.")
    files = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    api = models.CharField(max_length=10, blank=True)
    execution_id = models.CharField(max_length=100, blank=True)
    exit_status = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    log = models.JSONField(default=dict, blank=True, help_text="What the import's job log said.")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["archive", "index"]
        constraints = [models.UniqueConstraint(fields=["archive", "index"], name="sfcc_archive_part_index")]

    def __str__(self) -> str:
        return self.file_name
