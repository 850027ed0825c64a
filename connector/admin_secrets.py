"""Admin pages never show a secret: write-only in forms, left out for users who may only view."""

from __future__ import annotations

from django.views.decorators.debug import sensitive_post_parameters


class SecretFieldsAdmin:
    """For a ModelAdmin whose form is a ``WriteOnlySecretsForm``; ``secret_fields`` names the secrets."""

    secret_fields: tuple[str, ...] = ()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # A view-only page renders fields as text: a secret must not be among them.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in self.secret_fields]})
            for name, options in fieldsets
        ]

    # Error reports and debug pages then mask these POST fields.
    def add_view(self, request, form_url="", extra_context=None):
        view = sensitive_post_parameters(*self.secret_fields)(super().add_view)
        return view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        view = sensitive_post_parameters(*self.secret_fields)(super().change_view)
        return view(request, object_id, form_url, extra_context)
