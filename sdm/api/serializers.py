from __future__ import annotations

from rest_framework import serializers

from connector.params import DB_MAX

from ..models import JobRow, SupplierJob, ValueMapping, Workflow
from .fields import FeedRowField, StrictBooleanField, StrictCharField, StrictIntegerField, StrictUUIDField


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, style={"input_type": "password"})
    name = StrictCharField(max_length=100, help_text="A name to tell this token apart in the admin.")


class TokenSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Shown once: send it as `Authorization: Token <key>`.")
    name = serializers.CharField()


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workflow
        fields = ["id", "name", "channels", "locales", "families", "last_synced_at"]


class ProjectDetailSerializer(ProjectSerializer):
    attribute_codes = serializers.ListField(
        child=serializers.CharField(), help_text="The columns a supplier file of this project may have."
    )

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "attribute_codes"]


class ProjectTargetsSerializer(serializers.Serializer):
    """A project's targets, as codes of the PIM; each is checked against the mirror."""

    channels = serializers.ListField(
        child=StrictCharField(max_length=255),
        max_length=500,
        required=False,
        help_text="Empty = all channels.",
    )
    locales = serializers.ListField(
        child=StrictCharField(max_length=20),
        max_length=500,
        required=False,
        help_text="Empty = all active locales.",
    )
    families = serializers.ListField(
        child=StrictCharField(max_length=255),
        max_length=5000,
        required=False,
        help_text="Empty = all families.",
    )


class FileJsonSerializer(serializers.Serializer):
    data = serializers.ListField(
        child=FeedRowField(child=serializers.JSONField(allow_null=True)),
        min_length=1,
        help_text='One object per product: {"column": "value", ...}; a missing or null value is empty.',
    )


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="XLSX, or CSV (`,` `;` or `|`, UTF-8 or Latin-1, header first).")


class FileSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    file_name = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.IntegerField(source="row_count")


class JobCreateSerializer(serializers.Serializer):
    file_id = StrictUUIDField()
    name = StrictCharField(max_length=200)
    project = StrictIntegerField(min_value=1, max_value=DB_MAX, help_text="The project (workflow) id.")


class JobCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()


class JobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    project = serializers.IntegerField(source="workflow_id")
    status = serializers.ChoiceField(choices=["pending", "running", "done", "error"], source="api_status")
    step = serializers.CharField()
    message = serializers.CharField()
    rows = serializers.IntegerField(source="row_count")

    class Meta:
        model = SupplierJob
        fields = ["id", "name", "project", "status", "step", "message", "rows", "created_at"]


class MappingItemSerializer(serializers.Serializer):
    attribute = StrictCharField(max_length=255)
    value = StrictCharField(max_length=500, allow_blank=True)
    option = StrictCharField(max_length=255, allow_blank=True)
    create = StrictBooleanField(
        default=False,
        help_text="Create `option` as a new PIM option (only where the attribute configuration allows it; "
        "never for a code that exists).",
    )
    table_column = StrictCharField(
        max_length=255, required=False, default="", allow_blank=True, help_text="For a table attribute."
    )


class MappingRequestSerializer(serializers.Serializer):
    auto = StrictBooleanField(default=False, help_text="Accept every suggested option first.")
    mappings = MappingItemSerializer(many=True, required=False, default=list)


class ValueMappingSerializer(serializers.ModelSerializer):
    attribute = serializers.CharField(source="pim_attribute_code")
    value = serializers.CharField(source="raw_value")
    suggested = serializers.CharField(source="suggested_code")
    option = serializers.CharField(source="option_code")
    create = serializers.BooleanField(source="create_option")
    created = serializers.BooleanField(source="created_in_pim")
    table_column = serializers.CharField()
    creation_error = serializers.CharField()
    # Declared, not derived from the column: the schema must not depend on the database backend.
    occurrences = serializers.IntegerField(min_value=0)

    class Meta:
        model = ValueMapping
        fields = [
            "attribute",
            "table_column",
            "value",
            "suggested",
            "option",
            "create",
            "created",
            "creation_error",
            "occurrences",
        ]


class ResultSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(min_value=1, help_text="Line in the supplier file (1 = first data row).")

    class Meta:
        model = JobRow
        fields = ["line", "identifier", "outcome", "message"]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Field → messages, for invalid input.")
    unknown_columns = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Columns the project does not know."
    )
