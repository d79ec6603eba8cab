"""The backup passphrase, from a file, the environment or a prompt (never from argv)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

PASSPHRASE_ENV = "GONGZHI_BACKUP_PASSPHRASE"  # noqa: S105 - a variable's name


def read_passphrase(*, path: str | None, interactive: bool, confirm: bool) -> str:
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise CommandError(
                _("--passphrase-file: cannot read %(path)s (%(error)s).")
                % {"path": path, "error": exc.strerror}
            ) from None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if not interactive:
        raise CommandError(
            _("--passphrase-file (or %(env)s) is required with --no-input.")
            % {"env": PASSPHRASE_ENV}
        )
    passphrase = getpass.getpass(_("Backup passphrase: "))
    if confirm and getpass.getpass(_("The passphrase again: ")) != passphrase:
        raise CommandError(_("The two passphrases differ."))
    return passphrase
