"""`gongzhi users …`: staff accounts from the command line, through the pages' services.

    gongzhi users list     --as ADMIN [--role R] [--q TEXT] [--inactive]
    gongzhi users create   --as ADMIN --username U --name NAME --phone MOBILE
                           --area-code CODE --role ROLE [--no-invite]
    gongzhi users grant    --as ADMIN --username U --area-code CODE --role ROLE
    gongzhi users revoke   --as ADMIN --username U --area-code CODE --role ROLE
    gongzhi users invite   --as ADMIN --username U
    gongzhi users reset-password --as ADMIN --username U
    gongzhi users deactivate|reactivate --as ADMIN --username U
    gongzhi users reset-2fa --as ADMIN --username U --reason TEXT

Every action is done as the account named by `--as`, with the same rules as its pages
(where it manages accounts, which roles it may grant) and is audited as that account (via
"cli"). An account that signs in with a second factor gives its current code (`--otp`).
`--system` instead acts as the system itself, audited without an account: for what no
account may do, such as appointing a community's first secretary or an auditor. No
password or link is ever printed; links go to the account's own mobile by SMS.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp import match_token, user_has_device

from gongzhi.accounts import services, staff
from gongzhi.accounts.models import AccountLinkKind, Membership, Role, User
from gongzhi.core.errors import Forbidden, NotFound, field_errors


class Command(BaseCommand):
    help = "Staff accounts: list, create, grant, revoke, invite, deactivate, reset."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        def action(name: str, help_text: str) -> Any:
            p = sub.add_parser(name, help=help_text)
            who = p.add_mutually_exclusive_group(required=True)
            who.add_argument("--as", dest="acting_as", help="username of the manager acting")
            who.add_argument("--system", action="store_true", help="act as the system itself")
            p.add_argument("--otp", default="", help="the acting account's current TOTP code")
            return p

        listing = action("list", "staff accounts where the actor manages accounts")
        listing.add_argument("--role", choices=Role.values, default="")
        listing.add_argument("--q", default="", help="part of the username or the name")
        listing.add_argument("--inactive", action="store_true", help="deactivated ones only")
        create = action("create", "a staff account with its first role, invited by SMS")
        create.add_argument("--username", required=True)
        create.add_argument("--name", required=True, help="the holder's name")
        create.add_argument("--phone", required=True, help="mainland mobile number")
        create.add_argument("--area-code", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--no-invite", action="store_true", help="do not text the link yet")
        for name, text in (("grant", "grant a role on a node"), ("revoke", "end a role")):
            p = action(name, text)
            p.add_argument("--username", required=True)
            p.add_argument("--area-code", required=True)
            p.add_argument("--role", required=True, choices=Role.values)
        for name, text in (
            ("invite", "text a link to set the password"),
            ("reset-password", "end the password and text a link to set a new one"),
            ("deactivate", "close the account: sessions and API keys stop"),
            ("reactivate", "open a closed account again"),
        ):
            action(name, text).add_argument("--username", required=True)
        reset = action("reset-2fa", "remove a lost second-factor device")
        reset.add_argument("--username", required=True)
        reset.add_argument("--reason", required=True, help="kept in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options)
        name = options["action"].replace("-", "_")
        try:
            getattr(self, f"_{name}")(actor, **options)
        except ValidationError as exc:
            problems = [f"{field}: {m}" for field, ms in field_errors(exc).items() for m in ms]
            raise CommandError("; ".join(problems)) from None
        except Forbidden:
            raise CommandError(
                "refused: the acting account may not do this to this account or node"
            ) from None

    # --- whom and where ------------------------------------------------------------------------

    def _actor(self, options: dict[str, Any]) -> User | None:
        if options["system"]:
            return None
        actor = User.objects.filter(username=options["acting_as"], is_active=True).first()
        if actor is None:
            raise CommandError(f"--as {options['actor']}: no such active account")
        needs_code = services.requires_second_factor(actor) or user_has_device(actor)
        if needs_code and (
            not options["otp"] or match_token(actor, options["otp"].strip()) is None
        ):
            raise CommandError(
                f"{actor.username} signs in with a second factor: give its current code with --otp"
            )
        return actor

    def _account(self, actor: User | None, username: str) -> User:
        found = User.objects.filter(username=username).first()
        if found is None:
            raise CommandError(f"no account {username}")
        if actor is None:
            return found
        try:
            return staff.staff_get_for(user=actor, user_id=found.pk)
        except NotFound:
            raise CommandError(
                f"no account {username} where {actor.username} manages accounts"
            ) from None

    def _area(self, actor: User | None, code: str) -> Any:
        model = Membership._meta.get_field("area").related_model
        area = model._default_manager.filter(code=code).first()
        if area is None:
            raise CommandError(f"no area with code {code}")
        if actor is not None:
            try:
                return staff.area_for_manager(user=actor, area_id=area.pk)
            except NotFound:
                raise CommandError(f"{actor.username} does not manage accounts in {code}") from None
        return area

    # --- actions -------------------------------------------------------------------------------

    def _list(self, actor: User | None, *, role: str, q: str, inactive: bool, **_: Any) -> None:
        if actor is None:
            accounts = User.objects.order_by("username").prefetch_related("memberships__area")
            accounts = accounts.filter(is_active=not inactive)
            rows = [(a, [m for m in a.memberships.all() if m.is_active]) for a in accounts]
        else:
            listed = staff.staff_list_for(
                user=actor, q=q, role=role, status="inactive" if inactive else "active"
            )
            rows = [(a, list(getattr(a, "roles_here", []))) for a in listed]
        for account, roles in rows:
            if actor is None and (role and role not in {m.role for m in roles}):
                continue
            held = ", ".join(f"{m.role}@{m.area.code}" for m in roles) or "-"
            state = "active" if account.is_active else "deactivated"
            phone = str(account.phone) if account.phone else "-"
            self.stdout.write(f"{account.username}  {state}  {phone}  {held}")

    def _create(
        self,
        actor: User | None,
        *,
        username: str,
        name: str,
        phone: str,
        area_code: str,
        role: str,
        no_invite: bool,
        **_: Any,
    ) -> None:
        account = staff.staff_create(
            actor=actor,
            username=username,
            display_name=name,
            phone=phone,
            area=self._area(actor, area_code),
            role=role,
            invite=not no_invite,
        )
        sent = "an invitation is on its way by SMS" if not no_invite else "no invitation sent"
        self.stdout.write(f"account {account.username} created as {role} on {area_code}; {sent}")

    def _grant(
        self, actor: User | None, *, username: str, area_code: str, role: str, **_: Any
    ) -> None:
        account = self._account(actor, username)
        services.membership_grant(
            actor=actor, user=account, area=self._area(actor, area_code), role=role
        )
        self.stdout.write(f"{username} is {role} on {area_code}")

    def _revoke(
        self, actor: User | None, *, username: str, area_code: str, role: str, **_: Any
    ) -> None:
        account = self._account(actor, username)
        area = self._area(actor, area_code)
        membership = Membership.objects.filter(
            user=account, area=area, role=role, is_active=True
        ).first()
        if membership is None:
            raise CommandError(f"{username} holds no active {role} role on {area_code}")
        services.membership_revoke(actor=actor, membership=membership)
        self.stdout.write(f"{username} is no longer {role} on {area_code}")

    def _invite(self, actor: User | None, *, username: str, **_: Any) -> None:
        staff.account_link_send(
            actor=actor, user=self._account(actor, username), kind=AccountLinkKind.INVITE
        )
        self.stdout.write(f"a link to set the password is on its way to {username} by SMS")

    def _reset_password(self, actor: User | None, *, username: str, **_: Any) -> None:
        staff.account_link_send(
            actor=actor, user=self._account(actor, username), kind=AccountLinkKind.RESET
        )
        self.stdout.write(
            f"the password of {username} no longer works; a link to set a new one is on its way by SMS"
        )

    def _deactivate(self, actor: User | None, *, username: str, **_: Any) -> None:
        staff.account_deactivate(actor=actor, user=self._account(actor, username))
        self.stdout.write(f"{username} is deactivated: signed out, API keys revoked")

    def _reactivate(self, actor: User | None, *, username: str, **_: Any) -> None:
        staff.account_reactivate(actor=actor, user=self._account(actor, username))
        self.stdout.write(f"{username} is active again")

    def _reset_2fa(self, actor: User | None, *, username: str, reason: str, **_: Any) -> None:
        removed = staff.second_factor_reset(
            actor=actor, user=self._account(actor, username), reason=reason
        )
        self.stdout.write(
            f"{removed} second-factor device(s) of {username} removed; they enrol again at the next sign-in"
        )
