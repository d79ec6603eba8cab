"""Visits (走访记录) to households, and how often households with a tag are to be visited.

A **visit** is a grid worker's (or leader's, or community staff's) contact with a
household: at home, by phone, on WeChat. It records who was met, what was found and,
when something needs doing, the work order filed for it. Its notes may hold personal
data, so they are stored encrypted and shown with any ID or mobile number masked.

A **visit rule** says how often a household with a person carrying a tag is visited
(独居老人 every 7 days). Rules are data: the platform's defaults sit on the root of the
area tree, and a community may set its own, which win for its households.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.models import BaseModel

NOTES_MAX = 2000
CONCERN_NOTE_MAX = 200
NOTES_PURPOSE = "visit.notes"
EVERY_DAYS_MAX = 366


class Method(models.TextChoices):
    HOME = "home", pgettext_lazy("visit method", "At home")
    PHONE = "phone", pgettext_lazy("visit method", "Phone call")
    WECHAT = "wechat", pgettext_lazy("visit method", "WeChat")
    OTHER = "other", pgettext_lazy("visit method", "Other")


class Concern(models.TextChoices):
    """What a visit found that needs attention (several may apply)."""

    HEALTH = "health", pgettext_lazy("visit concern", "Health")
    DAILY_LIFE = "daily_life", _("Daily life and care")
    SAFETY = "safety", _("Safety hazard")
    HOUSING = "housing", _("Housing and repairs")
    FINANCES = "finances", _("Money and benefits")
    MOOD = "mood", _("Mood and loneliness")
    DISPUTE = "dispute", _("Dispute with neighbours or family")
    OTHER = "other", _("Other")


class Visit(BaseModel):
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="visits"
    )
    # Who was met (members of the household); none for a call nobody answered.
    persons = models.ManyToManyField("registry.Person", related_name="+", blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    visited_at = models.DateTimeField(_("when"))
    method = models.CharField(_("how"), max_length=8, choices=Method.choices)
    notes = EncryptedTextField(_("notes"), purpose=NOTES_PURPOSE, mask="text")
    concerns = models.JSONField(_("concerns found"), default=list, blank=True)  # Concern codes
    concern_note = EncryptedTextField(_("other concern"), purpose=NOTES_PURPOSE, mask="text")
    follow_up = models.ForeignKey(
        "workorders.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("follow-up work order"),
    )
    # The household's path when the visit was made: who may read it.
    area_path = models.CharField(max_length=255)

    scope_field = "area_path"
    objects = RestrictedManager()
    # Set on a page's instances (views._concern_labels); not a column.
    concern_labels: list[str]

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            # "When was this household last visited?" for every household of a grid.
            models.Index(fields=["household", "-visited_at"], name="visits_household_last"),
            models.Index(fields=["visitor", "-visited_at"], name="visits_visitor"),
            models.Index(fields=["area_path", "-visited_at"], name="visits_area"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"  # never the household's address

    @property
    def audit_label(self) -> str:
        return f"#{self.pk}"


class VisitRule(BaseModel):
    """Households with a present person carrying `tag` are visited every `every_days`
    days. The rule on the nearest node at or above the household's community wins."""

    tag = models.ForeignKey("registry.Tag", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    every_days = models.PositiveSmallIntegerField(_("every (days)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["area_path", "tag__sort"]
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        constraints = [
            models.UniqueConstraint(fields=["area", "tag"], name="visits_rule_one_per_tag"),
            models.CheckConstraint(
                condition=models.Q(every_days__gte=1, every_days__lte=EVERY_DAYS_MAX),
                name="visits_rule_every_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id}@{self.area_id}: {self.every_days}d"


class VisitTask(BaseModel):
    """A home visit someone asked of a grid worker (上门核实): a campaign's non-responder,
    for instance. Logging a visit to the household closes its open tasks."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="visit_tasks"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)  # words, never a personal value
    # What asked for it: "campaign:<id>" …; one open task per source and household.
    source = models.CharField(max_length=64)
    due_on = models.DateField(_("due on"))
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    area_path = models.CharField(max_length=255, db_index=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("visit task")
        verbose_name_plural = _("visit tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "household"], name="visits_task_one_per_source"
            )
        ]
        indexes = [models.Index(fields=["assignee", "done_at"], name="visits_task_assignee")]

    def __str__(self) -> str:
        return f"task #{self.pk}"
