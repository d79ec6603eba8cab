"""`gongzhi apikey issue|revoke|list`: API keys for integrations, each bound to one membership.

    gongzhi apikey issue --user U --area-code CODE --role ROLE --name N
    gongzhi apikey revoke PREFIX
    gongzhi apikey list [--user U]

The key is printed once by `issue`; only a hash of it is stored.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gongzhi.accounts.models import ApiKey, Membership, Role
from gongzhi.accounts.services import api_key_issue, api_key_revoke


class Command(BaseCommand):
    help = "API keys for integrations: issue, revoke, list."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue a key acting as one membership")
        issue.add_argument("--user", required=True, help="username holding the membership")
        issue.add_argument("--area-code", required=True, help="code of the membership's area")
        issue.add_argument("--role", required=True, choices=Role.values)
        issue.add_argument("--name", required=True, help="what the key is for")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="list keys (never the secrets)")
        listing.add_argument("--user", default="", help="only this user's keys")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(**options)

    def _issue(self, *, user: str, area_code: str, role: str, name: str, **_: Any) -> None:
        name = name.strip()
        if not name or len(name) > (ApiKey._meta.get_field("name").max_length or 100):
            raise CommandError("--name must be 1 to 100 characters")
        membership = (
            Membership.objects.select_related("user", "area")
            .filter(user__username=user, area__code=area_code, role=role, is_active=True)
            .first()
        )
        if membership is None:
            raise CommandError(
                f"{user} holds no active {role} membership on area {area_code}; "
                "grant it first, a key acts only as an existing membership"
            )
        key, raw = api_key_issue(membership=membership, name=name)
        self.stdout.write(
            f"API key {key.prefix} for {user} as {role} on {membership.area.name} "
            f"({area_code}). It is shown only now; send it in the X-API-Key header:"
        )
        self.stdout.write(raw)

    def _revoke(self, *, prefix: str, **_: Any) -> None:
        key = ApiKey.objects.select_related("membership__area").filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"no API key with prefix {prefix}")
        if key.revoked_at is not None:
            self.stdout.write(
                f"API key {prefix} was already revoked at {key.revoked_at:%Y-%m-%d %H:%M}"
            )
            return
        api_key_revoke(key=key)
        self.stdout.write(f"API key {prefix} revoked")

    def _list(self, *, user: str, **_: Any) -> None:
        keys = ApiKey.objects.select_related("membership__user", "membership__area").order_by(
            "created_at"
        )
        if user:
            keys = keys.filter(membership__user__username=user)
        for key in keys:
            m = key.membership
            state = "revoked" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix}  {state:7}  {m.user.username}  {m.role}@{m.area.code}  "
                f"last used {used}  {key.name}"
            )
