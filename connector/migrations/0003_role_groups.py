"""The product's roles exist as groups from the first migrate on; their permissions follow each
migrate (connector.roles.ensure_roles), as apps add models."""

from django.db import migrations

ROLES = ("Business consultant", "SDM admin", "Operator")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("connector", "0002_alert_emails"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
