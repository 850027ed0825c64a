from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.connections import describe_validation_error
from connector.roles import ROLE_PERMISSIONS
from connector.users import create_user


class Command(BaseCommand):
    help = "Create or update a staff user with one role (its password is printed unless given)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--role",
            required=True,
            help=f"one of: {', '.join(ROLE_PERMISSIONS)} (or operator, sdm-admin, ...)",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="default: a new random one, printed")
        parser.add_argument(
            "--projects",
            default="",
            help="supplier role: the SDM projects (workflow names, comma-separated) it may send files to",
        )

    def handle(self, *args, **options):
        try:
            user, password = create_user(
                options["username"],
                options["role"],
                email=options["email"],
                password=options["password"],
                projects=options["projects"].split(","),
            )
        except ValidationError as exc:
            raise CommandError(describe_validation_error(exc)) from None
        role = user.groups.get().name
        shown = "(as given)" if options["password"] else password
        projects = ", ".join(user.supplier_projects.order_by("name").values_list("name", flat=True))
        tied = f"; projects: {projects} (API only)" if projects else ""
        self.stdout.write(f"User {user.username} has the role {role}{tied}; password: {shown}")
