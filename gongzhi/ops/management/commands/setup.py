"""`gongzhi setup`: the first run of a real installation, interactive or by flags.

    gongzhi setup                                   asks for what it needs (in Chinese;
                                                    --language en for English)
    gongzhi setup --no-input --admin-username admin --admin-password-file /run/secrets/pw \\
        --district 421087 --street-code 421087001 --street-name 新江口街道 \\
        --community-code 421087001003 --community-name 玉岭社区

Applies migrations, creates the keyring, the first system administrator (with a TOTP
device: a QR code in the terminal) and the division path down to the community. Run it
again to add another community; what exists is kept and reported. The work is in
`gongzhi.ops.setup`.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.ops import setup
from gongzhi.registry import divisions

PASSWORD_ENV = "GONGZHI_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password

# Command-line flag of each field a service names in its errors.
FLAGS = {
    "admin_username": "--admin-username",
    "admin_password": "--admin-password-file",
    "district": "--district",
    "street_code": "--street-code",
    "street_name": "--street-name",
    "community_code": "--community-code",
    "community_name": "--community-name",
    "username": "--secretary-username",
    "display_name": "--secretary-name",
    "phone": "--secretary-phone",
}


class Command(BaseCommand):
    help = "First run: keyring, first system administrator, division path and community."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-input", action="store_true", help="never prompt (scripts)")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
        parser.add_argument("--admin-username")
        parser.add_argument("--admin-name", default="", help="display name")
        parser.add_argument(
            "--admin-password-file",
            help=f"a file holding the password (or set {PASSWORD_ENV})",
        )
        parser.add_argument("--district", help="GB/T 2260 code of the district, e.g. 421087")
        parser.add_argument("--street-code", help="9 digits: the district's 6 and 3 more")
        parser.add_argument("--street-name")
        parser.add_argument("--community-code", help="12 digits: the street's 9 and 3 more")
        parser.add_argument("--community-name")
        parser.add_argument(
            "--secretary-username",
            help="appoint the community's first secretary (texted a link to set a password)",
        )
        parser.add_argument("--secretary-name", default="")
        parser.add_argument("--secretary-phone", default="")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="where the site is served"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Override, not activate: a command called in-process (tests, another command)
        # leaves the caller's language as it was.
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        self.interactive = not options["no_input"]
        try:
            self._database()
            self._keyring()
            self._admin(options)
            community = self._community(options)
            if community is not None:
                self._secretary(options, community)
        except ValidationError as exc:
            raise CommandError(self._describe(exc)) from None
        except EOFError:
            raise CommandError(
                _("The input ended before setup was done; scripts run it with --no-input.")
            ) from None
        self._next_steps(options["url"])

    # --- steps ----------------------------------------------------------------------------
    def _database(self) -> None:
        applied = setup.database_migrate()
        if applied:
            self._say(_("Database: %(n)d migrations applied.") % {"n": applied})
        else:
            self._say(_("Database: up to date."))

    def _keyring(self) -> None:
        state = setup.keyring_ensure()
        if state.created:
            self._say(_("Keyring: created at %(where)s (mode 0600).") % {"where": state.location})
        else:
            self._say(_("Keyring: already present (%(where)s).") % {"where": state.location})
        self._say(
            "  "
            + _(
                "Back it up now, apart from the data: without it the personal data in the "
                "database cannot be read; with the database, it opens everything. "
                "`gongzhi backup` writes it encrypted with a passphrase."
            )
        )

    def _admin(self, options: dict[str, Any]) -> None:
        admins = setup.system_admins()
        if admins:
            names = ", ".join(user.username for user in admins)
            self._say(_("System administrator: already present (%(names)s).") % {"names": names})
            device = setup.totp_device(admins[0])
            if device is not None and not device.confirmed:
                self._say("  " + _("Their second factor is confirmed at their first sign-in."))
            return
        username = options["admin_username"] or self._ask(
            _("Username of the first system administrator"), "admin_username", default="admin"
        )
        display_name = options["admin_name"] or (
            self._ask(_("Their name (shown to colleagues)"), "admin_name", default="")
            if self.interactive
            else ""
        )
        password = self._password(options, username)
        device = setup.admin_create(username=username, password=password, display_name=display_name)
        self._say(_("System administrator: %(name)s created.") % {"name": username})
        self._say(
            _(
                "Second factor: scan this QR code with an authenticator app (or enter the key "
                "below). Keep it private: it is half of the administrator's sign-in."
            )
        )
        self.stdout.write(setup.totp_qr_text(device), ending="")
        self._say(_("Key: %(secret)s") % {"secret": setup.totp_secret_text(device)})
        if not self.interactive:
            self._say(_("The second factor is confirmed at the first sign-in."))
            return
        while True:
            token = input(_("The 6-digit code the app shows now (Enter: confirm later): "))
            if not token.strip():
                self._say(_("The second factor is confirmed at the first sign-in."))
                return
            if setup.totp_confirm(device=device, token=token):
                self._say(_("Second factor confirmed."))
                return
            self._say(_("This code is wrong or has expired; enter the code showing now."))

    def _password(self, options: dict[str, Any], username: str) -> str:
        path = options["admin_password_file"]
        if path:
            try:
                return Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise CommandError(
                    _("--admin-password-file: cannot read %(path)s (%(error)s).")
                    % {"path": path, "error": exc.strerror}
                ) from None
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        if not self.interactive:
            raise CommandError(
                _("--admin-password-file (or %(env)s) is required with --no-input.")
                % {"env": PASSWORD_ENV}
            )
        while True:
            first = getpass.getpass(_("Password: "))
            if first != getpass.getpass(_("The password again: ")):
                self._say(_("The two passwords differ; try again."))
                continue
            try:
                setup.admin_check(username=username, password=first)
            except ValidationError as exc:
                self._say(self._describe(exc))
                continue
            return first

    def _community(self, options: dict[str, Any]) -> Any:
        existing = setup.communities()
        given = [options[k] for k in ("district", "street_code", "community_code")]
        if existing and not any(given):
            names = "、".join(f"{a.name} ({a.code})" for a in existing)
            self._say(_("Communities: %(names)s.") % {"names": names})
            if not self.interactive or not self._yes(_("Add another community?")):
                return existing[0] if len(existing) == 1 else None
        elif not existing and not any(given) and not self.interactive:
            raise CommandError(
                _("--district, --street-code, --community-code and their names are required.")
            )
        district = options["district"] or self._pick_district()
        street_code = options["street_code"] or self._ask_code(
            _("Street code (9 digits)"), "street_code", district
        )
        street_name = options["street_name"] or self._ask(_("Street name"), "street_name")
        community_code = options["community_code"] or self._ask_code(
            _("Community code (12 digits)"), "community_code", street_code
        )
        plan = setup.CommunityPlan(
            district=district,
            street_code=street_code,
            street_name=street_name,
            community_code=community_code,
            community_name=options["community_name"]
            or self._ask(_("Community name"), "community_name"),
        )
        nodes = setup.community_path_ensure(plan)
        for node in nodes:
            label = f"{node.area.get_kind_display()} {node.area.name} ({node.area.code})"
            if node.created:
                self._say(_("Created: %(node)s.") % {"node": label})
            else:
                self._say(_("Already present: %(node)s.") % {"node": label})
        return nodes[-1].area

    def _secretary(self, options: dict[str, Any], community: Any) -> None:
        """The community's first secretary, who then staffs it from the accounts pages: an
        administrator grants no role that reads personal data (docs/security.md)."""
        present = setup.secretaries(community)
        if present:
            names = ", ".join(user.username for user in present)
            self._say(_("Secretary: already present (%(names)s).") % {"names": names})
            return
        username = options["secretary_username"]
        if not username:
            if not self.interactive or not self._yes(
                _("Appoint the community's first secretary now?")
            ):
                self._say(
                    "  "
                    + _("Later: %(cmd)s")
                    % {"cmd": "gongzhi users create --system --role secretary …"}
                )
                return
            username = self._ask(_("Secretary's username"), "username")
        name = options["secretary_name"] or self._ask(_("Secretary's name"), "display_name")
        phone = options["secretary_phone"] or self._ask(
            _("Secretary's mobile number (the link to set a password goes there)"), "phone"
        )
        setup.secretary_appoint(
            community=community, username=username, display_name=name, phone=phone
        )
        self._say(
            _("Secretary: %(name)s appointed; a link to set their password was texted.")
            % {"name": username}
        )

    def _pick_district(self) -> str:
        """Province, then city, then district, each chosen by code from the shipped list."""
        if not self.interactive:
            raise CommandError(_("--district is required with --no-input."))
        code: str | None = None
        while True:
            choices = divisions.divisions_under(code)
            self._say("  " + "  ".join(f"{d.code} {d.name}" for d in choices))
            if code is None:
                label = _("Province code")
            elif code.endswith("0000"):
                label = _("City (or district) code")
            else:
                label = _("District code")
            answer = self._ask(label, "district").strip()
            picked = next((d for d in choices if answer in (d.code, d.name)), None)
            if picked is None:
                self._say(_("Choose one of the codes listed."))
                continue
            if picked.kind == "district":
                return picked.code
            code = picked.code

    # --- input and output ---------------------------------------------------------------
    def _ask(self, label: str, field: str, default: str | None = None) -> str:
        if not self.interactive:
            raise CommandError(
                _("%(flag)s is required with --no-input.") % {"flag": FLAGS.get(field, field)}
            )
        prompt = f"{label} [{default}]: " if default else f"{label}: "
        while True:
            answer = input(prompt).strip()
            if answer or default is not None:
                return answer or (default or "")

    def _ask_code(self, label: str, field: str, parent_code: str) -> str:
        """A street or community code, asked again until it fits under its parent."""
        while True:
            code = self._ask(label, field)
            problems = setup.code_problems(field=field, code=code, parent_code=parent_code)
            if not problems:
                return code
            self._say(" ".join(problems))

    def _yes(self, question: str) -> bool:
        return input(f"{question} [y/N] ").strip().lower() in {"y", "yes", "是"}

    def _say(self, text: str) -> None:
        self.stdout.write(text)

    def _describe(self, exc: ValidationError) -> str:
        if not hasattr(exc, "error_dict"):
            return " ".join(exc.messages)
        return "\n".join(
            f"{FLAGS.get(field, field)}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )

    def _next_steps(self, url: str) -> None:
        self._say("")
        self._say(_("Next steps:"))
        self._say(
            "  1. "
            + _("Sign in as the administrator: %(url)s")
            % {"url": url.rstrip("/") + reverse("accounts:login")}
        )
        self._say(
            "  2. "
            + _("Load the community's grids, compounds and buildings: %(cmd)s")
            % {"cmd": "gongzhi areas import FILE.xlsx"}
        )
        self._say(
            "  3. "
            + _("Create staff accounts and give them roles: %(cmd)s, or the accounts pages.")
            % {"cmd": "gongzhi users"}
        )
        self._say(
            "  4. " + _("Back up the data and the keyring: %(cmd)s") % {"cmd": "gongzhi backup DIR"}
        )
        if settings.DEBUG:
            self._say(_("DEBUG is on: not for production (docs/deployment.md)."))
