"""Every periodic job of the platform, in one place. `gongzhi worker` enqueues each once
per period, whichever and however many workers run (see `core.periodic`)."""

from datetime import timedelta

from gongzhi.core.periodic import PeriodicJob

PERIODIC_JOBS = [
    PeriodicJob(
        name="audit.verify_chain",
        task="gongzhi.audit.tasks.verify_audit_chain",
        every=timedelta(hours=1),
        description="Check the audit log's hash chain; the auditor's page shows the result.",
    ),
    PeriodicJob(
        name="core.prune_task_results",
        task="gongzhi.core.tasks.prune_task_results",
        every=timedelta(days=1),
        description="Delete finished background-task results older than 14 days.",
    ),
    PeriodicJob(
        name="accounts.clear_expired_sessions",
        task="gongzhi.accounts.tasks.clear_expired_sessions",
        every=timedelta(hours=6),
        description="Remove expired sessions from the database.",
    ),
    PeriodicJob(
        name="accounts.prune_sms_codes",
        task="gongzhi.accounts.tasks.prune_sms_codes",
        every=timedelta(days=1),
        description="Delete used and expired SMS sign-in codes, and old failed sign-ins.",
    ),
    PeriodicJob(
        name="imports.prune_files",
        task="gongzhi.imports.tasks.prune_files",
        every=timedelta(days=1),
        description="Remove uploaded register spreadsheets past their keeping period.",
    ),
    PeriodicJob(
        name="reports.fill_due",
        task="gongzhi.reports.tasks.fill_due_reports",
        every=timedelta(minutes=15),
        description="Fill the reports whose schedule is due and keep them with their history.",
    ),
    PeriodicJob(
        name="workorders.sweep_slas",
        task="gongzhi.workorders.tasks.sweep_slas",
        every=timedelta(minutes=5),
        description="Remind on work orders near their deadline; escalate breached ones a level.",
    ),
    PeriodicJob(
        name="web.prune_exports",
        task="gongzhi.web.tasks.prune_exports",
        every=timedelta(minutes=15),
        description="Remove long list downloads past their keeping time.",
    ),
    PeriodicJob(
        name="notices.send_urgent_reminders",
        task="gongzhi.notices.tasks.send_urgent_reminders",
        every=timedelta(minutes=5),
        description="Text elders (65+) who have not read an urgent notice within its set time.",
    ),
    PeriodicJob(
        name="points.catch_up_order_events",
        task="gongzhi.points.awards.catch_up_order_events_task",
        every=timedelta(minutes=10),
        description="Credit points and service hours for rated and resolved work orders "
        "whose events were missed (each event credits once).",
    ),
    PeriodicJob(
        name="points.expire",
        task="gongzhi.points.expiry.points_expire_task",
        every=timedelta(days=1),
        description="Expire points past their keeping period (one entry per holder and year).",
    ),
    PeriodicJob(
        name="health.refresh_statuses",
        task="gongzhi.health.status.status_refresh_due_task",
        every=timedelta(hours=1),
        description="Work out again the health statuses that time alone may change "
        "(amber and red ones, persons with recent declarations, tests or follow-ups).",
    ),
    PeriodicJob(
        name="health.purge",
        task="gongzhi.health.sunset.purge_due_task",
        every=timedelta(days=1),
        description="The data sunset: delete health records past their retention date and "
        "anonymise the follow-ups of purged declarations (counts audited).",
    ),
    PeriodicJob(
        name="health.audit_checkins",
        task="gongzhi.health.venue_tasks.audit_checkins",
        every=timedelta(hours=1),
        description="Record in the audit log each venue's number of check-ins per hour "
        "(check-ins are not audited one by one).",
    ),
    PeriodicJob(
        name="outreach.restart_stalled_campaigns",
        task="gongzhi.outreach.tasks.restart_stalled_campaigns",
        every=timedelta(minutes=5),
        description="Enqueue a dispatch round for any running outreach campaign that has none.",
    ),
    PeriodicJob(
        name="emergency.supply_warnings",
        task="gongzhi.emergency.supplies.warnings_notify_task",
        every=timedelta(days=1),
        description="Tell each community's supply managers which items are below their "
        "minimum level or expiring within a week (once a day).",
    ),
    PeriodicJob(
        name="emergency.care_sync",
        task="gongzhi.emergency.care.cases_sync_task",
        every=timedelta(minutes=10),
        description="Put the open, matched watch-list entries of communities in emergency mode "
        "on the three-person team's board (one case per entry).",
    ),
]
