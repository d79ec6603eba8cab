"""What each role may do. The one table; `accounts.access` applies it to the area tree."""

from enum import StrEnum

from gongzhi.accounts.models import Role


class Perm(StrEnum):
    AREA_VIEW = "area.view"
    AREA_MANAGE = "area.manage"
    REGISTER_VIEW = "register.view"  # households and persons, personal data masked
    REGISTER_EDIT = "register.edit"  # create, correct, move in/out, tag
    REGISTER_REVEAL = "register.reveal"  # full ID number / phone, with a purpose, audited
    AUDIT_VIEW = "audit.view"
    ACCOUNTS_MANAGE = "accounts.manage"
    # Data in and out (imports, upstream lists, reports).
    IMPORT_RUN = "register.import"  # upload a register spreadsheet, review it, commit it
    WATCHLIST_UPLOAD = "watchlist.upload"  # upload an upstream list; see the area's watch list
    WATCHLIST_FOLLOW_UP = "watchlist.follow_up"  # online review, offline verification, outcome
    REPORT_VIEW = "report.view"  # fill and download the area's reports
    REPORT_MANAGE = "report.manage"  # upload templates, map columns, set schedules
    # Work orders (request -> dispatch -> accept -> rate).
    WORKORDER_REQUEST = "workorder.request"  # ask for help; for oneself, or on a resident's behalf
    WORKORDER_VIEW = "workorder.view"  # the area's orders: inbox, map, timelines
    WORKORDER_DISPATCH = "workorder.dispatch"  # dispatch, escalate, solve, bulk actions
    WORKORDER_HANDLE = "workorder.handle"  # accept, decline, start, resolve one's own orders
    NOTIFICATION_OUTBOX = "notifications.outbox"  # the development SMS gateway's outbox
    # The grid worker's day (走访记录, visit rules, workload).
    VISIT_LOG = "visits.log"  # log visits to the area's households; read its visit history
    VISIT_RULES = "visits.rules"  # set how often households with a tag are visited
    WORKLOAD_VIEW = "workload.view"  # the area's workers' work per week
    # People who serve (双报到, 数字反哺).
    VOLUNTEERS_MANAGE = "volunteers.manage"  # decide report-ins, place volunteers, pair households
    PROXY_CONFIRM = "proxy.confirm"  # confirm, refuse or end a family member's proxy link
    # Points square (能量广场), rewards (能量仓) and certificates (电子证照).
    ACTIVITY_MANAGE = "activity.manage"  # publish, edit, close the area's activities
    PROOF_REVIEW = "proof.review"  # approve, reject, ask for more on the area's proofs
    POINTS_VIEW = "points.view"  # the area's ledgers, balances, service hours, rankings
    POINTS_ADJUST = "points.adjust"  # propose or approve (never both) a manual adjustment
    REWARDS_MANAGE = "rewards.manage"  # the community's catalogue, prices and stock
    REWARDS_HAND_OUT = "rewards.hand_out"  # check a voucher and hand the reward over
    CERTIFICATE_KEYS = "certificates.keys"  # create and rotate the community's signing key
    # Notices (通知公告), proposals (居民议事) and polls.
    NOTICE_PUBLISH = "notice.publish"  # publish, pin, withdraw notices; see read receipts
    PROPOSAL_MANAGE = "proposal.manage"  # publish proposals, answer them, run polls
    # Health services (疫情防控服务专区) and outreach (智能外呼).
    HEALTH_RECORD = "health.record"  # record tests and doses, run sessions, load lab results
    VENUE_MANAGE = "venue.manage"  # create, print and close the area's venue codes (场所码)
    CONTACT_TRACE = "health.trace"  # who checked in where and when; who shared a place and hour
    HEALTH_STATUS_VIEW = "health.status"  # the area's health statuses and their reasons
    HEALTH_RULES = "health.rules"  # edit the community's status rules (versioned, with a reason)
    OUTREACH_VIEW = "outreach.view"  # the area's campaigns, their progress and answers
    OUTREACH_RUN = "outreach.run"  # create, start, pause and stop campaigns
    # Emergency mode (平疫结合): the switch, plans, drills, supplies, supply runs, the team.
    EMERGENCY_VIEW = "emergency.view"  # the mode, plans, drills, supplies, spaces, big screen
    EMERGENCY_SWITCH = "emergency.switch"  # switch a community normal <-> emergency
    EMERGENCY_PLAN = "emergency.plan"  # what each mode turns on; plans; the knowledge base
    DRILL_RUN = "emergency.drill"  # schedule and run drills, record results and lessons
    SUPPLY_MANAGE = "emergency.supply"  # stock movements, minimum levels, reserved spaces
    DELIVERY_RUN = "emergency.delivery"  # merged shopping lists: buy in bulk and deliver
    TEAM_CARE = "emergency.care"  # the three-person team's board: steps, owners, checks


# The register's keepers: the people who hold a grid's households and persons, import
# its spreadsheets, follow up its watch list, fill its reports and run its work orders.
_KEEPERS = frozenset(
    {
        Perm.AREA_VIEW,
        Perm.REGISTER_VIEW,
        Perm.REGISTER_EDIT,
        Perm.REGISTER_REVEAL,
        Perm.IMPORT_RUN,
        Perm.WATCHLIST_FOLLOW_UP,
        Perm.REPORT_VIEW,
        Perm.WORKORDER_REQUEST,
        Perm.WORKORDER_VIEW,
        Perm.WORKORDER_DISPATCH,
        Perm.WORKORDER_HANDLE,
        Perm.VISIT_LOG,
        Perm.PROXY_CONFIRM,
        Perm.ACTIVITY_MANAGE,
        Perm.PROOF_REVIEW,
        Perm.POINTS_VIEW,
        Perm.REWARDS_HAND_OUT,
        Perm.NOTICE_PUBLISH,
        Perm.HEALTH_RECORD,
        Perm.VENUE_MANAGE,
        Perm.HEALTH_STATUS_VIEW,
        Perm.OUTREACH_VIEW,
        Perm.EMERGENCY_VIEW,
        Perm.DELIVERY_RUN,
        Perm.TEAM_CARE,
    }
)
# Community staff and the secretary also take in upstream lists and own the templates,
# keep the rewards catalogue, adjust points (one proposes, another approves) and run
# proposals and polls.
_COMMUNITY = _KEEPERS | {
    Perm.WATCHLIST_UPLOAD,
    Perm.REPORT_MANAGE,
    Perm.REWARDS_MANAGE,
    Perm.POINTS_ADJUST,
    Perm.PROPOSAL_MANAGE,
    Perm.CONTACT_TRACE,
    Perm.HEALTH_RULES,
    Perm.OUTREACH_RUN,
    Perm.EMERGENCY_PLAN,
    Perm.DRILL_RUN,
    Perm.SUPPLY_MANAGE,
}
# Police and doctor (with the grid worker, the "three-person team") read, reveal with a
# purpose, follow up the watch list, trace contacts and see health statuses and campaigns.
_TEAM = frozenset(
    {
        Perm.AREA_VIEW,
        Perm.REGISTER_VIEW,
        Perm.REGISTER_REVEAL,
        Perm.WATCHLIST_FOLLOW_UP,
        Perm.CONTACT_TRACE,
        Perm.HEALTH_STATUS_VIEW,
        Perm.OUTREACH_VIEW,
        Perm.EMERGENCY_VIEW,
        Perm.TEAM_CARE,
    }
)

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    # Residents ask for help; volunteers handle what is dispatched to them.
    Role.RESIDENT: frozenset({Perm.WORKORDER_REQUEST}),
    # In a lockdown they (and party members) buy and deliver the merged shopping lists.
    Role.VOLUNTEER: frozenset({Perm.WORKORDER_HANDLE, Perm.DELIVERY_RUN}),
    Role.PARTY_MEMBER: frozenset(
        {Perm.AREA_VIEW, Perm.REGISTER_VIEW, Perm.WORKORDER_HANDLE, Perm.DELIVERY_RUN}
    ),
    # A building head files on a resident's behalf and confirms family proxies in the building.
    Role.BUILDING_HEAD: frozenset(
        {Perm.AREA_VIEW, Perm.REGISTER_VIEW, Perm.WORKORDER_REQUEST, Perm.PROXY_CONFIRM}
    ),
    Role.GRID_WORKER: _KEEPERS,
    # The grid leader and the secretary see their workers' workload and take in report-ins
    # (双报到) and place volunteers; the secretary sets the community's visit rules.
    Role.GRID_LEADER: _KEEPERS
    | {
        Perm.WORKLOAD_VIEW,
        Perm.VOLUNTEERS_MANAGE,
        Perm.POINTS_ADJUST,
        Perm.OUTREACH_RUN,
        Perm.DRILL_RUN,
        Perm.SUPPLY_MANAGE,
    },
    Role.COMMUNITY_STAFF: _COMMUNITY,
    # The secretary also staffs the community: accounts and roles within it.
    Role.SECRETARY: _COMMUNITY
    | {
        Perm.AREA_MANAGE,
        Perm.VISIT_RULES,
        Perm.WORKLOAD_VIEW,
        Perm.VOLUNTEERS_MANAGE,
        Perm.ACCOUNTS_MANAGE,
        Perm.CERTIFICATE_KEYS,
        Perm.EMERGENCY_SWITCH,
    },
    Role.POLICE: _TEAM,
    # The doctor also records tests and doses.
    Role.DOCTOR: _TEAM | {Perm.HEALTH_RECORD},
    # The street reads its communities, their reports, and decides on escalated orders; it
    # switches every community below it to emergency mode and back, and watches the big screen.
    Role.STREET_OFFICER: frozenset(
        {
            Perm.AREA_VIEW,
            Perm.REGISTER_VIEW,
            Perm.REPORT_VIEW,
            Perm.WORKORDER_VIEW,
            Perm.WORKORDER_DISPATCH,
            Perm.POINTS_VIEW,
            Perm.EMERGENCY_VIEW,
            Perm.EMERGENCY_SWITCH,
        }
    ),
    # The auditor reads logs only: no register, no accounts.
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW}),
    # Administrators run the system (and the development SMS outbox) but read no personal data.
    Role.SYSTEM_ADMIN: frozenset(
        {Perm.AREA_VIEW, Perm.AREA_MANAGE, Perm.ACCOUNTS_MANAGE, Perm.NOTIFICATION_OUTBOX}
    ),
}


def roles_with(perm: Perm) -> list[str]:
    """The roles whose permissions include `perm` (the table read the other way)."""
    return [role for role, perms in ROLE_PERMS.items() if perm in perms]
