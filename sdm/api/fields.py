"""Request fields that take only the JSON type the schema declares.

DRF's own fields coerce: "1" is an integer, 0 a boolean, 12 a string. The schema promises a type;
a request of another type is refused with 400 instead of being read as something it did not say.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# NUL has no place in any text the API stores (PostgreSQL refuses it).
NO_NUL = "^[^\\u0000]*$"


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "A string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data:
            raise serializers.ValidationError("A string without NUL characters.")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "An integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictUUIDField(serializers.UUIDField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


SCALAR = [
    {"type": "string", "maxLength": 32767, "pattern": NO_NUL},
    {"type": "number"},
    {"type": "boolean"},
]


@extend_schema_field(
    {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {
            "nullable": True,
            "oneOf": [*SCALAR, {"type": "array", "items": {"oneOf": SCALAR}}],
        },
    }
)
class FeedRowField(serializers.DictField):
    """One product of a JSON feed: column → a string, number, boolean, null, or a list of those."""
