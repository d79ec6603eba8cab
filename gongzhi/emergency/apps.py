from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "gongzhi.emergency"
    label = "emergency"
    verbose_name = "Emergency mode"

    def ready(self) -> None:
        # Lower apps never import emergency: they read hooks it fills here.
        from gongzhi.emergency import switching
        from gongzhi.health import sunset
        from gongzhi.workorders import sla

        if switching.sla_factor_at not in sla.FACTORS:
            sla.FACTORS.append(switching.sla_factor_at)
        if switching.paths_on_hold not in sunset.HOLDS:
            sunset.HOLDS.append(switching.paths_on_hold)
