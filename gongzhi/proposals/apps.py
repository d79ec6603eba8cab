from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "gongzhi.proposals"
    label = "proposals"
    verbose_name = "Proposals and polls"
