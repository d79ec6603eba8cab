"""`gongzhi backup [DIR]`: a consistent copy of the database and uploads, and the keyring
encrypted with a passphrase, in a new directory (see `gongzhi.ops.backup`).

    gongzhi backup /srv/backups/$(date +%F)      asks for the passphrase twice
    gongzhi backup DIR --passphrase-file F --keyring-to /mnt/other/keyring.enc --no-input
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.ops import backup
from gongzhi.ops.management.commands._passphrase import read_passphrase

FLAGS = {"dest": "DIR", "keyring_to": "--keyring-to", "passphrase": "--passphrase-file"}


class Command(BaseCommand):
    help = "Back up the database, the uploads and (encrypted, apart) the keyring."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dest", nargs="?", help="a new or empty directory")
        parser.add_argument("--keyring-to", help="write the encrypted keyring here instead")
        parser.add_argument("--passphrase-file", help="a file holding the passphrase")
        parser.add_argument("--no-input", action="store_true", help="never prompt (scripts)")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        # Override, not activate: a command called in-process (tests, another command)
        # leaves the caller's language as it was.
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        dest = Path(options["dest"] or backup.backup_name())
        passphrase = read_passphrase(
            path=options["passphrase_file"], interactive=not options["no_input"], confirm=True
        )
        keyring_to = Path(options["keyring_to"]) if options["keyring_to"] else None
        try:
            manifest = backup.backup_create(dest=dest, passphrase=passphrase, keyring_to=keyring_to)
        except ValidationError as exc:
            raise CommandError(
                "\n".join(f"{FLAGS.get(f, f)}: {' '.join(m)}" for f, m in exc.message_dict.items())
            ) from None
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            _(
                "Backup written to %(dest)s: %(tables)d tables, %(rows)d rows, %(files)d uploaded files, audit log at #%(seq)d."
            )
            % {
                "dest": dest,
                "tables": len(manifest["tables"]),
                "rows": rows,
                "files": manifest["uploads"]["files"],
                "seq": manifest["audit_head"]["seq"],
            }
        )
        where = keyring_to or dest / backup.KEYRING_FILE
        self.stdout.write(
            _(
                "Keyring encrypted with the passphrase: %(path)s. Keep it apart from the data "
                "(another medium or place), and the passphrase apart from both: without them "
                "the backup cannot be read."
            )
            % {"path": where}
        )
