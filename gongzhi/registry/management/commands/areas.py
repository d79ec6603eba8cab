"""`gongzhi areas import FILE --community CODE [--commit]`: a community's grids, compounds
and buildings from a spreadsheet (XLSX, or CSV in UTF-8 or GBK). A dry run by default: it
prints what would be created and writes nothing; `--commit` writes it. Exit 1 on any
problem, listing every one (row, column, rule); then nothing is written."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gongzhi.registry.models import Area, AreaKind
from gongzhi.registry.structure_import import StructureImportError, structure_import


class Command(BaseCommand):
    help = "The area tree: import a community's structure."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import",
            help="create the grids, compounds and buildings a spreadsheet names (dry run "
            "unless --commit)",
        )
        load.add_argument(
            "file",
            help="XLSX or CSV with columns 小区, 楼栋, 网格 (and optional 单元数, 层数, 每层户数)",
        )
        load.add_argument("--community", required=True, help="the community's 12-digit code")
        load.add_argument(
            "--commit", action="store_true", help="write the changes (default: only show them)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        community = Area.objects.filter(
            code=options["community"].strip(), kind=AreaKind.COMMUNITY
        ).first()
        if community is None:
            raise CommandError(f"no community with code {options['community']}")
        try:
            result = structure_import(
                actor=None,
                community=community,
                source=path,
                filename=path.name,
                commit=options["commit"],
            )
        except StructureImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problems; nothing was written", returncode=1
            ) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=1) from None
        verb = "created" if result.committed else "would be created"
        for label, names in (
            ("grid", result.grids),
            ("compound", result.compounds),
            ("building", result.buildings),
        ):
            for name in names:
                self.stdout.write(f"{label} {verb}: {name}")
        for name in result.updated:
            self.stdout.write(
                f"building {'completed' if result.committed else 'would be completed'}: "
                f"{name} (units, floors or dwellings per floor)"
            )
        summary = (
            f"{community.name}: {result.rows} rows; {len(result.grids)} grids, "
            f"{len(result.compounds)} compounds, {len(result.buildings)} buildings {verb}"
        )
        if not result.changes:
            summary = f"{community.name}: {result.rows} rows; nothing to change"
        self.stdout.write(summary)
        if not result.committed and result.changes:
            self.stdout.write("Dry run: nothing was written. Run again with --commit to write.")
