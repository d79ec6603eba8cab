"""Every UI route and every API operation × every role × an object in and out of the
role's area: allowed, denied (404, as if missing), forbidden (403, visible but not the
role's to do), or sent to sign in — and, where allowed, personal data masked. A create
that names where the new object goes (a parent, a building, a community) is refused with
the field error "no such record in your area" when the role cannot see that place. Every
object named is real (built on each side), so every request reaches a permission check;
lists are checked for scope unless they are catalogues of the product's own codes.

The routes come from the URLconf and the operations from the OpenAPI schema, so a new
route or operation that is not listed here fails `test_every_*_is_in_the_matrix`.
The expectations are written out here from the product's role table (docs/security.md),
not derived from `accounts.policy`, so the test can disagree with the code.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Role
from gongzhi.api.main import api
from gongzhi.registry import services
from gongzhi.testing import PASSWORD, make_id_number

# --- what each role may do (docs/security.md) --------------------------------------------

VIEW, EDIT, REVEAL, AREA, AREA_MANAGE, AUDIT = (
    "view", "edit", "reveal", "area", "area_manage", "audit",
)  # fmt: skip
IMPORT, WATCH_UPLOAD, WATCH_FOLLOW, REPORT, REPORT_MANAGE = (
    "import", "watch_upload", "watch_follow", "report", "report_manage",
)  # fmt: skip
WO_REQUEST, WO_VIEW, WO_DISPATCH, WO_HANDLE, OUTBOX = (
    "wo_request", "wo_view", "wo_dispatch", "wo_handle", "outbox",
)  # fmt: skip
VISIT, VISIT_RULES, WORKLOAD = "visit", "visit_rules", "workload"
# 双报到 report-ins and volunteers (grid leader, secretary); confirming family proxies
# (the person's grid worker or building head, and the staff above them).
VOLUNTEERS, PROXY = "volunteers", "proxy_confirm"
# Issue 13, points: reviewing proofs (the keepers), the area's ledgers and service hours
# (the keepers and the street), manual adjustments and reversals (grid leader and up).
REVIEW, POINTS, ADJUST = "proof_review", "points_view", "points_adjust"
ACCOUNTS = (
    "accounts"  # staff accounts and roles (issue 12): the secretary's community, all for admins
)
_KEEP = {VIEW, EDIT, REVEAL, AREA, IMPORT, WATCH_FOLLOW, REPORT, VISIT, PROXY, REVIEW, POINTS}
# Notices (issue 13): the register's keepers publish them and see their read receipts.
NOTICE = "notice"
# A notice's resident pages: only persons of its audience (no principal of the matrix is a
# registered person, so 404 for everyone signed in; the audience is tested in notices/tests).
NOTICE_AUDIENCE = "in the notice's audience"
_KEEP = {
    VIEW, EDIT, REVEAL, AREA, IMPORT, WATCH_FOLLOW, REPORT, VISIT, PROXY, REVIEW, POINTS, NOTICE,
}  # fmt: skip
# Issue 13: the area's points ledgers and rankings (grid worker and up, the street officer).
POINTS_VIEW = POINTS
_ORDERS = {WO_REQUEST, WO_VIEW, WO_DISPATCH, WO_HANDLE}
ABILITIES: dict[str, set[str]] = {
    Role.RESIDENT: {WO_REQUEST},
    Role.VOLUNTEER: {WO_HANDLE},
    Role.PARTY_MEMBER: {VIEW, AREA, WO_HANDLE},
    Role.BUILDING_HEAD: {VIEW, AREA, WO_REQUEST, PROXY},
    Role.GRID_WORKER: _KEEP | _ORDERS,
    Role.GRID_LEADER: _KEEP | _ORDERS | {WORKLOAD, VOLUNTEERS, ADJUST},
    Role.COMMUNITY_STAFF: _KEEP | _ORDERS | {WATCH_UPLOAD, REPORT_MANAGE, ADJUST},
    Role.SECRETARY: _KEEP
    | _ORDERS
    | {WATCH_UPLOAD, REPORT_MANAGE, AREA_MANAGE, VISIT_RULES, WORKLOAD, VOLUNTEERS, ACCOUNTS}
    | {ADJUST},
    Role.POLICE: {VIEW, REVEAL, AREA, WATCH_FOLLOW},
    Role.DOCTOR: {VIEW, REVEAL, AREA, WATCH_FOLLOW},
    Role.STREET_OFFICER: {VIEW, AREA, REPORT, WO_VIEW, WO_DISPATCH, POINTS},
    Role.AUDITOR: {AUDIT},
    Role.SYSTEM_ADMIN: {AREA, AREA_MANAGE, OUTBOX, ACCOUNTS},
}
# --- issue 13: certificates (电子证照) ------------------------------------------------------
# Certificates issued in one's area (POINTS_VIEW: keepers from the grid worker up and the
# street officer); the community's signing keys (the secretary). A certificate's own pages
# are its holder's only; /verify and its keys file are public.
POINTS_VIEW, CERT_KEYS = "points_view", "certificate_keys"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.STREET_OFFICER,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {POINTS_VIEW}
ABILITIES[Role.SECRETARY] = ABILITIES[Role.SECRETARY] | {CERT_KEYS}
CERT_OWN = "holds the certificate"  # world.resident's, in the role's area; 404 for all others
# --- issue 14: outreach campaigns (智能外呼) ---------------------------------------------
# Seen by the keepers (grid worker and up), the police and the doctor; run (create, start,
# pause, cancel, simulate callbacks) by the grid leader, community staff and secretary. An
# app notice's answer page is the asked person's (or their proxy's) only: no principal of
# the matrix is a registered person, so 404 for everyone signed in.
OUTREACH_VIEW, OUTREACH_RUN = "outreach_view", "outreach_run"
OUTREACH_ASKED = "asked by the app notice"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {OUTREACH_VIEW}
for _role in (Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {OUTREACH_RUN}
# Roles held on the root of the tree: every object is inside their area.
ROOT_ROLES = {Role.AUDITOR, Role.SYSTEM_ADMIN}
ANONYMOUS = "anonymous"
OUTSIDER = "outsider"  # signed in, no membership at all
PRINCIPALS = [ANONYMOUS, OUTSIDER, *Role.values]

ALLOW, DENY, FORBID, LOGIN = "allow", "deny (404)", "forbidden (403)", "sign in"
INVALID = "no such record in your area (400 naming the field)"
# The building head holds a building (gongzhi.testing): a grid on its side is above it,
# out of its reach all the same (every other role holds a grid or more).
BUILDING_NODE_ROLES = {Role.BUILDING_HEAD}


@dataclass(frozen=True)
class Route:
    need: str  # "public", "login", or an ability
    obj: str | None = None  # "household", "person", "area" — the object named in the URL
    methods: tuple[str, ...] = ("GET",)
    kwargs: dict[str, str] = field(default_factory=dict)
    masked: bool = False  # an allowed GET shows the object's personal data, masked
    post_need: str = ""  # when a POST needs something else than the GET (Open311 requests)
    form: str = ""  # a POST's form fields (a key of FORMS), so it reaches the write itself


UI_ROUTES: dict[str, Route] = {
    "healthz": Route("public"),
    "favicon": Route("public"),
    "set_language": Route("public", methods=("POST",)),
    "accounts:login": Route("public"),
    "accounts:logout": Route("signs out", methods=("POST",)),
    "accounts:second_factor": Route("login"),
    "accounts:password_change": Route("login"),
    # --- issue 12: one's own account, the SMS password link, staff administration ------
    "accounts:my_account": Route("login"),
    "accounts:link_set": Route("public", methods=("GET", "POST")),  # no link: explains, 200
    "accounts:staff_list": Route(ACCOUNTS),
    "accounts:staff_create": Route(ACCOUNTS, methods=("GET", "POST")),  # empty: form errors
    "accounts:holders": Route(ACCOUNTS),
    "accounts:staff_detail": Route(ACCOUNTS, obj="account"),
    "accounts:staff_grant": Route(ACCOUNTS, obj="account", methods=("POST",)),
    "accounts:staff_revoke": Route(ACCOUNTS, obj="account_role", methods=("POST",)),
    "accounts:staff_invite": Route(ACCOUNTS, obj="account", methods=("POST",)),
    "accounts:staff_reset_password": Route(ACCOUNTS, obj="account", methods=("POST",)),
    "accounts:staff_deactivate": Route(ACCOUNTS, obj="account", methods=("POST",)),
    "accounts:staff_reactivate": Route(ACCOUNTS, obj="account", methods=("POST",)),
    "accounts:staff_second_factor_reset": Route(ACCOUNTS, obj="account", methods=("GET", "POST")),
    "web:home": Route("login"),
    "registry:index": Route("public"),  # a redirect to the household list, for anyone
    "registry:area_tree": Route(AREA),
    "registry:area_children": Route(AREA, obj="area"),
    # Managing the tree (issue 12): a POST without a body is a form error, or (close: the
    # building still has a household; reopen: it is open) a refusal shown on the page.
    "registry:area_import": Route(AREA_MANAGE, methods=("GET", "POST")),
    "registry:area_create": Route(AREA_MANAGE, obj="area", methods=("GET", "POST")),
    "registry:area_edit": Route(AREA_MANAGE, obj="area", methods=("GET", "POST")),
    "registry:area_move": Route(AREA_MANAGE, obj="area", methods=("GET", "POST")),
    "registry:area_close": Route(AREA_MANAGE, obj="area", methods=("GET", "POST")),
    "registry:area_reopen": Route(AREA_MANAGE, obj="area", methods=("POST",)),
    "registry:area_shapes": Route(AREA_MANAGE, obj="area", methods=("GET", "POST")),
    "registry:household_list": Route(VIEW),
    "registry:household_create": Route(EDIT, methods=("GET", "POST")),
    "registry:household_detail": Route(VIEW, obj="household", masked=True),
    "registry:household_edit": Route(EDIT, obj="household", methods=("GET", "POST")),
    "registry:household_move": Route(EDIT, obj="household", methods=("GET", "POST")),
    "registry:person_create": Route(EDIT, obj="household", methods=("GET", "POST")),
    "registry:person_detail": Route(VIEW, obj="person", masked=True),
    "registry:person_edit": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_move_out": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_move_in": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_tags": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_reveal": Route(
        REVEAL, obj="person", methods=("GET", "POST"), kwargs={"field": "phone"}
    ),
    # Transfer requests: seen by register editors of either end (the person's area decides,
    # the household's area asked); a POST without a body is a form error, still allowed.
    "registry:transfer_list": Route(EDIT),
    "registry:transfer_create": Route(EDIT, obj="household", methods=("GET", "POST")),
    "registry:transfer_detail": Route(EDIT, obj="transfer"),
    "registry:transfer_approve": Route(EDIT, obj="transfer", methods=("POST",)),
    "registry:transfer_decline": Route(EDIT, obj="transfer", methods=("POST",)),
    "registry:transfer_cancel": Route(EDIT, obj="outgoing_transfer", methods=("POST",)),
    "audit:log": Route(AUDIT),
    "audit:verify": Route(AUDIT, methods=("POST",)),
    # --- issue 3: imports, exports, upstream lists and watch lists, reports -------------
    "imports:list": Route(IMPORT),  # ?export=xlsx|csv|csv-gbk: the same list, every page
    "imports:upload": Route(IMPORT, methods=("GET", "POST")),
    "imports:duplicates": Route(EDIT),
    "imports:merge": Route(EDIT, methods=("POST",)),
    # A checked batch on each side (the preview shows its first rows, masked); the POST
    # asks for the check again, as the page's button does.
    "imports:detail": Route(
        IMPORT, obj="import", methods=("GET", "POST"), masked=True, form="import_check"
    ),
    "imports:report": Route(IMPORT, obj="import"),
    "health:watchlist": Route(WATCH_FOLLOW),
    "health:entry_detail": Route(WATCH_FOLLOW, obj="entry", masked=True),
    "health:entry_transition": Route(WATCH_FOLLOW, obj="entry", methods=("POST",)),
    "health:entry_assign": Route(WATCH_UPLOAD, obj="entry", methods=("POST",)),
    # The list's own phone of an entry, revealed with a purpose (a POST without one is a
    # form error, still allowed): for roles that see the entry and may reveal there.
    "health:entry_reveal": Route(
        REVEAL, obj="entry", methods=("GET", "POST"), kwargs={"field": "phone"}
    ),
    "health:upstream_list_index": Route(WATCH_UPLOAD),
    "health:upstream_list_upload": Route(WATCH_UPLOAD, methods=("GET", "POST")),
    "health:upstream_list_detail": Route(WATCH_UPLOAD, obj="upstream_list"),
    "health:upstream_list_rematch": Route(WATCH_UPLOAD, obj="upstream_list", methods=("POST",)),
    "reports:index": Route(REPORT),
    "reports:template_upload": Route(REPORT_MANAGE, methods=("GET", "POST")),
    "reports:template_install": Route(REPORT_MANAGE, methods=("POST",)),
    "reports:template_detail": Route(REPORT, obj="template"),
    "reports:template_edit": Route(REPORT_MANAGE, obj="template", methods=("GET", "POST")),
    "reports:template_schedule": Route(REPORT_MANAGE, obj="template", methods=("POST",)),
    "reports:template_fill": Route(REPORT, obj="template", methods=("POST",)),
    "reports:report_history": Route(REPORT),
    "reports:report_download": Route(REPORT, obj="report"),
    # --- issue 4: work orders, resident portal, notifications, Open311 -------------------
    "workorders:inbox": Route(WO_VIEW),
    "workorders:board": Route(WO_VIEW),
    "workorders:tasks": Route(WO_HANDLE),
    "workorders:create": Route(WO_REQUEST, methods=("GET", "POST")),
    "workorders:bulk": Route(WO_DISPATCH, methods=("POST",)),
    "workorders:detail": Route("sees the order", obj="workorder"),
    "workorders:dispatch": Route(WO_DISPATCH, obj="workorder", methods=("POST",)),
    "workorders:escalate": Route(WO_DISPATCH, obj="workorder", methods=("POST",)),
    "workorders:solve": Route(WO_DISPATCH, obj="new_workorder", methods=("POST",)),
    "workorders:cancel": Route("asked for it, or decides", obj="workorder", methods=("POST",)),
    "workorders:callback": Route(WO_DISPATCH, obj="callback_workorder", methods=("POST",)),
    # The resident's full phone, to call back: staff who decide there and may reveal.
    "workorders:phone": Route(
        "decides there and reveals", obj="callback_workorder", methods=("POST",)
    ),
    "workorders:accept": Route("handles it", obj="workorder", methods=("POST",)),
    "workorders:decline": Route("handles it", obj="workorder", methods=("POST",)),
    "workorders:start": Route("handles it", obj="accepted_workorder", methods=("POST",)),
    "workorders:evidence": Route("handles it", obj="accepted_workorder", methods=("POST",)),
    "workorders:resolve": Route("handles it", obj="accepted_workorder", methods=("POST",)),
    "workorders:attachment": Route("sees the order", obj="photo"),
    "workorders_resident:list": Route("login"),  # the user's own requests, none for staff
    "workorders_resident:new": Route("login", methods=("GET", "POST")),
    "workorders_resident:detail": Route("asked for it", obj="workorder"),
    "workorders_resident:cancel": Route("asked for it", obj="workorder", methods=("POST",)),
    "workorders_resident:add_info": Route("asked for it", obj="workorder", methods=("POST",)),
    "workorders_resident:rate": Route("asked for it", obj="resolved_workorder", methods=("POST",)),
    "workorders_resident:reopen": Route(
        "asked for it", obj="resolved_workorder", methods=("POST",)
    ),
    "workorders_resident:photo": Route("asked for it", obj="photo"),
    "open311:discovery": Route("public", kwargs={"fmt": "json"}),
    "open311:services": Route("public", kwargs={"fmt": "json"}),
    "open311:service": Route("public", kwargs={"code": "repair", "fmt": "json"}),
    # GET: public fields for anyone. POST: an API key, which the matrix never sends (403).
    "open311:requests": Route(
        "public", methods=("GET", "POST"), kwargs={"fmt": "json"}, post_need="an API key"
    ),
    "open311:request": Route("public", obj="workorder", kwargs={"fmt": "json"}),
    # A photo's signed media_url: the signature is the permission; a forged one is 404.
    "open311:media": Route("a signed link", kwargs={"token": "1:1vRY7U:forged"}),
    "notifications:inbox": Route("login"),
    "notifications:mark_read": Route("login", methods=("POST",)),
    "notifications:open": Route("login"),  # no ?n=: back to the inbox
    "notifications:outbox": Route(OUTBOX),
    "portal:home": Route("login"),
    "portal:login": Route("public", methods=("GET", "POST")),
    "portal:login_code": Route("public", methods=("POST",)),
    "portal:password_reset": Route("public", methods=("GET", "POST")),
    "portal:inbox": Route("login"),
    "portal:account": Route("login"),
    "portal:elder": Route("login", methods=("POST",)),
    "portal:acting": Route("login", methods=("POST",)),  # no person: act for oneself
    # --- issue 12: the grid worker's day -------------------------------------------------
    # A household's visits: 404 where the register does not show it, 403 to roles that see
    # it but do not visit (police, doctor, building head …). A POST without a body is a
    # form error, still allowed.
    "visits:due": Route(VISIT),
    "visits:mine": Route(VISIT),
    "visits:household": Route(VISIT, obj="household"),
    "visits:log": Route(VISIT, obj="household", methods=("GET", "POST")),
    "visits:rules": Route(VISIT),  # read by those who visit; set by the secretary
    "visits:rule_set": Route(VISIT_RULES, methods=("POST",)),
    "visits:workload": Route(WORKLOAD),
    # --- issue 12: a long export's page and file, for the user who asked only -----------
    "web:export_job": Route("asked for the export", obj="export_job"),
    "web:export_job_download": Route("asked for the export", obj="export_job"),
    # --- issue 12: report-in (双报到), pairing, family proxies (数字反哺) ----------------------
    # Anyone may report in (a code proves the number); a POST without a body is a form error.
    "portal:volunteer": Route("public", methods=("GET", "POST")),
    "portal:volunteer_code": Route("public", methods=("POST",)),
    # Naming none of one's own report-ins, requests or links: 404 for everyone signed in.
    "portal:volunteer_withdraw": Route("one's own report-in", methods=("POST",)),
    "portal:family": Route("login", methods=("GET", "POST")),
    "portal:family_end": Route("one's own proxy link", methods=("POST",)),
    "portal:family_withdraw": Route("one's own proxy request", methods=("POST",)),
    "workorders:reportin_list": Route(VOLUNTEERS),
    "workorders:reportin_add": Route(VOLUNTEERS, methods=("GET", "POST")),
    "workorders:reportin_detail": Route(VOLUNTEERS, obj="reportin"),
    "workorders:reportin_approve": Route(VOLUNTEERS, obj="reportin", methods=("POST",)),
    "workorders:reportin_refuse": Route(VOLUNTEERS, obj="reportin", methods=("POST",)),
    "workorders:volunteer_detail": Route(VOLUNTEERS, obj="volunteer"),
    "workorders:volunteer_pairings": Route(VOLUNTEERS, obj="volunteer", methods=("POST",)),
    "registry:proxy_list": Route(PROXY),
    "registry:proxy_approve": Route(PROXY, obj="proxy_request", methods=("POST",)),
    "registry:proxy_refuse": Route(PROXY, obj="proxy_request", methods=("POST",)),
    # From the person's page: seen by whoever sees the person, done by those who confirm.
    "registry:proxy_add": Route(PROXY, obj="person", methods=("POST",)),
    "registry:proxy_end": Route(PROXY, obj="proxy_link", methods=("POST",)),
    # --- issue 13: certificates (电子证照) --------------------------------------------------
    "points_certificates:list": Route(POINTS_VIEW),
    "points_certificates:keys": Route(CERT_KEYS),
    # A POST naming no community goes back to the keys page with a message (302).
    "points_certificates:key_create": Route(CERT_KEYS, methods=("POST",)),
    "points_certificates:key_rotate": Route(CERT_KEYS, methods=("POST",)),
    "points_certificates_m:list": Route("login"),  # one's own: none for staff
    "points_certificates_m:issue": Route("login", methods=("GET", "POST")),  # empty: form errors
    "points_certificates_m:detail": Route(CERT_OWN, obj="certificate"),
    "points_certificates_m:pdf": Route(CERT_OWN, obj="certificate"),
    "verify:verify": Route("public", methods=("GET", "POST")),  # empty POST: form errors
    "verify:keys_json": Route("public"),
    # --- issue 13: reviewing proofs, adjustments, holders' ledgers, my points ------------
    # A POST without a body is a form error (still allowed); deciding an adjustment without
    # a decision refuses it. Reversing needs points.adjust where the award counts (404 else).
    "points_review:queue": Route(REVIEW),
    "points_review:proof": Route(REVIEW, obj="review_proof", methods=("GET", "POST")),
    "points_review:proof_file": Route(REVIEW, obj="review_proof"),
    "points_review:adjustments": Route(ADJUST, methods=("GET", "POST")),
    "points_review:adjustment_decide": Route(ADJUST, obj="points_adjustment", methods=("POST",)),
    "points_review:holders": Route(POINTS),
    "points_review:holder": Route(POINTS, obj="points_holder"),
    "points_review:entry_reverse": Route(ADJUST, obj="ledger_entry", methods=("POST",)),
    "points_me:home": Route("login"),  # the user's own points (none for most roles)
    # --- issue 13: notices (a notice for the side's building; a PDF attached) -------------
    # An empty POST to create or edit is a form error, still allowed.
    "notices:list": Route(NOTICE),
    "notices:create": Route(NOTICE, methods=("GET", "POST")),
    "notices:detail": Route(NOTICE, obj="notice"),
    "notices:edit": Route(NOTICE, obj="notice", methods=("GET", "POST")),
    "notices:pin": Route(NOTICE, obj="notice", methods=("POST",)),
    "notices:withdraw": Route(NOTICE, obj="notice", methods=("POST",)),
    "notices:attachment": Route(NOTICE, obj="notice_file"),
    "notices_resident:list": Route("login"),  # the user's household's notices, none here
    "notices_resident:detail": Route(NOTICE_AUDIENCE, obj="notice"),
    "notices_resident:attachment": Route(NOTICE_AUDIENCE, obj="notice_file"),
    # --- issue 13: rankings: the workbench's for points.view (the first node held, or one
    # chosen: gongzhi/points/tests/test_rankings_views.py), and one's own on /m/.
    "points_rankings:page": Route(POINTS_VIEW),
    "points_rankings_m:mine": Route("login"),  # one's own community's; none: explained, 200
    # --- issue 14: outreach campaigns (a campaign on the side's grid; an empty POST to
    # create is a form error, an action or a simulation without one is a message: allowed)
    "outreach:list": Route(OUTREACH_VIEW),
    "outreach:create": Route(OUTREACH_RUN, methods=("GET", "POST")),
    "outreach:preview": Route(OUTREACH_RUN),  # no area: the fragment says so, 200
    "outreach:detail": Route(OUTREACH_VIEW, obj="campaign"),
    "outreach:progress": Route(OUTREACH_VIEW, obj="campaign"),
    "outreach:act": Route(OUTREACH_RUN, obj="campaign", methods=("POST",)),
    "outreach:simulate": Route(OUTREACH_RUN, obj="outreach_attempt", methods=("POST",)),
    "outreach_m:answer": Route(OUTREACH_ASKED, obj="outreach_notice", methods=("GET", "POST")),
}


CATALOGUE = "catalogue"  # a list of the product's own codes (tags, categories): no area
_SEES_AREA = frozenset({AREA})


@dataclass(frozen=True)
class Operation:
    need: str
    obj: str | None = None  # object in the path
    kind: str = "read"  # "list", "read", "write" (object in path), "create" (object in body)
    body: str = ""  # name of a body builder below
    masked: bool = False
    lists: str = ""  # a list of objects of a later issue (a key of OBJECTS), not of persons
    # create: `ref` is the body field naming where the new object goes (on the request's
    # side), seen with `ref_sees` (default: `need`) by roles whose node holds `ref_node`
    # ("building": every role of the side; "grid": not the building head, whose node is
    # below it). A role that cannot see it gets `unknown_ref`: the field error "no such
    # record in your area" (400 naming `ref`), or 404. With `gate`, a role that lacks
    # `need` everywhere gets 404 before the body is read.
    ref: str = ""
    ref_sees: frozenset[str] = frozenset()
    ref_node: str = "building"
    unknown_ref: str = ""
    gate: bool = False


API_OPERATIONS: dict[str, Operation] = {
    "area_list": Operation(AREA, kind="list"),
    "area_get": Operation(AREA, obj="area"),
    "area_create": Operation(
        AREA_MANAGE,
        kind="create",
        body="area_create",
        ref="parent",
        ref_sees=_SEES_AREA,
        ref_node="grid",
    ),
    "area_update": Operation(AREA_MANAGE, obj="area", kind="write", body="rename"),
    # The building is moved under its own grid (nothing changes: the answer is the same).
    "area_move": Operation(AREA_MANAGE, obj="area", kind="write", body="area_move"),
    "area_close": Operation(AREA_MANAGE, obj="empty_building", kind="write", body="close"),
    "area_reopen": Operation(AREA_MANAGE, obj="closed_building", kind="write"),
    "area_geometry_get": Operation(AREA, obj="area"),
    "area_geometry_put": Operation(AREA_MANAGE, obj="area", kind="write", body="point"),
    "area_map": Operation(AREA, obj="area"),
    "household_list": Operation(VIEW, kind="list"),
    "household_get": Operation(VIEW, obj="household"),
    "household_create": Operation(
        EDIT, kind="create", body="household_create", ref="building", ref_sees=_SEES_AREA
    ),
    "household_update": Operation(EDIT, obj="household", kind="write", body="notes"),
    "household_move": Operation(EDIT, obj="household", kind="write", body="household_move"),
    "person_list": Operation(VIEW, kind="list", masked=True),
    "person_get": Operation(VIEW, obj="person", masked=True),
    "person_create": Operation(
        EDIT, kind="create", body="person_create", ref="household", ref_sees=frozenset({VIEW})
    ),
    "person_update": Operation(EDIT, obj="person", kind="write", body="notes"),
    "person_move_out": Operation(EDIT, obj="person", kind="write", body="move_out"),
    "person_move_in": Operation(EDIT, obj="person", kind="write", body="move_in"),
    "person_tags_set": Operation(EDIT, obj="person", kind="write", body="tags"),
    "person_reveal": Operation(REVEAL, obj="person", kind="write", body="reveal"),
    "tag_list": Operation("login", kind="list", lists=CATALOGUE),
    # Transfer requests (the list: those the caller's area decides, by default).
    "transfer_list": Operation(EDIT, kind="list", lists="transfer", masked=True),
    "transfer_create": Operation(
        EDIT, kind="create", body="transfer_create", ref="household", ref_sees=frozenset({VIEW})
    ),
    "transfer_get": Operation(EDIT, obj="transfer", masked=True),
    "transfer_approve": Operation(EDIT, obj="transfer", kind="write"),
    "transfer_decline": Operation(EDIT, obj="transfer", kind="write", body="transfer_decline"),
    "transfer_cancel": Operation(EDIT, obj="outgoing_transfer", kind="write"),
    # --- issue 3: imports, watch lists, reports -------------------------------------------
    # Imports: a checked batch on each side, one good row and one with a problem. Anyone
    # signed in may list (their area's batches only); an upload names the community, and
    # one the caller may not import into is 404, like a batch they may not see.
    "import_list": Operation(IMPORT, kind="list", lists="import"),
    "import_upload": Operation(
        IMPORT, kind="create", body="import_upload", ref="community", unknown_ref=DENY, gate=True
    ),
    "import_get": Operation(IMPORT, obj="import"),
    "import_mapping_set": Operation(IMPORT, obj="import", kind="write", body="import_mapping"),
    "import_check": Operation(IMPORT, obj="import", kind="write"),
    "import_commit": Operation(IMPORT, obj="import", kind="write"),  # the batch is checked
    "import_rows": Operation(IMPORT, obj="import"),
    "import_report": Operation(IMPORT, obj="import"),
    "upstream_list_list": Operation(WATCH_UPLOAD, kind="list", lists="upstream_list"),
    "upstream_list_upload": Operation(
        WATCH_UPLOAD,
        kind="create",
        body="upstream_upload",
        ref="area",
        ref_sees=_SEES_AREA,
        ref_node="grid",
    ),
    "upstream_list_get": Operation(WATCH_UPLOAD, obj="upstream_list"),
    "upstream_list_rematch": Operation(WATCH_UPLOAD, obj="upstream_list", kind="write"),
    "watchlist_summary": Operation(WATCH_FOLLOW),
    "watch_entry_list": Operation(WATCH_FOLLOW, kind="list", lists="entry", masked=True),
    "watch_entry_get": Operation(WATCH_FOLLOW, obj="entry", masked=True),
    "watch_entry_transition": Operation(WATCH_FOLLOW, obj="entry", kind="write", body="review"),
    "watch_entry_assign": Operation(WATCH_UPLOAD, obj="entry", kind="write", body="assign"),
    "report_field_catalogue": Operation("login", kind="list", lists=CATALOGUE),
    "report_template_list": Operation(REPORT, kind="list", lists="template"),
    "report_template_upload": Operation(
        REPORT_MANAGE,
        kind="create",
        body="template_upload",
        ref="area",
        ref_sees=_SEES_AREA,
        ref_node="grid",
    ),
    "report_template_install": Operation(
        REPORT_MANAGE,
        kind="create",
        body="template_install",
        ref="area",
        ref_sees=_SEES_AREA,
        ref_node="grid",
    ),
    "report_template_get": Operation(REPORT, obj="template"),
    "report_template_map": Operation(REPORT_MANAGE, obj="template", kind="write", body="mapping"),
    "report_template_schedule": Operation(
        REPORT_MANAGE, obj="template", kind="write", body="schedule"
    ),
    "report_fill": Operation(REPORT, obj="template", kind="write", body="fill"),
    "report_list": Operation(REPORT, kind="list", lists="report"),
    "report_get": Operation(REPORT, obj="report"),
    "report_download": Operation(REPORT, obj="report"),
    # --- issue 4: work orders ---------------------------------------------------------------
    "workorder_category_list": Operation("login", kind="list", lists=CATALOGUE),
    "workorder_list": Operation("sees the order", kind="list", lists="workorder"),
    # Where an order may be filed is where the caller may ask for one: elsewhere the place
    # is "no such record in your area".
    "workorder_create": Operation(WO_REQUEST, kind="create", body="workorder_create", ref="place"),
    "workorder_get": Operation("sees the order", obj="workorder"),
    "workorder_timeline": Operation("sees the order", obj="workorder"),
    "workorder_photo_get": Operation("sees the order", obj="photo"),
    "workorder_suggestions": Operation(WO_DISPATCH, obj="workorder"),
    "workorder_dispatch": Operation(
        WO_DISPATCH, obj="workorder", kind="write", body="workorder_dispatch"
    ),
    "workorder_escalate": Operation(WO_DISPATCH, obj="workorder", kind="write", body="wo_note"),
    "workorder_solve": Operation(WO_DISPATCH, obj="new_workorder", kind="write", body="wo_note"),
    "workorder_bulk": Operation(
        WO_DISPATCH, kind="create", body="workorder_bulk", ref="orders", gate=True
    ),
    "workorder_accept": Operation("handles it", obj="workorder", kind="write"),
    "workorder_decline": Operation("handles it", obj="workorder", kind="write", body="wo_note"),
    "workorder_start": Operation("handles it", obj="accepted_workorder", kind="write"),
    "workorder_evidence": Operation(
        "handles it", obj="accepted_workorder", kind="write", body="wo_evidence"
    ),
    "workorder_resolve": Operation(
        "handles it", obj="accepted_workorder", kind="write", body="wo_note"
    ),
    "workorder_rate": Operation(
        "asked for it, may act", obj="resolved_workorder", kind="write", body="workorder_rate"
    ),
    "workorder_reopen": Operation(
        "asked for it, may act", obj="resolved_workorder", kind="write", body="wo_note"
    ),
    "workorder_callback": Operation(
        WO_DISPATCH, obj="callback_workorder", kind="write", body="workorder_rate"
    ),
    "workorder_cancel": Operation(
        "asked for it, or decides", obj="workorder", kind="write", body="wo_note"
    ),
    # --- issue 12: visits -------------------------------------------------------------------
    "visit_list": Operation(VISIT, kind="list", lists="visit"),
    "visit_due_list": Operation(VISIT, kind="list", lists="due_household"),
    "visit_create": Operation(
        VISIT, kind="create", body="visit_create", ref="household", ref_sees=frozenset({VISIT})
    ),
    # --- issue 12: report-ins, the 8-household pairing, family proxy requests ---------------
    "reportin_list": Operation(VOLUNTEERS, kind="list", lists="reportin", masked=True),
    "reportin_get": Operation(VOLUNTEERS, obj="reportin", masked=True),
    "reportin_approve": Operation(
        VOLUNTEERS, obj="reportin", kind="write", body="reportin_approve"
    ),
    "reportin_refuse": Operation(VOLUNTEERS, obj="reportin", kind="write", body="reportin_refuse"),
    "pairing_get": Operation(VOLUNTEERS, obj="volunteer"),
    "pairing_set": Operation(VOLUNTEERS, obj="volunteer", kind="write", body="pairings"),
    "proxy_request_list": Operation(PROXY, kind="list", lists="proxy_request", masked=True),
    "proxy_request_approve": Operation(PROXY, obj="proxy_request", kind="write"),
    "proxy_request_refuse": Operation(
        PROXY, obj="proxy_request", kind="write", body="proxy_refuse"
    ),
    # --- issue 12: staff administration ------------------------------------------------------
    "account_list": Operation(ACCOUNTS, kind="list", lists="account"),
    "account_get": Operation(ACCOUNTS, obj="account"),
    "account_create": Operation(
        "grants a volunteer's role",
        kind="create",
        body="account_create",
        ref="area",
        ref_sees=frozenset({ACCOUNTS}),
        ref_node="grid",
    ),
    "account_role_grant": Operation(
        "grants a volunteer's role", obj="account", kind="write", body="account_grant"
    ),
    "account_role_revoke": Operation("grants a volunteer's role", obj="account_role", kind="write"),
    "account_invite": Operation(ACCOUNTS, obj="account", kind="write"),
    "account_reset_password": Operation(ACCOUNTS, obj="account", kind="write"),
    "account_deactivate": Operation(ACCOUNTS, obj="account", kind="write"),
    "account_reactivate": Operation(ACCOUNTS, obj="account", kind="write"),
    "account_reset_second_factor": Operation(
        ACCOUNTS, obj="account", kind="write", body="account_reason"
    ),
    "role_holder_list": Operation(ACCOUNTS, kind="list", lists="account_role"),
    "my_sign_ins": Operation("login", kind="list", lists=CATALOGUE),  # the caller's own
    # --- issue 13: certificates: public, like /verify (the side's certificate is checked)
    "certificate_verify": Operation("public", kind="write", body="certificate_verify"),
    "certificate_keys": Operation("public"),
    # --- issue 13: reviewing proofs, ledgers, adjustments -----------------------------------
    "proof_review_queue": Operation(REVIEW, kind="list", lists="review_proof"),
    "proof_review": Operation(REVIEW, obj="review_proof", kind="write", body="proof_reject"),
    "points_me": Operation("login"),  # the caller's own balance
    "points_me_entries": Operation("login", kind="list", lists=CATALOGUE),  # the caller's own
    "points_holder_entries": Operation(POINTS, obj="points_holder"),
    "points_adjustment_propose": Operation(
        ADJUST, kind="create", body="adjustment_propose", ref="holder", ref_sees=frozenset({ADJUST})
    ),
    "points_adjustment_decide": Operation(
        ADJUST, obj="points_adjustment", kind="write", body="adjustment_decide"
    ),
    # --- issue 13: notices ---------------------------------------------------------------------
    "notice_list": Operation(NOTICE, kind="list", lists="notice"),
    "notice_create": Operation(NOTICE, kind="create", body="notice_create", ref="targets"),
    "notice_get": Operation(NOTICE, obj="notice"),
    "notice_withdraw": Operation(NOTICE, obj="notice", kind="write"),
    "notice_receipts": Operation(NOTICE, obj="notice", masked=True),
    "my_notice_list": Operation("login", kind="list", lists=CATALOGUE),  # the caller's own
    "my_notice_read": Operation(NOTICE_AUDIENCE, obj="notice", kind="write"),
    # --- issue 13: rankings (the caller's first node; a chosen one in test_rankings_api) ----
    "points_ranking_get": Operation(POINTS_VIEW),
}


# --- objects of later issues named in URLs -----------------------------------------------
# kind -> (abilities that see such an object, builder(world, side) -> the object on that
# side). Routes name it as "<kind>_id"; builders run in this order, so a later one may use
# an earlier one's object (side.objects).


def _issue3_community(side) -> Any:
    return side.grid.parent  # the sides' grids are level-1 grids of their community


def _build_entry(world, side) -> Any:
    from gongzhi.health.tests.factories import entry_for

    return entry_for(side.person, _issue3_community(side))


def _build_upstream_list(world, side) -> Any:
    from gongzhi.health.tests.factories import person_row, upload

    return upload(_issue3_community(side), [person_row(side.person)])  # not matched yet


def _build_template(world, side) -> Any:
    from gongzhi.reports.services import report_template_install

    return report_template_install(actor=None, area=_issue3_community(side), code="elderly_alone")


def _build_report(world, side) -> Any:
    from gongzhi.reports.services import report_fill, report_request

    template = side.objects["template"]
    report = report_request(actor=None, template=template, area=side.grid)
    return report_fill(report_id=report.pk)


# Transfer requests. "In": `transfer` asks for the role's person (person_a1) to move into
# the third community (the in-area decides), `outgoing_transfer` asks for the third
# community's person to move into household_a1 (the in-area asked). "Out": one request
# between two places of the third community, which no role but the root ones reaches.


def _out_place() -> tuple[Any, Any]:
    from gongzhi.registry.models import Household

    household = Household.objects.get(building__code="421087002001C001B01", room="101")
    return household, household.persons.order_by("pk").first()  # 孙海燕, the first


def _out_keeper() -> Any:
    from gongzhi.accounts.models import User
    from gongzhi.testing import _user

    found = User.objects.filter(username="matrix_keeper_out").first()
    if found is not None:
        return found
    household, _person = _out_place()
    return _user("matrix_keeper_out", household.community, Role.SECRETARY)


def _build_transfer(world, side) -> Any:
    from gongzhi.registry import transfers
    from gongzhi.registry.models import TransferRequest

    household, person = _out_place()
    if side.person.pk == person.pk:  # the out side: between two places nobody reaches
        return TransferRequest.objects.create(
            person=person, from_area_path=person.area_path, to_household=household,
            to_area_path=household.area_path, reason="矩阵", requested_by=_out_keeper(),
        )  # fmt: skip
    return transfers.transfer_request_create(
        actor=_out_keeper(), household=household, id_number=side.person.id_number.reveal(),
        reason="矩阵检查",
    )  # fmt: skip


def _build_outgoing_transfer(world, side) -> Any:
    from gongzhi.registry import transfers

    _household, person = _out_place()
    if side.person.pk == person.pk:
        return side.objects["transfer"]
    return transfers.transfer_request_create(
        actor=world.grid_worker_a, household=side.household,
        id_number=person.id_number.reveal(), reason="矩阵检查",
    )  # fmt: skip


def _import_rows(side) -> list[list[Any]]:
    """The side's person as a row of the import header (a known person: unchanged), and a
    row whose ID number is too short (a problem row, for the error report)."""
    from gongzhi.imports.tests.conftest import HEADER

    person, building = side.person, side.area
    address = [building.compound.name, building.name, "1", side.household.room]
    good = [person.name, person.id_number.reveal(), person.phone.reveal(), *address, "户主", ""]
    bad = ["矩阵", "123", "", *address, "户主", ""]
    assert len(good) == len(HEADER)
    return [good, bad]


def _importer(world, side) -> Any:
    """A grid worker of the side's grid, who uploads the side's batch."""
    from gongzhi.accounts.services import membership_grant, user_create

    if side.grid.pk == world.grid_a1.pk:
        return world.grid_worker_a
    user = user_create(
        username=f"importer_{side.grid.code}", password=PASSWORD, display_name="矩阵"
    )
    membership_grant(user=user, area=side.grid, role=Role.GRID_WORKER)
    return user


def _build_import(world, side) -> Any:  # checked: ready to import, one problem row
    from gongzhi.imports.tests.conftest import run, upload, xlsx

    actor = _importer(world, side)
    batch = upload(actor, xlsx(_import_rows(side)), "矩阵.xlsx", community=side.grid.parent)
    batch = run(batch, "check", actor)
    assert (batch.status, batch.rows_failed) == ("checked", 1), batch.error
    return batch


def _build_empty_building(world, side: Side) -> Any:
    """A building with no household on the side's grid: one that may be closed."""
    return services.area_create(
        actor=None, parent=side.grid, kind="building", name="矩阵空楼", code="",
        compound=side.area.compound,
    )  # fmt: skip


def _build_closed_building(world, side: Side) -> Any:
    building = services.area_create(
        actor=None, parent=side.grid, kind="building", name="矩阵旧楼", code="",
        compound=side.area.compound,
    )  # fmt: skip
    return services.area_close(actor=None, area=building)


# Nodes built on the side's grid: outside the building head's building.
NODE_OBJECTS = {"empty_building", "closed_building"}

OBJECTS: dict[str, tuple[set[str], Any]] = {
    "empty_building": ({AREA}, _build_empty_building),
    "closed_building": ({AREA}, _build_closed_building),
    "import": ({IMPORT}, _build_import),
    "entry": ({WATCH_FOLLOW, WATCH_UPLOAD}, _build_entry),
    "upstream_list": ({WATCH_UPLOAD}, _build_upstream_list),
    "template": ({REPORT, REPORT_MANAGE}, _build_template),
    "report": ({REPORT}, _build_report),
    "transfer": ({EDIT}, _build_transfer),
    "outgoing_transfer": ({EDIT}, _build_outgoing_transfer),
}


@dataclass(frozen=True)
class Upload:
    """A multipart body: form fields and files (name -> (filename, bytes))."""

    fields: dict[str, Any]
    files: dict[str, tuple[str, bytes]]

    def form(self) -> dict[str, Any]:
        from django.core.files.uploadedfile import SimpleUploadedFile

        files = {k: SimpleUploadedFile(name, data) for k, (name, data) in self.files.items()}
        return {**self.fields, **files}


def _issue3_bodies(side, world) -> dict[str, Any]:
    def upstream_upload() -> Upload:
        from gongzhi.health.tests.factories import csv_bytes, person_row

        data = csv_bytes([person_row(side.person)])
        return Upload({"area": side.grid.pk, "name": "矩阵名单"}, {"file": ("矩阵.csv", data)})

    def template_upload() -> Upload:
        from gongzhi.reports.builtin import BUILTINS

        data = BUILTINS["elderly_alone"].workbook()
        fields = {"area": side.grid.pk, "dataset": "persons", "name": "矩阵模板"}
        return Upload(fields, {"file": ("矩阵.xlsx", data)})

    def import_upload() -> Upload:
        from gongzhi.imports.tests.conftest import xlsx

        data = xlsx(_import_rows(side))
        return Upload({"community": side.grid.parent.pk}, {"file": ("矩阵.xlsx", data)})

    return {
        "import_upload": import_upload,
        "import_mapping": lambda: {"mapping": dict(side.objects["import"].mapping, tags=None)},
        "upstream_upload": upstream_upload,
        "review": lambda: {"action": "review", "note": "矩阵检查"},
        "assign": lambda: {"assignee": world.grid_worker_a.pk},
        "template_upload": template_upload,
        "template_install": lambda: {"area": side.grid.pk, "code": "vaccination"},
        "mapping": lambda: {"columns": [{"column": 2, "field": "name"}]},
        "schedule": lambda: {"schedule": "weekly", "hour": 8, "weekday": 0},
        "fill": lambda: {},
    }


# --- issue 4: work orders, and who sees them -------------------------------------------
# Seeing an order is not only by area: the resident who asked sees it (wherever they hold
# roles), and so does the volunteer it was offered to; staff with workorder.view see their
# area's. In the role's area ("in"), world.resident asked for each order; the orders are in
# the states their steps need. The other community's ("out") are seen by no role at all.

WO_ORDERS = (
    "workorder",
    "accepted_workorder",
    "resolved_workorder",
    "new_workorder",
    "callback_workorder",
)
WO_SEES = "sees the order"
WO_OWN = "asked for it"  # the residents' pages: 404 for anyone else, staff included
WO_HANDLER = "handles it"  # offered to them, or accepted by them; 403 for others who see it
WO_REQUESTER = "asked for it, may act"  # rate, reopen: 403 for others who see it
WO_CANCELS = "asked for it, or decides"
WO_CALLER = "decides there and reveals"
API_KEY = "an API key"
SIGNED_LINK = "a signed link"


def _wo_file(world, side, **extra) -> Any:
    from gongzhi.workorders.defaults import ensure_default_categories
    from gongzhi.workorders.filing import workorder_create
    from gongzhi.workorders.models import Category

    ensure_default_categories()
    return workorder_create(
        actor=world.resident if _wo_inside(world, side) else None,
        category=Category.objects.get(code="repair"),
        description="矩阵工单",
        place=side.area,
        **extra,
    )


def _wo_inside(world, side) -> bool:
    return side.area.pk == world.building_a1.pk


def _wo_steps(world, side, order, steps) -> Any:
    from gongzhi.workorders.services import workorder_transition

    if not _wo_inside(world, side):
        return order  # nobody sees the other community's orders: their state does not matter
    volunteer = world.by_role[Role.VOLUNTEER]
    actors = {"dispatch": world.grid_worker_a, "accept": volunteer, "resolve": volunteer}
    for action in steps:
        extra = {"handlers": [volunteer]} if action == "dispatch" else {"note": "矩阵"}
        order = workorder_transition(actor=actors[action], order=order, action=action, **extra)
    return order


def _build_workorder(world, side) -> Any:  # offered to the volunteer, with a photo
    from gongzhi.workorders.tests.factories import photo

    return _wo_steps(world, side, _wo_file(world, side, photos=[photo()]), ["dispatch"])


def _build_accepted_workorder(world, side) -> Any:
    return _wo_steps(world, side, _wo_file(world, side), ["dispatch", "accept"])


def _build_resolved_workorder(world, side) -> Any:
    return _wo_steps(world, side, _wo_file(world, side), ["dispatch", "accept", "resolve"])


def _build_new_workorder(world, side) -> Any:  # waiting for dispatch: not the volunteer's
    return _wo_file(world, side)


def _build_callback_workorder(world, side) -> Any:
    """Filed by the grid worker for a resident without an account (a phone call), resolved
    by the volunteer: rated on a callback by staff who decide there (not by the volunteer,
    and not seen by world.resident, who did not ask)."""
    from gongzhi.workorders.defaults import ensure_default_categories
    from gongzhi.workorders.filing import workorder_create
    from gongzhi.workorders.models import Category

    ensure_default_categories()
    order = workorder_create(
        actor=world.grid_worker_a if _wo_inside(world, side) else None,
        category=Category.objects.get(code="repair"),
        description="矩阵回访工单",
        person=side.person,
    )
    return _wo_steps(world, side, order, ["dispatch", "accept", "resolve"])


def _build_photo(world, side) -> Any:
    return side.objects["workorder"].attachments.get()


EXPORT_OWN = "asked for the export"


def _build_export_job(world, side) -> Any:
    """A long export written by the worker: asked by the secretary in the role's area,
    by the third community's keeper on the other side. Nobody else may see either."""
    from django.test import RequestFactory

    from gongzhi.registry.exports import HOUSEHOLDS
    from gongzhi.registry.models import Household
    from gongzhi.web import exports

    user = world.by_role[Role.SECRETARY] if _wo_inside(world, side) else _out_keeper()
    request = RequestFactory().get("/register/households/")
    request.user = user
    rows = Household.objects.filter(pk=side.household.pk)
    job = exports.export_job_queue(request, HOUSEHOLDS, rows, fmt="csv", stem="矩阵")
    return exports.export_job_run(job_id=job.pk)


OBJECTS.update(
    {
        "export_job": (set(), _build_export_job),
        # No ability set: who sees a work order is decided by _wo_sees below.
        "workorder": (set(), _build_workorder),
        "accepted_workorder": (set(), _build_accepted_workorder),
        "resolved_workorder": (set(), _build_resolved_workorder),
        "new_workorder": (set(), _build_new_workorder),
        "callback_workorder": (set(), _build_callback_workorder),
        "photo": (set(), _build_photo),
    }
)


def _wo_sees(principal: str, obj: str, scope: str) -> bool:
    if scope != "in" or principal in (ANONYMOUS, OUTSIDER):
        return False
    if principal == Role.RESIDENT:
        return obj != "callback_workorder"  # asked for every other order "in"
    if principal == Role.VOLUNTEER:
        return obj != "new_workorder"  # offered or accepted all but the waiting one
    return WO_VIEW in ABILITIES[principal]


def _wo_expected(need: str, obj: str, principal: str, scope: str) -> str:
    if not _wo_sees(principal, obj, scope):
        return DENY
    if need == WO_SEES:
        return ALLOW
    if need == WO_OWN:
        return ALLOW if principal == Role.RESIDENT else DENY
    abilities = ABILITIES[principal]
    part = {
        WO_DISPATCH: WO_DISPATCH in abilities,  # decides at the order's grid
        WO_HANDLER: principal == Role.VOLUNTEER,
        WO_REQUESTER: principal == Role.RESIDENT,
        WO_CANCELS: WO_DISPATCH in abilities or principal == Role.RESIDENT,
        WO_CALLER: WO_DISPATCH in abilities and REVEAL in abilities,
    }[need]
    return ALLOW if part else FORBID


def _issue4_bodies(side, world) -> dict[str, Any]:
    return {
        "workorder_create": lambda: {
            "category": "repair",
            "description": "矩阵检查",
            "place": side.area.pk,
        },
        "workorder_dispatch": lambda: {"handlers": [world.by_role[Role.VOLUNTEER].pk]},
        "wo_note": lambda: {"note": "矩阵检查"},
        "wo_evidence": lambda: Upload({"note": "矩阵检查"}, {}),
        "workorder_rate": lambda: {"rating": 5},
        "workorder_bulk": lambda: {
            "orders": [side.objects["workorder"].pk],
            "action": "escalate",
            "note": "矩阵检查",
        },
    }


# --- issue 12: visits ---------------------------------------------------------------------
# A visit on each side, and on each side a household due a visit (a new one, never visited,
# whose person is 独居老人 under the platform's default rule).


def _build_visit(world, side) -> Any:
    from gongzhi.core import clock
    from gongzhi.visits.models import Visit

    return Visit.objects.create(
        household=side.household, visitor=world.grid_worker_a, visited_at=clock.now(),
        method="home", notes="矩阵走访", area_path=side.household.area_path,
    )  # fmt: skip


def _build_due_household(world, side) -> Any:
    import importlib

    from django.apps import apps as django_apps

    from gongzhi.registry.models import PersonTag, Tag
    from gongzhi.visits.models import VisitRule

    if not VisitRule.objects.exists():  # a transactional test emptied the migration's rows
        migration = importlib.import_module("gongzhi.visits.migrations.0002_default_visit_rules")
        migration.forwards(django_apps, None)
    household = services.household_create(actor=None, building=side.area, unit="7", room="701")
    person = services.person_create(
        actor=None, household=household, data={"name": "矩阵老人", "id_number": make_id_number()}
    )
    PersonTag.objects.create(person=person, tag=Tag.objects.get(code="elderly_alone"))
    return household


# --- issue 12: report-ins, volunteers, family proxies ------------------------------------
# On each side: a report-in for the side's grid, a party member serving there, a family
# member's request to act for the side's person, and a confirmed link.


def _i12_user(kind: str, side) -> Any:
    from gongzhi.accounts.services import user_create

    return user_create(username=f"matrix_{kind}_{side.grid.code}", password=PASSWORD)


def _build_reportin(world, side) -> Any:
    from gongzhi.workorders import reportin

    return reportin.reportin_submit(
        actor=_i12_user("applicant", side), kind="party_member",
        community=side.grid.parent, grid=side.grid,
    )  # fmt: skip


def _build_volunteer(world, side) -> Any:
    from gongzhi.accounts.services import membership_grant

    user = _i12_user("volunteer", side)
    membership_grant(user=user, area=side.grid, role=Role.PARTY_MEMBER)
    return user


def _build_proxy_request(world, side) -> Any:
    from gongzhi.registry import proxies

    return proxies.proxy_request_create(
        actor=_i12_user("child", side), name=side.person.name,
        id_number=side.person.id_number.reveal(), relation="child",
    )  # fmt: skip


def _build_proxy_link(world, side) -> Any:
    from gongzhi.accounts.services import proxy_link_create

    return proxy_link_create(user=_i12_user("proxy", side), person=side.person, relation="child")


# --- issue 12: staff administration ---------------------------------------------------------
# The side's account: a grid worker of the side's grid with a mobile number and a second-
# factor device, so that every write on it can succeed. The secretary manages community A's
# accounts; the administrator, on the root, every account, but grants (and revokes) only
# roles whose permissions it holds itself, and a volunteer's (or a grid worker's) is not
# one: those are refused on the role (400 naming `role`).
GRANTS = "grants a volunteer's role"
ROLE_REFUSED = "refused on the role (400 naming role)"


def _build_account(world, side) -> Any:
    from gongzhi.accounts.services import membership_grant, user_create, user_set_phone

    user = user_create(
        username=f"matrix_staff_{side.grid.code}", password=PASSWORD, display_name="矩阵"
    )
    membership_grant(user=user, area=side.grid, role=Role.GRID_WORKER)
    user_set_phone(user=user, phone="137" + side.grid.code[-8:])
    TOTPDevice.objects.create(user=user, name="matrix", confirmed=True)
    return user


def _build_account_role(world, side) -> Any:
    from gongzhi.accounts.models import Membership

    return Membership.objects.get(user=side.objects["account"], role=Role.GRID_WORKER)


OBJECTS.update(
    {
        "visit": ({VISIT}, _build_visit),
        "due_household": ({VISIT}, _build_due_household),
        "reportin": ({VOLUNTEERS}, _build_reportin),
        "volunteer": ({VOLUNTEERS}, _build_volunteer),
        "proxy_request": ({PROXY}, _build_proxy_request),
        # Ended from the person's page: seen by whoever sees the person.
        "proxy_link": ({VIEW}, _build_proxy_link),
        "account": ({ACCOUNTS}, _build_account),
        "account_role": ({ACCOUNTS}, _build_account_role),
    }
)


# --- issue 13: points review and ledgers ------------------------------------------------------
# On each side: a holder whose points count on the side's grid (a volunteer there), an award
# of theirs, a proof on the side's grid waiting for review (with its photo stored), and an
# adjustment of the holder's points proposed by the community's staff (not a principal).
# URLs name them by their own kind ("proof_id", "holder_id", …).
I13_PATH_NAMES = {
    "review_proof": "proof",
    "points_holder": "holder",
    "points_adjustment": "adjustment",
}


def _build_points_holder(world, side) -> Any:
    from gongzhi.accounts.services import membership_grant

    user = _i12_user("holder", side)
    membership_grant(user=user, area=side.grid, role=Role.VOLUNTEER)
    return user


def _build_ledger_entry(world, side) -> Any:
    from gongzhi.points import ledger

    entry, _created = ledger.entry_post(
        holder=side.objects["points_holder"], kind="award", points=5, hours=1,
        source=f"matrix:{side.grid.code}",
    )  # fmt: skip
    return entry


def _build_review_proof(world, side) -> Any:
    from pathlib import Path

    from django.conf import settings

    from gongzhi.points.tests.review_factories import activity, proof, signup

    relative = f"proofs/matrix/{side.grid.code}.jpg"
    target = Path(settings.DATA_DIR) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\xff\xd8\xff\xe0 matrix")
    act = activity(world, area=side.grid, created_by=_i12_user("organiser", side))
    return proof(signup(act, side.objects["points_holder"]), file=relative)


def _build_points_adjustment(world, side) -> Any:
    from gongzhi.accounts.services import membership_grant
    from gongzhi.points.adjustments import adjustment_propose

    staff = _i12_user("adjuster", side)
    membership_grant(user=staff, area=side.grid.parent, role=Role.COMMUNITY_STAFF)
    return adjustment_propose(
        actor=staff, holder=side.objects["points_holder"], points=3, reason="矩阵检查"
    )


OBJECTS.update(
    {
        "points_holder": ({POINTS}, _build_points_holder),
        "ledger_entry": ({ADJUST}, _build_ledger_entry),
        "review_proof": ({REVIEW}, _build_review_proof),
        "points_adjustment": ({ADJUST}, _build_points_adjustment),
    }
)


def _issue13_bodies(side, world) -> dict[str, Any]:
    return {
        "proof_reject": lambda: {"action": "reject", "note": "矩阵检查"},
        "adjustment_propose": lambda: {
            "holder": side.objects["points_holder"].pk,
            "points": 2,
            "reason": "矩阵检查",
        },
        "adjustment_decide": lambda: {"approve": False},
    }


# --- issue 13: notices ------------------------------------------------------------------------
# On each side a notice for the side's building, with a PDF attached.


def _build_notice(world, side) -> Any:
    from gongzhi.notices.services import notice_publish
    from gongzhi.notices.tests.factories import pdf

    return notice_publish(
        actor=None, title="矩阵通知", body="矩阵检查", targets=[side.area], attachments=[pdf()]
    )


def _build_notice_file(world, side) -> Any:
    return side.objects["notice"].attachments.get()


OBJECTS.update({"notice": ({NOTICE}, _build_notice), "notice_file": ({NOTICE}, _build_notice_file)})


def _issue12_bodies(side, world) -> dict[str, Any]:
    from gongzhi.core import clock

    return {
        "visit_create": lambda: {
            "household": side.household.pk,
            "visited_at": clock.now().isoformat(),
            "method": "home",
        },
        "reportin_approve": lambda: {"grid": side.grid.pk},
        "reportin_refuse": lambda: {"reason": "矩阵检查"},
        "pairings": lambda: {"households": [side.household.pk]},
        "proxy_refuse": lambda: {"reason": "矩阵检查"},
        "account_create": lambda: {
            "username": "matrix.new",
            "display_name": "矩阵",
            "phone": "13700009999",
            "area": side.grid.pk,
            "role": "volunteer",
        },
        "account_grant": lambda: {"area": side.grid.pk, "role": "volunteer"},
        "account_reason": lambda: {"reason": "矩阵检查"},
        "notice_create": lambda: {
            "title": "矩阵通知",
            "body": "矩阵检查",
            "targets": [side.area.pk],
        },
    }


# --- issue 13: certificates -----------------------------------------------------------------
# On each side a certificate of 2 hours: world.resident's in community A ("in"), a resident
# of the third community's on the other side.


def _build_certificate(world, side) -> Any:
    from decimal import Decimal

    from gongzhi.accounts.services import membership_grant
    from gongzhi.core import clock
    from gongzhi.points import certificates, ledger

    if side.grid.pk == world.grid_a1.pk:
        holder = world.resident
    else:
        holder = _i12_user("certificate_holder", side)
        membership_grant(user=holder, area=side.grid.parent, role=Role.RESIDENT)
    ledger.entry_post(
        holder=holder, kind="award", points=1, hours=Decimal(2),
        source=f"matrix-certificate:{side.grid.code}",
    )  # fmt: skip
    today = clock.today()
    return certificates.certificate_issue(actor=holder, period_start=today, period_end=today)


OBJECTS["certificate"] = (set(), _build_certificate)  # who sees it: CERT_OWN in _expected


def _issue13_certificate_bodies(side, world) -> dict[str, Any]:
    from gongzhi.points.certificates import token_of

    return {"certificate_verify": lambda: {"token": token_of(side.objects["certificate"])}}


# --- issue 13: activities of the points square (能量广场) -----------------------------------
# Staff manage the activities of their area (activity.manage: the register's keepers and
# the community's staff). Residents, volunteers and party members take part on /m/points/
# in the published activities whose area holds their household or the area of their role:
# not by a permission. On each side: an activity of the side's grid (staff's), an open
# activity of the side's community, proved by check-in (a participant's), and a sign-up of
# the side's resident for a community activity proved in writing.
ACTIVITY, TAKES_PART, OWN_SIGNUP = "activity", "takes part", "one's own sign-up"
for _role in (Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role].add(ACTIVITY)
for _role in (Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER):
    ABILITIES[_role].add(TAKES_PART)
ABILITIES[Role.RESIDENT].add(OWN_SIGNUP)  # world.resident signed up on the inside


def _activity_keeper(world, side) -> Any:
    return world.secretary if _wo_inside(world, side) else _out_keeper()


def _activity(world, side, area, **extra) -> Any:
    import datetime as dt

    from gongzhi.core import clock
    from gongzhi.points.activities import activity_create

    now = clock.now()
    data = {
        "kind": "event", "title": "矩阵活动", "starts_at": now - dt.timedelta(hours=1),
        "ends_at": now + dt.timedelta(days=30), "proof_kind": "photo", "points": 5, "hours": 1,
    }  # fmt: skip
    data.update(extra)
    return activity_create(actor=_activity_keeper(world, side), area=area, publish=True, **data)


def _build_activity(world, side) -> Any:
    return _activity(world, side, side.grid)


def _build_open_activity(world, side) -> Any:
    return _activity(world, side, side.grid.parent, title="矩阵开放活动", proof_kind="checkin")


def _build_signup(world, side) -> Any:
    from gongzhi.accounts.services import membership_grant
    from gongzhi.points.activities import signup_create

    community = side.grid.parent
    if _wo_inside(world, side):
        participant = world.resident
    else:
        participant = _i12_user("participant", side)
        membership_grant(user=participant, area=community, role=Role.RESIDENT)
    activity = _activity(world, side, community, title="矩阵书面活动", proof_kind="text")
    return signup_create(actor=participant, activity=activity)


OBJECTS.update(
    {
        "activity": ({ACTIVITY}, _build_activity),
        "open_activity": ({TAKES_PART}, _build_open_activity),
        "signup": ({OWN_SIGNUP}, _build_signup),
    }
)
UI_ROUTES.update(
    {
        "points_activities:list": Route(ACTIVITY),
        "points_activities:create": Route(ACTIVITY, methods=("GET", "POST")),  # empty: errors
        "points_activities:detail": Route(ACTIVITY, obj="activity"),
        "points_activities:edit": Route(ACTIVITY, obj="activity", methods=("GET", "POST")),
        "points_activities:transition": Route(ACTIVITY, obj="activity", methods=("POST",)),
        "points_activities:poster": Route(ACTIVITY, obj="activity"),
        "points_m:list": Route("login"),  # the activities open to the user: none for staff
        "points_m:mine": Route("login"),
        "points_m:detail": Route(TAKES_PART, obj="open_activity"),
        "points_m:signup": Route(TAKES_PART, obj="open_activity", methods=("POST",)),
        "points_m:cancel": Route(OWN_SIGNUP, obj="signup", methods=("POST",)),
        "points_m:proof": Route(OWN_SIGNUP, obj="signup", methods=("GET", "POST")),
        # The QR's token is the permission: a forged one is 404, even before signing in.
        "points_m:checkin": Route(SIGNED_LINK, methods=("GET", "POST"), kwargs={"token": "x"}),
    }
)
API_OPERATIONS.update(
    {
        "activity_list": Operation(ACTIVITY, kind="list", lists="activity"),
        "activity_create": Operation(
            ACTIVITY,
            kind="create",
            body="activity_create",
            ref="area",
            ref_sees=frozenset({ACTIVITY}),
            ref_node="grid",
        ),
        "activity_get": Operation(ACTIVITY, obj="activity"),
        "activity_transition": Operation(
            ACTIVITY, obj="activity", kind="write", body="activity_rotate"
        ),
        "activity_open_list": Operation(TAKES_PART, kind="list", lists="open_activity"),
        "activity_signup": Operation(
            TAKES_PART, obj="open_activity", kind="write", body="activity_signup"
        ),
        # Names no object: the inside open activity's token, on both sides.
        "activity_checkin": Operation(TAKES_PART, kind="write", body="activity_checkin"),
        "proof_submit": Operation(OWN_SIGNUP, obj="signup", kind="write", body="proof_text"),
    }
)


def _issue13_activity_bodies(side, world) -> dict[str, Any]:
    import datetime as dt

    from gongzhi.core import clock
    from gongzhi.points.models import Activity

    now = clock.now()
    return {
        "activity_create": lambda: {
            "area": side.grid.pk,
            "kind": "event",
            "title": "矩阵检查",
            "starts_at": now.isoformat(),
            "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
            "proof_kind": "photo",
            "points": 5,
            "hours": "1.0",
        },
        "activity_rotate": lambda: {"action": "rotate"},
        "activity_signup": lambda: {},
        "activity_checkin": lambda: {
            "token": Activity.objects.get(
                area=world.community_a, title="矩阵开放活动"
            ).checkin_token
        },
        "proof_text": lambda: Upload({"text": "矩阵检查：打扫了一小时楼道"}, {}),
    }


# --- issue 13: proposals (居民议事) and polls ---------------------------------------------------
# On each side a published proposal and an open poll of the side's community. Everyone signed
# in whose place (a membership, a household they live in or act for) overlaps the community
# sees them on /m/; community staff and the secretary (proposal.manage) run them on the
# workbench (403 to those who only see them). Taking part (support, vote) needs a person of
# the register, which no matrix user has: the API refuses it naming `person` (400), /m/ says
# so on the page.
PARTICIPATE, PROPOSAL_MANAGE = "participate", "proposal_manage"
VOTES_AS_PERSON = "takes part for a register person"
NO_PERSON = "refused on person (400 naming person)"
for _role in ABILITIES:
    ABILITIES[_role] = ABILITIES[_role] | {PARTICIPATE}
for _role in (Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {PROPOSAL_MANAGE}

UI_ROUTES.update(
    {
        "proposals_m:list": Route("login"),
        "proposals_m:new": Route("login", methods=("GET", "POST")),  # empty: a form error
        "proposals_m:detail": Route(PARTICIPATE, obj="proposal"),
        "proposals_m:support": Route(PARTICIPATE, obj="proposal", methods=("POST",)),
        "proposals_m:poll": Route(PARTICIPATE, obj="poll"),
        "proposals_m:vote": Route(PARTICIPATE, obj="poll", methods=("POST",)),
        "proposals:queue": Route(PROPOSAL_MANAGE),
        "proposals:from_order": Route(PROPOSAL_MANAGE, methods=("POST",)),  # empty: a message
        "proposals:detail": Route(PROPOSAL_MANAGE, obj="proposal"),
        "proposals:step": Route(PROPOSAL_MANAGE, obj="proposal", methods=("POST",)),
        "proposals:polls": Route(PROPOSAL_MANAGE),
        "proposals:poll_new": Route(PROPOSAL_MANAGE, methods=("GET", "POST")),
        "proposals:poll": Route(PROPOSAL_MANAGE, obj="poll"),
        "proposals:flag_review": Route(PROPOSAL_MANAGE, obj="poll", methods=("POST",)),
    }
)
API_OPERATIONS.update(
    {
        "proposal_list": Operation(PARTICIPATE, kind="list", lists="proposal"),
        "proposal_get": Operation(PARTICIPATE, obj="proposal"),
        "proposal_support": Operation(
            VOTES_AS_PERSON, obj="proposal", kind="write", body="no_person"
        ),
        "proposal_step": Operation(
            PROPOSAL_MANAGE, obj="proposal", kind="write", body="proposal_step"
        ),
        "poll_list": Operation(PARTICIPATE, kind="list", lists="poll"),
        "poll_get": Operation(PARTICIPATE, obj="poll"),
        "poll_create": Operation(
            PROPOSAL_MANAGE, kind="create", body="poll_create", ref="area", ref_node="grid"
        ),
        "poll_vote": Operation(VOTES_AS_PERSON, obj="poll", kind="write", body="poll_vote"),
        "poll_flags": Operation(PROPOSAL_MANAGE, obj="poll"),
    }
)


def _build_proposal(world, side) -> Any:
    from gongzhi.core import clock
    from gongzhi.proposals.models import Proposal

    community = side.grid.parent
    return Proposal.objects.create(
        area=community, area_path=community.path, title="矩阵提案", body="矩阵",
        status="published", published_at=clock.now(),
    )  # fmt: skip


def _build_poll(world, side) -> Any:
    import datetime as dt

    from gongzhi.core import clock
    from gongzhi.proposals.models import Option, Poll

    community, now = side.grid.parent, clock.now()
    poll = Poll.objects.create(
        area=community, area_path=community.path, question="矩阵投票",
        opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1),
    )  # fmt: skip
    for position, label in enumerate(["同意", "不同意"], 1):
        Option.objects.create(poll=poll, label=label, position=position)
    return poll


OBJECTS.update(
    {
        "proposal": ({PARTICIPATE}, _build_proposal),
        "poll": ({PARTICIPATE}, _build_poll),
    }
)


def _issue13_proposals_bodies(side, world) -> dict[str, Any]:
    import datetime as dt

    from gongzhi.core import clock

    now = clock.now()
    return {
        "no_person": lambda: {},
        "proposal_step": lambda: {"action": "answer", "note": "矩阵检查"},
        "poll_vote": lambda: {"option": side.objects["poll"].options.first().pk},
        "poll_create": lambda: {
            "area": side.grid.pk,
            "question": "矩阵投票",
            "options": ["同意", "不同意"],
            "opens_at": now.isoformat(),
            "closes_at": (now + dt.timedelta(days=1)).isoformat(),
        },
    }


def _grants_expected(expected: str, principal: str) -> str:
    """Where the role may be granted at all, the administrator is refused on the role."""
    return ROLE_REFUSED if expected == ALLOW and principal == Role.SYSTEM_ADMIN else expected


# --- issue 13: rewards (能量仓) ---------------------------------------------------------------
# Staff who keep the catalogue (community staff, secretary: rewards.manage) and those who
# hand rewards out at the exchange point (the keepers: rewards.hand_out). A reward on each
# side (community A; the third community), a voucher of world.resident on the "in" side and
# of a resident of the third community on the other. Redeeming is for those who live or
# serve inside the reward's community (every role of community A but the street's and the
# root's); a voucher is its holder's alone. Every role's account of the world has points.
REWARDS_MANAGE, HAND_OUT = "rewards_manage", "hand_out"
for _role in (Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {REWARDS_MANAGE}
for _role in (Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {HAND_OUT}
IN_COMMUNITY = "lives or serves in the reward's community"
OWN_VOUCHER = "holds the voucher"
REWARD_NEEDS = {IN_COMMUNITY, OWN_VOUCHER}
_OUTSIDE_COMMUNITY = {Role.STREET_OFFICER, Role.AUDITOR, Role.SYSTEM_ADMIN, OUTSIDER}

UI_ROUTES.update(
    {
        "rewards:catalogue": Route(REWARDS_MANAGE),
        "rewards:new": Route(REWARDS_MANAGE, methods=("GET", "POST")),  # empty: form errors
        "rewards:edit": Route(REWARDS_MANAGE, obj="reward", methods=("GET", "POST")),
        "rewards:restock": Route(REWARDS_MANAGE, obj="reward", methods=("POST",)),
        "rewards:retire": Route(REWARDS_MANAGE, obj="reward", methods=("POST",)),
        "rewards:exchange": Route(HAND_OUT, methods=("GET", "POST")),  # no code: asked for one
        "rewards:history": Route(HAND_OUT),
        "rewards_m:catalogue": Route("login"),  # the user's own communities
        "rewards_m:vouchers": Route("login"),  # the user's own
        "rewards_m:redeem": Route(IN_COMMUNITY, obj="reward", methods=("GET", "POST")),
        "rewards_m:voucher": Route(OWN_VOUCHER, obj="voucher"),
        "rewards_m:voucher_cancel": Route(OWN_VOUCHER, obj="voucher", methods=("POST",)),
    }
)
API_OPERATIONS.update(
    {
        "reward_catalogue": Operation("login", kind="list", lists=CATALOGUE),  # the caller's
        "voucher_mine": Operation("login", kind="list", lists=CATALOGUE),  # the caller's own
        "reward_redeem": Operation(IN_COMMUNITY, obj="reward", kind="write"),
        "voucher_cancel": Operation(OWN_VOUCHER, obj="voucher", kind="write"),
        "reward_list": Operation(REWARDS_MANAGE, kind="list", lists="reward"),
        "reward_create": Operation(
            REWARDS_MANAGE, kind="create", body="reward_create", ref="community", gate=True
        ),
        "reward_update": Operation(
            REWARDS_MANAGE, obj="reward", kind="write", body="reward_update"
        ),
        "reward_restock": Operation(
            REWARDS_MANAGE, obj="reward", kind="write", body="reward_restock"
        ),
        "reward_retire": Operation(
            REWARDS_MANAGE, obj="reward", kind="write", body="reward_retire"
        ),
        # A code of another community is the same 400 naming `code` as an unknown one.
        "voucher_hand_over": Operation(
            HAND_OUT, kind="create", body="voucher_code", ref="code", gate=True
        ),
        "voucher_handed_out": Operation(HAND_OUT, kind="list", lists="voucher"),
    }
)


# --- issue 14: health statuses (健康码) and the data sunset ----------------------------------
# The area's statuses (health.status: the keepers, police, doctor); the community's status
# rules (health.rules: community staff, secretary; an empty POST is a form error, still
# allowed). One's own status and health data on /m/health/me/: any signed-in user (none is
# a register person in the matrix: the page says so).
HEALTH_STATUS, HEALTH_RULES = "health_status", "health_rules"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {HEALTH_STATUS}
for _role in (Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {HEALTH_RULES}
UI_ROUTES.update(
    {
        "health_status:board": Route(HEALTH_STATUS),
        "health_status:rules": Route(HEALTH_RULES, methods=("GET", "POST")),
        "health_me:status": Route("login"),
        "health_me:data": Route("login"),
    }
)


def _rewards_expected(need: str, principal: str, scope: str) -> str:
    if scope != "in":
        return DENY
    if need == IN_COMMUNITY:
        return DENY if principal in _OUTSIDE_COMMUNITY else ALLOW
    return ALLOW if principal == Role.RESIDENT else DENY  # OWN_VOUCHER: world.resident's


def _build_reward(world, side) -> Any:
    from gongzhi.points import ledger, rewards

    if _wo_inside(world, side):
        for user in world.by_role.values():
            ledger.entry_post(
                holder=user, kind="award", points=1000, source=f"matrix-award:{user.pk}"
            )
    return rewards.reward_create(
        actor=None, community=side.grid.parent, name="矩阵奖品", price=10, stock=5
    )


def _build_voucher(world, side) -> Any:
    from gongzhi.points import ledger, rewards

    if _wo_inside(world, side):
        holder = world.resident
    else:
        from gongzhi.accounts.services import membership_grant

        holder = _i12_user("voucher_holder", side)
        membership_grant(user=holder, area=side.grid.parent, role=Role.RESIDENT)
        ledger.entry_post(holder=holder, kind="award", points=100, source="matrix-award:out")
    return rewards.redeem(actor=holder, reward=side.objects["reward"])


OBJECTS.update(
    {
        "reward": ({REWARDS_MANAGE}, _build_reward),
        "voucher": (set(), _build_voucher),
    }
)


# --- issue 14: outreach campaigns -----------------------------------------------------------
# A running campaign on the side's grid with the side's person as recipient: one SMS
# attempt (the local outbox) and one app-notice attempt (its answer page).
I13_PATH_NAMES["outreach_attempt"] = "attempt"


def _build_campaign(world, side) -> Any:
    from gongzhi.outreach.models import Campaign, Recipient

    campaign = Campaign.objects.create(
        area=side.grid, area_path=side.grid.path, name="矩阵外呼", status="running",
        sms_text="请回复 1", choices={"1": "已报到"}, channels=["sms", "notice"],
        pace_per_minute=60,
    )  # fmt: skip
    Recipient.objects.create(campaign=campaign, person=side.person, area_path=side.person.area_path)
    return campaign


def _build_outreach_attempt(world, side, channel="sms") -> Any:
    from gongzhi.core import clock
    from gongzhi.outreach.models import Attempt, Recipient

    campaign = side.objects["campaign"]
    return Attempt.objects.create(
        recipient=Recipient.objects.get(campaign=campaign), campaign=campaign, channel=channel,
        reference=f"matrix-{channel}-{campaign.pk}", status="sent", created_at=clock.now(),
    )  # fmt: skip


OBJECTS.update(
    {
        "campaign": ({OUTREACH_VIEW}, _build_campaign),
        "outreach_attempt": ({OUTREACH_VIEW}, _build_outreach_attempt),
        "outreach_notice": (set(), lambda w, s: _build_outreach_attempt(w, s, "notice")),
    }
)


def _rewards_bodies(side, world) -> dict[str, Any]:
    return {
        "reward_create": lambda: {"community": side.grid.parent.pk, "name": "矩阵", "price": 5},
        "reward_update": lambda: {"name": "矩阵奖品", "price": 12},
        "reward_restock": lambda: {"add": 2},
        "reward_retire": lambda: {"active": False},
        "voucher_code": lambda: {"code": side.objects["voucher"].voucher},
    }


# --- issue 14: arrival declarations (返乡/外来人员登记) -------------------------------------
# On each side a declaration by the side's person (matched: its page shows the declared
# values masked) and one by a stranger waiting for the grid worker. Those who follow the
# watch list up see them; the register's keepers confirm the person (403 to police and
# doctor). A community's QR poster: whoever follows up in the community. The public form
# behind the QR needs no sign-in; its key is the permission (forged here: 404 for all).
I13_PATH_NAMES.update({"pending_declaration": "declaration", "declare_community": "community"})


def _declare(side, data) -> Any:
    from gongzhi.health.tests import declaration_factories as declared

    return declared.declare(None, data, community=side.grid.parent)


def _declaration_data(side, **extra) -> dict[str, Any]:
    from gongzhi.health.tests import declaration_factories as declared

    data = declared.form_data(side, building=side.area.pk)
    data.update(extra)
    return data


def _build_declaration(world, side) -> Any:
    person = side.person
    return _declare(
        side,
        _declaration_data(
            side, name=person.name, id_number=person.id_number.reveal(),
            phone=person.phone.reveal(), building=person.household.building_id,
        ),
    )  # fmt: skip


def _build_pending_declaration(world, side) -> Any:
    return _declare(side, _declaration_data(side, phone="137" + side.grid.code[-8:]))


OBJECTS.update(
    {
        "declaration": ({WATCH_FOLLOW}, _build_declaration),
        "pending_declaration": ({WATCH_FOLLOW}, _build_pending_declaration),
        "declare_community": ({WATCH_FOLLOW}, lambda world, side: side.grid.parent),
    }
)
UI_ROUTES.update(
    {
        "health_declarations:list": Route(WATCH_FOLLOW),
        "health_declarations:detail": Route(WATCH_FOLLOW, obj="declaration", masked=True),
        # An empty POST is a form error (still allowed) for the keepers; 403 for the team.
        "health_declarations:confirm": Route(EDIT, obj="pending_declaration", methods=("POST",)),
        "health_declarations:poster": Route(WATCH_FOLLOW, obj="declare_community"),
        "declare:form": Route(SIGNED_LINK, methods=("GET", "POST"), kwargs={"key": "x"}),
        "declare:code": Route(SIGNED_LINK, methods=("POST",), kwargs={"key": "x"}),
        "declare:done": Route(SIGNED_LINK, kwargs={"key": "x"}),
        # The form of one's own community (a redirect), or a page that explains: 200.
        "declare:mine": Route("login"),
    }
)


# --- issue 14: testing and vaccination sessions, the residents' health hub ----------------------
# Staff who record health (health.record: the register's keepers and the doctor) run the
# sessions of their area: on each side a vaccination session of the side's grid. Residents'
# pages on /m/health/ are the user's own (no principal is a register person: the pages say
# so, and booking goes back to the hub with a message); a booking is its person's (or their
# proxy's) alone: on each side one made by a family member of the side's person.
HEALTH_REC, OWN_BOOKING = "health_record", "one's own booking"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.DOCTOR,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {HEALTH_REC}
I13_PATH_NAMES["testing_session"] = "session"


def _build_testing_session(world, side) -> Any:
    import datetime as dt

    from gongzhi.core import clock
    from gongzhi.health.sessions import session_create

    starts = clock.now() + dt.timedelta(days=2)
    return session_create(
        actor=None, area=side.grid, kind="vaccination", place="矩阵接种点", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3), capacity=20, vaccine="矩阵疫苗",
    )  # fmt: skip


def _build_booking(world, side) -> Any:
    from gongzhi.accounts.services import proxy_link_create
    from gongzhi.health.sessions import booking_create

    child = _i12_user("booking_child", side)
    proxy_link_create(user=child, person=side.person, relation="child")
    return booking_create(actor=child, session=side.objects["testing_session"], person=side.person)


OBJECTS.update(
    {
        "testing_session": ({HEALTH_REC}, _build_testing_session),
        "booking": (set(), _build_booking),  # OWN_BOOKING: nobody of the matrix
    }
)
UI_ROUTES.update(
    {
        "health_sessions:list": Route(HEALTH_REC),
        "health_sessions:create": Route(HEALTH_REC, methods=("GET", "POST")),  # empty: errors
        "health_sessions:detail": Route(HEALTH_REC, obj="testing_session"),
        "health_sessions:edit": Route(HEALTH_REC, obj="testing_session", methods=("GET", "POST")),
        "health_sessions:close": Route(HEALTH_REC, obj="testing_session", methods=("POST",)),
        # No person named: a message on the session page (302).
        "health_sessions:record": Route(HEALTH_REC, obj="testing_session", methods=("POST",)),
        "health_m:hub": Route("login"),
        "health_m:code": Route("login"),  # not linked to a person: explained, 200
        "health_m:record": Route("login"),
        "health_m:sessions": Route("login"),
        "health_m:book": Route("login", obj="testing_session", methods=("POST",)),
        "health_m:cancel": Route(OWN_BOOKING, obj="booking", methods=("POST",)),
    }
)


# --- issue 14: outreach providers' callbacks (deliveries and keypad answers) ------------
# Public: no sign-in and no CSRF token, but the provider's HMAC signature is the permission.
# The matrix signs nothing, so every principal, signed in or not, gets 401 (read as "sign
# in"); signed requests are tested in outreach/tests/test_callback_endpoint_*.py.
PROVIDER_SIGNED = "a provider's signature"
UI_ROUTES.update(
    {
        "outreach_callbacks:receive": Route(
            PROVIDER_SIGNED, methods=("POST",), kwargs={"provider": "local-provider"}
        ),
    }
)


# --- issue 14: venue codes (场所码), check-ins, contact tracing --------------------------------
# The register's keepers manage their area's venues (venue.manage); community staff, the
# secretary, the police and the doctor trace contacts (health.trace). On each side a venue
# on the side's building; the inside one's code is fixed, so the public check-in pages can
# be reached: anyone may open them (a signed-in user is checked in, anyone else is asked
# for a phone; an empty POST is a form error). An unknown code is 404 for everyone
# (gongzhi/health/tests/test_checkin_views.py).
VENUE, TRACE = "venue_manage", "contact_trace"
for _role in (Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {VENUE}
for _role in (Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE, Role.DOCTOR):
    ABILITIES[_role] = ABILITIES[_role] | {TRACE}
MATRIX_VENUE_CODE = "matrix-venue-in"


def _build_venue(world, side) -> Any:
    from gongzhi.health import venues
    from gongzhi.health.models import Venue

    venue = venues.venue_create(actor=None, area=side.area, name="矩阵场所", kind="shop")
    code = MATRIX_VENUE_CODE if _wo_inside(world, side) else "matrix-venue-out"
    Venue.objects.filter(pk=venue.pk).update(code=code)
    return venue


OBJECTS.update(
    {
        "venue": ({VENUE}, _build_venue),
        # The same venue, and the side's person, as tracers reach them.
        "trace_venue": ({TRACE}, lambda world, side: side.objects["venue"]),
        "trace_person": ({TRACE}, lambda world, side: side.person),
    }
)
I13_PATH_NAMES.update({"trace_venue": "venue", "trace_person": "person"})
UI_ROUTES.update(
    {
        "health_venues:list": Route(VENUE),
        "health_venues:create": Route(VENUE, methods=("GET", "POST")),  # empty: form errors
        "health_venues:detail": Route(VENUE, obj="venue"),
        "health_venues:edit": Route(VENUE, obj="venue", methods=("GET", "POST")),
        "health_venues:transition": Route(VENUE, obj="venue", methods=("POST",)),  # no action
        "health_venues:poster": Route(VENUE, obj="venue"),
        "health_trace:index": Route(TRACE),
        # An empty POST (no window, no purpose) is a form error: nothing is shown or audited.
        "health_trace:venue": Route(TRACE, obj="trace_venue", methods=("GET", "POST")),
        "health_trace:person": Route(TRACE, obj="trace_person", methods=("GET", "POST")),
        "checkin:scan": Route(
            "public", methods=("GET", "POST"), kwargs={"code": MATRIX_VENUE_CODE}
        ),
        "checkin:code": Route("public", methods=("POST",), kwargs={"code": MATRIX_VENUE_CODE}),
    }
)


# --- issue 15: the big screen (大屏) ---------------------------------------------------------
# The chooser: whoever holds emergency.view somewhere (the keepers from the grid worker up,
# police, doctor, street officer; a grid's holders get an explanation, 200). A screen is a
# whole community's (or street's): only those holding emergency.view on the community
# itself or above open it (staff, secretary, police and doctor of community A, the street
# officer); a grid's holders get 404 like everyone else. The street's own screen:
# gongzhi/emergency/tests/test_screen_views.py.
SCREEN_INDEX, SCREEN = "screen_index", "screen_area"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR, Role.STREET_OFFICER,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {SCREEN_INDEX}
for _role in (
    Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE, Role.DOCTOR, Role.STREET_OFFICER,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {SCREEN}
OBJECTS["screen_community"] = ({SCREEN}, lambda world, side: side.grid.parent)
I13_PATH_NAMES["screen_community"] = "area"
UI_ROUTES.update(
    {
        "screen:index": Route(SCREEN_INDEX),  # one screen: a redirect to it (302, allowed)
        "screen:page": Route(SCREEN, obj="screen_community"),
        "screen:data": Route(SCREEN, obj="screen_community"),
    }
)

# --- the world: two communities of one street (gongzhi.testing) and one of another -------


@dataclass
class Side:
    """The objects a request names, in or out of every non-root role's area."""

    area: Any
    grid: Any
    household: Any
    person: Any
    objects: dict[str, Any] = field(default_factory=dict)  # OBJECTS built on this side


def _third_community(world) -> Side:
    create = services.area_create
    street = create(
        actor=None, parent=world.street.parent, kind="street", name="南海街道", code="421087002"
    )
    community = create(
        actor=None, parent=street, kind="community", name="南海社区", code="421087002001"
    )
    grid = create(
        actor=None, parent=community, kind="grid", name="南海一网格", code="421087002001001"
    )
    compound = create(
        actor=None, parent=community, kind="compound", name="南海小区", code="421087002001C001"
    )
    building = create(
        actor=None, parent=grid, kind="building", name="1栋",
        code="421087002001C001B01", compound=compound,
    )  # fmt: skip
    household = services.household_create(actor=None, building=building, unit="1", room="101")
    person = services.person_create(
        actor=None,
        household=household,
        data={"name": "孙海燕", "id_number": make_id_number(), "phone": "13955550001"},
    )
    return Side(area=building, grid=grid, household=household, person=person)


@pytest.fixture
def sides(world) -> dict[str, Side]:
    inside = Side(
        area=world.building_a1,  # the lowest node every role's area contains
        grid=world.grid_a1,
        household=world.household_a1,
        person=world.person_a1,
    )
    built = {"in": inside, "out": _third_community(world)}
    for side in built.values():
        for kind, (_sees, build) in OBJECTS.items():
            side.objects[kind] = build(world, side)
    return built


def _client(world, principal: str) -> Client:
    client = Client()
    if principal == ANONYMOUS:
        return client
    user = world.outsider if principal == OUTSIDER else world.by_role[principal]
    client.force_login(user)
    if principal in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        # These roles must pass TOTP first; mark the session as verified, as
        # django_otp.login() does after a correct code.
        device = TOTPDevice.objects.create(user=user, name="matrix", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def _expected(need: str, obj: str | None, principal: str, scope: str) -> str:
    if need == API_KEY:
        return FORBID  # Open311: no key, 403 as the spec says, signed in or not
    if need == SIGNED_LINK:
        return DENY  # the matrix signs nothing: its link is forged for everyone
    if need == PROVIDER_SIGNED:
        return LOGIN  # 401 for everyone: the matrix's requests carry no signature
    if need == "public":
        return ALLOW
    if need == "signs out":
        return LOGIN  # back to the sign-in page, signed in or not
    if principal == ANONYMOUS:
        return LOGIN
    if need == "login":
        return ALLOW
    if need == NOTICE_AUDIENCE:
        return DENY
    if need == OUTREACH_ASKED:
        return DENY
    if need == EXPORT_OWN:
        return ALLOW if principal == Role.SECRETARY and scope == "in" else DENY
    if need == CERT_OWN:
        return ALLOW if principal == Role.RESIDENT and scope == "in" else DENY
    if need == SHOPPING_OWN:
        return DENY
    if need == RUN_OWN:
        return _run_own_expected(principal, scope)
    if need == GRANTS:
        return _grants_expected(_expected(ACCOUNTS, obj, principal, scope), principal)
    if need in REWARD_NEEDS:
        return _rewards_expected(need, principal, scope)
    if need == VOTES_AS_PERSON:
        seen = _expected(PARTICIPATE, obj, principal, scope)
        return NO_PERSON if seen == ALLOW else seen
    abilities = set() if principal == OUTSIDER else ABILITIES[principal]
    if obj in WO_ORDERS or obj == "photo":
        return _wo_expected(need, obj, principal, scope)
    if obj is None:
        return ALLOW if need in abilities else DENY
    if obj in NODE_OBJECTS and principal in BUILDING_NODE_ROLES:
        return DENY
    sees = {AREA} if obj == "area" else OBJECTS[obj][0] if obj in OBJECTS else {VIEW}
    reachable = scope == "in" or principal in ROOT_ROLES
    if not sees & abilities or not reachable:
        return DENY
    return ALLOW if need in abilities else FORBID


def _outcome(response) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 302 and location.startswith(
        (reverse("accounts:login"), reverse("portal:login"))  # the resident portal's own
    ):
        return LOGIN
    if status == 401:
        return LOGIN
    if status == 404:
        return DENY
    if status == 403:
        return FORBID
    if status >= 500:
        return f"server error {status}"
    if status == 302 and location.startswith(reverse("accounts:second_factor")):
        return "sent to second factor"
    return ALLOW


def _plain_values(person) -> list[str]:
    return [person.id_number.reveal(), person.phone.reveal()]


def _in_rollback(call):
    """Run one request and undo whatever it wrote, so every request sees the same world."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


# --- UI ------------------------------------------------------------------------------------


def _ui_routes() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "api":
                    continue  # the API is checked through its schema below
                namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
                walk(entry.url_patterns, namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(prefix + entry.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_ui_route_is_in_the_matrix():
    assert _ui_routes() == set(UI_ROUTES)


def _ui_url(name: str, route: Route, side: Side) -> str:
    kwargs = dict(route.kwargs)
    if route.obj == "household":
        kwargs["household_id"] = side.household.pk
    elif route.obj == "person":
        kwargs["person_id"] = side.person.pk
    elif route.obj == "area":
        kwargs["area_id"] = side.area.pk
    elif route.obj in WO_ORDERS:
        kwargs["workorder_id"] = side.objects[route.obj].pk
    elif route.obj == "photo":
        kwargs["workorder_id"] = side.objects["workorder"].pk
        kwargs["photo_id"] = side.objects["photo"].pk
    elif route.obj == "outgoing_transfer":
        kwargs["transfer_id"] = side.objects[route.obj].pk
    elif route.obj == "proxy_link":  # ended from the person's page
        kwargs["person_id"] = side.person.pk
        kwargs["link_id"] = side.objects[route.obj].pk
    elif route.obj in ("account", "account_role"):
        kwargs["user_id"] = side.objects["account"].pk
        if route.obj == "account_role":
            kwargs["membership_id"] = side.objects["account_role"].pk
    elif route.obj == "notice_file":
        kwargs["notice_id"] = side.objects["notice"].pk
        kwargs["attachment_id"] = side.objects[route.obj].pk
    elif route.obj == "outreach_notice":
        kwargs["reference"] = side.objects[route.obj].reference
    elif route.obj in OBJECTS:
        kwargs[f"{I13_PATH_NAMES.get(route.obj, route.obj)}_id"] = side.objects[route.obj].pk
    return reverse(name, kwargs=kwargs)


FORMS = {
    "import_check": lambda side: {
        **{field: str(column) for field, column in side.objects["import"].mapping.items()},
        "action": "check",
    },
}


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_ui_routes_for(principal, world, sides):
    client = _client(world, principal)
    wrong: list[str] = []
    for name, route in UI_ROUTES.items():
        for scope in ("in", "out") if route.obj else ("in",):
            url = _ui_url(name, route, sides[scope])
            for method in route.methods:
                need = route.post_need if method == "POST" and route.post_need else route.need
                expected = _expected(need, route.obj, principal, scope)
                call = client.get if method == "GET" else client.post
                data = FORMS[route.form](sides[scope]) if route.form and method == "POST" else {}
                response = _in_rollback(lambda call=call, url=url, data=data: call(url, data))
                got = _outcome(response)
                if got != expected:
                    wrong.append(f"{method} {name} ({scope}): expected {expected}, got {got}")
                elif got == ALLOW and route.masked and method == "GET":
                    body = response.content.decode()
                    person = sides[scope].person
                    leaked = [v for v in _plain_values(person) if v in body]
                    if leaked or str(person.phone) not in body:
                        wrong.append(f"GET {name} ({scope}): personal data not masked")
            if name == "accounts:logout" and principal != ANONYMOUS:
                if _outcome(client.get(reverse("web:home"))) != LOGIN:
                    wrong.append("POST accounts:logout: still signed in afterwards")
                client = _client(world, principal)
    assert not wrong, "\n".join(wrong)


# --- API -----------------------------------------------------------------------------------


def _api_operations() -> dict[str, tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path)
    return found


def test_every_api_operation_is_in_the_matrix():
    assert set(_api_operations()) == set(API_OPERATIONS)


def _body(kind: str, side: Side, world) -> dict[str, Any]:
    code_suffix = "009"
    builders = {
        "area_create": lambda: {
            "parent": side.grid.pk,
            "kind": "grid",
            "name": "矩阵网格",
            "code": side.grid.code + code_suffix,
        },
        "rename": lambda: {"name": "矩阵楼"},
        "area_move": lambda: {"parent": side.grid.pk},
        "close": lambda: {"note": "矩阵检查"},
        "point": lambda: {"type": "Point", "coordinates": [111.76, 30.17]},
        "notes": lambda: {"notes": "矩阵检查"},
        "household_create": lambda: {"building": side.area.pk, "unit": "9", "room": "909"},
        "household_move": lambda: {"building": side.area.pk, "unit": "9", "room": "908"},
        "person_create": lambda: {
            "household": side.household.pk,
            "name": "矩阵",
            "id_number": make_id_number(),
        },
        "move_out": lambda: {"reason": "moved_out"},
        "move_in": lambda: {"household": side.household.pk, "relation": "other"},
        "tags": lambda: {"tags": ["disabled"]},
        "reveal": lambda: {"field": "phone", "purpose": "权限矩阵检查"},
        "transfer_create": lambda: {
            "household": side.household.pk,
            "id_number": _fresh_out_person().id_number.reveal(),
            "reason": "矩阵检查",
        },
        "transfer_decline": lambda: {"reason": "矩阵检查"},
        **_issue3_bodies(side, world),
        **_issue4_bodies(side, world),
        **_issue12_bodies(side, world),
        **_rewards_bodies(side, world),
        **_issue13_certificate_bodies(side, world),
        **_issue13_activity_bodies(side, world),
        **_issue13_bodies(side, world),
        **_issue13_proposals_bodies(side, world),
    }
    return builders[kind]()


def _fresh_out_person() -> Any:
    """A person registered in the third community, asked for by no request yet."""
    household, _person = _out_place()
    return services.person_create(
        actor=None, household=household, data={"name": "矩阵", "id_number": make_id_number()}
    )


def _api_path(path: str, operation: Operation, side: Side) -> str:
    # The side's own area, household and person win over objects whose path name is the
    # same (the big screen's community is an `{area_id}` in its UI routes only).
    ids = {I13_PATH_NAMES.get(k, k): obj.pk for k, obj in side.objects.items()}
    ids.update({"area": side.area.pk, "household": side.household.pk, "person": side.person.pk})
    if operation.obj in WO_ORDERS:  # every order kind is `{workorder_id}` in the path
        ids["workorder"] = side.objects[operation.obj].pk
    if operation.obj == "outgoing_transfer":  # `{transfer_id}` in the path too
        ids["transfer"] = side.objects[operation.obj].pk
    if operation.obj in NODE_OBJECTS:  # `{area_id}` in the path
        ids["area"] = side.objects[operation.obj].pk
    for name, value in ids.items():
        path = path.replace("{" + name + "_id}", str(value))
    return path


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_api_operations_for(principal, world, sides):
    client = _client(world, principal)
    operations = _api_operations()
    wrong: list[str] = []
    for op_id, operation in API_OPERATIONS.items():
        method, path = operations[op_id]
        for scope in ("in", "out"):
            side = sides[scope]
            url = _api_path(path, operation, side)
            payload = _body(operation.body, side, world) if operation.body else None
            plain = payload is not None and not isinstance(payload, Upload)
            body = json.dumps(payload) if plain else None

            def call(url=url, method=method, body=body):
                return client.generic(method, url, body or "", content_type="application/json")

            if isinstance(payload, Upload):  # a file upload: multipart, built for each call

                def call(url=url, payload=payload):
                    return client.post(url, payload.form())

            response = _in_rollback(call)
            got = _outcome(response)
            label = f"{method} {op_id} ({scope})"
            if operation.kind == "list":
                wrong += _check_list(label, response, got, operation, principal, sides)
                break  # a list names no object: one call shows both sides
            if operation.kind == "create":
                wrong += _check_create(label, response, got, operation, principal, scope)
                continue
            expected = _expected(operation.need, operation.obj, principal, scope)
            if expected == ROLE_REFUSED:
                if not _refused_on_role(response):
                    wrong.append(f"{label}: expected {expected}, got {response.status_code}")
                continue
            if expected == NO_PERSON:
                fields = response.json().get("fields", {}) if response.status_code == 400 else {}
                if "person" not in fields:
                    wrong.append(f"{label}: expected {expected}, got {response.status_code}")
                continue
            if got != expected or (got == ALLOW and not 200 <= response.status_code < 300):
                wrong.append(f"{label}: expected {expected}, got {response.status_code} ({got})")
            elif got == ALLOW and operation.masked:
                leaked = [v for v in _plain_values(side.person) if v in response.content.decode()]
                if leaked:
                    wrong.append(f"{label}: personal data not masked")
    assert not wrong, "\n".join(wrong)


def _check_list(label, response, got, operation, principal, sides) -> list[str]:
    if principal == ANONYMOUS:
        return [] if got == LOGIN else [f"{label}: expected sign in, got {got}"]
    if response.status_code != 200:
        return [f"{label}: expected 200, got {response.status_code}"]
    if operation.lists == CATALOGUE:
        return []  # the product's own codes: the same for everyone signed in
    items = response.json()["items"]
    ids = {item["id"] for item in items}
    kind = operation.lists or ("area" if operation.need == AREA else op_kind(label))
    inside = sides["in"].objects.get(kind) or getattr(sides["in"], kind)
    outside = sides["out"].objects.get(kind) or getattr(sides["out"], kind)
    inside, outside = inside.pk, outside.pk
    abilities = set() if principal == OUTSIDER else ABILITIES[principal]
    sees = operation.need in abilities
    if kind in WO_ORDERS:
        sees = _wo_sees(principal, kind, "in")
    problems = []
    if sees and inside not in ids:
        problems.append(f"{label}: an object in the role's area is missing from the list")
    if not sees and items:
        problems.append(f"{label}: a role without access got {len(items)} rows")
    if outside in ids and principal not in ROOT_ROLES:
        problems.append(f"{label}: an object outside the role's area is listed")
    if operation.masked:
        text = response.content.decode()
        if any(v in text for side in sides.values() for v in _plain_values(side.person)):
            problems.append(f"{label}: personal data not masked")
    return problems


def op_kind(label: str) -> str:
    return "household" if "household" in label else "person"


def _reaches(principal: str, node: str, scope: str) -> bool:
    """Whether the role's node holds an object at `node` level on that side."""
    if principal in ROOT_ROLES:
        return True
    if scope != "in" or principal in (ANONYMOUS, OUTSIDER):
        return False
    return not (principal in BUILDING_NODE_ROLES and node != "building")


def _refused_on_role(response) -> bool:
    return response.status_code == 400 and "role" in response.json().get("fields", {})


def _create_expected(operation: Operation, principal: str, scope: str) -> str:
    if operation.need == GRANTS:
        plain = dataclasses.replace(operation, need=ACCOUNTS)
        return _grants_expected(_create_expected(plain, principal, scope), principal)
    if principal == ANONYMOUS:
        return LOGIN
    abilities = set() if principal == OUTSIDER else ABILITIES[principal]
    if operation.gate and operation.need not in abilities:
        return DENY
    sees = operation.ref_sees or {operation.need}
    if not (sees & abilities and _reaches(principal, operation.ref_node, scope)):
        return operation.unknown_ref or INVALID
    return ALLOW if operation.need in abilities else FORBID


def _check_create(label, response, got, operation, principal, scope) -> list[str]:
    expected = _create_expected(operation, principal, scope)
    status = response.status_code
    if expected == ALLOW:
        ok = status in (200, 201)
    elif expected == ROLE_REFUSED:
        ok = _refused_on_role(response)
    elif expected == INVALID:
        ok = status == 400 and operation.ref in response.json().get("fields", {})
    else:
        ok = got == expected
    if ok:
        return []
    return [f"{label}: expected {expected}, got {status} {response.content[:200]!r}"]


# --- issue 14: recording tests (samples) and lab results files ------------------------------
# Recording tests, scanning at a sampling point and loading lab files need health.record
# (the keepers from the grid worker up, and the doctor). On each side: a testing session of
# the side's community (staffed by the grid's workers too) and a lab file loaded for the
# side's grid. A POST without a body is a form error or a message on the page (200).
HEALTH_REC = "health_record"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.DOCTOR,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {HEALTH_REC}
I13_PATH_NAMES["sample_session"] = "session"


def _build_sample_session(world, side) -> Any:
    import datetime as dt

    from gongzhi.core import clock
    from gongzhi.health.models import TestingSession

    community, now = side.grid.parent, clock.now()
    return TestingSession.objects.create(
        community=community, area_path=community.path, kind="test", place="矩阵采样点",
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=2), capacity=50,
    )  # fmt: skip


def _build_lab_batch(world, side) -> Any:
    from gongzhi.health import lab
    from gongzhi.health.tests.factories import csv_bytes

    data = csv_bytes(
        [["", "", "", "阴性", "MATRIX1"]], ["姓名", "身份证号", "采样时间", "检测结果", "试管编码"]
    )
    return lab.lab_file_upload(actor=None, area=side.grid, file=data, filename="矩阵结果.csv")


OBJECTS.update(
    {
        "sample_session": ({HEALTH_REC}, _build_sample_session),
        "lab_batch": ({HEALTH_REC}, _build_lab_batch),
    }
)
UI_ROUTES.update(
    {
        "health_samples:index": Route(HEALTH_REC),
        "health_samples:record": Route(HEALTH_REC, methods=("GET", "POST")),
        "health_samples:scan": Route(HEALTH_REC, methods=("GET", "POST")),
        "health_samples:session_scan": Route(
            HEALTH_REC, obj="sample_session", methods=("GET", "POST")
        ),
        "health_lab:index": Route(HEALTH_REC),
        "health_lab:upload": Route(HEALTH_REC, methods=("GET", "POST")),
        "health_lab:detail": Route(HEALTH_REC, obj="lab_batch"),
    }
)


# --- issue 15: the mode switch (平疫结合) ------------------------------------------------------
# The mode page and the emergency home (emergency.view: the keepers, police, doctor, the
# street officer); the switch (emergency.switch: the secretary, the street officer; an empty
# POST is a form error, still allowed); the profiles (emergency.plan: community staff,
# secretary; an empty POST is a form error). The residents' /m/emergency/: any signed-in user.
EM_VIEW, EM_SWITCH, EM_PLAN = "emergency_view", "emergency_switch", "emergency_plan"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR, Role.STREET_OFFICER,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {EM_VIEW}
for _role in (Role.SECRETARY, Role.STREET_OFFICER):
    ABILITIES[_role] = ABILITIES[_role] | {EM_SWITCH}
for _role in (Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {EM_PLAN}
UI_ROUTES.update(
    {
        "emergency:index": Route(EM_VIEW),
        "emergency:home": Route(EM_VIEW),
        "emergency:switch": Route(EM_SWITCH, methods=("POST",)),
        "emergency:profiles": Route(EM_PLAN, methods=("GET", "POST")),
        "emergency_home_m:index": Route("login"),
    }
)


# --- issue 15: emergency plans (应急预案) ------------------------------------------------------
# Read (emergency.view) by the keepers from the grid worker up, the police, the doctor and
# the street officer; a plan is a community's, so a grid worker reads their community's.
# Drafted, edited, refreshed, approved, retired and linked to lessons (emergency.plan) by
# community staff and the secretary: 403 for the other readers. On each side a plan of the
# side's community. A POST without a body is a form error or a message on the page.
EMERGENCY_VIEW, EMERGENCY_PLAN = "emergency_view", "emergency_plan"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR, Role.STREET_OFFICER,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {EMERGENCY_VIEW}
for _role in (Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {EMERGENCY_PLAN}


def _build_plan(world, side) -> Any:
    from gongzhi.emergency import plans

    return plans.plan_draft(actor=None, area=side.grid.parent, kind="fire", title="矩阵预案")


OBJECTS["plan"] = ({EMERGENCY_VIEW}, _build_plan)
UI_ROUTES.update(
    {
        "emergency_plans:list": Route(EMERGENCY_VIEW),
        "emergency_plans:create": Route(EMERGENCY_PLAN, methods=("GET", "POST")),
        "emergency_plans:detail": Route(EMERGENCY_VIEW, obj="plan"),
        "emergency_plans:edit": Route(EMERGENCY_PLAN, obj="plan", methods=("GET", "POST")),
        "emergency_plans:refresh": Route(EMERGENCY_PLAN, obj="plan", methods=("POST",)),
        "emergency_plans:approve": Route(EMERGENCY_PLAN, obj="plan", methods=("POST",)),
        "emergency_plans:retire": Route(EMERGENCY_PLAN, obj="plan", methods=("POST",)),
        "emergency_plans:lessons": Route(EMERGENCY_PLAN, obj="plan", methods=("GET", "POST")),
        "emergency_plans:download": Route(EMERGENCY_VIEW, obj="plan", kwargs={"fmt": "docx"}),
    }
)


# --- issue 15: drills (演练) and the knowledge base (经验库) ---------------------------------
# Drills and lessons are the community's: read by those who see emergencies there or inside
# it (EMERGENCY_VIEW: the keepers from the grid worker up, police, doctor, street officer).
# A drill is run (participants, start, results, finish) with emergency.drill at its
# community: staff and the secretary; the grid leader holds it on a grid only, so may open
# the scheduling form (its list of communities is empty) but not run a community's drill.
# Lessons are written, edited and shared with emergency.plan at the community (staff and
# secretary). On each side a running drill and an unshared lesson of the side's community.
# Empty POSTs are form errors or messages (allowed). The check-in page behind the assembly
# QR is for anyone signed in: a non-participant is told so (200).
EMERGENCY_SEE, DRILL_SCHEDULE, DRILL_HERE, LESSON_WRITE = (
    "emergency_view", "drill_schedule", "drill_run_here", "lesson_write",
)  # fmt: skip
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR, Role.STREET_OFFICER,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {EMERGENCY_SEE}
for _role in (Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {DRILL_SCHEDULE}
for _role in (Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {DRILL_HERE, LESSON_WRITE}


def _matrix_drill_code(side) -> str:
    return f"matrix-{side.grid.code}"


def _build_drill(world, side) -> Any:
    from gongzhi.emergency.models import Drill

    community = side.grid.parent
    return Drill.objects.create(
        area=community, area_path=community.path, kind="fire", title="矩阵演练",
        scheduled_at=world.street.created_at, checkin_code=_matrix_drill_code(side),
        status="running", started_at=world.street.created_at,
    )  # fmt: skip


def _build_lesson(world, side) -> Any:
    from gongzhi.emergency import knowledge

    return knowledge.lesson_write(
        actor=None, area=side.grid.parent, source="incident", kind="epidemic",
        title="矩阵经验", body="居家隔离期间的经验",
    )  # fmt: skip


OBJECTS.update(
    {
        "drill": ({EMERGENCY_SEE}, _build_drill),
        "lesson": ({EMERGENCY_SEE}, _build_lesson),
    }
)
UI_ROUTES.update(
    {
        "emergency_drills:list": Route(EMERGENCY_SEE),
        "emergency_drills:create": Route(DRILL_SCHEDULE, methods=("GET", "POST")),
        "emergency_drills:detail": Route(EMERGENCY_SEE, obj="drill"),
        "emergency_drills:participants": Route(DRILL_HERE, obj="drill", methods=("POST",)),
        "emergency_drills:act": Route(DRILL_HERE, obj="drill", methods=("POST",)),
        "emergency_drills:record": Route(DRILL_HERE, obj="drill", methods=("POST",)),
        "emergency_drills:finish": Route(DRILL_HERE, obj="drill", methods=("GET", "POST")),
        "drill_m:checkin": Route(
            "login", methods=("GET", "POST"), kwargs={"code": "matrix-421087001001001"}
        ),
        "emergency_lessons:list": Route(EMERGENCY_SEE),
        "emergency_lessons:create": Route(LESSON_WRITE, methods=("GET", "POST")),
        "emergency_lessons:detail": Route(EMERGENCY_SEE, obj="lesson"),
        "emergency_lessons:edit": Route(LESSON_WRITE, obj="lesson", methods=("GET", "POST")),
        "emergency_lessons:share": Route(LESSON_WRITE, obj="lesson", methods=("POST",)),
    }
)


# --- issue 15: emergency supplies (物资) and reserved spaces (弹性空间) -------------------------
# Read by emergency.view (the keepers from the grid worker up, the police, the doctor, the
# street officer); written by emergency.supply (the grid leader, community staff and
# secretary) on the item's or space's own area. On each side an item (with stock) and an
# isolation room of the side's grid. A POST without a body is a form error (an item's
# movement: 400 on its page; a space's places: a message, 302), still allowed.
SUPPLY_READ, SUPPLY_WRITE = "emergency_view", "supply_manage"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR, Role.STREET_OFFICER,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {SUPPLY_READ}
for _role in (Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY):
    ABILITIES[_role] = ABILITIES[_role] | {SUPPLY_WRITE}
I13_PATH_NAMES.update({"supply_item": "item", "reserved_space": "space"})


def _build_supply_item(world, side) -> Any:
    from gongzhi.emergency import supplies

    made = supplies.item_create(actor=None, area=side.grid, name="矩阵口罩", unit="个", minimum=5)
    supplies.stock_move(actor=None, item=made, kind="in", quantity=10)
    return made


def _build_reserved_space(world, side) -> Any:
    from gongzhi.emergency import spaces

    return spaces.space_create(
        actor=None, area=side.grid, name="矩阵隔离观察室", kind="isolation", capacity=4
    )


OBJECTS.update(
    {
        "supply_item": ({SUPPLY_READ}, _build_supply_item),
        "reserved_space": ({SUPPLY_READ}, _build_reserved_space),
    }
)
UI_ROUTES.update(
    {
        "emergency_supplies:index": Route(SUPPLY_READ),  # ?export=: the same list, audited
        "emergency_supplies:create": Route(SUPPLY_WRITE, methods=("GET", "POST")),
        "emergency_supplies:item": Route(SUPPLY_READ, obj="supply_item"),
        "emergency_supplies:edit": Route(SUPPLY_WRITE, obj="supply_item", methods=("GET", "POST")),
        "emergency_supplies:move": Route(SUPPLY_WRITE, obj="supply_item", methods=("POST",)),
        "emergency_spaces:index": Route(SUPPLY_READ),
        "emergency_spaces:create": Route(SUPPLY_WRITE, methods=("GET", "POST")),
        "emergency_spaces:edit": Route(SUPPLY_WRITE, obj="reserved_space", methods=("GET", "POST")),
        "emergency_spaces:occupy": Route(SUPPLY_WRITE, obj="reserved_space", methods=("POST",)),
    }
)


# --- issue 15: lockdown supply runs (emergency.delivery) ----------------------------------
# The merged lists and runs are the delivery roles' (the keepers, volunteers, party
# members); on each side a run on the side's grid, taken by world's volunteer in community
# A, with one list of the side's household in it. Delivering is the run's volunteer's (403
# to the others who see the run). A resident's own list pages: no principal of the matrix
# is a registered person, so 404 for everyone signed in; the resident's rules are tested in
# emergency/tests/test_shopping_*.py. An empty POST to start a run is a message (302).
DELIVERY = "delivery_run"
SHOPPING_OWN = "the list is for someone one acts for"
RUN_OWN = "took the run"
for _role in (
    Role.VOLUNTEER, Role.PARTY_MEMBER, Role.GRID_WORKER, Role.GRID_LEADER,
    Role.COMMUNITY_STAFF, Role.SECRETARY,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {DELIVERY}
I13_PATH_NAMES.update({"supply_run": "run", "run_list": "list"})


def _run_own_expected(principal: str, scope: str) -> str:
    abilities = set() if principal == OUTSIDER else ABILITIES[principal]
    if scope != "in" or DELIVERY not in abilities:
        return DENY
    return ALLOW if principal == Role.VOLUNTEER else FORBID


def _build_supply_run(world, side) -> Any:
    from gongzhi.emergency.models import SupplyRun
    from gongzhi.emergency.shopping import delivery_category
    from gongzhi.workorders.defaults import ensure_default_categories
    from gongzhi.workorders.filing import workorder_create
    from gongzhi.workorders.services import workorder_transition

    ensure_default_categories()
    order = workorder_create(
        actor=None, category=delivery_category(), description="矩阵配送", place=side.grid
    )
    volunteer = world.by_role[Role.VOLUNTEER] if _wo_inside(world, side) else None
    if volunteer is not None:
        workorder_transition(actor=None, order=order.pk, action="dispatch", handlers=[volunteer])
        for action in ("accept", "start"):
            workorder_transition(actor=volunteer, order=order.pk, action=action)
    return SupplyRun.objects.create(
        area=side.grid, area_path=side.grid.path, workorder=order, created_by=volunteer
    )


def _build_run_list(world, side) -> Any:
    from gongzhi.emergency.models import ShoppingList

    return ShoppingList.objects.create(
        household=side.household, person=side.person, area_path=side.area.path,
        status="in_run", run=side.objects["supply_run"],
    )  # fmt: skip


OBJECTS.update(
    {
        "supply_run": ({DELIVERY}, _build_supply_run),
        "run_list": ({DELIVERY}, _build_run_list),
    }
)
UI_ROUTES.update(
    {
        "emergency_deliveries:index": Route(DELIVERY),
        "emergency_deliveries:run_create": Route(DELIVERY, methods=("POST",)),
        "emergency_deliveries:run": Route(DELIVERY, obj="supply_run"),
        "emergency_deliveries:deliver_building": Route(
            RUN_OWN, obj="supply_run", methods=("POST",)
        ),
        "emergency_deliveries:deliver_list": Route(RUN_OWN, obj="run_list", methods=("POST",)),
        "emergency_m:shopping": Route("login", methods=("GET", "POST")),
        "emergency_m:shopping_cancel": Route(SHOPPING_OWN, obj="run_list", methods=("POST",)),
        "emergency_m:shopping_receive": Route(SHOPPING_OWN, obj="run_list", methods=("POST",)),
    }
)


# --- issue 15: the three-person team's board (三人小组) ----------------------------------------
# emergency.care: the register's keepers (grid worker and up), the police and the doctor. On
# each side the side's watch-list entry is on the board (a case in screening); its page shows
# the phone masked. A POST without a body is a message on the case page (302), still allowed;
# "take onto the board" on the side's entry (on the board already: back to its case).
CARE = "team_care"
for _role in (
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY, Role.POLICE,
    Role.DOCTOR,
):  # fmt: skip
    ABILITIES[_role] = ABILITIES[_role] | {CARE}
I13_PATH_NAMES["care_case"] = "case"


def _build_care_case(world, side) -> Any:
    from gongzhi.emergency.care import case_open_from_entry

    return case_open_from_entry(actor=None, entry=side.objects["entry"])


OBJECTS["care_case"] = ({CARE}, _build_care_case)
UI_ROUTES.update(
    {
        "emergency_care:board": Route(CARE),
        "emergency_care:case": Route(CARE, obj="care_case", masked=True),
        "emergency_care:advance": Route(CARE, obj="care_case", methods=("POST",)),
        "emergency_care:release": Route(CARE, obj="care_case", methods=("POST",)),
        "emergency_care:take": Route(CARE, obj="care_case", methods=("POST",)),
        "emergency_care:done": Route(CARE, obj="care_case", methods=("POST",)),
        "emergency_care:check": Route(CARE, obj="care_case", methods=("POST",)),
        "emergency_care:open_entry": Route(CARE, obj="entry", methods=("POST",)),
    }
)
