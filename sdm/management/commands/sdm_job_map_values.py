import json

from django.core.management.base import BaseCommand, CommandError

from sdm.models import SupplierJob
from sdm.value_mapping import (
    MappingChoice,
    MappingRefused,
    auto_map_values,
    collect_values,
    save_mappings,
    unmapped,
)


class Command(BaseCommand):
    help = (
        "List a job's distinct select values with suggested PIM options; --auto accepts the suggestions; "
        "--map and --create set single values (checked like the admin's value-mapping step)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--job", required=True, type=int)
        parser.add_argument(
            "--auto", action="store_true", help="Accept suggestions and plan allowed new options."
        )
        parser.add_argument(
            "--map",
            nargs=3,
            action="append",
            default=[],
            metavar=("ATTRIBUTE", "VALUE", "OPTION"),
            help="Map a raw value to an existing PIM option (repeatable).",
        )
        parser.add_argument(
            "--create",
            nargs=3,
            action="append",
            default=[],
            metavar=("ATTRIBUTE", "VALUE", "CODE"),
            help="Create a raw value as a new PIM option with this code, where the attribute allows it.",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        job = SupplierJob.objects.filter(pk=options["job"]).select_related("workflow").first()
        if job is None:
            raise CommandError(f"No supplier job #{options['job']}.")
        if options["auto"]:
            result = auto_map_values(job)
            summary = {
                "job": job.pk,
                "mapped": result.mapped,
                "to_create": result.to_create,
                "unmapped": result.unmapped,
            }
        else:
            summary = {"job": job.pk, "distinct_values": collect_values(job)}
        choices = [MappingChoice(attribute, value, option) for attribute, value, option in options["map"]]
        choices += [
            MappingChoice(attribute, value, code, create=True) for attribute, value, code in options["create"]
        ]
        if choices:
            try:
                summary["changed"] = save_mappings(job, choices)
            except MappingRefused as exc:
                raise CommandError("Nothing saved: " + " ".join(exc.errors)) from None
        still_unmapped = list(
            job.value_mappings.filter(unmapped()).values_list("pim_attribute_code", "raw_value")
        )
        if options["json"]:
            self.stdout.write(json.dumps({**summary, "unmapped_values": [list(u) for u in still_unmapped]}))
            return
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in summary.items()))
        for attribute, raw in still_unmapped:
            self.stdout.write(f"  unmapped: {attribute} = {raw!r}")
