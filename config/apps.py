from django.contrib.admin.apps import AdminConfig


class ConnectorAdminConfig(AdminConfig):
    default_site = "config.admin_site.ConnectorAdminSite"
