"""The audit log in the reader's language: actions, objects, fields and system purposes.

Entries keep what was written (codes, ids, the system's purposes); the chain's hashes
cover those bytes, so nothing here changes an entry: an entry is *read* through this
table at render time. A code missing from a table shows as itself, never as an error.

System purposes are stored as a code with parameters (`system_purpose`), so the page can
say them in any language; entries written before that (English sentences) are read back
into the same codes by `_LEGACY`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignObjectRel
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext, pgettext_lazy

# --- actions -----------------------------------------------------------------------------------


def _a(text: str) -> Promise:
    return pgettext_lazy("audit action", text)


# Groups for the filter: a prefix (every action that starts with it) and its name.
ACTION_GROUPS: dict[str, Promise] = {
    "auth.": _a("Sign-in and passwords"),
    "user.": _a("Accounts"),
    "membership.": _a("Roles"),
    "apikey.": _a("API keys"),
    "proxy.": _a("Family proxies"),
    "shopping.": _a("Supply runs"),
    "area.": _a("Areas"),
    "household.": _a("Households"),
    "person.": _a("Persons"),
    "register.": _a("Register searches"),
    "import.": _a("Register imports"),
    "upstream_list.": _a("Upstream lists"),
    "watchlist.": _a("Watch list"),
    "declaration.": _a("Arrival declarations"),
    "vaccination.": _a("Vaccinations"),
    "testing_session.": _a("Testing and vaccination sessions"),
    "booking.": _a("Bookings for sessions"),
    "sample.": _a("Test samples"),
    "lab_batch.": _a("Lab results files"),
    "workorder.": _a("Work orders"),
    "report_template.": _a("Report templates"),
    "report.": _a("Reports"),
    "export": _a("Downloads"),
    "keys.": _a("Encryption keys"),
    "demo.": _a("Demo data"),
    "account.": _a("Staff accounts"),
    "visit": _a("Visits"),
    "proposal.": _a("Proposals"),
    "poll.": _a("Polls"),
    "backup.": _a("Backups"),
    "rewards.": _a("Rewards and vouchers"),
    "points.": _a("Points"),
    "notice.": _a("Notices"),
    "campaign.": _a("Outreach campaigns"),
    "venue.": _a("Venue codes"),
    "trace.": _a("Contact tracing"),
    "plan.": _a("Emergency plans"),
    "drill.": _a("Drills"),
    "lesson.": _a("Knowledge base"),
    "supply.": _a("Emergency supplies"),
    "space.": _a("Reserved spaces"),
    "care.": _a("Three-person team"),
}

ACTIONS: dict[str, Promise] = {
    "auth.login": _a("Signed in"),
    "auth.login.otp": _a("Signed in with the second factor"),
    "auth.login.sms": _a("Signed in by SMS code"),
    "auth.login.failed": _a("Failed sign-in"),
    "auth.logout": _a("Signed out"),
    "auth.password_change": _a("Password changed"),
    "auth.password_reset": _a("Password reset"),
    "auth.sms_code.exhausted": _a("Too many wrong SMS codes"),
    "user.create": _a("Account created"),
    "user.phone": _a("Account phone set"),
    "user.link_person": _a("Account linked to the register"),
    "user.provision": _a("Resident account created at first sign-in"),
    "membership.grant": _a("Role granted"),
    "membership.revoke": _a("Role revoked"),
    "apikey.issue": _a("API key issued"),
    "apikey.revoke": _a("API key revoked"),
    "proxy.link": _a("Family proxy linked"),
    "proxy.end": _a("Family proxy ended"),
    "proxy.act": _a("Started acting for a family member"),
    "proxy.stop": _a("Stopped acting for a family member"),
    "proxy.request": _a("Family proxy requested"),
    "proxy.request_withdraw": _a("Family proxy request withdrawn"),
    "proxy.request_approve": _a("Family proxy request confirmed"),
    "proxy.request_refuse": _a("Family proxy request refused"),
    "account.invite": _a("Invitation link sent"),
    "account.reset": _a("Password reset link sent"),
    "account.deactivate": _a("Account deactivated"),
    "account.reactivate": _a("Account reactivated"),
    "account.second_factor_reset": _a("Second factor reset"),
    "visit.log": _a("Visit logged"),
    "visit_rule.set": _a("Visit rule set"),
    "visit_rule.clear": _a("Visit rule removed"),
    "proposal.submit": _a("Proposal written"),
    "proposal.publish": _a("Proposal published"),
    "proposal.decline": _a("Proposal declined"),
    "proposal.answer": _a("Proposal answered"),
    "proposal.progress": _a("Proposal progress recorded"),
    "proposal.done": _a("Proposal done"),
    "proposal.not_done": _a("Proposal not done"),
    "proposal.support": _a("Proposal supported"),
    "poll.create": _a("Poll opened"),
    "poll.vote": _a("Vote cast"),
    "poll.flag_review": _a("Poll anomaly reviewed"),
    "certificate.key_create": _a("Certificate signing key made"),
    "certificate.key_retire": _a("Certificate signing key retired"),
    "certificate.issue": _a("Certificate of service hours issued"),
    "backup.create": _a("Backup made"),
    "backup.restore": _a("Backup restored"),
    "area.create": _a("Area created"),
    "area.rename": _a("Area renamed"),
    "area.move": _a("Area moved"),
    "area.close": _a("Area closed"),
    "area.reopen": _a("Area reopened"),
    "area.details": _a("Building details set"),
    "area.geometry": _a("Map shape set"),
    "area.geometry_import": _a("Map shapes imported"),
    "area.import": _a("Areas imported"),
    "household.create": _a("Household registered"),
    "household.area_move": _a("Household moved with its area"),
    "household.update": _a("Household corrected"),
    "household.move": _a("Household moved"),
    "person.create": _a("Person registered"),
    "person.update": _a("Person corrected"),
    "person.move_out": _a("Person moved out"),
    "person.move_in": _a("Person moved in"),
    "person.deceased": _a("Recorded as deceased"),
    "person.tags": _a("Tags changed"),
    "person.reveal": _a("Full value shown"),
    "person.merge": _a("Duplicate persons merged"),
    "person.duplicate_check": _a("Already registered (nothing saved)"),
    "person.transfer_request": _a("Transfer requested"),
    "person.transfer_approve": _a("Transfer approved"),
    "person.transfer_decline": _a("Transfer declined"),
    "person.transfer_cancel": _a("Transfer withdrawn"),
    "register.exact_search": _a("Search by full ID number or phone"),
    "register.exact_search_refused": _a("Exact search refused (too many)"),
    "import.upload": _a("Register spreadsheet uploaded"),
    "import.commit": _a("Register import committed"),
    "import.files_prune": _a("Old uploaded spreadsheets removed"),
    "upstream_list.upload": _a("Upstream list uploaded"),
    "upstream_list.rematch": _a("Upstream list matched again"),
    "upstream_list.match": _a("Upstream list matched"),
    "upstream_list.match_failed": _a("Upstream list match failed"),
    "watchlist.review": _a("Watch-list entry reviewed online"),
    "watchlist.dismiss": _a("Watch-list entry dismissed"),
    "watchlist.verify": _a("Watch-list entry verified offline"),
    "watchlist.close": _a("Watch-list entry closed"),
    "watchlist.reopen": _a("Watch-list entry reopened"),
    "watchlist.assign": _a("Watch-list entry assigned"),
    "watchlist.reveal": _a("Full value of a watch-list entry shown"),
    "declaration.submit": _a("Arrival declared"),
    "declaration.confirm": _a("Declared person confirmed"),
    "declaration.reject": _a("Declaration rejected: not of this community"),
    "demo.declarations": _a("Demo declarations made"),
    "vaccination.record": _a("Vaccination recorded"),
    "testing_session.create": _a("Session created"),
    "testing_session.update": _a("Session edited"),
    "testing_session.close": _a("Session closed"),
    "booking.create": _a("Session booked"),
    "booking.cancel": _a("Session booking cancelled"),
    "booking.attend": _a("Attendance at a session recorded"),
    "sample.record": _a("Test sample recorded"),
    "lab_batch.upload": _a("Lab results file uploaded"),
    "lab_batch.apply": _a("Lab results applied"),
    "lab_batch.failed": _a("Lab results file failed"),
    "watchlist.positive_test_open": _a("Watch-list entry opened by a positive test"),
    "watchlist.positive_test": _a("Positive test added to a watch-list entry"),
    "health.rules_save": _a("Health-status rules saved as a new version"),
    "health.purge": _a("Health data past its retention date removed"),
    "emergency.switch": _a("Community mode switched (normal / emergency)"),
    "emergency.profile_save": _a("Mode profile saved as a new version"),
    "workorder.create": _a("Work order filed"),
    "workorder.dispatch": _a("Work order dispatched"),
    "workorder.accept": _a("Work order accepted"),
    "workorder.decline": _a("Work order declined"),
    "workorder.start": _a("Work started"),
    "workorder.evidence": _a("Evidence added"),
    "workorder.resolve": _a("Work order resolved"),
    "workorder.solve": _a("Work order solved by staff"),
    "workorder.escalate": _a("Work order escalated"),
    "workorder.remind": _a("Deadline reminder"),
    "workorder.breach": _a("Deadline missed"),
    "workorder.rate": _a("Work order rated"),
    "workorder.callback": _a("Rated by phone (callback)"),
    "workorder.reopen": _a("Work order reopened"),
    "workorder.cancel": _a("Work order cancelled"),
    "workorder.pairing": _a("Households paired"),
    "workorder.handler_profile": _a("Skills and availability set"),
    "workorder.info": _a("Information added to a work order"),
    "workorder.reveal": _a("Work order phone revealed"),
    "workorder.reportin": _a("Reported in (双报到)"),
    "workorder.reportin_approve": _a("Report-in approved"),
    "workorder.reportin_refuse": _a("Report-in refused"),
    "workorder.reportin_withdraw": _a("Report-in withdrawn"),
    "workorder.reportin_add": _a("Volunteer added by staff"),
    "report_template.create": _a("Report template uploaded"),
    "report_template.map": _a("Report template mapped"),
    "report_template.schedule": _a("Report schedule set"),
    "report.request": _a("Report requested"),
    "report.fill": _a("Report filled"),
    "report.download": _a("Report downloaded"),
    "report.schedule_run": _a("Scheduled report started"),
    "export": _a("List downloaded"),
    "keys.rotate": _a("Encryption key rotated"),
    "keys.retire": _a("Encryption key retired"),
    "keys.rotate_index": _a("Search index key rotated"),
    "demo.load": _a("Demo data loaded"),
    "demo.reset": _a("Demo data removed"),
    "demo.workorders": _a("Demo work orders made"),
    "demo.vaccinations": _a("Demo vaccinations made"),
    "demo.visits": _a("Demo visits made"),
    "demo.samples": _a("Demo tests made"),
    "rewards.reward_create": _a("Reward added to the catalogue"),
    "rewards.reward_update": _a("Reward changed"),
    "rewards.reward_restock": _a("Reward restocked"),
    "rewards.reward_retire": _a("Reward withdrawn"),
    "rewards.reward_restore": _a("Reward back in the catalogue"),
    "rewards.voucher_cancel": _a("Voucher cancelled"),
    "rewards.hand_over": _a("Reward handed over"),
    "rewards.voucher_lookup_refused": _a("Voucher lookup refused (too many wrong codes)"),
    # Points square: activities, sign-ups, check-ins, proofs.
    "activity.create": _a("Activity created"),
    "activity.update": _a("Activity edited"),
    "activity.publish": _a("Activity published"),
    "activity.close": _a("Activity closed"),
    "activity.cancel": _a("Activity cancelled"),
    "activity.rotate_token": _a("Activity check-in code replaced"),
    "signup.create": _a("Signed up for an activity"),
    "signup.cancel": _a("Activity sign-up cancelled"),
    "signup.checkin": _a("Checked in at an activity"),
    "proof.submit": _a("Activity proof submitted"),
    "points.proof_approve": _a("Proof approved, points awarded"),
    "points.proof_reject": _a("Proof rejected"),
    "points.proof_more": _a("More proof asked for"),
    "points.adjustment_propose": _a("Points adjustment proposed"),
    "points.adjustment_approve": _a("Points adjustment approved"),
    "points.adjustment_refuse": _a("Points adjustment refused"),
    "points.reverse": _a("Points award reversed"),
    "notice.publish": _a("Notice published"),
    "notice.edit": _a("Notice edited"),
    "notice.pin": _a("Notice pinned"),
    "notice.unpin": _a("Notice unpinned"),
    "notice.withdraw": _a("Notice withdrawn"),
    "demo.notices": _a("Demo notices made"),
    "demo.points": _a("Demo points data made"),
    "demo.health_sessions": _a("Demo sessions and bookings made"),
    "campaign.create": _a("Outreach campaign created"),
    "campaign.start": _a("Outreach campaign started"),
    "campaign.pause": _a("Outreach campaign paused"),
    "campaign.resume": _a("Outreach campaign resumed"),
    "campaign.cancel": _a("Outreach campaign cancelled"),
    "campaign.finish": _a("Outreach campaign finished"),
    "campaign.simulate": _a("Outreach callback simulated"),
    "demo.outreach": _a("Demo outreach campaigns made"),
    # Drills (演练) and the knowledge base (经验库), issue 15.
    "drill.schedule": _a("Drill scheduled"),
    "drill.participants": _a("Drill participants added"),
    "drill.start": _a("Drill started"),
    "drill.cancel": _a("Drill cancelled"),
    "drill.finish": _a("Drill finished"),
    "drill.task_done": _a("Drill task done"),
    "drill.result": _a("Drill result recorded"),
    "drill.checkin": _a("Checked in at a drill"),
    "lesson.write": _a("Lesson written"),
    "lesson.edit": _a("Lesson edited"),
    "lesson.share": _a("Lesson shared with the street"),
    "lesson.unshare": _a("Lesson no longer shared"),
    "demo.emergency_drills": _a("Demo drills made"),
    "demo.emergency_lessons": _a("Demo lessons made"),
    # Venue codes (场所码), check-ins counted per hour, contact tracing.
    "venue.create": _a("Venue created"),
    "venue.update": _a("Venue edited"),
    "venue.close": _a("Venue closed"),
    "venue.reopen": _a("Venue reopened"),
    "venue.rotate_code": _a("Venue code replaced"),
    "venue.checkins": _a("Check-ins of an hour counted"),
    "trace.venue": _a("Visitors of a venue traced"),
    "trace.contacts": _a("Contacts of a person traced"),
    "demo.venues": _a("Demo venues and check-ins made"),
    # Emergency plans (应急预案): drafted from the register, versioned, approved.
    "plan.draft": _a("Emergency plan drafted from the register"),
    "plan.edit": _a("Emergency plan edited"),
    "plan.refresh": _a("Emergency plan figures refreshed"),
    "plan.approve": _a("Emergency plan approved"),
    "plan.retire": _a("Emergency plan retired"),
    "plan.lessons": _a("Lessons linked to an emergency plan"),
    "demo.emergency_plans": _a("Demo emergency plans made"),
    # Emergency supplies (物资) and reserved spaces (弹性空间).
    "supply.item_create": _a("Supply item created"),
    "supply.item_update": _a("Supply item edited"),
    "supply.in": _a("Supplies received"),
    "supply.out": _a("Supplies issued"),
    "supply.transfer": _a("Supplies transferred"),
    "supply.expiry": _a("Expired supplies written off"),
    "supply.count": _a("Stock count corrected"),
    "space.create": _a("Reserved space created"),
    "space.update": _a("Reserved space edited"),
    "space.occupy": _a("Places of a reserved space taken or freed"),
    "demo.emergency_supplies": _a("Demo supplies and spaces made"),
    # Lockdown supply runs: residents' shopping lists, volunteers' runs and deliveries.
    "shopping.list_post": _a("Shopping list posted"),
    "shopping.list_cancel": _a("Shopping list cancelled"),
    "shopping.list_receive": _a("Shopping list received"),
    "shopping.run_create": _a("Supply run started"),
    "shopping.deliver": _a("Shopping lists delivered"),
    "demo.emergency_shopping": _a("Demo supply runs made"),
    # The three-person team (三人小组): cases from the watch list, steps, daily checks.
    "care.open": _a("Person put on the team's board"),
    "care.take": _a("Team task taken"),
    "care.done": _a("Team task done"),
    "care.advance": _a("Team case moved to another step"),
    "care.check": _a("Daily health check recorded"),
    "demo.care": _a("Demo team cases made"),
}


def action_label(code: str) -> str:
    """`workorder.escalate` → 工单上报; an unknown code shows as itself."""
    label = ACTIONS.get(code) or ACTION_GROUPS.get(code)
    return str(label) if label is not None else code


def action_choices(extra: Iterable[str] = ()) -> list[tuple[Any, Any]]:
    """The filter's choices: each group (all its actions) with its actions, by label."""
    choices: list[tuple[Any, Any]] = [("", gettext("All actions"))]
    for prefix, group in ACTION_GROUPS.items():
        members = [
            (code, str(label))
            for code, label in ACTIONS.items()
            if code.startswith(prefix) and code != prefix
        ]
        everything = gettext("All: %(group)s") % {"group": group}
        options = [(prefix, everything), *members] if members else [(prefix, str(group))]
        choices.append((str(group), options))
    known = {c for _g, opts in choices[1:] for c, _l in opts}
    others = [(code, action_label(code)) for code in extra if code and code not in known]
    if others:
        choices.append((gettext("Other"), others))
    return choices


# --- objects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectKind:
    label: Promise
    # How one object is named: "label" (the stored label: a person's masked name, an
    # area's name), "number" (`prefix` + id), or "order" (a work order's GZ number).
    shown_by: str = "label"
    prefix: str = "#"


OBJECT_KINDS: dict[str, ObjectKind] = {
    "registry.person": ObjectKind(pgettext_lazy("audit object", "Person")),
    "registry.household": ObjectKind(pgettext_lazy("audit object", "Household"), "number"),
    "registry.area": ObjectKind(pgettext_lazy("audit object", "Area")),
    "registry.transferrequest": ObjectKind(
        pgettext_lazy("audit object", "Transfer request"), "number"
    ),
    "workorders.workorder": ObjectKind(pgettext_lazy("audit object", "Work order"), "order"),
    "workorders.handlerprofile": ObjectKind(pgettext_lazy("audit object", "Skills"), "number"),
    "health.watchentry": ObjectKind(pgettext_lazy("audit object", "Watch-list entry"), "number"),
    "health.upstreamlist": ObjectKind(pgettext_lazy("audit object", "Upstream list")),
    "health.declaration": ObjectKind(
        pgettext_lazy("audit object", "Arrival declaration"), "number"
    ),
    "health.vaccination": ObjectKind(pgettext_lazy("audit object", "Vaccination"), "number"),
    "health.testingsession": ObjectKind(
        pgettext_lazy("audit object", "Testing or vaccination session"), "number"
    ),
    "health.booking": ObjectKind(pgettext_lazy("audit object", "Session booking"), "number"),
    "health.sample": ObjectKind(pgettext_lazy("audit object", "Test sample"), "number"),
    "health.labbatch": ObjectKind(pgettext_lazy("audit object", "Lab results file"), "number"),
    "health.statusruleset": ObjectKind(pgettext_lazy("audit object", "Health-status rules")),
    "health.purge": ObjectKind(pgettext_lazy("audit object", "Data sunset run"), "number"),
    "health.venue": ObjectKind(pgettext_lazy("audit object", "Venue")),
    "emergency.modeswitch": ObjectKind(pgettext_lazy("audit object", "Mode switch")),
    "emergency.modeprofile": ObjectKind(pgettext_lazy("audit object", "Mode profile")),
    "emergency.carecase": ObjectKind(pgettext_lazy("audit object", "Team case"), "number"),
    "imports.importbatch": ObjectKind(pgettext_lazy("audit object", "Register import")),
    "reports.reporttemplate": ObjectKind(pgettext_lazy("audit object", "Report template")),
    "reports.report": ObjectKind(pgettext_lazy("audit object", "Report")),
    "accounts.user": ObjectKind(pgettext_lazy("audit object", "Account")),
    "accounts.username": ObjectKind(pgettext_lazy("audit object", "Unknown account"), "none"),
    "accounts.membership": ObjectKind(pgettext_lazy("audit object", "Role"), "number"),
    "accounts.apikey": ObjectKind(pgettext_lazy("audit object", "API key")),
    "accounts.proxylink": ObjectKind(pgettext_lazy("audit object", "Family proxy"), "number"),
    "accounts.smscode": ObjectKind(pgettext_lazy("audit object", "SMS code"), "number"),
    "audit.auditentry": ObjectKind(pgettext_lazy("audit object", "Audit log")),
    "keyring": ObjectKind(pgettext_lazy("audit object", "Keyring"), "id"),
    "emergency.plan": ObjectKind(pgettext_lazy("audit object", "Emergency plan"), "number"),
}

# Names of downloadable lists (`web.exports` declares them here, from the layer above).
EXPORT_NAMES: dict[str, Promise | str] = {}


def object_kind_label(object_type: str) -> str:
    kind = OBJECT_KINDS.get(object_type)
    return str(kind.label) if kind else object_type


def object_text(*, action: str, object_type: str, object_id: str, object_label: str) -> str:
    """How the page names an entry's object: a person by masked name, an order by its
    number (GZ000049), a household by its number — never `registry.person:148`."""
    if action == "export":
        name = EXPORT_NAMES.get(object_label)
        return str(name) if name is not None else object_label
    kind = OBJECT_KINDS.get(object_type)
    if kind is None:
        return object_label or (f"{object_type} #{object_id}" if object_id else object_type)
    if kind.shown_by == "order" and object_id.isdigit():
        return f"GZ{int(object_id):06d}"
    if kind.shown_by == "number":
        return f"{kind.prefix}{object_id}" if object_id else ""
    if kind.shown_by == "none":
        return ""
    if kind.shown_by == "id":
        return object_id
    return object_label or (f"#{object_id}" if object_id else "")


# --- fields ------------------------------------------------------------------------------------

FIELDS: dict[str, Promise] = {
    "file": pgettext_lazy("audit field", "file"),
    "households": pgettext_lazy("audit field", "households"),
    "persons": pgettext_lazy("audit field", "persons"),
    "entries": pgettext_lazy("audit field", "entries"),
    "rows": pgettext_lazy("audit field", "rows"),
    "columns": pgettext_lazy("audit field", "columns"),
    "filters": pgettext_lazy("audit field", "filters"),
    "schedule": pgettext_lazy("audit field", "schedule"),
    "template": pgettext_lazy("audit field", "template"),
    "password": pgettext_lazy("audit field", "password"),
    "attempts": pgettext_lazy("audit field", "attempts"),
    "handlers": pgettext_lazy("audit field", "handlers"),
    "pairings": pgettext_lazy("audit field", "pairings"),
    "orders": pgettext_lazy("audit field", "orders"),
    "vaccinations": pgettext_lazy("audit field", "vaccinations"),
    "areas": pgettext_lazy("audit field", "areas"),
    "memberships": pgettext_lazy("audit field", "roles"),
    "membership": pgettext_lazy("audit field", "role"),
    "role": pgettext_lazy("audit field", "role"),
    "area": pgettext_lazy("audit field", "area"),
    "grid": pgettext_lazy("audit field", "grid"),
    "assignee": pgettext_lazy("audit field", "follower"),
    "photos": pgettext_lazy("audit field", "photos"),
    "channel": pgettext_lazy("audit field", "channel"),
    "place": pgettext_lazy("audit field", "place"),
    "description": pgettext_lazy("audit field", "description"),
    "category": pgettext_lazy("audit field", "category"),
    "status": pgettext_lazy("audit field", "status"),
    "tags": pgettext_lazy("audit field", "tags"),
    "q": pgettext_lazy("audit field", "search"),
    "id_number": pgettext_lazy("audit field", "resident ID number"),
    "phone": pgettext_lazy("audit field", "phone"),
    "name": pgettext_lazy("audit field", "name"),
    "skills": pgettext_lazy("audit field", "skills"),
    "available": pgettext_lazy("audit field", "availability"),
    "person": pgettext_lazy("audit field", "person"),
    "user": pgettext_lazy("audit field", "account"),
    "relation": pgettext_lazy("audit field", "relation"),
    "checkins": pgettext_lazy("audit field", "check-ins"),
}
# What a search term was (an export's `q:<kind>`, an exact search's kind).
SEARCH_KINDS: dict[str, Promise] = {
    "id_number": pgettext_lazy("audit search", "ID number"),
    "phone": pgettext_lazy("audit search", "phone"),
    "digits": pgettext_lazy("audit search", "digits"),
    "name": pgettext_lazy("audit search", "name"),
    "pinyin": pgettext_lazy("audit search", "pinyin"),
    "text": pgettext_lazy("audit search", "text"),
}


def field_label(object_type: str, code: str) -> str:
    """`id_number` → 公民身份号码: the model field's own name where the object has it."""
    if ":" in code:  # a search filter of an export: `q:name`
        key, kind = code.split(":", 1)
        what = SEARCH_KINDS.get(kind, kind)
        return f"{field_label(object_type, key)}（{what}）"
    if code in FIELDS:
        return str(FIELDS[code])
    try:
        model = apps.get_model(object_type)
        field = model._meta.get_field(code)
    except (LookupError, ValueError, FieldDoesNotExist):
        return code
    if isinstance(field, ForeignObjectRel):
        return code
    return capfirst(str(field.verbose_name))


def fields_text(object_type: str, codes: Iterable[str]) -> str:
    return pgettext("list separator", ", ").join(field_label(object_type, c) for c in codes)


# --- purposes ----------------------------------------------------------------------------------

# A purpose the system wrote: the mark, its code, its parameters as JSON. A purpose typed
# by a person that happens to start with the mark is stored with the mark doubled.
MARK = "§"


def system_purpose(code: str, **params: Any) -> str:
    """What a service stores as the purpose of an entry it writes for the system: a code
    the page translates (`PURPOSES`). Parameters are counts, formats, ids: never a
    personal value."""
    if code not in PURPOSES:
        raise ValueError(f"unknown system purpose {code!r}")
    body = json.dumps(params, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"{MARK}{code} {body}"


def typed_purpose(text: str) -> str:
    """A purpose a person typed, stored so that it can never read as a system purpose."""
    return MARK + text if text.startswith(MARK) else text


PURPOSES: dict[str, Promise] = {
    "export": pgettext_lazy("audit purpose", "%(fmt)s, %(rows)s rows, %(sensitivity)s"),
    "export_queued": pgettext_lazy(
        "audit purpose", "%(fmt)s, %(rows)s rows, %(sensitivity)s, made in the background"
    ),
    "duplicate_id": pgettext_lazy(
        "audit purpose", "the ID number is registered already; nothing was saved"
    ),
    "exact_search": pgettext_lazy("audit purpose", "search by %(kind)s (digest %(digest)s)"),
    "exact_refused": pgettext_lazy(
        "audit purpose", "too many searches by %(kind)s, refused (digest %(digest)s)"
    ),
    "transfer": pgettext_lazy(
        "audit purpose", "transfer request #%(transfer)s into household #%(household)s"
    ),
    "proxy_link": pgettext_lazy(
        "audit purpose", "family proxy #%(link)s: account %(user)s for person #%(person)s"
    ),
    "proxy_for": pgettext_lazy("audit purpose", "as family proxy of person #%(person)s"),
    "on_behalf": pgettext_lazy("audit purpose", "on behalf of person #%(person)s"),
    "first_sms_sign_in": pgettext_lazy(
        "audit purpose", "first sign-in by SMS code of a number in the register"
    ),
    "import_upload": pgettext_lazy("audit purpose", "%(file)s (%(bytes)s bytes, sha256 %(sha)s)"),
    "import_commit": pgettext_lazy(
        "audit purpose",
        "%(file)s: %(total)s rows, %(created)s new, %(updated)s updated, %(unchanged)s "
        "unchanged, %(failed)s with problems, %(households)s new households",
    ),
    "import_prune": pgettext_lazy(
        "audit purpose", "%(count)s uploaded files older than %(days)s days removed"
    ),
    "match_counts": pgettext_lazy("audit purpose", "matched: %(counts)s"),
    "report_fill": pgettext_lazy("audit purpose", "report %(name)s, %(rows)s rows"),
    "demo_load": pgettext_lazy(
        "audit purpose",
        "demo data: %(households)s households, %(persons)s persons (seed %(seed)s, "
        "scale %(scale)s)",
    ),
    "demo_vaccinations": pgettext_lazy("audit purpose", "demo data: %(count)s vaccinations"),
    "demo_workorders": pgettext_lazy(
        "audit purpose",
        "demo data: %(party)s party members, %(volunteers)s volunteers, %(pairings)s "
        "pairings, %(orders)s orders",
    ),
    "lab_upload": pgettext_lazy("audit purpose", "results file, %(bytes)s bytes"),
    "lab_counts": pgettext_lazy(
        "audit purpose",
        "%(rows)s rows: %(matched)s applied, %(already)s already recorded, %(unknown)s "
        "unknown, %(no_pending)s without a waiting sample, %(conflict)s conflicting, "
        "%(malformed)s malformed, %(positive)s positive",
    ),
    "demo_samples": pgettext_lazy(
        "audit purpose", "demo data: %(samples)s test samples, %(files)s lab files"
    ),
    "demo_reset": pgettext_lazy(
        "audit purpose", "demo data removed: %(households)s households and their persons"
    ),
    "health_rules": pgettext_lazy("audit purpose", "version %(version)s, %(rules)s rules"),
    "health_purge": pgettext_lazy(
        "audit purpose", "records due before %(before)s removed: %(removed)s"
    ),
    "checkin_count": pgettext_lazy(
        "audit purpose", "%(count)s check-ins in the hour from %(hour)s"
    ),
    "mode_switch": pgettext_lazy(
        "audit purpose",
        "%(from_mode)s to %(to_mode)s (kind %(kind)s); %(records)s records set to the sunset date",
    ),
    "mode_profile": pgettext_lazy("audit purpose", "%(mode)s mode, version %(version)s"),
    "care_step": pgettext_lazy("audit purpose", "team case #%(case)s, step %(step)s"),
    "demo_care": pgettext_lazy("audit purpose", "demo data: %(cases)s team cases"),
}

_SENSITIVITY: dict[str, Promise] = {
    "none": pgettext_lazy("audit sensitivity", "no personal data"),
    "personal": pgettext_lazy("audit sensitivity", "personal data"),
    "sensitive": pgettext_lazy("audit sensitivity", "sensitive personal data"),
}
_MATCH_COUNTS: dict[str, Promise] = {
    "rows": pgettext_lazy("audit match", "rows"),
    "id_number": pgettext_lazy("audit match", "by ID number"),
    "name_phone": pgettext_lazy("audit match", "by name and phone"),
    "name_birth": pgettext_lazy("audit match", "by name and birth date"),
    "ambiguous": pgettext_lazy("audit match", "several candidates"),
    "none": pgettext_lazy("audit match", "not in the register"),
    "problems": pgettext_lazy("audit match", "with problems"),
}

# Purposes the system wrote as English sentences before `system_purpose`: read back
# into codes, so old entries read in the reader's language too.
_N = r"(?P<{}>\d+)"
_LEGACY: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^(?P<fmt>xlsx|csv|csv-gbk), (?P<rows>\d+) rows, (?P<sensitivity>\w+)$"),
        "export",
    ),
    (re.compile(r"^the ID number is registered already; nothing was saved$"), "duplicate_id"),
    (
        re.compile(r"^throttled (?P<kind>\w+) lookup; digest (?P<digest>[0-9a-f]+)$"),
        "exact_refused",
    ),
    (re.compile(r"^(?P<kind>\w+) lookup; digest (?P<digest>[0-9a-f]+)$"), "exact_search"),
    (
        re.compile(r"^transfer request #(?P<transfer>\d+) into household #(?P<household>\d+)$"),
        "transfer",
    ),
    (
        re.compile(
            r"^proxy: user (?P<user>\d+) for person (?P<person>\d+) \(link (?P<link>\d+)\)$"
        ),
        "proxy_link",
    ),
    (re.compile(r"^proxy for person (?P<person>\d+)$"), "proxy_for"),
    (re.compile(r"^on behalf of person (?P<person>\d+)$"), "on_behalf"),
    (
        re.compile(r"^first sign-in by SMS code of a number in the register$"),
        "first_sms_sign_in",
    ),
    (
        re.compile(r"^(?P<file>.+) \((?P<bytes>\d+) bytes, sha256 (?P<sha>[0-9a-f]+)\)$"),
        "import_upload",
    ),
    (
        re.compile(
            r"^(?P<file>.+): (?P<total>\d+) rows, (?P<created>\d+) new, (?P<updated>\d+) "
            r"updated, (?P<unchanged>\d+) unchanged, (?P<failed>\d+) with problems, "
            r"(?P<households>\d+) new households$"
        ),
        "import_commit",
    ),
    (
        re.compile(r"^(?P<count>\d+) uploaded files older than (?P<days>\d+) days removed$"),
        "import_prune",
    ),
    (re.compile(r"^(?P<counts>[a-z_]+ \d+(?:, [a-z_]+ \d+)*)$"), "match_counts"),
    (
        re.compile(
            r"^demo data: (?P<households>\d+) households, (?P<persons>\d+) persons "
            r"\(seed (?P<seed>\d+), scale (?P<scale>[\d.]+)\)$"
        ),
        "demo_load",
    ),
    (re.compile(r"^demo data: (?P<count>\d+) vaccinations$"), "demo_vaccinations"),
    (
        re.compile(
            r"^demo data: (?P<party>\d+) party members, (?P<volunteers>\d+) volunteers, "
            r"(?P<pairings>\d+) pairings, (?P<orders>\d+) orders$"
        ),
        "demo_workorders",
    ),
    (
        re.compile(r"^demo data removed: (?P<households>\d+) households and their persons$"),
        "demo_reset",
    ),
    (re.compile(r"^report (?P<name>.+), (?P<rows>\d+) rows$"), "report_fill"),
]


def _shown_params(code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    shown = dict(params)
    if "sensitivity" in shown:
        shown["sensitivity"] = _SENSITIVITY.get(str(shown["sensitivity"]), shown["sensitivity"])
    if "kind" in shown:
        shown["kind"] = SEARCH_KINDS.get(str(shown["kind"]), shown["kind"])
    if code == "match_counts" and isinstance(shown.get("counts"), str):
        parts = []
        for pair in shown["counts"].split(", "):
            key, _sep, number = pair.partition(" ")
            parts.append(f"{_MATCH_COUNTS.get(key, key)} {number}")
        shown["counts"] = pgettext("list separator", ", ").join(parts)
    return shown


# Actions whose purpose a person types: never read as a system sentence.
TYPED_PURPOSE_ACTIONS = frozenset(
    {"person.reveal", "watchlist.reveal", "trace.venue", "trace.contacts"}
)


def purpose_text(purpose: str, action: str = "") -> str:
    """The purpose in the reader's language: a system purpose translated, a typed one as
    typed."""
    if not purpose:
        return ""
    if purpose.startswith(MARK * 2):
        return purpose[1:]
    code, params = "", None
    if purpose.startswith(MARK):
        code, _sep, body = purpose[1:].partition(" ")
        try:
            params = json.loads(body) if body else {}
        except ValueError:
            return purpose
    elif action not in TYPED_PURPOSE_ACTIONS:
        for pattern, legacy_code in _LEGACY:
            if legacy_code == "match_counts" and action != "upstream_list.match":
                continue
            match = pattern.match(purpose)
            if match:
                code, params = legacy_code, match.groupdict()
                break
    template = PURPOSES.get(code)
    if template is None or not isinstance(params, dict):
        return purpose
    try:
        return str(template) % _shown_params(code, params)
    except (KeyError, TypeError, ValueError):
        return purpose
