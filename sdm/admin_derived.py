"""The derived project configuration in the admin: editable by hand, overwritten by the next sync."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from connector.labels import (
    ATTRIBUTE_TYPES,
    SDM_TYPES,
    attribute_type_label,
    label_in,
    sdm_type_label,
    type_choices,
)
from connector.models import Locale
from connector.widgets import LabelsField

from .models import DisplayGroup, Hierarchy, SdmAttribute, Workflow

ALLOWED_VALUES_SHOWN = 300
TREE_NODES_SHOWN = 2000


def workflow_locales(workflow: Workflow) -> list[str]:
    """The locales a workflow's labels are written in: its targets, else the PIM's active locales."""
    if workflow.locales:
        return list(workflow.locales)
    return list(
        Locale.objects.live()
        .filter(connection_id=workflow.connection_id, enabled=True)
        .order_by("code")
        .values_list("code", flat=True)
    )


class DerivedForm(forms.ModelForm):
    labels = LabelsField(help_text="One label per locale; leave a locale empty for no label.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["labels"].locales = workflow_locales(self.instance.workflow)


class SdmAttributeForm(DerivedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Types are picked by their words; the codes stay what the sync writes, so the form keeps them.
        for name, words, label in (
            ("sdm_type", SDM_TYPES, "SDM type"),
            ("pim_type", ATTRIBUTE_TYPES, "PIM type"),
        ):
            if name in self.fields:
                self.fields[name] = forms.ChoiceField(
                    label=label, choices=type_choices(words, [getattr(self.instance, name, "")])
                )


def _label(obj) -> str:
    return label_in(obj.labels, default="—")


def tree_lines(nodes: list[dict]) -> list[tuple[int, str, str]]:
    """(depth, code, label) of a hierarchy's nodes, each under its parent, in the order given.

    Nodes come breadth-first from the sync; a node whose parent is not in the list is a root, and
    a node met twice (a cycle edited in by hand) is shown once.
    """
    codes = {n.get("code") for n in nodes if isinstance(n, dict)}
    children: dict[str | None, list[dict]] = {}
    for node in nodes:
        if isinstance(node, dict) and node.get("code"):
            parent = node.get("parent") if node.get("parent") in codes else None
            children.setdefault(parent, []).append(node)
    lines: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    stack = [(0, node) for node in reversed(children.get(None, []))]
    while stack:
        depth, node = stack.pop()
        code = node["code"]
        if code in seen:
            continue
        seen.add(code)
        lines.append((depth, code, label_in(node.get("labels"), default=code)))
        stack += [(depth + 1, child) for child in reversed(children.get(code, []))]
    return lines


class DerivedAdmin(admin.ModelAdmin):
    """Derived rows may be edited by hand, but the next sync overwrites them; the admin says so."""

    form = DerivedForm
    list_filter = ("workflow",)
    search_fields = ("code",)
    list_select_related = ("workflow",)
    readonly_fields = ("sync_note", "synced_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description="label")
    def label_text(self, obj) -> str:
        return _label(obj)

    @admin.display(description="edited by hand")
    def hand_edit_flag(self, obj) -> str:
        if obj.edited_by_hand:
            return format_html(
                '<strong class="errornote">{}</strong>', "edited by hand: the next sync overwrites it"
            )
        return ""

    @admin.display(description="note")
    def sync_note(self, obj) -> str:
        if obj.pk and obj.edited_by_hand:
            return "This row was edited by hand; the next workflow sync overwrites it with the PIM's values."
        return "Derived from the PIM by the workflow sync: manual changes are overwritten at the next sync."


class SdmTypeFilter(admin.SimpleListFilter):
    title = "SDM type"
    parameter_name = "sdm_type"

    def lookups(self, request, model_admin):
        used = SdmAttribute.objects.order_by().values_list("sdm_type", flat=True).distinct()
        return sorted(((code, sdm_type_label(code)) for code in used), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(sdm_type=self.value()) if self.value() else queryset


@admin.register(SdmAttribute)
class SdmAttributeAdmin(DerivedAdmin):
    form = SdmAttributeForm
    # Channel, locale and PIM attribute are in the code and in the filters; the rest is on the object page.
    list_display = ("code", "label_text", "type_text", "display_group", "hand_edit_flag")
    list_filter = ("workflow", SdmTypeFilter, "display_group", "kind", "channel", "locale")
    search_fields = ("code", "pim_attribute_code")
    readonly_fields = ("sync_note", "synced_at", "allowed_values_table")
    fields = (
        "sync_note",
        "workflow",
        "code",
        "labels",
        *(f if f != "allowed_values" else "allowed_values_table" for f in SdmAttribute.DERIVED_FIELDS),
        "position",
        "synced_at",
    )

    @admin.display(description="type", ordering="sdm_type")
    def type_text(self, attribute: SdmAttribute) -> str:
        text = sdm_type_label(attribute.sdm_type)
        if attribute.kind == SdmAttribute.Kind.UNIT:
            text += " (unit)"
        return format_html(
            '<span title="PIM type: {}">{}</span>', attribute_type_label(attribute.pim_type), text
        )

    @admin.display(description="allowed values")
    def allowed_values_table(self, attribute: SdmAttribute) -> str:
        values = [v for v in attribute.allowed_values or [] if isinstance(v, dict)]
        if not values:
            return "— (any value of its type)"
        shown = values[:ALLOWED_VALUES_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            ((v.get("code", ""), label_in(v.get("labels"), default="—")) for v in shown),
        )
        more = (
            format_html("<p>… and {} more.</p>", len(values) - len(shown)) if len(values) > len(shown) else ""
        )
        return format_html(
            '<p>{} values, from the PIM (written by the sync).</p><table class="allowed-values">'
            "<thead><tr><th>Code</th><th>Label</th></tr></thead><tbody>{}</tbody></table>{}",
            len(values),
            rows,
            more,
        )


@admin.register(DisplayGroup)
class DisplayGroupAdmin(DerivedAdmin):
    list_display = ("code", "label_text", "workflow", "position", "hand_edit_flag")
    fields = ("sync_note", "workflow", "code", "labels", "position", "synced_at")


@admin.register(Hierarchy)
class HierarchyAdmin(DerivedAdmin):
    list_display = ("code", "label_text", "workflow", "source", "node_count", "hand_edit_flag")
    readonly_fields = ("sync_note", "synced_at", "node_tree")
    fields = ("sync_note", "workflow", "code", "source", "labels", "node_tree", "position", "synced_at")

    @admin.display(description="nodes")
    def node_count(self, obj) -> int:
        return len(obj.nodes)

    @admin.display(description="nodes")
    def node_tree(self, obj) -> str:
        lines = tree_lines(obj.nodes if isinstance(obj.nodes, list) else [])
        if not lines:
            return "—"
        shown = lines[:TREE_NODES_SHOWN]
        items = format_html_join(
            "",
            '<li style="padding-left: {}em">{} <span class="quiet">{}</span></li>',
            ((f"{depth * 1.5:g}", label, code) for depth, code, label in shown),
        )
        more = (
            format_html("<li>… and {} more.</li>", len(lines) - len(shown)) if len(lines) > len(shown) else ""
        )
        return format_html(
            "<p>{} nodes, from the PIM (written by the sync).</p>"
            '<ul class="hierarchy-tree" style="list-style: none; margin: 0; padding: 0">{}{}</ul>',
            len(lines),
            items,
            more,
        )
