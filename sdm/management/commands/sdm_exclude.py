from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.connections import describe_validation_error
from sdm.attribute_config import set_included
from sdm.services import find_workflow, split_codes


class Command(BaseCommand):
    help = "Exclude PIM attributes (or whole attribute groups) from a workflow's project configuration."
    include = False

    def add_arguments(self, parser):
        parser.add_argument("--workflow", required=True)
        parser.add_argument("--attributes", default="", help="Comma-separated attribute codes.")
        parser.add_argument("--groups", default="", help="Comma-separated attribute group codes.")

    def handle(self, *args, **options):
        attributes, groups = split_codes(options["attributes"]), split_codes(options["groups"])
        if not attributes and not groups:
            raise CommandError("Give --attributes and/or --groups.")
        try:
            workflow = find_workflow(options["workflow"])
            changed, kept = set_included(workflow, include=self.include, attributes=attributes, groups=groups)
        except ValidationError as exc:
            raise CommandError(describe_validation_error(exc)) from None
        verb = "Included" if self.include else "Excluded"
        self.stdout.write(
            f"{verb} {len(changed)} attribute(s) in '{workflow}': {', '.join(sorted(changed)) or '-'}"
        )
        for code, reason in sorted(kept.items()):
            self.stdout.write(f"  kept included: {code} ({reason})")
        self.stdout.write("Run sdm_sync (or Synchronize in the admin) to apply it.")
