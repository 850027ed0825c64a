from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from connector.admin_secrets import SecretFieldsAdmin
from connector.forms import WriteOnlySecretsForm
from connector.runs import queue_run_from_admin

from .export import JOBS, MODES
from .models import ExportProfile
from .tasks import EXPORT

JOB_LABELS = {
    "attributes": "Attributes (metadata)",
    "assets": "Images and assets",
    "pricebook": "Pricebooks",
    "master": "Master catalog",
    "storefront": "Storefront catalog",
    "entities": "Reference entities (content assets)",
    "record-grouping": "Record grouping",
    "refinements": "Save catalog refinements (from SFCC)",
    "all": "All of them, in order",
}


def https_by_default(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"  # a URL typed without scheme
    return db_field.formfield(**kwargs)


class ExportProfileForm(WriteOnlySecretsForm):
    write_only = ("api_client_secret",)

    class Meta:
        model = ExportProfile
        fields = "__all__"
        formfield_callback = https_by_default


@admin.register(ExportProfile)
class ExportProfileAdmin(SecretFieldsAdmin, admin.ModelAdmin):
    form = ExportProfileForm
    secret_fields = ("api_client_secret",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_form_template = "admin/sfcc_export/exportprofile/change_form.html"
    list_display = ("name", "connection", "channel", "master_catalog_id", "storefront_catalog_id")
    list_filter = ("connection",)
    list_select_related = ("connection",)
    search_fields = ("name", "master_catalog_id", "storefront_catalog_id")
    fieldsets = (
        (None, {"fields": ("name", "connection", "channel")}),
        ("SFCC catalogs", {"fields": ("master_catalog_id", "storefront_catalog_id", "site_id")}),
        (
            "Mapping",
            {"fields": ("locale_mapping", "attribute_mapping", "association_mapping", "attribute_group_id")},
        ),
        (
            "Product filters",
            {
                "fields": (
                    "families",
                    "categories",
                    "only_enabled",
                    "completeness_min",
                    "completeness_locales",
                )
            },
        ),
        ("Images", {"fields": ("image_view_types", "image_location", "image_base_url")}),
        (
            "Prices and reference entities",
            {"fields": ("price_attribute", "reference_entities", "library_id", "record_group_id")},
        ),
        ("Output and schedule", {"fields": ("removal_mode", "output_dir", "schedules", "alert_emails")}),
        (
            "Delivery",
            {
                "fields": (
                    "delivery_target",
                    "instance_url",
                    "account_manager_url",
                    "api_client_id",
                    "api_client_secret",
                    "ocapi_version",
                )
            },
        ),
    )

    def _can_export(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sfcc_export.export_exportprofile")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": self._can_export(request),
            "export_jobs": [(job, JOB_LABELS[job]) for job in JOBS],
            "export_modes": MODES,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/export/", wrap(self.export_view), name="sfcc_export_exportprofile_export"),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        profile = self.get_object(request, unquote(object_id))
        if profile is None:
            raise Http404("No such export profile.")
        if not self._can_export(request):
            raise PermissionDenied
        job, mode = request.POST.get("job"), request.POST.get("mode", "full")
        change_url = reverse(f"{self.admin_site.name}:sfcc_export_exportprofile_change", args=[profile.pk])
        if job not in JOBS or mode not in MODES:
            messages.error(request, f"Choose a job ({', '.join(JOBS)}) and a mode ({', '.join(MODES)}).")
            return HttpResponseRedirect(change_url)
        run = queue_run_from_admin(request, EXPORT, profile, params={"job": job, "mode": mode})
        if run is None:
            return HttpResponseRedirect(change_url)
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:connector_run_change", args=[run.pk]))
