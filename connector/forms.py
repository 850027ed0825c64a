from __future__ import annotations

from django import forms

from .models import AkeneoConnection
from .pickers import CronWidget

WRITE_ONLY_HELP = "Stored but never shown. Leave blank to keep the current value."


class WriteOnlySecretsForm(forms.ModelForm):
    """Secrets are write-only: the form never renders them, and a blank field keeps the stored one."""

    write_only: tuple[str, ...] = ()
    required_on_create: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.write_only:
            if name not in self.fields:  # a view-only user: the admin shows no secret field at all
                continue
            field = self.fields[name]
            self.fields[name] = forms.CharField(
                label=field.label,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                required=not self.instance.pk and name in self.required_on_create,
                strip=False,
                help_text=WRITE_ONLY_HELP if self.instance.pk else "Stored but never shown again.",
            )

    def clean(self):
        cleaned = super().clean()
        for name in self.write_only:  # the instance still holds the stored values until _post_clean
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


class AkeneoConnectionForm(WriteOnlySecretsForm):
    write_only = ("secret", "password")
    required_on_create = ("secret", "password")

    class Meta:
        model = AkeneoConnection
        fields = [
            "name",
            "base_url",
            "client_id",
            "secret",
            "username",
            "password",
            "timeout",
            "max_requests_per_second",
            "max_concurrency",
            "sync_cron",
            "alert_emails",
        ]
        widgets = {"sync_cron": CronWidget}

    def clean_base_url(self) -> str:
        return self.cleaned_data["base_url"].strip().rstrip("/")
