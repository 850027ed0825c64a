"""Form pieces for the PIM's per-locale labels: one text input per locale, stored as ``{locale: text}``.

A JSON textarea made people type ``{"en_US": "..."}`` by hand; this widget shows the locales the
object is used in (plus any the labels already hold) and one spare pair to add another locale.
The field stores the same dict the sync writes, so an untouched form leaves the row unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from django import forms
from django.utils.html import format_html, format_html_join

from .labels import locale_rows

LOCALE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]{2,4})*$")
ADD_LOCALE, ADD_LABEL = "+locale", "+label"


def _key(name: str, locale: str) -> str:
    # "+" never appears in a locale code, so the spare pair's names cannot meet a locale's.
    return f"{name}[{locale}]"


class LabelsWidget(forms.Widget):
    def __init__(self, locales: Iterable[str] = (), attrs=None):
        super().__init__(attrs)
        self.locales = list(locales)

    def format_value(self, value) -> dict[str, str]:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value else {}
            except ValueError:
                value = {}
        return (
            {str(k): "" if v is None else str(v) for k, v in value.items()} if isinstance(value, dict) else {}
        )

    def value_from_datadict(self, data, files, name) -> dict[str, str] | None:
        prefix = f"{name}["
        posted = {
            key[len(prefix) : -1]: data.get(key)
            for key in data
            if key.startswith(prefix) and key.endswith("]")
        }
        if not posted:
            return None
        added_locale = (posted.pop(ADD_LOCALE, "") or "").strip()
        added_label = posted.pop(ADD_LABEL, "") or ""
        labels = {locale: text or "" for locale, text in posted.items()}
        if added_locale or added_label.strip():
            labels[added_locale] = added_label
        return labels

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(key.startswith(f"{name}[") for key in data)

    def id_for_label(self, id_):
        return f"{id_}_{self.locales[0]}" if id_ and self.locales else None

    def render(self, name, value, attrs=None, renderer=None):
        labels = self.format_value(value)
        base_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        rows = format_html_join(
            "",
            '<tr><th><label for="{}">{}</label></th>'
            '<td><input type="text" class="vTextField" name="{}" id="{}" value="{}" lang="{}"></td></tr>',
            (
                (f"{base_id}_{locale}", locale or "(no locale)", _key(name, locale), f"{base_id}_{locale}")
                + (text, locale.replace("_", "-"))
                for locale, text in locale_rows(labels, self.locales)
            ),
        )
        spare = format_html(
            '<tr class="add-locale"><th><input type="text" name="{}" id="{}_add" size="8" maxlength="20" '
            'placeholder="e.g. it_IT" aria-label="Another locale"></th>'
            '<td><input type="text" class="vTextField" name="{}" placeholder="its label" '
            'aria-label="Label in that locale"></td></tr>',
            _key(name, ADD_LOCALE),
            base_id,
            _key(name, ADD_LABEL),
        )
        return format_html(
            '<table class="labels-widget" id="{}"><tbody>{}{}</tbody></table>', base_id, rows, spare
        )


class LabelsField(forms.Field):
    """``{locale: label}`` from a ``LabelsWidget``; empty inputs are no label, not an empty one."""

    widget = LabelsWidget
    default_error_messages = {
        "locale": "'%(locale)s' is not a locale code (like en_US).",
        "no_locale": "Give the locale of the new label “%(label)s”.",
    }

    def __init__(self, *, locales: Iterable[str] = (), **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.locales = list(locales)

    @property
    def locales(self) -> list[str]:
        return self.widget.locales

    @locales.setter
    def locales(self, value: Iterable[str]) -> None:
        self.widget.locales = list(value)

    def to_python(self, value) -> dict[str, str]:
        if not value:
            return {}
        if isinstance(value, str):
            value = self.widget.format_value(value)
        return {str(k).strip(): str(v).strip() for k, v in value.items() if v is not None and str(v).strip()}

    def validate(self, value: dict[str, str]) -> None:
        super().validate(value)
        for locale, label in value.items():
            if not locale:
                raise forms.ValidationError(
                    self.error_messages["no_locale"], code="no_locale", params={"label": label}
                )
            if not LOCALE_CODE.match(locale):
                raise forms.ValidationError(
                    self.error_messages["locale"], code="locale", params={"locale": locale}
                )

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial) != self.to_python(data)
