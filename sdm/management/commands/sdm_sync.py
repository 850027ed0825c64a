import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.command_runs import exit_if_failed, run_from_command
from connector.connections import describe_validation_error
from sdm.services import find_workflow
from sdm.tasks import WORKFLOW_SYNC


class Command(BaseCommand):
    help = "Synchronise a workflow: PIM structure sync, then the derived project configuration."

    def add_arguments(self, parser):
        parser.add_argument("--workflow", required=True)
        parser.add_argument("--json", action="store_true", help="One JSON object, with every derived code.")

    def handle(self, *args, **options):
        try:
            workflow = find_workflow(options["workflow"])
        except ValidationError as exc:
            raise CommandError(describe_validation_error(exc)) from None
        run = run_from_command(WORKFLOW_SYNC, workflow, what=f"Sync of '{workflow}'")
        result = run.typed_result
        attributes = result.counts.get("attributes", 0)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "run": run.pk,
                        "status": run.status,
                        "error": run.error or None,
                        "attributes": attributes,
                        "display_groups": result.display_groups,
                        "hierarchies": result.hierarchies,
                        "attribute_codes": result.attribute_codes,
                        "added": result.added,
                        "removed": result.removed,
                    }
                )
            )
        else:
            self.stdout.write(
                f"Run #{run.pk} {run.get_status_display().lower()}: "
                f"{attributes} SDM attributes, "
                f"display groups: {', '.join(result.display_groups) or '-'}; "
                f"hierarchies: {', '.join(result.hierarchies) or '-'}"
            )
        exit_if_failed(run)
