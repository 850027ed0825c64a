"""SDM workflows (projects), their steps, the attribute selection, and the derived project configuration."""

from __future__ import annotations

import hashlib
import json
import uuid

from django.conf import settings
from django.db import models

from connector.emails import alert_emails_field
from connector.models import AkeneoConnection
from connector.models.connection import WEEKLY, validate_cron

OPTION_CREATION_TYPES = frozenset(
    {
        "pim_catalog_simpleselect",
        "pim_catalog_multiselect",
        "akeneo_reference_entity",
        "akeneo_reference_entity_collection",
        "pim_catalog_table",
    }
)


class Workflow(models.Model):
    class CategoryHierarchies(models.TextChoices):
        SINGLE = "single", "One hierarchy named 'categories'"
        PER_ROOT = "per_root", "One hierarchy per root category"

    class MetricMode(models.TextChoices):
        NUMBER_AND_UNIT = "number_and_unit", "A number plus a '-unit' select of the family's units"
        DEFAULT_UNIT = "default_unit", "A number in the attribute's default unit"

    class IdentifierMode(models.TextChoices):
        IDENTIFIER = "identifier", "Match products by identifier (e.g. sku)"
        UUID = "uuid", "Match products by UUID"

    name = models.CharField(max_length=100, unique=True)
    connection = models.ForeignKey(AkeneoConnection, on_delete=models.PROTECT, related_name="workflows")
    channels = models.JSONField(default=list, blank=True, help_text="Channel codes; empty = all channels.")
    locales = models.JSONField(
        default=list, blank=True, help_text="Locale codes; empty = all active locales."
    )
    families = models.JSONField(default=list, blank=True, help_text="Family codes; empty = all families.")
    category_hierarchies = models.CharField(
        max_length=20, choices=CategoryHierarchies.choices, default=CategoryHierarchies.SINGLE
    )
    metric_mode = models.CharField(
        max_length=20, choices=MetricMode.choices, default=MetricMode.NUMBER_AND_UNIT
    )
    identifier_mode = models.CharField(
        max_length=20, choices=IdentifierMode.choices, default=IdentifierMode.IDENTIFIER
    )
    alert_emails = alert_emails_field()
    sync_cron = models.CharField(
        "sync schedule",
        max_length=100,
        blank=True,
        default=WEEKLY,
        validators=[validate_cron],
        help_text="Cron expression for the automatic workflow sync; empty = manual only.",
    )
    active = models.BooleanField(default=True)
    suppliers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="supplier_projects",
        help_text="Supplier accounts (API only) that may send files to this project; each sees its own jobs.",
    )
    last_synced_at = models.DateTimeField("last successful sync", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("sync_workflow", "Can synchronize a workflow"),
            ("configure_attributes_workflow", "Can use the attribute configuration tab"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.connection_id:
            return
        from connector.mirror_codes import CodeCheck
        from connector.models import Channel, Family, Locale

        check = CodeCheck(self.connection)
        check.codes("channels", Channel, self.channels or [], "channel")
        check.codes("locales", Locale, self.locales or [], "locale")
        check.codes("families", Family, self.families or [], "family")
        check.raise_errors()


class WorkflowStep(models.Model):
    """A step of the SDM workflow. ``config`` belongs to people: no sync ever changes it.

    ``config`` is read by ``sdm.step_config.parse_step_config``; it understands these keys:

    - ``attributes``: the attributes the step shows;
    - ``required``: the attributes the step requires;
    - ``ai_sources``: the attributes an AI suggestion may read from;
    - ``dependencies``: rules "when attribute ``when`` has the value ``value``, attribute ``require``
      is required too", as ``[{"when": code, "value": text, "require": code}]``. ``when`` and
      ``require`` must both be given; an empty or missing ``value`` means "has any value", a number
      counts as its text.

    Attributes are named by code: a PIM attribute code, or the code of an SDM attribute derived from
    one (``name-en_US``). Anything invalid is ignored (a code that is empty or not text, a rule
    without both attributes or whose value is not text or a number, a key above not holding a list);
    other keys are kept as written and ignored too. Codes the last sync did not derive are listed in
    ``missing_attributes``.
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100)
    config = models.JSONField(default=dict, blank=True)
    missing_attributes = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Codes this step refers to that the last sync did not derive.",
    )

    class Meta:
        ordering = ["workflow", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["workflow", "name"], name="sdm_step_unique_name")]

    def __str__(self) -> str:
        return f"{self.workflow} · {self.name}"


class AttributeSelection(models.Model):
    """The attribute configuration tab: one row per PIM attribute the admin decided about."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="attribute_selections")
    attribute_code = models.CharField(max_length=255)
    included = models.BooleanField(default=True)
    allow_option_creation = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "attribute_code"], name="sdm_selection_unique_attribute"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attribute_code} ({'included' if self.included else 'excluded'})"


class DerivedModel(models.Model):
    """A row of the project configuration that the workflow sync writes.

    ``derived_checksum`` is the checksum of what the sync wrote; a row whose fields no longer match
    it was edited by hand, and the next sync will overwrite it.
    """

    DERIVED_FIELDS: tuple[str, ...] = ()

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=400)
    labels = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    derived_checksum = models.CharField(max_length=64, editable=False)
    synced_at = models.DateTimeField(editable=False)

    class Meta:
        abstract = True
        ordering = ["workflow", "position", "code"]

    def __str__(self) -> str:
        return self.code

    def derived_values(self) -> dict:
        return {name: getattr(self, name) for name in ("labels", "position", *self.DERIVED_FIELDS)}

    def compute_checksum(self) -> str:
        payload = json.dumps(self.derived_values(), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def edited_by_hand(self) -> bool:
        return bool(self.derived_checksum) and self.compute_checksum() != self.derived_checksum


class SdmAttribute(DerivedModel):
    class Kind(models.TextChoices):
        VALUE = "value", "Value"
        UNIT = "unit", "Unit of a metric"

    DERIVED_FIELDS = (
        "pim_attribute_code",
        "channel",
        "locale",
        "kind",
        "pim_type",
        "sdm_type",
        "display_group",
        "allowed_values",
    )

    pim_attribute_code = models.CharField("PIM attribute", max_length=255, db_index=True)
    channel = models.CharField(max_length=255, blank=True)
    locale = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.VALUE)
    pim_type = models.CharField(max_length=100)
    sdm_type = models.CharField("SDM type", max_length=30)
    display_group = models.CharField(max_length=255, blank=True)
    allowed_values = models.JSONField(default=list, blank=True, help_text="[{code, labels}] for selects")

    class Meta(DerivedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["workflow", "code"], name="sdm_attribute_unique_code")]
        verbose_name = "SDM attribute"


class DisplayGroup(DerivedModel):
    class Meta(DerivedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["workflow", "code"], name="sdm_display_group_unique_code")
        ]


class Hierarchy(DerivedModel):
    DERIVED_FIELDS = ("source", "nodes")

    source = models.CharField(max_length=20, help_text="families or categories")
    nodes = models.JSONField(default=list, blank=True, help_text="[{code, parent, labels}] in tree order")

    class Meta(DerivedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["workflow", "code"], name="sdm_hierarchy_unique_code")]
        verbose_name_plural = "hierarchies"


class SupplierJob(models.Model):
    """A supplier file onboarded into a workflow: rows, column mapping, value mapping, push."""

    class Status(models.TextChoices):
        IMPORTING = "importing", "Importing"
        IMPORT_FAILED = "import_failed", "Import refused"
        IMPORTED = "imported", "Imported"
        PUSHED = "pushed", "Pushed"
        PARTIAL = "partial", "Pushed with failures"

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="jobs")
    name = models.CharField(max_length=200)
    source_filename = models.CharField(max_length=255)
    media_dir = models.CharField(
        max_length=500, blank=True, help_text="Folder where the file's media cells (file names) are found."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IMPORTED)
    row_count = models.PositiveIntegerField(default=0)
    import_error = models.TextField(blank=True, editable=False, help_text="Why the file was refused.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Who uploaded the file; a supplier sees only the jobs it created.",
    )
    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="The job's id in the API."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("finalize_supplierjob", "Can finalize a supplier job (push to the PIM)")]

    def __str__(self) -> str:
        return f"Job #{self.pk} {self.name}"

    @property
    def rows_ready(self) -> bool:
        """Its file is read: neither still importing nor refused."""
        return self.status not in (self.Status.IMPORTING, self.Status.IMPORT_FAILED)

    @property
    def identifier_attribute(self) -> str:
        """The PIM identifier attribute's code (e.g. sku), from the last workflow sync."""
        return (
            SdmAttribute.objects.filter(workflow=self.workflow, pim_type="pim_catalog_identifier")
            .values_list("pim_attribute_code", flat=True)
            .first()
            or ""
        )


class JobColumn(models.Model):
    class Role(models.TextChoices):
        ATTRIBUTE = "attribute", "SDM attribute"
        FAMILY = "family", "Family"
        CATEGORIES = "categories", "Categories"
        PARENT = "parent", "Parent (product model code)"
        ROOT_MODEL = "root_model", "Root product model code (2-level variants)"
        FAMILY_VARIANT = "family_variant", "Family variant (to create models)"
        IGNORED = "ignored", "Ignored"

    job = models.ForeignKey(SupplierJob, on_delete=models.CASCADE, related_name="columns")
    position = models.PositiveIntegerField()
    header = models.CharField(max_length=255)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.IGNORED)
    sdm_attribute = models.CharField("SDM attribute", max_length=400, blank=True)
    auto_mapped = models.BooleanField(default=False)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="sdm_jobcolumn_unique_position")
        ]

    def __str__(self) -> str:
        return self.header


class JobRow(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Not pushed yet"
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        SKIPPED = "skipped", "Unchanged (the PIM already holds these values)"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(SupplierJob, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(help_text="Line in the supplier file (1 = first data row).")
    values = models.JSONField(default=list, help_text="Raw cell values, in column order.")
    identifier = models.CharField(max_length=255, blank=True, db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING, db_index=True)
    message = models.TextField(blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    sent_as_new = models.BooleanField(
        default=False,
        editable=False,
        help_text="Sent to the PIM as a new product by an attempt that may not have lived to record "
        "its answer: a rerun then reports the product created, not updated.",
    )

    class Meta:
        ordering = ["job", "line"]
        constraints = [models.UniqueConstraint(fields=["job", "line"], name="sdm_jobrow_unique_line")]

    def __str__(self) -> str:
        return f"line {self.line} ({self.identifier or 'no identifier'})"


class ValueMapping(models.Model):
    """A distinct raw supplier value of a select-like attribute, and the PIM option it means."""

    job = models.ForeignKey(SupplierJob, on_delete=models.CASCADE, related_name="value_mappings")
    pim_attribute_code = models.CharField("PIM attribute", max_length=255)
    table_column = models.CharField(
        max_length=255, blank=True, help_text="For a table attribute: the select column the value is for."
    )
    raw_value = models.CharField(max_length=500)
    suggested_code = models.CharField(max_length=255, blank=True)
    option_code = models.CharField(
        "PIM option",
        max_length=255,
        blank=True,
        help_text="Empty = not mapped (the rows using it report it).",
    )
    create_option = models.BooleanField(
        default=False,
        help_text="Create this option in the PIM before the push (only where the tab allows it).",
    )
    created_in_pim = models.BooleanField(default=False, editable=False)
    creation_error = models.TextField(
        blank=True, editable=False, help_text="Why the planned option was not created (nothing was changed)."
    )
    occurrences = models.PositiveIntegerField(default=0, help_text="Rows of the file holding this value.")

    class Meta:
        ordering = ["job", "pim_attribute_code", "table_column", "raw_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "pim_attribute_code", "table_column", "raw_value"],
                name="sdm_valuemapping_unique_value",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pim_attribute_code}: {self.raw_value} → {self.option_code or '(unmapped)'}"


class MediaFile(models.Model):
    """A file already uploaded to a PIM, by content: the same bytes are never uploaded twice."""

    connection = models.ForeignKey(AkeneoConnection, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        max_length=300,
        default="media",
        help_text="'media' for product media files, 'asset:<family>' for assets.",
    )
    sha256 = models.CharField(max_length=64)
    pim_code = models.CharField("PIM code", max_length=500)
    original_name = models.CharField(max_length=255, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "sha256"], name="sdm_mediafile_unique_content")
        ]

    def __str__(self) -> str:
        return self.pim_code


class ApiToken(models.Model):
    """A named key for the supplier API. Only its SHA-256 is stored; the key is shown once, when made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The key's first characters, to tell keys apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.user}, {self.prefix}…)"


class SupplierUpload(models.Model):
    """A supplier file received by the API, waiting to become a job."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=1000)
    columns = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file_name
