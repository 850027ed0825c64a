import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.checks import check_connection
from connector.connections import describe_validation_error, find_connection


class Command(BaseCommand):
    help = "Check that a connection reaches its PIM with working credentials; exit 1 if not."

    def add_arguments(self, parser):
        parser.add_argument("--connection", required=True, help="Connection name.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **options):
        name = options["connection"]
        try:
            connection = find_connection(name)
        except ValidationError as exc:
            raise CommandError(describe_validation_error(exc)) from None
        report = check_connection(connection, interactive=False)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"connection": name, "ok": report.ok, "message": report.message, "pim": report.facts}
                )
            )
        if not report.ok:
            raise CommandError(report.message)
        if not options["json"]:
            self.stdout.write(f"OK {report.message}")
            for key, value in report.facts.items():
                self.stdout.write(f"  {key}: {value}")
