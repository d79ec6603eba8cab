import datetime as dt

import pytest

from gongzhi.reports.schedules import next_run

CST = dt.timezone(dt.timedelta(hours=8))


def when(*args):
    return dt.datetime(*args, tzinfo=CST)


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("daily", when(2022, 3, 20, 7, 59), when(2022, 3, 20, 8)),
        ("daily", when(2022, 3, 20, 8, 0), when(2022, 3, 21, 8)),  # strictly after
        ("weekly", when(2022, 3, 20, 9), when(2022, 3, 21, 8)),  # Sunday -> Monday
        ("weekly", when(2022, 3, 21, 7), when(2022, 3, 21, 8)),
        ("weekly", when(2022, 3, 21, 9), when(2022, 3, 28, 8)),
        ("monthly", when(2022, 3, 1, 9), when(2022, 4, 1, 8)),
        ("monthly", when(2022, 12, 5, 9), when(2023, 1, 1, 8)),  # over the year's end
    ],
)
def test_next_run(schedule, after, expected):
    assert next_run(schedule, hour=8, weekday=0, day=1, after=after) == expected


def test_the_hour_is_the_deployments_local_hour():
    after = dt.datetime(2022, 3, 19, 23, 30, tzinfo=dt.UTC)  # 07:30 on the 20th in Shanghai
    assert next_run("daily", hour=8, weekday=0, day=1, after=after) == when(2022, 3, 20, 8)


def test_no_schedule_no_run():
    assert next_run("", hour=8, weekday=0, day=1, after=when(2022, 3, 20, 8)) is None
