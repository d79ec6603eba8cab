"""`gongzhi demo`: load the three study communities once, and print the demo logins.

gongzhi demo                  load if not loaded yet; print the logins either way
gongzhi demo --reset          remove the demo data and load it again
gongzhi demo --seed 7         other synthetic people (the same seed, the same people)
gongzhi demo --scale 0.02     fewer households (tests); grid counts never scale
gongzhi demo --totp auditor   the current TOTP code of a demo user
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from gongzhi.core.crypto import ensure_keyring_file
from gongzhi.core.fields import reveal
from gongzhi.demo import extras
from gongzhi.demo.load import DemoError, is_loaded, load, load_info, unload
from gongzhi.demo.logins import DEMO_PASSWORD, create_logins, current_totp, logins_table

DEFAULT_SEED = 2023  # the year the study was published
MAX_SCALE = 100.0


class Command(BaseCommand):
    help = "Load the three demo communities (once) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Remove the demo data and load it again."
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Seed of the synthetic people."
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply household counts (e.g. 0.02 for tests); grid counts stay.",
        )
        parser.add_argument(
            "--totp", metavar="USERNAME", help="Print the current TOTP code of a demo user."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc

    def _handle(self, options: dict[str, Any]) -> None:
        if options["totp"]:
            self.stdout.write(current_totp(options["totp"]))
            return
        scale = options["scale"]
        if not 0 < scale <= MAX_SCALE:
            raise CommandError(f"--scale must be above 0 and at most {MAX_SCALE:g}.")
        if is_loaded() and not options["reset"]:
            self._check_keys()
            info = load_info()
            self.stdout.write(
                "The demo is already loaded"
                + (f" ({info})" if info else "")
                + "; `gongzhi demo --reset` rebuilds it."
            )
            self._print_logins()
            return
        if ensure_keyring_file():
            self.stdout.write(
                f"Made a new keyring at {Path(settings.GONGZHI_KEYRING_FILE)} (mode 0600). "
                "Keep it with the database: without it the register cannot be read."
            )
        started = time.perf_counter()
        with transaction.atomic():
            if options["reset"]:
                extras.unload_all(say=self.stdout.write)
                unload(say=self.stdout.write)
            loaded = load(seed=options["seed"], scale=scale, say=self.stdout.write)
            create_logins(loaded)
            extras.load_all(loaded, seed=options["seed"], say=self.stdout.write)
        households = sum(c.households for c in loaded)
        persons = sum(c.persons for c in loaded)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo: {households:,} households, {persons:,} persons "
                f"in {time.perf_counter() - started:.1f} s (seed {options['seed']})."
            )
        )
        self._print_logins()

    def _check_keys(self) -> None:
        """A loaded demo whose keyring is gone or replaced cannot be read: say so now."""
        from gongzhi.registry.models import Person

        person = Person.objects.exclude(id_number="").order_by("pk").first()
        if person is None:
            return
        try:
            reveal(person.id_number)
        except Exception as exc:  # DecryptionError, or no keyring at all
            raise DemoError(
                "The demo is loaded but its personal data does not decrypt with the "
                f"current keyring ({exc}). Restore the keyring file "
                f"({settings.GONGZHI_KEYRING_FILE}) or rebuild with `gongzhi demo --reset`."
            ) from exc

    def _print_logins(self) -> None:
        rows = logins_table()
        if not rows:
            self.stdout.write("No demo logins exist.")
            return
        width = max(len(r.username) for r in rows) + 2
        role_width = max(len(r.roles) for r in rows) + 2
        out = self.stdout
        out.write("")
        out.write(self.style.MIGRATE_HEADING(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        out.write(f"  {'username':<{width}}{'password':<14}{'role':<{role_width}}where")
        for row in rows:
            out.write(
                f"  {row.username:<{width}}{DEMO_PASSWORD:<14}{row.roles:<{role_width}}{row.where}"
            )
        totp_rows = [r for r in rows if r.totp_secret]
        if totp_rows:
            out.write("")
            out.write(
                "Second factor (TOTP) for "
                + " and ".join(r.username for r in totp_rows)
                + ": add the secret to an authenticator app, or run "
                "`gongzhi demo --totp USERNAME` for the current code."
            )
            for row in totp_rows:
                out.write(f"  {row.username:<{width}}secret {row.totp_secret}")
                out.write(f"  {'':<{width}}{row.totp_uri}")
        out.write("Demo passwords and secrets are for the demo only; never use them in production.")
