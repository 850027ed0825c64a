"""Form fields that let a consultant pick PIM codes from the mirror instead of typing them.

The stored formats do not change: lists of codes and code → value mappings, exactly what the
commands write. The fields only change how a person reads and picks them. Whether a code exists is
the model's ``clean`` (connector.mirror_codes), so the forms, the commands and the API agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone

from .labels import attribute_type_label, label_in, label_with_code
from .mirror_codes import empty_mirror_message, mirror_is_empty
from .models import AkeneoConnection, Attribute, Category

Choices = list[tuple[str, str]]
NOT_IN_MIRROR = "not in the PIM"


# ------------------------------------------------------------------------------- choices


def connection_of_form(form: forms.ModelForm) -> AkeneoConnection | None:
    """The connection whose mirror the form's pickers show: the saved one, the one just chosen, or
    the only one there is."""
    raw = form.data.get(form.add_prefix("connection")) if form.is_bound else None
    if raw:
        chosen = AkeneoConnection.objects.filter(pk=raw).first() if str(raw).isdigit() else None
        if chosen:
            return chosen
    if getattr(form.instance, "connection_id", None):
        return form.instance.connection
    initial = form.initial.get("connection")
    if initial:
        return AkeneoConnection.objects.filter(pk=getattr(initial, "pk", initial)).first()
    only = list(AkeneoConnection.objects.all()[:2])
    return only[0] if len(only) == 1 else None


class MirrorPickersForm(forms.ModelForm):
    """A model form whose pickers show one connection's mirror, and that says so when it is empty."""

    picker_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mirror_connection = connection_of_form(self)

    @property
    def mirror_notice(self) -> str:
        if self.mirror_connection is None or not mirror_is_empty(self.mirror_connection):
            return ""
        return empty_mirror_message(self.mirror_connection)

    def clean(self):
        cleaned = super().clean()
        picked = any(_getlist(self.data, self.add_prefix(name)) for name in self.picker_fields)
        if picked and self.mirror_notice:
            raise ValidationError(self.mirror_notice)
        return cleaned


def warn_if_mirror_empty(request, form) -> None:
    """For the admin's change forms: say before any typing that there is nothing to pick yet."""
    from django.contrib import messages

    notice = getattr(form, "mirror_notice", "")
    if notice and request.method == "GET":
        messages.warning(request, notice)


def mirror_choices(model: type[Model], connection: AkeneoConnection | None, **filters) -> Choices:
    """Live codes of the connection's mirror, labelled in words. Without a connection, every
    connection's codes (the form's check narrows them to the chosen one)."""
    rows = model.objects.live().filter(**filters)
    if connection is not None:
        rows = rows.filter(connection=connection)
    choices: dict[str, str] = {}
    for code, labels in rows.order_by("code").values_list("code", "labels"):
        choices.setdefault(code, label_with_code(label_in(labels), code))
    return sorted(choices.items(), key=lambda item: item[1].lower())


def attribute_choices(connection: AkeneoConnection | None, **filters) -> Choices:
    """Attributes with their label and type in words, e.g. "Colour (color) · Simple select"."""
    rows = Attribute.objects.live().filter(**filters)
    if connection is not None:
        rows = rows.filter(connection=connection)
    choices: dict[str, str] = {}
    for code, labels, kind in rows.order_by("code").values_list("code", "labels", "type"):
        choices.setdefault(code, f"{label_with_code(label_in(labels), code)} · {attribute_type_label(kind)}")
    return sorted(choices.items(), key=lambda item: item[1].lower())


def category_choices(connection: AkeneoConnection | None) -> Choices:
    """Categories by their path from the root ("Master › Clothing › Men"): sorted as text, the
    list reads as the tree."""
    rows = Category.objects.live()
    if connection is not None:
        rows = rows.filter(connection=connection)
    nodes = {
        code: (parent, label_in(labels) or code)
        for code, parent, labels in rows.values_list("code", "parent_code", "labels")
    }

    def path(code: str) -> str:
        names, seen = [], set()
        while code in nodes and code not in seen:
            seen.add(code)
            parent, name = nodes[code]
            names.append(name)
            code = parent
        return " › ".join(reversed(names))

    choices = [(code, f"{path(code)} ({code})") for code in nodes]
    return sorted(choices, key=lambda item: item[1].lower())


def with_stored(choices: Choices, stored: Iterable[str]) -> Choices:
    """Keep stored codes the mirror no longer has visible, so the form shows them (and refuses them
    by name) instead of silently dropping them."""
    known = {code for code, _ in choices}
    missing = [
        (code, f"{code} ({NOT_IN_MIRROR})") for code in dict.fromkeys(stored) if code and code not in known
    ]
    return missing + choices


# ------------------------------------------------------------------------------- code lists


class SearchableSelectMultiple(FilteredSelectMultiple):
    """The admin's searchable two-box widget, usable outside a relation field."""

    template_name = "connector/widgets/searchable_select.html"


class CodeListField(forms.MultipleChoiceField):
    """A list of codes picked from the mirror, in the admin's searchable two-box widget."""

    def __init__(self, *, noun: str, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", SearchableSelectMultiple(noun, is_stacked=False))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return list(value or [])


class CodeField(forms.ChoiceField):
    """One code picked from the mirror (blank allowed unless required)."""

    def __init__(self, *, blank_label: str = "—", **kwargs):
        self.blank_label = blank_label
        super().__init__(**kwargs)

    def set_choices(self, choices: Choices) -> None:
        self.choices = (
            [("", self.blank_label), *choices] if not self.required else [("", "Choose…"), *choices]
        )


# ------------------------------------------------------------------------------- grids


class RowsWidget(forms.Widget):
    """Base for the table-shaped widgets: a template, rows built by the subclass."""

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty grid is a value (nothing mapped), not an omitted field


class LocaleMappingWidget(RowsWidget):
    template_name = "connector/widgets/locale_mapping.html"

    def __init__(self, rows: Choices = (), attrs=None):
        super().__init__(attrs)
        self.rows = list(rows)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        mapping = value if isinstance(value, dict) else {}
        rows = list(self.rows)
        rows += [(code, f"{code} ({NOT_IN_MIRROR})") for code in mapping if code not in dict(rows)]
        context["rows"] = [
            {
                "code": code,
                "label": label,
                "sfcc": "" if mapping.get(code) == "x-default" else mapping.get(code, ""),
                "is_default": mapping.get(code) == "x-default",
            }
            for code, label in rows
        ]
        return context

    def value_from_datadict(self, data, files, name):
        default = data.get(f"{name}__default", "")
        codes = [code for code, _ in self.rows] + [
            key.removeprefix(f"{name}__sfcc__") for key in data if key.startswith(f"{name}__sfcc__")
        ]
        mapping = {}
        for code in dict.fromkeys(codes):
            if code == default:
                mapping[code] = "x-default"
            elif (data.get(f"{name}__sfcc__{code}") or "").strip():
                mapping[code] = data[f"{name}__sfcc__{code}"].strip()
        return mapping


SFCC_LOCALE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


class LocaleMappingField(forms.Field):
    widget = LocaleMappingWidget

    def set_rows(self, rows: Choices) -> None:
        self.widget.rows = rows

    def to_python(self, value):
        return value if isinstance(value, dict) else {}

    def validate(self, value):
        super().validate(value)
        bad = [v for v in value.values() if v != "x-default" and not SFCC_LOCALE.fullmatch(v)]
        if bad:
            raise ValidationError(f"Not SFCC locale ids: {', '.join(bad)} (they look like fr-FR or fr).")


class KeyedChoiceWidget(RowsWidget):
    """One row per key (an SFCC attribute, a PIM association type), each with one select."""

    template_name = "connector/widgets/keyed_choice.html"

    def __init__(
        self, attrs=None, *, key_heading: str = "", choice_heading: str = "", blank_label: str = "—"
    ):
        super().__init__(attrs)
        self.rows: Choices = []
        self.options: Choices = []
        self.key_heading, self.choice_heading, self.blank_label = key_heading, choice_heading, blank_label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = value if isinstance(value, dict) else {}
        options = with_stored(self.options, chosen.values())
        context.update(
            key_heading=self.key_heading,
            choice_heading=self.choice_heading,
            blank_label=self.blank_label,
            rows=[
                {"key": key, "label": label, "chosen": chosen.get(key, ""), "options": options}
                for key, label in self.rows
            ],
        )
        return context

    def value_from_datadict(self, data, files, name):
        return {
            key: data.get(f"{name}__{key}").strip()
            for key, _ in self.rows
            if (data.get(f"{name}__{key}") or "").strip()
        }


class KeyedChoiceField(forms.Field):
    """``{key: choice}`` picked row by row; ``invert`` stores ``{choice: key}`` instead (the
    attribute mapping is stored PIM attribute → SFCC attribute, but read SFCC attribute first)."""

    def __init__(
        self,
        *,
        invert: bool = False,
        aliases: dict[str, str] | None = None,
        headings: tuple[str, str] = ("", ""),
        blank_label: str = "—",
        **kwargs,
    ):
        self.invert, self.aliases = invert, aliases or {}
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            KeyedChoiceWidget(key_heading=headings[0], choice_heading=headings[1], blank_label=blank_label),
        )
        super().__init__(**kwargs)

    def set_rows(self, rows: Choices, options: Choices) -> None:
        self.widget.rows, self.widget.options = rows, options

    def prepare_value(self, value):
        value = value if isinstance(value, dict) else {}
        if self.invert:
            return {self.aliases.get(target, target): source for source, target in value.items()}
        return value

    def to_python(self, value):
        value = value if isinstance(value, dict) else {}
        if not self.invert:
            return value
        sources = list(value.values())
        doubled = sorted({source for source in sources if sources.count(source) > 1})
        if doubled:
            raise ValidationError(
                f"Each PIM attribute feeds one SFCC attribute; chosen twice: {', '.join(doubled)}."
            )
        return {source: key for key, source in value.items()}


class ViewTypesWidget(RowsWidget):
    """SFCC view type → PIM image attributes, one row per view type plus empty rows to add one."""

    template_name = "connector/widgets/view_types.html"
    SPARE_ROWS = 2
    SUGGESTED = ("large", "medium", "small", "swatch", "hi-res")

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.options: Choices = []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        views = value if isinstance(value, dict) else {}
        options = with_stored(self.options, [c for codes in views.values() for c in codes])
        rows = [{"view": view, "chosen": list(codes)} for view, codes in views.items()]
        rows += [{"view": "", "chosen": []} for _ in range(self.SPARE_ROWS)]
        context.update(rows=rows, options=options, suggested=self.SUGGESTED)
        return context

    def value_from_datadict(self, data, files, name):
        views: dict[str, list[str]] = {}
        index = 0
        while f"{name}__view__{index}" in data:
            view = (data.get(f"{name}__view__{index}") or "").strip()
            codes = [c for c in _getlist(data, f"{name}__attributes__{index}") if c]
            if view and codes:
                views.setdefault(view, []).extend(c for c in codes if c not in views[view])
            elif view or codes:
                views[view or f"(row {index + 1})"] = codes  # refused by the field, with its row
            index += 1
        return views


class ViewTypesField(forms.Field):
    widget = ViewTypesWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return value if isinstance(value, dict) else {}

    def validate(self, value):
        super().validate(value)
        for view, codes in value.items():
            if view.startswith("(row "):
                raise ValidationError(f"{view}: a view type needs its name and at least one attribute.")
            if not codes:
                raise ValidationError(f"View type {view}: choose at least one attribute.")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", view):
                raise ValidationError(f"View type '{view}': letters, digits, - and _ only.")


def _getlist(data, key: str) -> list[str]:
    return data.getlist(key) if hasattr(data, "getlist") else list(data.get(key) or [])


class DependencyRowsWidget(RowsWidget):
    """Rows of "when <attribute> is <value>, require <attribute>", plus one empty row to add one."""

    template_name = "connector/widgets/dependencies.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.options: Choices = []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = [d for d in value or [] if isinstance(d, dict)] + [{}]
        context.update(rows=rows, options=self.options)
        return context

    def value_from_datadict(self, data, files, name):
        rows = []
        index = 0
        while f"{name}__when__{index}" in data:
            row = {
                key: (data.get(f"{name}__{key}__{index}") or "").strip()
                for key in ("when", "value", "require")
            }
            if any(row.values()):
                rows.append(row)
            index += 1
        return rows


class DependencyRowsField(forms.Field):
    widget = DependencyRowsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return value if isinstance(value, list) else []

    def validate(self, value):
        super().validate(value)
        for number, row in enumerate(value, start=1):
            if not row.get("when") or not row.get("require"):
                raise ValidationError(f"Dependency {number}: choose both attributes.")


# ------------------------------------------------------------------------------- schedules


def cron_description(expression: str) -> str:
    """A cron expression in plain words ("At 02:00 AM"), or why it is not one."""
    from cron_descriptor import ExpressionDescriptor, Options
    from croniter import croniter

    if not expression:
        return "Not scheduled."
    if not croniter.is_valid(expression):
        return "Not a valid cron expression (minute hour day month weekday)."
    options = Options()
    options.use_24hour_time_format = True
    try:
        return str(ExpressionDescriptor(expression, options))
    except Exception:  # noqa: BLE001 - the describer refuses forms croniter accepts; say what we can
        return expression


def next_runs(expression: str, count: int = 3, now: datetime | None = None) -> list[datetime]:
    """The next run times, as the scheduler computes them: in the server's zone (settings.TIME_ZONE)."""
    from zoneinfo import ZoneInfo

    from croniter import croniter

    if not expression or not croniter.is_valid(expression):
        return []
    base = (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE))
    times = croniter(expression, base)
    return [times.get_next(datetime) for _ in range(count)]


def schedule_words(expression: str) -> dict:
    times = [timezone.localtime(t) for t in next_runs(expression)]
    return {"description": cron_description(expression), "next": times}


class CronWidget(forms.TextInput):
    """A cron field with its meaning in words and the next three run times under it."""

    template_name = "connector/widgets/cron.html"

    def __init__(self, attrs=None):
        super().__init__(
            {"placeholder": "minute hour day month weekday, e.g. 0 2 * * *", "size": 24, **(attrs or {})}
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["schedule"] = schedule_words((value or "").strip())
        return context


class ScheduleRowsWidget(RowsWidget):
    """One cron per job (e.g. an export profile's jobs), each with its words and next times."""

    template_name = "connector/widgets/schedules.html"

    def __init__(self, jobs: Sequence[tuple[str, str]] = (), attrs=None):
        super().__init__(attrs)
        self.jobs = list(jobs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        crons = value if isinstance(value, dict) else {}
        context["rows"] = [
            {
                "job": job,
                "label": label,
                "cron": crons.get(job, ""),
                "schedule": schedule_words(crons.get(job, "")),
            }
            for job, label in self.jobs
        ]
        return context

    def value_from_datadict(self, data, files, name):
        return {
            job: data[f"{name}__{job}"].strip()
            for job, _ in self.jobs
            if (data.get(f"{name}__{job}") or "").strip()
        }


class ScheduleRowsField(forms.Field):
    def __init__(self, jobs: Sequence[tuple[str, str]] = (), **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", ScheduleRowsWidget(jobs))
        super().__init__(**kwargs)

    def to_python(self, value):
        return value if isinstance(value, dict) else {}
