from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from connector.admin_readonly import ReadableForViewers
from connector.admin_secrets import SecretFieldsAdmin
from connector.forms import WriteOnlySecretsForm
from connector.labels import sentence
from connector.models import AssociationType, Channel, Family, Locale, ReferenceEntity
from connector.pickers import (
    CodeField,
    CodeListField,
    KeyedChoiceField,
    LocaleMappingField,
    MirrorPickersForm,
    ScheduleRowsField,
    ViewTypesField,
    attribute_choices,
    category_choices,
    mirror_choices,
    warn_if_mirror_empty,
    with_stored,
)
from connector.runs import queue_run_from_admin

from .export import JOBS, MODES
from .history import archive_history
from .models import (
    DEFAULT_LINK_TYPES,
    EXPORT_JOBS,
    IMAGE_ATTRIBUTE_TYPES,
    LINK_TYPES,
    READ_JOBS,
    SYSTEM_ATTRIBUTE_ALIASES,
    SYSTEM_ATTRIBUTES,
    ExportProfile,
    SiteArchive,
)
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
    "events": "Near-real-time: what the PIM's events named",
    "reconcile": "Reconciliation: what events missed",
}


SFCC_ATTRIBUTE_WORDS = {
    "ean": "EAN",
    "upc": "UPC",
    "display-name": "Name",
    "short-description": "Short description",
    "long-description": "Long description",
    "online-flag": "Online",
    "searchable-flag": "Searchable",
    "tax-class-id": "Tax class",
    "brand": "Brand",
    "manufacturer-name": "Manufacturer name",
    "manufacturer-sku": "Manufacturer SKU",
}


def https_by_default(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"  # a URL typed without scheme
    return db_field.formfield(**kwargs)


class ExportProfileForm(MirrorPickersForm, WriteOnlySecretsForm):
    """Every PIM code is picked from the connection's mirror; the stored JSON keeps its shape."""

    picker_fields = ("families", "categories", "completeness_locales", "reference_entities")

    write_only = ("api_client_secret",)

    channel = CodeField(label="PIM channel", required=True)
    locale_mapping = LocaleMappingField(
        help_text="Give each PIM locale to export its SFCC locale id, and choose the one that is "
        "SFCC's x-default. Locales left empty are not exported."
    )
    attribute_mapping = KeyedChoiceField(
        invert=True,
        aliases=SYSTEM_ATTRIBUTE_ALIASES,
        headings=("SFCC system attribute", "PIM attribute"),
        blank_label="— none —",
        help_text="Which PIM attribute fills each SFCC system attribute; "
        "the others become custom attributes.",
    )
    association_mapping = KeyedChoiceField(
        headings=("PIM association type", "SFCC product link type"),
        blank_label="Default",
        help_text="The SFCC product link type of each PIM association type. Default: "
        + ", ".join(f"{pim} → {sfcc}" for pim, sfcc in DEFAULT_LINK_TYPES.items())
        + ", any other → other.",
    )
    families = CodeListField(noun="families", help_text="Only products of these families; none chosen = all.")
    categories = CodeListField(
        noun="categories", help_text="Only products in these categories or below them; none chosen = all."
    )
    completeness_locales = CodeListField(
        noun="locales", help_text="Locales the completeness must hold for; none chosen = every mapped locale."
    )
    image_view_types = ViewTypesField(
        help_text="Each SFCC view type and the PIM image or asset collection attributes that fill it."
    )
    price_attribute = CodeField(
        required=False,
        blank_label="No pricebooks",
        help_text="The PIM price collection feeding the pricebooks.",
    )
    reference_entities = CodeListField(
        noun="reference entities", help_text="Exported as content assets and grouped as records."
    )
    schedules = ScheduleRowsField(
        [(job, JOB_LABELS[job]) for job in (*EXPORT_JOBS, *READ_JOBS, "all")],
        help_text="A cron expression per job, in the server's time zone. "
        "Scheduled catalog exports are differential.",
    )

    class Meta:
        model = ExportProfile
        fields = "__all__"
        formfield_callback = https_by_default

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pick_from(self.mirror_connection)

    def _pick_from(self, connection) -> None:
        profile = self.instance
        fields = self.fields
        if "channel" in fields:
            fields["channel"].set_choices(with_stored(mirror_choices(Channel, connection), [profile.channel]))
        if "locale_mapping" in fields:
            fields["locale_mapping"].set_rows(self._locale_rows(connection))
        if "attribute_mapping" in fields:
            fields["attribute_mapping"].set_rows(
                [(name, f"{SFCC_ATTRIBUTE_WORDS.get(name, name)} ({name})") for name in SYSTEM_ATTRIBUTES],
                attribute_choices(connection),
            )
        if "association_mapping" in fields:
            types = mirror_choices(AssociationType, connection)
            known = {code for code, _ in types}
            extra = [
                (code, code)
                for code in [*DEFAULT_LINK_TYPES, *profile.association_mapping]
                if code not in known
            ]
            fields["association_mapping"].set_rows(
                types + list(dict.fromkeys(extra)), [(link, sentence(link)) for link in LINK_TYPES]
            )
        for name, model in (("families", Family), ("completeness_locales", Locale)):
            if name in fields:
                fields[name].choices = with_stored(mirror_choices(model, connection), getattr(profile, name))
        if "reference_entities" in fields:
            fields["reference_entities"].choices = with_stored(
                mirror_choices(ReferenceEntity, connection), profile.reference_entities
            )
        if "categories" in fields:
            fields["categories"].choices = with_stored(category_choices(connection), profile.categories)
        if "image_view_types" in fields:
            fields["image_view_types"].widget.options = attribute_choices(
                connection, type__in=IMAGE_ATTRIBUTE_TYPES
            )
        if "price_attribute" in fields:
            fields["price_attribute"].set_choices(
                with_stored(
                    attribute_choices(connection, type="pim_catalog_price_collection"),
                    [profile.price_attribute],
                )
            )

    def _locale_rows(self, connection):
        """The channel's locales first, then the PIM's other enabled locales."""
        locales = dict(mirror_choices(Locale, connection, enabled=True))
        channel = Channel.objects.live().filter(connection=connection, code=self.instance.channel).first()
        first = [code for code in (channel.locales if channel else []) if code in locales]
        return [(code, locales[code]) for code in dict.fromkeys([*first, *locales])]


@admin.register(ExportProfile)
class ExportProfileAdmin(ReadableForViewers, SecretFieldsAdmin, admin.ModelAdmin):
    form = ExportProfileForm
    readable_json = (
        "locale_mapping",
        "attribute_mapping",
        "association_mapping",
        "families",
        "categories",
        "completeness_locales",
        "image_view_types",
        "reference_entities",
        "schedules",
    )
    secret_fields = ("api_client_secret",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_form_template = "admin/sfcc_export/exportprofile/change_form.html"
    list_display = (
        "name",
        "connection",
        "channel",
        "master_catalog_id",
        "storefront_catalog_id",
        "delivery_check_ok",
        "delivery_health_note",
    )
    list_filter = ("connection",)
    list_select_related = ("connection",)
    search_fields = ("name", "master_catalog_id", "storefront_catalog_id")
    readonly_fields = ("delivery_check_ok", "delivery_check_at", "delivery_check_message")
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
            "Near-real-time (PIM events)",
            {"fields": ("near_real_time", "near_real_time_minutes", "reconciliation_cron")},
        ),
        (
            "Delivery",
            {
                "fields": (
                    "delivery_target",
                    "instance_url",
                    "account_manager_url",
                    "api_client_id",
                    "api_client_secret",
                    "scapi_short_code",
                    "scapi_tenant_id",
                    "ocapi_version",
                    "archive_max_mb",
                    "skipped_alert_threshold",
                    "delivery_check_ok",
                    "delivery_check_at",
                    "delivery_check_message",
                )
            },
        ),
    )

    @admin.display(description="why not")
    def delivery_health_note(self, obj: ExportProfile) -> str:
        return Truncator(obj.health_problem).chars(160)

    def _can_export(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sfcc_export.export_exportprofile")

    def render_change_form(self, request, context, *args, **kwargs):
        warn_if_mirror_empty(request, context["adminform"].form)
        return super().render_change_form(request, context, *args, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        profile = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_export": self._can_export(request),
            "export_jobs": [(job, JOB_LABELS[job]) for job in JOBS],
            "export_modes": MODES,
            "archive_history": archive_history(profile, self.admin_site.name) if profile else [],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/export/", wrap(self.export_view), name="sfcc_export_exportprofile_export"),
            path(
                "<path:object_id>/archives/<int:archive_id>/deliver/",
                wrap(self.deliver_again_view),
                name="sfcc_export_exportprofile_deliver_again",
            ),
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

    @method_decorator(require_POST)
    def deliver_again_view(self, request: HttpRequest, object_id: str, archive_id: int) -> HttpResponse:
        profile = self.get_object(request, unquote(object_id))
        if profile is None:
            raise Http404("No such export profile.")
        if not self._can_export(request):
            raise PermissionDenied
        archive = SiteArchive.objects.filter(pk=archive_id, profile=profile).first()
        change_url = reverse(f"{self.admin_site.name}:sfcc_export_exportprofile_change", args=[profile.pk])
        if archive is None:
            messages.error(request, "That archive is no longer in the profile's history.")
            return HttpResponseRedirect(change_url)
        if not profile.can_deliver:
            messages.error(request, "Set the profile's SFCC instance URL, API client id and secret first.")
            return HttpResponseRedirect(change_url)
        run = queue_run_from_admin(
            request,
            EXPORT,
            profile,
            params={"job": archive.job, "redeliver": archive.pk},
            history=f"delivery again of the site archive {archive}",
        )
        if run is None:
            return HttpResponseRedirect(change_url)
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:connector_run_change", args=[run.pk]))
