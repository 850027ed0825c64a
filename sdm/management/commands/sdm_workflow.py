from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.connections import describe_validation_error
from sdm.services import save_workflow, split_codes


class Command(BaseCommand):
    help = "Create or update an SDM workflow bound to a connection (targets as comma-separated codes)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--connection", help="Connection name (required for a new workflow).")
        parser.add_argument("--channels", help="e.g. ecommerce,print (empty = all)")
        parser.add_argument("--locales", help="e.g. en_US,fr_FR (empty = all active)")
        parser.add_argument("--families", help="e.g. shoes,clothing (empty = all)")

    def handle(self, *args, **options):
        try:
            workflow, created = save_workflow(
                options["name"],
                connection_name=options["connection"],
                channels=split_codes(options["channels"]),
                locales=split_codes(options["locales"]),
                families=split_codes(options["families"]),
            )
        except ValidationError as exc:
            raise CommandError(
                f"Workflow '{options['name']}' not saved: {describe_validation_error(exc)}"
            ) from None
        verb = "Created" if created else "Updated"
        targets = ", ".join(
            f"{field}: {','.join(getattr(workflow, field)) or 'all'}"
            for field in ("channels", "locales", "families")
        )
        self.stdout.write(f"{verb} workflow '{workflow.name}' on '{workflow.connection}' ({targets})")
