"""Supplier jobs in the admin: upload, column mapping, the value-mapping step, preview, Finalize, rows."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from connector.admin_history import record
from connector.akeneo import AkeneoError
from connector.labels import attribute_type_label, label_in
from connector.models import Run
from connector.params import ascii_int
from connector.runs import queue_run_from_admin

from .decisions import ACTION_WORDS, CREATE, REFUSE, UNCHANGED, UPDATE
from .jobs import (
    attribute_choices,
    column_mapping_problems,
    duplicate_identifiers,
    import_uploaded_file,
    refresh_after_mapping,
)
from .mapping_step import choices_from_post, search_options, step_page
from .models import JobColumn, JobRow, SdmAttribute, SupplierJob, ValueMapping, Workflow
from .option_creation import planned_options
from .preview import predict, preview_job, preview_rows
from .supplier_files import ACCEPTED_DESCRIPTION, SupplierFileError, check_file_name
from .tasks import JOB_IMPORT, JOB_PUSH
from .value_display import ValueFormatter, shorten
from .value_mapping import MappingRefused, auto_map_values, save_mappings, unmapped, unmapped_count


def duplicates_note(job: SupplierJob) -> str:
    """Identifiers on several rows of the file, in words (those rows are refused at push)."""
    duplicates = duplicate_identifiers(job)
    if not duplicates:
        return ""
    shown = "; ".join(
        f"{code} (lines {', '.join(map(str, lines))})" for code, lines in list(duplicates.items())[:10]
    )
    return f"{len(duplicates)} identifiers are on several rows; those rows will be refused: {shown}"


def _kind(target) -> str:
    if target is None:
        return ""
    if target.table_column:
        return f"{attribute_type_label(target.type)}, select column"
    return attribute_type_label(target.type)


def shown_step_rows(job: SupplierJob, rows: list) -> list[tuple]:
    """(row, its attribute's type in words, its suggestion in words) for a page of the value-mapping step."""
    formatter = ValueFormatter(job.workflow.connection).load_options(
        (row.mapping.pim_attribute_code, row.mapping.table_column, row.mapping.suggested_code)
        for row in rows
        if row.mapping.suggested_code
    )
    return [
        (
            row,
            _kind(row.target),
            formatter.option_text(
                row.mapping.pim_attribute_code, row.mapping.suggested_code, row.mapping.table_column
            )
            if row.mapping.suggested_code
            else "",
        )
        for row in rows
    ]


def import_run(job: SupplierJob) -> Run | None:
    """The background import of a job still importing or refused, for its progress banner."""
    if job.rows_ready:
        return None
    return Run.objects.for_target(job, JOB_IMPORT).order_by("-pk").first()


class SupplierFileForm(forms.Form):
    workflow = forms.ModelChoiceField(queryset=Workflow.objects.filter(active=True))
    file = forms.FileField(help_text=f"{ACCEPTED_DESCRIPTION}; first row = column names.")
    name = forms.CharField(required=False, max_length=200, help_text="Default: the file name.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_file_name(upload.name)
        except SupplierFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


class JobColumnForm(forms.ModelForm):
    """A column's role and SDM attribute, picked from the workflow's attributes (never typed)."""

    attribute_choices: list[tuple[str, str]] = []

    class Meta:
        model = JobColumn
        fields = ["role", "sdm_attribute"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sdm_attribute"] = forms.ChoiceField(
            label="SDM attribute",
            choices=[("", "—"), *self.attribute_choices],
            required=False,
            error_messages={
                "invalid_choice": "'%(value)s' is not an SDM attribute of this workflow (last sync)."
            },
        )


class JobColumnFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        rows = [
            (
                form.instance.header,
                form.cleaned_data.get("role", ""),
                form.cleaned_data.get("sdm_attribute", ""),
            )
            for form in self.forms
            if form.cleaned_data
        ]
        problems = column_mapping_problems(self.instance.workflow, rows)
        if problems:
            raise forms.ValidationError(problems)


class JobColumnInline(admin.TabularInline):
    model = JobColumn
    form = JobColumnForm
    formset = JobColumnFormSet
    extra = 0
    fields = ("position", "header", "role", "sdm_attribute", "auto_mapped")
    readonly_fields = ("position", "header", "auto_mapped")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        choices = attribute_choices(obj.workflow) if obj is not None else []
        kwargs["form"] = type("WorkflowJobColumnForm", (JobColumnForm,), {"attribute_choices": choices})
        return super().get_formset(request, obj, **kwargs)


@admin.register(SupplierJob)
class SupplierJobAdmin(admin.ModelAdmin):
    inlines = [JobColumnInline]
    change_form_template = "admin/sdm/supplierjob/change_form.html"
    list_display = ("id", "name", "workflow", "status", "row_count", "unmapped_values", "created_at")
    list_filter = ("workflow", "status")
    list_select_related = ("workflow",)
    search_fields = ("name", "source_filename")
    readonly_fields = ("workflow", "source_filename", "status", "row_count", "created_at", "outcomes")
    fields = ("name", "workflow", "source_filename", "status", "row_count", "outcomes", "created_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(unmapped=models.Count("value_mappings", filter=unmapped("value_mappings__")))
        )

    @admin.display(description="values to map", ordering="unmapped")
    def unmapped_values(self, job: SupplierJob):
        if not job.unmapped:
            return "—"
        url = reverse(f"{self.admin_site.name}:sdm_supplierjob_values", args=[job.pk]) + "?unmapped=1"
        return format_html('<a href="{}">{} unmapped</a>', url, job.unmapped)

    def add_view(self, request, form_url="", extra_context=None):
        """Adding a job means uploading a supplier file: it is imported at once, columns auto-mapped."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SupplierFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = import_uploaded_file(
                    form.cleaned_data["workflow"],
                    form.cleaned_data["file"],
                    form.cleaned_data["name"],
                    created_by=request.user,
                )
            except SupplierFileError as exc:
                form.add_error("file", str(exc))
            else:
                self._report_import(request, job)
                return HttpResponseRedirect(self._url("change", job))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": "Upload a supplier file",
        }
        return TemplateResponse(request, "admin/sdm/supplierjob/upload.html", context)

    def _report_import(self, request, job: SupplierJob) -> None:
        if job.status == SupplierJob.Status.IMPORTING:
            messages.success(
                request,
                f"{job.source_filename} is being imported into {job} in the background; this page shows "
                "its progress. Map its columns and values once it is done.",
            )
            return
        if job.status == SupplierJob.Status.IMPORT_FAILED:
            messages.error(request, f"{job.source_filename} was refused: {job.import_error}")
            return
        unmapped = unmapped_count(job)
        next_step = (
            f"{unmapped} values need a PIM option: map them." if unmapped else "Check the column mapping."
        )
        messages.success(request, f"Imported {job.row_count} rows into {job}. {next_step}")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if any(formset.has_changed() for formset in formsets):
            refresh_after_mapping(form.instance)

    @admin.display(description="rows by outcome")
    def outcomes(self, job: SupplierJob) -> str:
        counts = dict(
            job.rows.values_list("outcome").annotate(n=models.Count("pk")).values_list("outcome", "n")
        )
        url = reverse("admin:sdm_jobrow_changelist") + f"?job__id__exact={job.pk}"
        parts = [
            format_html(
                '<a href="{}&outcome__exact={}">{} {}</a>', url, key, counts.get(key, 0), label.lower()
            )
            for key, label in JobRow.Outcome.choices
        ]
        return format_html_join(" · ", "{}", ((part,) for part in parts))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/finalize/", wrap(self.finalize_view), name="sdm_supplierjob_finalize"),
            path("<path:object_id>/preview/", wrap(self.preview_view), name="sdm_supplierjob_preview"),
            path("<path:object_id>/values/options/", wrap(self.options_view), name="sdm_supplierjob_options"),
            path("<path:object_id>/values/", wrap(self.values_view), name="sdm_supplierjob_values"),
            *super().get_urls(),
        ]

    def _url(self, name: str, job: SupplierJob) -> str:
        return reverse(f"{self.admin_site.name}:sdm_supplierjob_{name}", args=[job.pk])

    def _job_or_404(self, request: HttpRequest, object_id: str) -> SupplierJob:
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404("No such job.")
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_finalize": request.user.has_perm("sdm.finalize_supplierjob"),
            "unmapped": job.unmapped if job is not None else 0,
            "import_run": import_run(job) if job is not None else None,
            "duplicates": duplicates_note(job) if job is not None else "",
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _page_context(self, request, job: SupplierJob, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": job,
            "job": job,
            "title": title,
        }

    def values_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The value-mapping step: every distinct raw value with its rows, its suggestion and a choice."""
        job = self._job_or_404(request, object_id)
        can_map = request.user.has_perm("sdm.change_valuemapping")
        tab = request.GET.get("attribute", "")
        only_unmapped = request.GET.get("unmapped") == "1"
        errors: list[str] = []
        if request.method == "POST":
            if not can_map:
                raise PermissionDenied
            action = request.POST.get("action", "save")
            if action in ("suggestions", "plan"):
                result = auto_map_values(job, plan_new_options=action == "plan")
                summary = (
                    f"{result.mapped} values mapped, {result.to_create} new options planned, "
                    f"{result.unmapped} still unmapped"
                )
                record(request, job, f"Value mapping: suggestions applied ({summary}).")
                messages.success(request, f"{summary}.")
                return HttpResponseRedirect(request.get_full_path())
            try:
                count = save_mappings(job, choices_from_post(job, request.POST))
            except MappingRefused as exc:
                errors = exc.errors
            else:
                record(request, job, f"Value mapping saved ({count} values).")
                messages.success(request, f"Value mapping saved ({count} values).")
                return HttpResponseRedirect(request.get_full_path())
        page = step_page(job, tab=tab, only_unmapped=only_unmapped, page_number=request.GET.get("page", 1))
        context = {
            **self._page_context(request, job, f"Value mapping of {job}"),
            "step": page,
            "rows": shown_step_rows(job, page.rows),
            "tab": tab,
            "only_unmapped": only_unmapped,
            "errors": errors,
            "can_map": can_map,
            "can_finalize": request.user.has_perm("sdm.finalize_supplierjob"),
            "planned": planned_options(job),
            "options_url": self._url("options", job),
        }
        return TemplateResponse(request, "admin/sdm/supplierjob/values.html", context)

    def options_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """Options of one attribute for the searchable picker (select2's JSON shape), 30 at a time."""
        job = self._job_or_404(request, object_id)
        results, more = search_options(
            job,
            request.GET.get("attribute", ""),
            request.GET.get("term", "")[:100],
            ascii_int(request.GET.get("page"), minimum=1, maximum=100_000) or 1,
        )
        return JsonResponse({"results": results, "pagination": {"more": more}})

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self._job_or_404(request, object_id)
        error = ""
        try:
            with job.workflow.connection.client(interactive=True) as client:
                verdicts = preview_job(job, client)
        except AkeneoError as exc:
            verdicts, error = [], f"The PIM could not be read for the preview: {exc.message}"
        planned = planned_options(job)
        new_options = {(p.mapping.pim_attribute_code, p.mapping.option_code) for p in planned}
        context = {
            **self._page_context(request, job, f"Preview of {job}"),
            "previews": preview_rows(job, verdicts, new_options),
            "error": error,
            "planned": planned,
            "can_finalize": request.user.has_perm("sdm.finalize_supplierjob"),
        }
        return TemplateResponse(request, "admin/sdm/supplierjob/preview.html", context)

    def finalize_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404("No such job.")
        if not request.user.has_perm("sdm.finalize_supplierjob"):
            raise PermissionDenied
        if request.method == "POST":
            run = queue_run_from_admin(request, JOB_PUSH, job)
            target = run or Run.objects.for_target(job, JOB_PUSH).active().first()
            if target:
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:connector_run_change", args=[target.pk])
                )
            return HttpResponseRedirect(self._url("change", job))
        error, prediction = "", None
        try:
            with job.workflow.connection.client(interactive=True) as client:
                prediction = predict(job, client)
        except AkeneoError as exc:
            error = f"The PIM could not be read to predict the push: {exc.message}"
        counts = prediction.counts if prediction else {}
        context = {
            **self._page_context(request, job, f"Finalize {job}"),
            "prediction": prediction,
            "predicted": [
                (ACTION_WORDS[a], counts.get(a, 0), a) for a in (CREATE, UPDATE, UNCHANGED, REFUSE)
            ],
            "reasons": prediction.reasons.most_common(20) if prediction else [],
            "error": error,
            "planned": planned_options(job),
            "unmapped": unmapped_count(job),
        }
        return TemplateResponse(request, "admin/sdm/supplierjob/finalize.html", context)


class PreparedChangeList(ChangeList):
    """A change list whose page of rows its admin prepares for display at once (a few queries per
    page instead of some per row): the admin's ``prepare_results`` gets the page."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.prepare_results(self.result_list)


def _truncated(text: str, limit: int) -> str:
    """A cell's text cut to ``limit`` characters, the whole of it in the title."""
    if len(text) <= limit:
        return text
    return format_html('<span title="{}">{}</span>', text, shorten(text, limit))


@admin.register(JobRow)
class JobRowAdmin(admin.ModelAdmin):
    list_display = ("line", "identifier", "outcome", "message_text", "job_number")
    list_filter = ("outcome", "job")
    search_fields = ("identifier", "message")
    list_select_related = ("job",)
    fields = ("job", "line", "identifier", "outcome", "message", "pushed_at", "cells")
    readonly_fields = fields
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="job", ordering="job")
    def job_number(self, row: JobRow) -> str:
        # Short in the list (the file name in its title): a long name pushed the messages off screen.
        return format_html('<span title="{}">#{}</span>', row.job, row.job_id)

    @admin.display(description="message", ordering="message")
    def message_text(self, row: JobRow) -> str:
        return _truncated(row.message, 80) if row.message else "—"  # the full text is in its title

    @admin.display(description="cells of the file")
    def cells(self, row: JobRow) -> str:
        """The row as the supplier sent it: each column's name, where it goes, and its cell."""
        columns = list(row.job.columns.all())
        mapped = [c.sdm_attribute for c in columns if c.sdm_attribute]
        labels = dict(
            SdmAttribute.objects.filter(workflow_id=row.job.workflow_id, code__in=mapped).values_list(
                "code", "labels"
            )
        )
        lines = []
        for column in columns:
            cell = row.values[column.position] if column.position < len(row.values) else ""
            if column.role == JobColumn.Role.ATTRIBUTE and column.sdm_attribute:
                target = label_in(labels.get(column.sdm_attribute), default=column.sdm_attribute)
            else:
                target = column.get_role_display()
            lines.append((column.header, target, cell or "(empty: not sent)"))
        extra = row.values[len(columns) :]
        lines += [(f"(column {len(columns) + n})", "—", cell) for n, cell in enumerate(extra, start=1)]
        return format_html(
            '<table class="row-cells"><thead><tr><th>Column</th><th>Goes to</th><th>Cell</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", lines),
        )

    @admin.action(description="Retry the selected failed rows (push them again)", permissions=["finalize"])
    def retry_failed(self, request, queryset):
        jobs = {row.job for row in queryset.filter(outcome=JobRow.Outcome.FAILED).select_related("job")}
        for job in jobs:
            queue_run_from_admin(request, JOB_PUSH, job)
        if not jobs:
            self.message_user(request, "None of the selected rows failed.", level=messages.WARNING)

    def has_finalize_permission(self, request) -> bool:
        return request.user.has_perm("sdm.finalize_supplierjob")


@admin.register(ValueMapping)
class ValueMappingAdmin(admin.ModelAdmin):
    """Every job's values at a glance; they are mapped on the job's value-mapping step."""

    list_display = ("raw_value_text", "attribute_text", "occurrences", "option_text", "job_step")
    list_filter = ("job", "pim_attribute_code", "create_option")
    search_fields = ("raw_value", "option_code")
    list_select_related = ("job__workflow",)
    fields = (
        "job_step",
        "raw_value",
        "attribute_text",
        "occurrences",
        "suggestion_text",
        "option_text",
        "created_in_pim",
        "creation_error",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return PreparedChangeList

    def prepare_results(self, mappings: list[ValueMapping]) -> None:
        """Attribute and option labels for a page of mappings: one formatter (a few queries) per PIM."""
        by_connection: dict[int, list[ValueMapping]] = {}
        for mapping in mappings:
            by_connection.setdefault(mapping.job.workflow.connection_id, []).append(mapping)
        for group in by_connection.values():
            formatter = ValueFormatter(group[0].job.workflow.connection).load_options(
                (m.pim_attribute_code, m.table_column, code)
                for m in group
                for code in (m.option_code, m.suggested_code)
                if code
            )
            for mapping in group:
                mapping._formatter = formatter

    def _formatter(self, mapping: ValueMapping) -> ValueFormatter:
        if getattr(mapping, "_formatter", None) is None:  # an object page: this mapping alone
            self.prepare_results([mapping])
        return mapping._formatter

    @admin.display(description="supplier value", ordering="raw_value")
    def raw_value_text(self, mapping: ValueMapping) -> str:
        return _truncated(mapping.raw_value, 60)

    @admin.display(description="PIM attribute", ordering="pim_attribute_code")
    def attribute_text(self, mapping: ValueMapping) -> str:
        formatter = self._formatter(mapping)
        text = formatter.attribute_label(mapping.pim_attribute_code)
        if mapping.table_column:
            text += f" › {formatter.column_label(mapping.pim_attribute_code, mapping.table_column)}"
        return format_html('<span title="{}">{}</span>', mapping.pim_attribute_code, text)

    @admin.display(description="suggested")
    def suggestion_text(self, mapping: ValueMapping) -> str:
        if not mapping.suggested_code:
            return "none"
        return self._option(mapping, mapping.suggested_code)

    def _option(self, mapping: ValueMapping, code: str) -> str:
        return self._formatter(mapping).option_text(mapping.pim_attribute_code, code, mapping.table_column)

    @admin.display(description="PIM option", ordering="option_code")
    def option_text(self, mapping: ValueMapping) -> str:
        if mapping.create_option and mapping.option_code:
            state = "created in the PIM" if mapping.created_in_pim else "to be created by the push"
            return f"New option {mapping.option_code} ({state})"
        if mapping.option_code:
            return self._option(mapping, mapping.option_code)
        if mapping.suggested_code:
            return f"Not mapped (suggested: {self._option(mapping, mapping.suggested_code)})"
        return "Not mapped"

    @admin.display(description="job")
    def job_step(self, mapping: ValueMapping):
        url = reverse(f"{self.admin_site.name}:sdm_supplierjob_values", args=[mapping.job_id])
        return format_html('<a href="{}">{} · map values</a>', url, mapping.job)
