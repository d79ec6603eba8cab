"""`gongzhi restore DIR`: restore a backup into an empty database and data directory,
then check it (row counts, audit chain, encrypted values). See `gongzhi.ops.backup`.

    gongzhi restore /srv/backups/2026-12-05                 asks for the passphrase
    gongzhi restore DIR --keyring-from /mnt/other/keyring.enc --passphrase-file F --no-input
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.ops import backup
from gongzhi.ops.management.commands._passphrase import read_passphrase


class Command(BaseCommand):
    help = "Restore a backup into an empty database and data directory, then check it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", help="the backup's directory")
        parser.add_argument("--keyring-from", help="the encrypted keyring, if kept elsewhere")
        parser.add_argument("--passphrase-file", help="a file holding the passphrase")
        parser.add_argument("--force", action="store_true", help="replace a non-empty target")
        parser.add_argument("--no-input", action="store_true", help="never prompt (scripts)")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        # Override, not activate: a command called in-process (tests, another command)
        # leaves the caller's language as it was.
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        passphrase = read_passphrase(
            path=options["passphrase_file"], interactive=not options["no_input"], confirm=False
        )
        keyring_from = Path(options["keyring_from"]) if options["keyring_from"] else None
        try:
            source = backup.restore_open(
                source=Path(options["source"]), passphrase=passphrase, keyring_from=keyring_from
            )
            backup.restore_write(source=source, force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        report = backup.restore_check(source.manifest)
        self.stdout.write(
            _(
                "Restored %(tables)d tables, %(rows)d rows; audit log: %(entries)d entries; %(columns)d encrypted columns checked."
            )
            % {
                "tables": report.tables,
                "rows": report.rows,
                "entries": report.audit_entries,
                "columns": report.encrypted_columns,
            }
        )
        if not report.ok:
            raise CommandError(
                _("The restored data differs from the backup:") + "\n" + "\n".join(report.problems)
            )
        self.stdout.write(
            _(
                "Everything matches the backup. Run `gongzhi migrate` if this version is newer, then start the service."
            )
        )
