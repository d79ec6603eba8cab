from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running an installation: first-run setup, backup and restore (commands only)."""

    name = "gongzhi.ops"
    label = "ops"
    verbose_name = "Operations"
