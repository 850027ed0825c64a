"""Scripted user set-up: a staff user holding exactly one of the product's roles."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from .roles import ROLE_PERMISSIONS


def role_named(text: str) -> str:
    """``operator``, ``sdm-admin``, ``Business consultant``… → the role's group name."""
    wanted = text.strip().lower().replace("-", " ").replace("_", " ")
    for role in ROLE_PERMISSIONS:
        if role.lower() == wanted:
            return role
    raise ValidationError(f"Unknown role '{text}' (known: {', '.join(ROLE_PERMISSIONS)}).")


@transaction.atomic
def create_user(
    username: str, role: str, *, email: str = "", password: str | None = None
) -> tuple[object, str]:
    """Create or update the user with that role only; returns it and its (new) password."""
    group = Group.objects.get(name=role_named(role))
    password = password or secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff, user.is_superuser = True, False
    if email:
        user.email = email
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([group])
    return user, password
