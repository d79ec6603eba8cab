"""`gongzhi audit verify`: exit 0 when the chain is intact, 1 naming the first broken entry."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gongzhi.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the hash chain of the whole audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"audit log intact: {result.entries} entries verified")
            return
        raise CommandError(
            f"audit log BROKEN at entry #{result.first_broken_seq}: {result.detail}",
            returncode=1,
        )
