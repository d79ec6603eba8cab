"""A rating recorded on a callback (回访): the order is marked, and `callback` is a step."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0003_working_day_slas"),
    ]

    operations = [
        migrations.AddField(
            model_name="workorder",
            name="rating_by_callback",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="timelineentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Requested"),
                    ("dispatch", "Dispatched"),
                    ("accept", "Accepted"),
                    ("decline", "Declined"),
                    ("start", "Started"),
                    ("evidence", "Evidence added"),
                    ("resolve", "Resolved"),
                    ("solve", "Solved by staff"),
                    ("escalate", "Escalated"),
                    ("remind", "Reminder sent"),
                    ("breach", "Deadline missed at the top level"),
                    ("rate", "Rated"),
                    ("callback", "Rated by phone (callback)"),
                    ("reopen", "Reopened"),
                    ("cancel", "Cancelled"),
                ],
                max_length=16,
            ),
        ),
    ]
