"""Work orders (工单): a resident's request and its whole life.

An order is *about* a place (`place`: the household's building, or a grid) and is
*handled* at a level of the area tree (`level`: the lowest grid at first; escalation
moves it to the community, then the street). Staff see orders by the place's path
(`area_path`), so a grid keeps seeing its orders after they go up; the right to decide
(dispatch, solve, escalate) is held at the level's path (`level_path`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.models import BaseModel
from gongzhi.workorders.states import Action, Status

# Open311 (GeoReport v2) allows 4,000 characters; what it accepts the platform files.
DESCRIPTION_MAX = 4000
NOTE_MAX = 1000


class Kind(models.TextChoices):
    SERVICE = "service", _("Service request")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class Skill(models.TextChoices):
    """What a volunteer or party member can do; a category asks for one."""

    REPAIR = "repair", _("Repairs")
    ERRANDS = "errands", _("Errands and shopping")
    ESCORT = "escort", _("Accompanying to the doctor")
    SANITATION = "sanitation", _("Sanitation")
    MEDIATION = "mediation", _("Mediation")
    CARE = "care", _("Care for the elderly")
    GENERAL = "general", _("General help")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Channel(models.TextChoices):
    """How the order was filed: by the resident, by family acting for them (proxy), by
    staff or a building head on their behalf, or by another system (Open311, API key)."""

    SELF = "self", _("By the resident")
    PROXY = "proxy", _("By family (proxy)")
    STAFF = "staff", _("On the resident's behalf")
    OPEN311 = "open311", _("Open311")
    API = "api", _("API")


class Category(models.Model):
    """A kind of request (维修, 代购代办 …); its code is the Open311 `service_code`."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=40)  # Chinese
    name_en = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    description_en = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    skill = models.CharField(max_length=16, choices=Skill.choices, default=Skill.GENERAL)
    default_priority = models.CharField(
        max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    allows_anonymous = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    sort = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("work-order category")
        verbose_name_plural = _("work-order categories")

    def __str__(self) -> str:
        return self.name


class Sla(models.Model):
    """Deadlines of a category at a priority: respond (someone accepts) and resolve.

    With `working_hours`, only working time counts (see `sla.py`)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="slas")
    priority = models.CharField(max_length=8, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    working_hours = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], name="workorders_sla_unique"),
            models.CheckConstraint(
                condition=models.Q(response_minutes__gt=0)
                & models.Q(resolution_minutes__gte=models.F("response_minutes")),
                name="workorders_sla_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}/{self.priority}: {self.response_minutes}/{self.resolution_minutes} min"


class WorkOrder(BaseModel):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    description = models.TextField(max_length=DESCRIPTION_MAX)
    # Hidden from the volunteer who handles it; never from the system (the audit log,
    # the staff of the area).
    anonymous = models.BooleanField(default=False)

    # Who asked, for whom, and how.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SELF)
    contact_name = models.CharField(max_length=40, blank=True)
    contact_phone = EncryptedTextField(purpose="workorder.contact_phone", mask="phone")

    # Where: the place it is about, and the level that handles it now.
    place = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    address = models.CharField(max_length=200, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # The lowest grid the place lies in (None above the grids): the inbox and the board
    # group by it.
    grid = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    level_path = models.CharField(max_length=255)
    escalations = models.PositiveSmallIntegerField(default=0)

    # Who handles it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # When.
    submitted_at = models.DateTimeField()
    preferred_at = models.DateTimeField(null=True, blank=True)
    response_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(null=True, blank=True)
    # The next deadline the SLA sweep watches (None once nothing is due), and when to
    # remind before it: one indexed range each, however many orders are open.
    due_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # How it ended.
    resolution = models.TextField(max_length=NOTE_MAX, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=500, blank=True)
    # The rating was given on the phone and recorded by staff (回访), not by the resident.
    rating_by_callback = models.BooleanField(default=False)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    scope_field = "area_path"
    objects = RestrictedManager()

    # Set on the instances of one page or download, never stored (views._prepare, the
    # inbox, exports): annotations only, no class attribute.
    offers_open: list[Offer]
    shows_requester: bool
    overdue: bool
    export_overdue: bool
    time_left: str  # "剩余 3 小时" / "已超时 2 天" (the inbox)
    grid_label: str  # "玉岭社区 · 第一网格" for a viewer who sees several communities

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["status", "level_path"], name="workorders_inbox"),
            models.Index(fields=["assignee", "status"], name="workorders_assignee"),
            models.Index(fields=["requester", "-submitted_at"], name="workorders_requester"),
            models.Index(fields=["person", "-submitted_at"], name="workorders_person"),
            models.Index(
                fields=["due_at"], name="workorders_due", condition=models.Q(due_at__isnull=False)
            ),
            models.Index(
                fields=["remind_at"],
                name="workorders_remind",
                condition=models.Q(remind_at__isnull=False),
            ),
            models.Index(fields=["-submitted_at", "-id"], name="workorders_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="workorders_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(assignee__isnull=True)
                | models.Q(status__in=["accepted", "in_progress", "resolved", "closed"]),
                name="workorders_assignee_only_when_assigned",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id}"

    @property
    def number(self) -> str:
        """The number residents and staff quote (`GZ000123`)."""
        return f"GZ{self.pk:06d}"


class TimelineEntry(models.Model):
    """One step of an order, in order: the resident's timeline and the staff's history.

    Append-only. The ids of `resolve` and `rate` entries are the event ids other modules
    see (`events.py`): a consumer that missed a signal catches up from the last id it saw.
    """

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Acting for someone (a proxy), or on someone's behalf: who the actor acted for.
    on_behalf_of = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    # Set by `selectors.timeline_for` for the viewer, never stored: the step is the anonymous
    # requester's own and is not named to this viewer.
    actor_hidden: bool

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["order", "at"], name="workorders_timeline"),
            models.Index(fields=["action", "id"], name="workorders_events"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.action}@{self.at:%Y-%m-%d %H:%M}"


class OfferOutcome(models.TextChoices):
    OPEN = "", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    TAKEN = "taken", _("Someone else accepted first")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Offer(models.Model):
    """A dispatch to one handler. An order may be offered to several at once (the grid's
    volunteers, say); the first to accept gets it and the others' offers close as
    `taken`, so a late accept is told clearly that someone else was first."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="offers")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offered_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=OfferOutcome.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "handler"],
                condition=models.Q(closed_at__isnull=True),
                name="workorders_offer_one_open",
            )
        ]
        indexes = [models.Index(fields=["handler", "closed_at"], name="workorders_offer_handler")]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.handler_id} ({self.outcome or 'open'})"


class AttachmentKind(models.TextChoices):
    REQUEST = "request", _("Photo of the request")
    EVIDENCE = "evidence", _("Evidence")


class Attachment(models.Model):
    """A photo, re-encoded without its metadata, kept under DATA_DIR/uploads (mode 0600)
    and served only through a view that checks the viewer may see the order."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        TimelineEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    kind = models.CharField(max_length=16, choices=AttachmentKind.choices)
    path = models.CharField(max_length=255, unique=True)  # relative to the uploads directory
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.pk} {self.kind}"


class HandlerProfile(models.Model):
    """What a volunteer or party member offers: skills, and whether they take orders now."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="handler_profile"
    )
    skills = models.JSONField(default=list, blank=True)  # Skill codes
    available = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {','.join(self.skills)}"

    @property
    def skill_labels(self) -> list[str]:
        return [str(Skill(c).label) for c in self.skills if c in Skill.values]


class Pairing(models.Model):
    """包干到户: a party member (or volunteer) who serves a household — Yuling's "8
    households as the standard". Dispatch suggestions rank the household's own first."""

    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pairings"
    )
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)  # the household's
    since = models.DateField()
    is_active = models.BooleanField(default=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    # Set by the volunteer's page: may this viewer change it (annotation only).
    editable: bool

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["handler", "household"], name="workorders_pairing_unique"
            )
        ]
        indexes = [models.Index(fields=["household", "is_active"], name="workorders_pair_house")]

    def __str__(self) -> str:
        return f"{self.handler_id} serves {self.household_id}"


# --- 双报到: party members and volunteers report in to the community ------------------------


class ReportInKind(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party member")
    VOLUNTEER = "volunteer", _("Volunteer")


class ReportInStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class FreeTime(models.TextChoices):
    """When someone is free to help: weekday or weekend, by part of the day."""

    WEEKDAY_MORNING = "weekday_morning", _("Weekday mornings")
    WEEKDAY_AFTERNOON = "weekday_afternoon", _("Weekday afternoons")
    WEEKDAY_EVENING = "weekday_evening", _("Weekday evenings")
    WEEKEND_MORNING = "weekend_morning", _("Weekend mornings")
    WEEKEND_AFTERNOON = "weekend_afternoon", _("Weekend afternoons")
    WEEKEND_EVENING = "weekend_evening", _("Weekend evenings")


class ReportIn(BaseModel):
    """双报到: a party member or volunteer offers to serve in a community (and perhaps a
    grid); the grid leader or secretary approves — placing them in a grid with skills —
    or refuses, saying why. `area_path` is the preferred grid's, else the community's."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_ins"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReportInKind.choices)
    organisation = models.CharField(_("work unit or organisation"), max_length=100, blank=True)
    skills = models.JSONField(default=list, blank=True)  # Skill codes
    free_times = models.JSONField(default=list, blank=True)  # FreeTime codes
    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ReportInStatus.choices, default=ReportInStatus.PENDING
    )
    placed = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusing"), max_length=200, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="workorders_reportin_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"report-in #{self.pk}"

    @property
    def skill_labels(self) -> list[str]:
        return [str(Skill(c).label) for c in self.skills if c in Skill.values]

    @property
    def free_time_labels(self) -> list[str]:
        return [str(FreeTime(c).label) for c in self.free_times if c in FreeTime.values]
