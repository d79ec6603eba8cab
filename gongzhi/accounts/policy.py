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


_KEEPERS = frozenset({Perm.AREA_VIEW, Perm.REGISTER_VIEW, Perm.REGISTER_EDIT, Perm.REGISTER_REVEAL})

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.RESIDENT: frozenset(),
    Role.VOLUNTEER: frozenset(),
    Role.PARTY_MEMBER: frozenset({Perm.AREA_VIEW, Perm.REGISTER_VIEW}),
    Role.BUILDING_HEAD: frozenset({Perm.AREA_VIEW, Perm.REGISTER_VIEW}),
    Role.GRID_WORKER: _KEEPERS,
    Role.GRID_LEADER: _KEEPERS,
    Role.COMMUNITY_STAFF: _KEEPERS,
    Role.SECRETARY: _KEEPERS | {Perm.AREA_MANAGE},
    Role.POLICE: frozenset({Perm.AREA_VIEW, Perm.REGISTER_VIEW, Perm.REGISTER_REVEAL}),
    Role.DOCTOR: frozenset({Perm.AREA_VIEW, Perm.REGISTER_VIEW, Perm.REGISTER_REVEAL}),
    Role.STREET_OFFICER: frozenset({Perm.AREA_VIEW, Perm.REGISTER_VIEW}),
    # The auditor reads logs only: no register, no accounts.
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW}),
    # Administrators run the system but read no personal data.
    Role.SYSTEM_ADMIN: frozenset({Perm.AREA_VIEW, Perm.AREA_MANAGE, Perm.ACCOUNTS_MANAGE}),
}
