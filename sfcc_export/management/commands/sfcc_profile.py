from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.connections import describe_validation_error
from sfcc_export.profiles import parse_locale_mapping, parse_pairs, save_profile


class Command(BaseCommand):
    help = "Create or update an SFCC export profile, non-interactively."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--connection")
        parser.add_argument("--channel")
        parser.add_argument("--master-catalog")
        parser.add_argument("--storefront-catalog")
        parser.add_argument("--locales", help="PIM=SFCC pairs, e.g. fr_FR=fr-FR,en_US=x-default")
        parser.add_argument(
            "--attributes",
            help="PIM attribute=SFCC system attribute pairs, e.g. name=name,ean=ean "
            "(default for a new profile: the usual ones the PIM has)",
        )
        parser.add_argument("--output", help="Output folder (default: EXPORT_ROOT/<name>).")
        parser.add_argument(
            "--instance-url", help="SFCC instance to deliver to (makes it the delivery target)"
        )
        parser.add_argument("--account-manager-url", help="default: https://account.demandware.com")
        parser.add_argument("--client-id", help="SFCC API client id")
        parser.add_argument("--client-secret", help="SFCC API client secret (stored, never shown)")
        parser.add_argument(
            "--scapi-short-code", help="SCAPI short code: imports run through SCAPI's Jobs API"
        )
        parser.add_argument(
            "--scapi-tenant-id", help="SCAPI tenant id, e.g. zzxy_prd (organization f_ecom_zzxy_prd)"
        )
        parser.add_argument(
            "--archive-max-mb",
            type=Decimal,
            help="Largest archive part in MB (default 100; decimals accepted): bigger archives go in parts",
        )
        parser.add_argument(
            "--skipped-alert-threshold",
            type=int,
            help="Mail the contacts when an import skips more elements than this (default 0)",
        )
        parser.add_argument(
            "--entities", help="Reference entities to export as content assets, e.g. brand,designer"
        )
        parser.add_argument("--library", help="SFCC content library id (default: the site id)")
        parser.add_argument("--site", help="SFCC site id")
        parser.add_argument(
            "--images", help="view type=PIM attributes, e.g. large=main_image+packshots,small=thumbnail"
        )

    def handle(self, *args, **options):
        try:
            profile, created = save_profile(
                options["name"],
                connection_name=options["connection"],
                channel=options["channel"],
                master_catalog_id=options["master_catalog"],
                storefront_catalog_id=options["storefront_catalog"],
                locale_mapping=parse_locale_mapping(options["locales"]) if options["locales"] else None,
                attribute_mapping=parse_pairs(options["attributes"], "PIM_ATTRIBUTE=SFCC_ATTRIBUTE")
                if options["attributes"]
                else None,
                output_dir=options["output"],
                instance_url=options["instance_url"],
                delivery_target="instance" if options["instance_url"] else None,
                account_manager_url=options["account_manager_url"],
                api_client_id=options["client_id"],
                api_client_secret=options["client_secret"],
                scapi_short_code=options["scapi_short_code"],
                scapi_tenant_id=options["scapi_tenant_id"],
                archive_max_mb=options["archive_max_mb"],
                skipped_alert_threshold=options["skipped_alert_threshold"],
                reference_entities=[c.strip() for c in options["entities"].split(",") if c.strip()]
                if options["entities"]
                else None,
                library_id=options["library"],
                site_id=options["site"],
                image_view_types={
                    view: [code for code in codes.split("+") if code]
                    for view, codes in parse_pairs(options["images"], "VIEW_TYPE=ATTRIBUTE+ATTRIBUTE").items()
                }
                if options["images"]
                else None,
            )
        except ValidationError as exc:
            raise CommandError(
                f"Profile '{options['name']}' not saved: {describe_validation_error(exc)}"
            ) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} export profile '{profile}' ({profile.connection}, channel {profile.channel})"
        )
