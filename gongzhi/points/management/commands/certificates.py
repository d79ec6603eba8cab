"""`gongzhi certificates verify|keys`: check a certificate offline, or write the keys file.

    gongzhi certificates verify TOKEN --keys keys.json   (TOKEN "-" reads it from stdin)
    gongzhi certificates keys > keys.json

`verify` reads no database and no network: only the token (or the /verify link the QR
holds) and a keys file published at /verify/keys.json. It prints the reason and what the
certificate states, and exits 0 when it is valid, 1 when it is not, 2 on a bad keys file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gongzhi.points import signing


class Command(BaseCommand):
    help = "Certificates of service hours: verify one offline against a keys file; print the keys."
    requires_system_checks: list[str] = []  # `verify` must run without a database

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check a token against a published keys file")
        verify.add_argument("token", help='the token, or the /verify/?t=… link; "-": stdin')
        verify.add_argument("--keys", required=True, help="the keys file (/verify/keys.json)")
        sub.add_parser("keys", help="print every community's public keys (the keys file)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "keys":
            from gongzhi.points.certificates import keys_document

            self.stdout.write(json.dumps(keys_document(), ensure_ascii=False, indent=1))
            return
        given = options["token"]
        text = sys.stdin.read() if given == "-" else given
        try:
            document = json.loads(Path(options["keys"]).read_text(encoding="utf-8"))
            keys = signing.keys_from_document(document)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the keys file: {exc}", returncode=2) from exc
        result = signing.verify_token(signing.token_from_text(text), keys.get)
        self.stdout.write(f"{result.reason}: {result.message}")
        if result.valid:
            for name in sorted(result.payload):
                self.stdout.write(f"  {name}: {result.payload[name]}")
        else:
            raise CommandError(result.reason, returncode=1)
