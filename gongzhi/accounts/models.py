from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
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


# The encryption purpose of an account's phone: its own, not the register's person.phone
# (`registry.rows`), so the two blind indexes are made with different keys.
PHONE_PURPOSE = "user.phone"


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    is_demo = models.BooleanField(default=False, help_text="Created by `gongzhi demo`.")
    # A mobile number for SMS sign-in and SMS notifications: one account per number.
    phone = EncryptedTextField(
        _("mobile phone"), purpose=PHONE_PURPOSE, mask="phone", blind_index_field="phone_index"
    )
    phone_index = models.CharField(max_length=32, blank=True, db_index=True)
    # The resident's own record in the register (residents; staff usually have none).
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("register person"),
    )
    # Elder mode (适老化) in the resident portal: larger text, high contrast, fewer fields.
    elder_mode = models.BooleanField(_("elder mode"), default=False)

    if TYPE_CHECKING:
        # Set on each request's user by django_otp's OTPMiddleware: signed in with a second factor?
        def is_verified(self) -> bool: ...

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_index"],
                condition=~models.Q(phone_index=""),
                name="accounts_user_one_per_phone",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def audit_label(self) -> str:
        """An account is named in the audit log by its username, as its actors are; never
        by the holder's name."""
        return self.username


class Membership(BaseModel):
    """A role held on a node of the area tree; it reaches the node's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    # When (and by whom) the role was last granted: "since" in who-holds-what.
    granted_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

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


class ProxyRelation(models.TextChoices):
    """How the proxy is related to the person they act for (数字反哺)."""

    CHILD = "child", _("Son or daughter")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    SPOUSE = "spouse", _("Spouse")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    NEIGHBOUR = "neighbour", _("Neighbour or friend")


class ProxyLink(BaseModel):
    """A user who may act for a person of the register (an elderly parent, say).

    Links are confirmed by someone who keeps that person's register (a grid worker), or
    by the system; only active, confirmed links let the user act. Everything done while
    acting is recorded as done by `user` for `person`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proxy_links"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(_("relation"), max_length=16, choices=ProxyRelation.choices)
    # What the proxy calls them (妈妈, 爷爷); shown in the portal's "acting for" switch.
    label = models.CharField(_("called"), max_length=20, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("proxy link")
        verbose_name_plural = _("proxy links")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "person"],
                condition=models.Q(is_active=True),
                name="accounts_proxylink_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → person {self.person_id} ({self.relation})"


class ProxyRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    APPROVED = "approved", _("Confirmed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ProxyRequest(BaseModel):
    """A resident asks to act for a family member (数字反哺); the grid worker or building
    head of that person's building confirms (a `ProxyLink` is made) or refuses.

    `person` is None when the details given matched no one (or several): the request then
    waits like any other, so the requester learns nothing about whether the person exists.
    Only the blind indexes of what was typed are kept, never the values."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proxy_requests"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The person's building when asked: who decides (empty when nobody matched).
    area_path = models.CharField(max_length=255, blank=True, db_index=True)
    relation = models.CharField(_("relation"), max_length=16, choices=ProxyRelation.choices)
    label = models.CharField(_("called"), max_length=20, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProxyRequestStatus.choices,
        default=ProxyRequestStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusing"), max_length=200, blank=True)
    link = models.ForeignKey(
        ProxyLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("proxy request")
        verbose_name_plural = _("proxy requests")
        indexes = [models.Index(fields=["status", "area_path"], name="accounts_proxyreq_queue")]

    def __str__(self) -> str:
        return f"proxy request #{self.pk}"


class SmsCode(models.Model):
    """A one-time sign-in code sent by SMS: only its hash is kept; it expires, is good
    once, and dies after a few wrong tries. Every request leaves a row (registered number
    or not) so rate limits treat every number alike and reveal nothing."""

    phone_index = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    # What the code is good for: signing in, or setting a new password.
    purpose = models.CharField(max_length=16, default="login")

    class Meta:
        indexes = [
            models.Index(fields=["phone_index", "-created_at"], name="accounts_smscode_phone"),
            models.Index(fields=["ip", "-created_at"], name="accounts_smscode_ip"),
        ]

    def __str__(self) -> str:
        return f"sms code {self.pk} @ {self.created_at:%Y-%m-%d %H:%M}"


class SignInFailures(models.Model):
    """Wrong passwords (or SMS codes) for one account name (or number) from one client
    address, for growing delays: a stranger elsewhere cannot lock the account. Keyed by a
    keyed digest, so neither the name nor the address is kept here."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(db_index=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.failures} failed sign-ins until {self.blocked_until}"


class AccountLinkKind(models.TextChoices):
    INVITE = "invite", _("Invitation")
    RESET = "reset", _("Password reset")


class AccountLink(models.Model):
    """A one-time link sent by SMS to set a password: an invitation to a new staff account,
    or a reset ordered by a manager. Only a SHA-256 of its 256-bit token is kept; it
    expires, is good once, and a newer link of the same account ends the older ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_links"
    )
    kind = models.CharField(max_length=16, choices=AccountLinkKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # superseded or account closed

    class Meta:
        verbose_name = _("account link")
        verbose_name_plural = _("account links")

    def __str__(self) -> str:
        return f"{self.kind} link {self.pk} for user {self.user_id}"
