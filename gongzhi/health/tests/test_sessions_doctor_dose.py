import datetime as dt

from gongzhi.accounts.models import Role
from gongzhi.health import services


def test_the_doctor_records_a_dose_with_health_record_alone(world):
    """The doctor holds health.record but not register.edit: recording a dose is theirs."""
    doctor = world.by_role[Role.DOCTOR]
    dose = services.vaccination_record(
        actor=doctor, person=world.person_a1, dose=1, vaccine="新冠疫苗",
        vaccinated_on=dt.date(2021, 4, 1),
    )  # fmt: skip
    assert dose.recorded_by == doctor
