"""Emergency mode (平疫结合): one switch per community, and what a crisis needs.

- **Mode**: `ModeState` is a community's current mode (normal or emergency, and which kind
  of emergency); `ModeSwitch` is its history; `ModeProfile` is what each mode turns on for
  the community (services on /m/, tighter SLAs, daily duties, dashboards), as versioned data.
- **Plans (应急预案)**: `Plan` with `PlanVersion`s (content drafted from the register's real
  profile, then edited; who changed what), linked to `Lesson`s.
- **Drills (演练)**: `Drill` from a plan, `DrillParticipant` (task, check-in at the assembly
  point by QR, result).
- **Supplies and spaces (物资 / 弹性空间)**: `SupplyItem` (stock never below zero, a minimum
  that warns), `StockMovement` (in, out, transfer, expiry), `Space` (isolation rooms,
  assembly and sampling points: capacity and status).
- **Lockdown supply runs**: residents' `ShoppingList`s of `ShoppingItem`s, gathered into a
  `SupplyRun` that is a work order of the delivery category.
- **The three-person team (三人小组)**: `CareCase` per person followed (fed by the watch list),
  `CareTask` per step with owner and deadline, `HealthCheck` per day of home isolation.
- **Knowledge base (经验库)**: `Lesson`s from drills and incidents, searchable in Chinese.

Records collected about persons during an emergency (shopping lists, team cases, their tasks
and daily health checks) carry `retain_until` and `retention = "emergency"`, like every
record the health services make (`health.sunset`): switching back to normal sets it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.models import BaseModel

# --- the mode ----------------------------------------------------------------------------------


class Mode(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("mode switch", "Normal")
    EMERGENCY = "emergency", pgettext_lazy("mode switch", "Emergency")


class EmergencyKind(models.TextChoices):
    EPIDEMIC = "epidemic", _("Epidemic")
    FLOOD = "flood", _("Flood")
    FIRE = "fire", _("Fire")
    EARTHQUAKE = "earthquake", _("Earthquake")
    TYPHOON = "typhoon", _("Typhoon")
    OTHER = "other", _("Other")


class ModeState(BaseModel):
    """A community's current mode. One row per community, made on its first switch."""

    area = models.OneToOneField("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.NORMAL)
    kind = models.CharField(max_length=12, choices=EmergencyKind.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    since = models.DateTimeField()
    switched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        verbose_name = _("community mode")
        verbose_name_plural = _("community modes")


class ModeSwitch(BaseModel):
    """One switch of a community's mode (the history; the audit log has the same)."""

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    from_mode = models.CharField(max_length=10, choices=Mode.choices)
    to_mode = models.CharField(max_length=10, choices=Mode.choices)
    kind = models.CharField(max_length=12, choices=EmergencyKind.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Switching back to normal: the day everything collected during the emergency is purged.
    sunset_on = models.DateField(null=True, blank=True)
    # The notice that announced it (notices.Notice id), when one was published.
    notice_id = models.BigIntegerField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("mode switch")
        verbose_name_plural = _("mode switches")


class ModeProfile(BaseModel):
    """What a mode turns on in a community: data, versioned, edited by staff.

    `config` is checked by the modes module, e.g. {"portal_services": [url names],
    "sla_factor": 0.5, "duties": [{"title": ..., "role": ..., "time": "08:00"}],
    "dashboards": [...], "workbench_links": [...]}. The newest version is in force.
    """

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    version = models.PositiveIntegerField()
    config = models.JSONField(default=dict)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["area_id", "mode", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["area", "mode", "version"], name="mode_profile_version")
        ]
        verbose_name = _("mode profile")
        verbose_name_plural = _("mode profiles")


# --- plans (应急预案) ----------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", pgettext_lazy("plan status", "In force")
    RETIRED = "retired", _("Retired")


class Plan(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=EmergencyKind.choices)
    title = models.CharField(_("title"), max_length=100)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    lessons = models.ManyToManyField("emergency.Lesson", blank=True, related_name="plans")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The version in force: approved by whom and when (later versions wait for approval).
    approved_number = models.PositiveIntegerField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")

    def __str__(self) -> str:
        return self.title


class PlanVersion(BaseModel):
    """One saved version of a plan: its sections and the profile figures it was drafted from.

    Counts only; never a name, phone or ID number (a plan is printed and shared).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # {"sections": [{"key": ..., "title": ..., "body": ...}], ...}
    content = models.JSONField(default=dict)
    # The register's figures at drafting time: per building, per grid (counts only).
    profile = models.JSONField(default=dict)
    note = models.CharField(_("what changed"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["plan_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number")
        ]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")


# --- spaces and supplies (弹性空间 / 物资) ----------------------------------------------------------


class SpaceKind(models.TextChoices):
    ISOLATION = "isolation", _("Isolation room")
    ASSEMBLY = "assembly", _("Assembly point")
    SAMPLING = "sampling", _("Sampling point")
    SHELTER = "shelter", _("Shelter")
    STORE = "store", _("Supply store")
    OTHER = "other", _("Other")


class SpaceStatus(models.TextChoices):
    READY = "ready", _("Ready")
    IN_USE = "in_use", _("In use")
    CLOSED = "closed", _("Out of service")


class Space(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=SpaceKind.choices)
    capacity = models.PositiveIntegerField(_("capacity"))
    occupied = models.PositiveIntegerField(_("occupied"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=SpaceStatus.choices, default=SpaceStatus.READY
    )
    location = models.CharField(_("location"), max_length=200, blank=True)  # a place, not a home
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["area_path", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(occupied__lte=models.F("capacity")), name="space_within_capacity"
            )
        ]
        verbose_name = _("reserved space")
        verbose_name_plural = _("reserved spaces")

    def __str__(self) -> str:
        return self.name


class SupplyItem(BaseModel):
    """One stock line of a community (or grid) store: quantity never below zero."""

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=30, blank=True)
    unit = models.CharField(_("unit"), max_length=10)
    quantity = models.IntegerField(_("quantity"), default=0)
    minimum = models.PositiveIntegerField(_("minimum level"), default=0)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["area_path", "category", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="supply_not_negative"),
            models.UniqueConstraint(fields=["area", "name", "unit"], name="supply_item_once"),
        ]
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")

    def __str__(self) -> str:
        return self.name


class MovementKind(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    EXPIRY = "expiry", _("Expired")
    COUNT = "count", _("Stock count correction")


class StockMovement(BaseModel):
    """Append-only: an item's quantity is always the sum of its movements."""

    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=MovementKind.choices)
    # Signed: positive in, negative out.
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    counterpart = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")


# --- drills (演练) -------------------------------------------------------------------------------


class DrillStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Drill(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="drills"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EmergencyKind.choices)
    title = models.CharField(_("title"), max_length=100)
    scheduled_at = models.DateTimeField(_("scheduled for"))
    assembly_point = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="drills"
    )
    # The assembly point's QR carries this random code (check-in at /m/drill/<code>/).
    checkin_code = models.CharField(max_length=32, unique=True)
    status = models.CharField(
        max_length=10, choices=DrillStatus.choices, default=DrillStatus.SCHEDULED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(_("result"), max_length=2000, blank=True)
    lessons_text = models.TextField(_("lessons"), max_length=4000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")

    def __str__(self) -> str:
        return self.title


class DrillParticipant(BaseModel):
    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.CharField(_("task"), max_length=200, blank=True)
    task_done_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(_("result"), max_length=200, blank=True)

    class Meta:
        ordering = ["drill_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["drill", "person"],
                condition=models.Q(person__isnull=False),
                name="drill_person_once",
            ),
            models.UniqueConstraint(
                fields=["drill", "user"],
                condition=models.Q(user__isnull=False),
                name="drill_user_once",
            ),
        ]
        verbose_name = _("drill participant")
        verbose_name_plural = _("drill participants")


# --- the knowledge base (经验库) -----------------------------------------------------------------


class LessonSource(models.TextChoices):
    DRILL = "drill", _("Drill")
    INCIDENT = "incident", _("Real incident")
    CASE = "case", _("Case from elsewhere")


class Lesson(BaseModel):
    """A case or lesson, written once. `shared` makes it readable in every community of the
    street (the lesson's area path is its community's; sharing widens reading to the street)."""

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    street_path = models.CharField(max_length=255, db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=LessonSource.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=EmergencyKind.choices)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=10000)
    tags = models.CharField(_("keywords"), max_length=200, blank=True)
    drill = models.ForeignKey(
        Drill, null=True, blank=True, on_delete=models.SET_NULL, related_name="lessons"
    )
    occurred_on = models.DateField(_("happened on"), null=True, blank=True)
    shared = models.BooleanField(_("shared with the street"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return self.title


# --- lockdown supply runs ----------------------------------------------------------------------


class ShoppingStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a run")
    IN_RUN = "in_run", _("Being bought")
    DELIVERED = "delivered", _("Delivered")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class SupplyRunStatus(models.TextChoices):
    BUYING = "buying", _("Buying")
    DELIVERING = "delivering", _("Delivering")
    DONE = "done", _("Done")


class SupplyRun(BaseModel):
    """A volunteer's bulk purchase for some buildings; its work order carries the loop."""

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    workorder = models.OneToOneField(
        "workorders.WorkOrder", on_delete=models.PROTECT, related_name="supply_run"
    )
    status = models.CharField(
        max_length=12, choices=SupplyRunStatus.choices, default=SupplyRunStatus.BUYING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("supply run")
        verbose_name_plural = _("supply runs")


class ShoppingList(BaseModel):
    """A household's list during a lockdown, posted on /m/ (by a proxy for a parent)."""

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)  # the building's
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_proxy = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ShoppingStatus.choices, default=ShoppingStatus.OPEN
    )
    run = models.ForeignKey(
        SupplyRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="lists"
    )
    # The list's own work order (category "delivery"): the resident served is its person,
    # so only they (or their proxy) rate it; its resolution is the delivery.
    workorder = models.OneToOneField(
        "workorders.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shopping_list",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    retention = "emergency"
    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shopping list")
        verbose_name_plural = _("shopping lists")


class ShoppingItem(models.Model):
    shopping_list = models.ForeignKey(ShoppingList, on_delete=models.CASCADE, related_name="items")
    # Normalised (trimmed, width-folded) so equal items merge across households.
    name = models.CharField(_("item"), max_length=40)
    unit = models.CharField(_("unit"), max_length=10)
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["shopping_list_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="shopping_qty_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}{self.unit}"


# --- the three-person team (三人小组) --------------------------------------------------------------


class CareStep(models.TextChoices):
    SCREENING = "screening", _("Screening")
    SAMPLING = "sampling", _("Sampling")
    TRANSFER = "transfer", _("Transfer")
    ISOLATION = "isolation", _("Home isolation")
    RELEASED = "released", _("Released")


class CareCase(BaseModel):
    """A person the team is responsible for, fed by the watch list."""

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    watch_entry = models.OneToOneField(
        "health.WatchEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True)
    step = models.CharField(max_length=10, choices=CareStep.choices, default=CareStep.SCREENING)
    isolation_until = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    retention = "emergency"
    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("team case")
        verbose_name_plural = _("team cases")


class CareTask(BaseModel):
    """One step of a case: who owns it (a role of the team, and the person who took it) and
    by when."""

    case = models.ForeignKey(CareCase, on_delete=models.CASCADE, related_name="tasks")
    step = models.CharField(max_length=10, choices=CareStep.choices)
    owner_role = models.CharField(max_length=20)  # accounts.models.Role value
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    retention = "emergency"
    retention_path = "case__area_path"  # health.sunset: where the record lies

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("team task")
        verbose_name_plural = _("team tasks")


class HealthCheck(BaseModel):
    """A day's health check in home isolation. Health data: kept sealed and sunset."""

    case = models.ForeignKey(CareCase, on_delete=models.CASCADE, related_name="checks")
    day = models.DateField()
    # Temperature in tenths of a degree (365 = 36.5 °C); symptoms as a flag, details sealed.
    temperature_tenths = models.PositiveSmallIntegerField(null=True, blank=True)
    symptoms = models.BooleanField(default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    retention = "emergency"
    retention_path = "case__area_path"

    class Meta:
        ordering = ["case_id", "-day"]
        constraints = [models.UniqueConstraint(fields=["case", "day"], name="health_check_daily")]
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")
