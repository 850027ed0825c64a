from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the application (mirror, runs): visible, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def setting_in_words(value) -> str:
    """A JSON setting for a reader: lists as comma-separated codes, mappings as "a → b" lines."""
    if not value:
        return "—"
    if isinstance(value, dict):
        return "\n".join(
            f"{key} → {', '.join(map(str, item)) if isinstance(item, list) else item}"
            for key, item in value.items()
        )
    if isinstance(value, list):
        return ", ".join(
            str(item.get("code", item)) if isinstance(item, dict) else str(item) for item in value
        )
    return str(value)


def cron_in_words(expression: str) -> str:
    from .pickers import cron_description

    return f"{expression} ({cron_description(expression)})" if expression else "Not scheduled."


class ReadableForViewers:
    """For users who may only view a configuration: its JSON settings in words, not as JSON text."""

    readable_json: tuple[str, ...] = ()
    readable_cron: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.readable_json:
            setattr(cls, f"{name}_in_words", cls._in_words(name, setting_in_words))
        for name in cls.readable_cron:
            setattr(cls, f"{name}_in_words", cls._in_words(name, cron_in_words))

    @staticmethod
    def _in_words(name: str, describe):
        def show(self, obj) -> str:
            return describe(getattr(obj, name))

        label = name.replace("_", " ")
        return admin.display(description=label)(show)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (title, {**options, "fields": [self._readable(name) for name in options["fields"]]})
            for title, options in fieldsets
        ]

    def _readable(self, name):
        return f"{name}_in_words" if name in (*self.readable_json, *self.readable_cron) else name
