"""create_user: a staff user with exactly one role, for scripted set-ups."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_create_user_gives_one_role_and_prints_a_new_password():
    out = StringIO()
    call_command("create_user", "--username", "olivia", "--role", "operator", stdout=out)
    user = User.objects.get(username="olivia")
    password = out.getvalue().strip().rsplit(": ", 1)[1]
    assert user.is_staff and not user.is_superuser and user.check_password(password)
    assert [g.name for g in user.groups.all()] == ["Operator"]

    call_command(
        "create_user", "--username", "olivia", "--role", "SDM admin", "--password", "given-pw", stdout=out
    )
    user.refresh_from_db()
    assert [g.name for g in user.groups.all()] == ["SDM admin"] and user.check_password("given-pw")


def test_an_unknown_role_is_refused_with_the_known_ones():
    with pytest.raises(
        CommandError, match="Unknown role 'admin' \\(known: Business consultant, SDM admin, Operator"
    ):
        call_command("create_user", "--username", "x", "--role", "admin", stdout=StringIO())
    assert not User.objects.filter(username="x").exists()
