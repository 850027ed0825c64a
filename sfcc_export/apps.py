from django.apps import AppConfig


class SfccExportConfig(AppConfig):
    name = "sfcc_export"
    verbose_name = "SFCC export"
