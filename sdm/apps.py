from django.apps import AppConfig


class SdmConfig(AppConfig):
    name = "sdm"
    verbose_name = "Supplier data manager"
