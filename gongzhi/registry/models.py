"""The register (一社一户一册): the area tree, households, persons, tags and their history.

Area tree: root → province → city → district → street → community → grid (levels 1–3)
→ building, with compounds hanging under their community. Grids are drawn over
buildings, not over compounds (a compound may be split between grids, as in Yuling), so a
building's tree parent is its grid and its compound is a separate link.

Every node has a materialised `path` of fixed-width decimal steps; "everything under node
X" is the range `path >= X.path AND path < successor(X.path)`, one index range scan on any
database. Households and persons carry a copy of their building's path for the same query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.masking import mask_name
from gongzhi.core.models import BaseModel
from gongzhi.registry import rows
from gongzhi.registry.choices import Gender, HouseholdStatus, Relation, Residency

# The code lists are defined in `choices` (which `rows` reads without the models) and
# imported from here as before.


class AreaKind(models.TextChoices):
    ROOT = "root", _("Platform")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    COMPOUND = "compound", _("Compound")
    BUILDING = "building", _("Building")


class Area(BaseModel):
    kind = models.CharField(_("kind"), max_length=16, choices=AreaKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField()
    grid_level = models.PositiveSmallIntegerField(null=True, blank=True)
    # Buildings only: the compound (小区) the building belongs to.
    compound = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"kind": AreaKind.COMPOUND},
    )

    # Buildings only, as the community counts them: 单元, floors, dwellings per floor and unit.
    units = models.PositiveSmallIntegerField(_("units"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    rooms_per_floor = models.PositiveSmallIntegerField(
        _("dwellings per floor"), null=True, blank=True
    )
    # A GeoJSON geometry (WGS 84, [lon, lat]): a grid's or compound's outline (Polygon or
    # MultiPolygon), a building's Point. Checked by `registry.geo`.
    geometry = models.JSONField(_("map shape"), null=True, blank=True)
    # A closed node keeps its rows and history; it takes no new children or households.
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)

    scope_field = "path"
    objects = RestrictedManager()
    # Set on the tree's children (selectors.area_children_for); not a column.
    household_count: int
    building_count: int

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["kind", "path"], name="registry_area_kind_path")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="grid", grid_level__in=[1, 2, 3])
                    | (~models.Q(kind="grid") & models.Q(grid_level__isnull=True))
                ),
                name="registry_area_grid_level",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class AreaChange(models.Model):
    """History of the area tree: created, renamed, moved, closed, reopened, reshaped."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)  # field -> [old, new]
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"


class Tag(models.Model):
    """A fact about a person used for care and planning (独居老人, 残疾, 党员 …)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=40)  # Chinese label
    name_en = models.CharField(max_length=60)
    sort = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Household(BaseModel):
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="households")
    unit = models.CharField(_("unit"), max_length=rows.UNIT_MAX, blank=True)
    room = models.CharField(_("room"), max_length=rows.ROOM_MAX)
    area_path = models.CharField(max_length=255, db_index=True)
    address = models.CharField(_("address"), max_length=rows.ADDRESS_MAX, db_index=True)
    head = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    notes = models.TextField(_("notes"), blank=True, max_length=rows.NOTES_MAX)

    scope_field = "area_path"
    objects = RestrictedManager()
    # Set on a page's instances (selectors.with_member_counts); not a column.
    member_count: int
    # Set on a search's page (views.households): which members the search matched.
    matched: str

    class Meta:
        ordering = ["area_path", "unit", "room"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"],
                condition=~models.Q(status="closed"),
                name="registry_household_one_per_dwelling",
            )
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def audit_label(self) -> str:
        """How the audit log names a household: by number, not by its address."""
        return f"#{self.pk}"


PRESENT_RESIDENCY = (Residency.LIVING, Residency.TENANT, Residency.AWAY)


class Person(BaseModel):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="persons")
    area_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=rows.NAME_MAX)
    name_pinyin = models.CharField(max_length=120)
    name_initials = models.CharField(max_length=40)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(
        _("resident ID number"),
        purpose=rows.ID_NUMBER_PURPOSE,
        mask=rows.ID_NUMBER_MASK,
        blind_index_field="id_number_index",
    )
    id_number_index = models.CharField(max_length=32, blank=True)
    phone = EncryptedTextField(
        _("phone"),
        purpose=rows.PHONE_PURPOSE,
        mask=rows.PHONE_MASK,
        blind_index_field="phone_index",
    )
    phone_index = models.CharField(max_length=32, blank=True, db_index=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, default=rows.DEFAULT_ETHNICITY)
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    residency = models.CharField(
        _("residency"), max_length=16, choices=Residency.choices, default=Residency.LIVING
    )
    moved_in_on = models.DateField(_("moved in on"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, through="PersonTag", related_name="persons", blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=rows.NOTES_MAX)
    version = models.PositiveIntegerField(default=1)

    scope_field = "area_path"
    objects = RestrictedManager()
    # Set on a page's instances for the templates (views.household_detail); not a column.
    age: int

    class Meta:
        ordering = ["household_id", "birth_date"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["name_pinyin"], name="registry_person_pinyin"),
            models.Index(fields=["name_initials"], name="registry_person_initials"),
            models.Index(fields=["birth_date"], name="registry_person_birth"),
            # SQLite cannot use the partial unique index below for `id_number_index = ?`
            # (it cannot prove the value is not ''), so exact ID lookups scanned the table
            # or the viewer's whole scope: see docs/benchmarks.md.
            models.Index(fields=["id_number_index"], name="registry_person_id_lookup"),
        ]
        constraints = [
            # One person per resident ID number; people without a number (rare) are exempt.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~models.Q(id_number_index=""),
                name="registry_person_one_per_id_number",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        """How the audit log names a person: masked (the log cannot be erased)."""
        return mask_name(self.name)


class PersonTag(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], name="registry_persontag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.tag_id}"


class RegisterChange(models.Model):
    """History of the register: every change to a household or person, field by field.

    Values of encrypted fields are kept masked here (the audit log keeps only names).
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.CASCADE, related_name="changes"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="changes"
    )
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)  # field -> [old, new]
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("transfer request", "Requested")
    APPROVED = "approved", pgettext_lazy("transfer request", "Approved")
    DECLINED = "declined", pgettext_lazy("transfer request", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("transfer request", "Cancelled")


class TransferRequest(BaseModel):
    """迁入申请: an area asks the area that holds a person's record to let the person move
    into one of its households. The holders (register.edit where the person is) decide;
    the requesters see nothing of the person until it is approved."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # Where the person was registered when asked (their building): who decides.
    from_area_path = models.CharField(max_length=255, db_index=True)
    to_household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    # The household's building: who asked, and may follow or cancel the request.
    to_area_path = models.CharField(max_length=255, db_index=True)
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "to_household"],
                condition=models.Q(status="requested"),
                name="registry_transfer_one_open_per_home",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"  # never the person's name: the requesters may not see it
