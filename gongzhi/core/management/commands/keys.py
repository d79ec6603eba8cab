"""`gongzhi keys …`: the keyring that encrypts personal data.

    gongzhi keys init            create the keyring file (0600) if there is none
    gongzhi keys status          keys, the active one, and how many values each encrypts
    gongzhi keys rotate          add a new active key (GONGZHI_CIPHER's algorithm) and
                                 re-encrypt every value with it; old keys stay readable
    gongzhi keys retire KEY_ID   re-encrypt what still uses KEY_ID, then drop it
    gongzhi keys rotate-index    new blind-index key; recompute every blind index

After `rotate`, restart web and worker processes (they also reload the keyring by
themselves when they meet an unknown key id), then `retire` the old key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gongzhi.audit.services import audit_record
from gongzhi.core import crypto, keys


class Command(BaseCommand):
    help = "Manage the keyring that encrypts personal data."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="create the keyring file if missing")
        sub.add_parser("status", help="show keys and how many values each encrypts")
        rotate = sub.add_parser("rotate", help="new active key; re-encrypt everything")
        rotate.add_argument("--cipher", choices=sorted(crypto.CIPHERS), default=None)
        retire = sub.add_parser("retire", help="re-encrypt what uses a key, then drop it")
        retire.add_argument("key_id")
        sub.add_parser("rotate-index", help="new blind-index key; recompute blind indexes")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["action"].replace("-", "_"))(**options)

    # --- actions ------------------------------------------------------------------------
    def do_init(self, **options: Any) -> None:
        if crypto.ensure_keyring_file():
            self.stdout.write(f"created keyring {settings.GONGZHI_KEYRING_FILE} (mode 0600)")
        else:
            self.stdout.write("keyring already present")

    def do_status(self, **options: Any) -> None:
        ring = crypto.keyring()
        self.stdout.write(f"active key: {ring.active}; blind index: HMAC-{ring.index_hash.upper()}")
        for key in ring.keys.values():
            marker = "*" if key.id == ring.active else " "
            self.stdout.write(f" {marker} {key.id}  {key.algorithm}")
        for column, counts in keys.key_usage().items():
            summary = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "empty"
            self.stdout.write(f"   {column}: {summary}")

    def do_rotate(self, *, cipher: str | None, **options: Any) -> None:
        ring = crypto.keyring()
        new_ring = ring.with_new_active_key(cipher or settings.GONGZHI_CIPHER)
        self._save(new_ring)
        self.stdout.write(
            f"new active key {new_ring.active} ({new_ring.keys[new_ring.active].algorithm})"
        )
        count = keys.reencrypt()
        with transaction.atomic():
            audit_record(
                actor=None, action="keys.rotate", object_type="keyring", object_id=new_ring.active
            )
        self.stdout.write(f"re-encrypted {count} values")

    def do_retire(self, *, key_id: str, **options: Any) -> None:
        ring = crypto.keyring()
        if key_id not in ring.keys:
            raise CommandError(f"no key {key_id!r} in the keyring")
        if key_id == ring.active:
            raise CommandError("the active key cannot be retired; rotate first")
        count = keys.reencrypt(only_key=key_id)
        remaining = sum(c.get(key_id, 0) for c in keys.key_usage().values())
        if remaining:
            raise CommandError(f"{remaining} values still use {key_id}; run retire again")
        kept = {k: v for k, v in ring.keys.items() if k != key_id}
        self._save(
            crypto.Keyring(
                active=ring.active, keys=kept, index_key=ring.index_key, index_hash=ring.index_hash
            )
        )
        with transaction.atomic():
            audit_record(actor=None, action="keys.retire", object_type="keyring", object_id=key_id)
        self.stdout.write(f"re-encrypted {count} values; key {key_id} removed")

    def do_rotate_index(self, **options: Any) -> None:
        import secrets

        ring = crypto.keyring()
        self._save(
            crypto.Keyring(
                active=ring.active,
                keys=dict(ring.keys),
                index_key=secrets.token_bytes(32),
                index_hash=ring.index_hash,
            )
        )
        count = keys.reindex()
        with transaction.atomic():
            audit_record(actor=None, action="keys.rotate_index", object_type="keyring")
        self.stdout.write(f"recomputed {count} blind indexes")

    def _save(self, ring: crypto.Keyring) -> None:
        if settings.GONGZHI_KEYRING:
            raise CommandError(
                "The keyring comes from the GONGZHI_KEYRING variable; change it there "
                "(use a keyring file to let this command manage keys)."
            )
        crypto.write_keyring_file(ring, Path(settings.GONGZHI_KEYRING_FILE))
