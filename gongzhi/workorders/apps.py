from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "gongzhi.workorders"
    label = "workorders"

    def ready(self) -> None:
        from gongzhi.registry import panels
        from gongzhi.workorders import pairings

        # Who serves a household (the 8-household pairing), on the register's pages.
        panels.provide("household", pairings.household_panel)
        panels.provide("person", pairings.person_panel)
