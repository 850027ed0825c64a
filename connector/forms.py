from __future__ import annotations

from django import forms

from .models import AkeneoConnection

WRITE_ONLY_HELP = "Stored but never shown. Leave blank to keep the current value."


class AkeneoConnectionForm(forms.ModelForm):
    """Secrets are write-only: the form never renders them, and a blank field keeps the stored one."""

    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        required=False,
        strip=False,
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        required=False,
        strip=False,
    )

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
            "sync_cron",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("secret", "password"):
            if self.instance.pk:
                self.fields[name].help_text = WRITE_ONLY_HELP
            else:
                self.fields[name].required = True
                self.fields[name].help_text = "Stored but never shown again."

    def clean_base_url(self) -> str:
        return self.cleaned_data["base_url"].strip().rstrip("/")

    def _keep_stored(self, name: str) -> str:
        value = self.cleaned_data.get(name)
        if not value and self.instance.pk:
            return getattr(self.instance, name)
        return value

    def clean_secret(self) -> str:
        return self._keep_stored("secret")

    def clean_password(self) -> str:
        return self._keep_stored("password")
