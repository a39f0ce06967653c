"""``manage.py import_roster COMPOUND_CODE FILE``: a roster file into the register, all or
nothing; exit status 1 and every bad row listed when anything is wrong."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from households.roster import Limits, RosterFileError
from households.roster.limits import check_size
from households.services import ImportReport, roster_import
from portal.models import Compound


def summary_lines(report: ImportReport) -> list[str]:
    """The report's counts as short lines, for the command and the logs."""
    lines = [
        _("文件：%(source)s，%(rows)d 行") % {"source": report.source, "rows": report.rows},
        _("房屋：新增 %(c)d，更新 %(u)d，未变 %(n)d（名册中另有 %(o)d 户不在文件中，未改动）")
        % {
            "c": report.units_created,
            "u": report.units_updated,
            "n": report.units_unchanged,
            "o": report.units_not_in_file,
        },
        _("业主：新增 %(c)d，更新 %(u)d")
        % {"c": report.owners_created, "u": report.owners_updated},
        _("产权关系：新增 %(o)d，终止 %(c)d，更新 %(u)d")
        % {
            "o": report.ownerships_opened,
            "c": report.ownerships_closed,
            "u": report.ownerships_updated,
        },
    ]
    if report.changes == 0:
        lines.append(_("文件与名册一致，没有任何改动。"))
    return lines


class Command(BaseCommand):
    help = (
        "Import a roster file (XLSX, or CSV in UTF-8 / UTF-8 with BOM / GBK / GB18030) "
        "into a compound. All rows or none: on any bad row nothing is saved, every bad "
        "row is listed and the exit status is 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("compound_code", help="the compound's code, e.g. xueyuan-nanlu-32")
        parser.add_argument("file", help="roster file: .xlsx or .csv")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, but write nothing"
        )
        parser.add_argument("--user", help="username to record as the actor in the audit log")

    def handle(
        self, *args, compound_code: str, file: str, dry_run: bool, user: str | None, **options
    ):
        try:
            compound = Compound.objects.get(code=compound_code)
        except Compound.DoesNotExist:
            raise CommandError(f"no compound with code {compound_code!r}") from None
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user {user!r}") from None
        path = Path(file)
        try:
            check_size(path.stat().st_size, Limits.from_settings())
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        except RosterFileError as exc:
            raise CommandError(f"{path.name}：{exc}") from None

        report = roster_import(compound=compound, data=data, actor=actor, dry_run=dry_run)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            bad_rows = len({e.row for e in report.errors})
            raise CommandError(
                _("%(file)s：%(n)d 处错误（%(rows)d 行），没有导入任何数据")
                % {"file": path.name, "n": len(report.errors), "rows": bad_rows}
            )
        if dry_run:
            self.stdout.write(_("仅检查（--dry-run），没有写入："))
        for line in summary_lines(report):
            self.stdout.write(line)
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(_("导入完成：%(name)s") % {"name": compound.name}))
