from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import BaseModel


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer")
    PARTY_MEMBER = "party_member", _("Party member volunteer")
    BUILDING_HEAD = "building_head", _("Building head")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_LEADER = "grid_leader", _("Grid leader")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    SECRETARY = "secretary", _("Community secretary")
    POLICE = "police", _("Community police officer")
    DOCTOR = "doctor", _("Community doctor")
    STREET_OFFICER = "street_officer", _("Street officer")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


# Roles that must pass a second factor (TOTP) at every login.
SECOND_FACTOR_ROLES = frozenset({Role.AUDITOR, Role.SYSTEM_ADMIN})
# No one may hold both: the auditor checks what administrators did.
EXCLUSIVE_ROLES = frozenset({Role.AUDITOR, Role.SYSTEM_ADMIN})


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    is_demo = models.BooleanField(default=False, help_text="Created by `gongzhi demo`.")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(BaseModel):
    """A role held on a node of the area tree; it reaches the node's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "area", "role"], name="accounts_membership_unique"
            )
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.area_id}"


class ApiKey(BaseModel):
    """A key for an integration, bound to one membership: it acts as that role on that node.

    Only a SHA-256 of the secret is stored; the key (`gz_<prefix>_<secret>`) is shown once.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"
