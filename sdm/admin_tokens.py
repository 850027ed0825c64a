"""API tokens in the admin: issued (the key shown once, on the page that answers the form), listed
and revoked."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.template.response import TemplateResponse

from connector.roles import SUPPLIER

from .feeds import issue_token
from .models import ApiToken


def managed_accounts(issuer) -> QuerySet:
    """The accounts whose tokens ``issuer`` may issue and revoke. A superuser: every account.
    Anyone else (an SDM admin): the suppliers' API-only accounts only, so that nobody mints a key
    that acts with more rights than a supplier's: their own, or a superuser's, for instance."""
    users = get_user_model().objects.all()
    if issuer.is_superuser:
        return users
    return users.filter(groups__name=SUPPLIER, is_staff=False, is_superuser=False)


def token_holders(issuer) -> QuerySet:
    """The accounts offered in the form: the managed ones that can sign in."""
    return (
        managed_accounts(issuer)
        .filter(is_active=True)
        .distinct()
        .prefetch_related("groups")
        .order_by("username")
    )


class HolderField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        roles = ", ".join(group.name for group in user.groups.all())
        if user.is_superuser:
            roles = ", ".join(filter(None, ["superuser", roles]))
        return f"{user.get_username()} ({roles})" if roles else user.get_username()


class IssueTokenForm(forms.Form):
    user = HolderField(
        queryset=get_user_model().objects.none(),
        help_text="The token acts with this account's role (a supplier's: its own projects and jobs).",
    )
    name = forms.CharField(
        max_length=100, help_text="What the token is for (e.g. the supplier's ERP), to tell tokens apart."
    )

    def __init__(self, *args, holders: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = holders


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued here or through the API (POST /api/v1/auth/token/), the same way
    (``sdm.feeds.issue_token``); only the key's hash is kept, so the key is shown once, never again."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_filter = ("user",)
    search_fields = ("name", "user__username", "prefix")
    # The holder as text: a link to the account would 403 for every role that cannot view users.
    fields = ("name", "holder", "prefix", "created_at", "last_used_at")
    readonly_fields = fields

    @admin.display(description="user", ordering="user__username")
    def holder(self, token) -> str:
        return token.user.get_username()

    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or managed_accounts(request.user).filter(pk=obj.user_id).exists()

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueTokenForm(request.POST or None, holders=token_holders(request.user))
        context = {**self.admin_site.each_context(request), "opts": self.opts}
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                token, key = issue_token(form.cleaned_data["user"], form.cleaned_data["name"])
                self.log_addition(request, token, [{"added": {}}])
            # The key goes into this response only: no redirect, no message, nothing stored that a
            # later page could show. The admin's views are sent with "no-store", so no cache keeps it.
            context.update({"title": "API token created", "token": token, "key": key})
            return TemplateResponse(request, "admin/sdm/apitoken/key_once.html", context)
        context.update({"title": "Add API token", "form": form})
        return TemplateResponse(request, "admin/sdm/apitoken/add_form.html", context)

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        allowed = queryset.filter(user__in=managed_accounts(request.user).values("pk"))
        kept = queryset.count() - allowed.count()
        count, _ = allowed.delete()
        self.message_user(request, f"{count} tokens revoked.")
        if kept:
            self.message_user(
                request,
                f"{kept} tokens of accounts other than suppliers' kept: only a superuser revokes those.",
                messages.WARNING,
            )
