from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.connections import describe_validation_error, save_connection


class Command(BaseCommand):
    help = "Create or update an Akeneo connection, non-interactively."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Connection name (its key).")
        parser.add_argument("--url", help="PIM base URL, e.g. https://my-company.cloud.akeneo.com")
        parser.add_argument("--client-id")
        parser.add_argument("--secret", help="API client secret (stored; never printed).")
        parser.add_argument("--username", help="API user name.")
        parser.add_argument("--password", help="API user password (stored; never printed).")
        parser.add_argument("--timeout", type=float, help="Request timeout in seconds.")
        parser.add_argument("--rate-limit", type=float, help="Maximum requests per second.")
        parser.add_argument(
            "--max-concurrency",
            type=int,
            help="Calls in flight at most, shared by every run of this connection (1 to 4; default 4).",
        )

    def handle(self, *args, **options):
        try:
            connection, created = save_connection(
                options["name"],
                base_url=options["url"],
                client_id=options["client_id"],
                secret=options["secret"],
                username=options["username"],
                password=options["password"],
                timeout=options["timeout"],
                max_requests_per_second=options["rate_limit"],
                max_concurrency=options["max_concurrency"],
            )
        except ValidationError as exc:
            raise CommandError(
                f"Connection '{options['name']}' not saved: {describe_validation_error(exc)}"
            ) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} connection '{connection.name}' -> {connection.base_url} (id {connection.pk})"
        )
