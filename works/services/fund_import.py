"""Opening balances (期初余额) of the maintenance fund from an XLSX or CSV file: all rows
or none, like the roster import.

The file is read by the roster's reader (:func:`households.roster.read_table`: size, row
and column bounds checked before anything is parsed, the header row found below any
title), with this import's own bounds (:data:`MAX_ROWS` units). Its columns: 楼号, 房号,
余额 and optionally 日期 and 备注. Every row is checked (against the register, the other
rows and the ledger) before anything is written; one bad row and nothing is, and the
report lists every bad row by its spreadsheet row number.
"""

import datetime as dt
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fees.services._common import EARLIEST_RECORD_DATE
from households.roster import (
    DATE_FORMATS,
    Limits,
    RosterFileError,
    RowError,
    Table,
    building_number,
    column_field,
    read_table,
)
from households.roster.limits import human_size
from portal.audit import audit_record
from portal.models import Compound
from portal.queue import enqueue

from ..models import EntryKind, FundEntry, FundImport, NoticeJobStatus
from .fund import BATCH, MAX_UNIT_AMOUNT, recorder

logger = logging.getLogger(__name__)

#: A compound of 50,000 units imports in one file.
MAX_ROWS = 50_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Row errors a refused import keeps (and the page lists).
MAX_KEPT_ERRORS = 1000
#: Rows checked between two updates of the progress bar.
PROGRESS_EVERY = 2000

#: (field, template header, help, accepted headers besides the template's)
COLUMNS: tuple[tuple[str, str, object, tuple[str, ...]], ...] = (
    ("building", "楼号", gettext_lazy("已登记的楼号，如 16 或 16号楼"), ()),
    ("unit", "房号", gettext_lazy("已登记的房号，如 1-101"), ()),
    (
        "balance",
        "余额",
        gettext_lazy("期初余额（元），不为负数，最多两位小数"),
        ("期初余额", "余额(元)", "金额", "balance", "openingbalance"),
    ),
    (
        "date",
        "日期",
        gettext_lazy("余额的截止日期，如 2023-12-31；空白为导入当天"),
        ("余额日期", "截止日期", "date"),
    ),
    ("note", "备注", gettext_lazy("选填，最多200字"), ("摘要", "note")),
)
HEADERS = tuple(header for _field, header, _help, _aliases in COLUMNS)
REQUIRED = ("building", "unit", "balance")


def _key(text: object) -> str:
    plain = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower().rstrip("*")
    return re.sub(r"\(.*?\)", "", plain)


_ALIASES = {
    _key(name): name_field
    for name_field, header, _help, aliases in COLUMNS
    for name in (header, *aliases)
}


def _field_of(header: str) -> str | None:
    found = column_field(header)  # the roster's own words for 楼号 and 房号
    if found in ("building", "unit"):
        return found
    return _ALIASES.get(_key(header))


def limits() -> Limits:
    return Limits(
        upload_bytes=MAX_UPLOAD_BYTES,
        unpacked_bytes=max(settings.ROSTER_MAX_UNPACKED_BYTES, 80 * 1024 * 1024),
        rows=MAX_ROWS,
    )


@dataclass
class FundImportReport:
    """What an import did, or why it did nothing."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    entries: int = 0
    zero_rows: int = 0
    total: Decimal = Decimal("0.00")
    fund_import: FundImport | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


@dataclass(frozen=True)
class _Row:
    row: int
    unit_id: int
    building_id: int
    balance: Decimal
    on: dt.date
    note: str


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip().removeprefix("'")


def parse_balance(value: object) -> Decimal:
    """A balance cell as yuan (a number, or text like '1,234.50' or '1234.5元'), or
    ValueError with the reason: not a number, negative, more than two decimals, huge."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", _text(value)))
    if not text:
        raise ValueError(_("请填写余额"))
    try:
        amount = Decimal(text.replace(",", "").removesuffix("元"))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValueError(_("余额不是数字：%(value)s") % {"value": text[:40]})
    if amount < 0:
        raise ValueError(_("余额不能为负数"))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("余额最多保留两位小数（到分）"))
    if amount > MAX_UNIT_AMOUNT:
        raise ValueError(_("余额过大（单户不超过 %(max)s 元）") % {"max": MAX_UNIT_AMOUNT})
    return amount.quantize(Decimal("0.01"))


def parse_date(value: object, *, today: dt.date) -> dt.date:
    """A date cell (a date, or text in one of the roster's date forms) within 2000..today."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", _text(value)))
        for pattern in DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        else:
            raise ValueError(
                _("日期无法识别：%(value)s（应为 2023-12-31 这样的日期）") % {"value": text[:40]}
            )
    if day > today:
        raise ValueError(_("日期晚于今天"))
    if day < EARLIEST_RECORD_DATE:
        raise ValueError(_("日期早于 %(date)s") % {"date": EARLIEST_RECORD_DATE.isoformat()})
    return day


def _positions(table: Table) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, header in enumerate(table.headers):
        name = _field_of(header) if header else None
        if name and name not in positions:
            positions[name] = index
            headers[name] = header
    missing = [h for f, h, _help, _a in COLUMNS if f in REQUIRED and f not in positions]
    errors = []
    if missing:
        errors.append(
            RowError(
                table.header_row,
                "",
                _("缺少列：%(columns)s（请使用模板）") % {"columns": "、".join(missing)},
            )
        )
    return positions, headers, errors


def _check_rows(
    compound: Compound,
    table: Table,
    *,
    today: dt.date,
    progress: Callable[[int], None] = lambda done: None,
) -> tuple[list[_Row], list[RowError]]:
    """Every row checked; the rows to write and every problem (three queries)."""
    positions, headers, errors = _positions(table)
    if errors:
        return [], errors
    numbers = {b.number: b.pk for b in compound.buildings.all()}
    known = frozenset(numbers)
    units = {
        (building_id, number): pk
        for pk, building_id, number in compound.units.values_list("pk", "building_id", "number")
    }
    opened = {
        unit_id: (amount, on)
        for unit_id, amount, on in FundEntry.objects.filter(
            compound=compound, kind=EntryKind.OPENING
        ).values_list("unit_id", "amount", "entry_date")
    }
    seen: dict[int, int] = {}
    rows: list[_Row] = []

    def cell(cells: list[object], name: str) -> object:
        index = positions.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    for index, (number, cells) in enumerate(table.records):
        if index and index % PROGRESS_EVERY == 0:
            progress(index)

        def fail(name: str, message: str, number: int = number) -> None:
            errors.append(RowError(number, headers.get(name, ""), message))

        building_text = re.sub(r"\s+", "", _text(cell(cells, "building")))
        unit_text = _text(cell(cells, "unit"))
        balance = on = None
        try:
            balance = parse_balance(cell(cells, "balance"))
        except ValueError as exc:
            fail("balance", str(exc))
        raw_date = cell(cells, "date")
        try:
            on = parse_date(raw_date, today=today) if _text(raw_date) else today
        except ValueError as exc:
            fail("date", str(exc))
        note = _text(cell(cells, "note"))
        if len(note) > 200:
            fail("note", _("备注最多200字"))
        if not building_text:
            fail("building", _("请填写楼号"))
            continue
        if not unit_text:
            fail("unit", _("请填写房号"))
            continue
        building = building_number(building_text, known)
        if building is None:
            fail("building", _("本小区没有登记这个楼号：%(value)s") % {"value": building_text[:40]})
            continue
        unit_id = units.get((numbers[building], unit_text))
        if unit_id is None:
            fail(
                "unit",
                _("本小区没有这个房屋：%(building)s %(unit)s")
                % {"building": building, "unit": unit_text[:40]},
            )
            continue
        if unit_id in seen:
            fail("unit", _("与第%(row)d行是同一房屋") % {"row": seen[unit_id]})
            continue
        seen[unit_id] = number
        if unit_id in opened:
            amount, since = opened[unit_id]
            fail(
                "unit",
                _("该房屋已有期初余额（%(amount)s 元，%(date)s），期初余额只能导入一次")
                % {"amount": amount, "date": since.isoformat()},
            )
            continue
        if balance is not None and on is not None:
            rows.append(_Row(number, unit_id, numbers[building], balance, on, note))
    return rows, errors


def _rejected(
    compound: Compound, actor: User | None, report: FundImportReport, filename: str
) -> FundImportReport:
    audit_record(
        action="works.fund_import_rejected",
        actor=actor,
        compound=compound,
        data={"file": filename[:200], "rows": report.rows, "bad_rows": report.bad_rows},
    )
    return report


def fund_import(
    *,
    compound: Compound,
    data: bytes,
    filename: str = "",
    actor: User | None = None,
    today: dt.date | None = None,
    job: FundImport | None = None,
) -> FundImportReport:
    """Import the opening balances in ``data`` (XLSX, or CSV) into ``compound``'s ledger:
    one ``opening`` entry per unit, all rows or none. Refused rows: an unknown building or
    unit (a unit of another compound is unknown here), the same unit twice, a balance
    that is missing, not a number, negative, finer than a fen or huge, a bad date, and a
    unit that already has an opening balance. A balance of 0 writes no entry (nothing to
    open). Audited, accepted or not.

    ``job``: the background import this is (:func:`fund_import_run`): its progress is
    updated as rows are checked (outside the write's transaction, so the page sees it),
    and it becomes the batch the entries belong to, marked done with them."""
    today = today or timezone.localdate()
    report = FundImportReport()
    try:
        table = read_table(data, limits())
    except RosterFileError as exc:
        report.errors = [RowError(None, "", str(exc))]
        return _rejected(compound, actor, report, filename)
    report.rows = len(table.records)
    if not table.records:
        report.errors = [RowError(None, "", _("文件中没有数据行"))]
        return _rejected(compound, actor, report, filename)

    def progress(done: int) -> None:
        if job is not None:
            FundImport.objects.filter(pk=job.pk).update(rows=report.rows, rows_done=done)

    progress(0)
    rows, errors = _check_rows(compound, table, today=today, progress=progress)
    if errors:
        report.errors = errors
        return _rejected(compound, actor, report, filename)
    progress(report.rows)
    report.total = sum((r.balance for r in rows), Decimal("0.00"))
    report.zero_rows = sum(1 for r in rows if r.balance == 0)
    try:
        with transaction.atomic():
            report.fund_import = _write(compound, rows, report, filename, actor, job)
    except IntegrityError:
        # Another import wrote an opening balance of one of these units meanwhile.
        report.errors = [
            RowError(None, "", _("有房屋的期初余额刚被另一次导入写入，请刷新后重新导入"))
        ]
        return report
    return report


def _write(
    compound: Compound,
    rows: list[_Row],
    report: FundImportReport,
    filename: str,
    actor: User | None,
    job: FundImport | None,
) -> FundImport:
    """The batch and its entries, and the audit entry (inside the caller's transaction)."""
    batch = job or FundImport(
        compound=compound, filename=filename[:200], imported_by=recorder(actor)
    )
    batch.rows = batch.rows_done = report.rows
    batch.total = report.total
    batch.status = NoticeJobStatus.DONE
    batch.errors = []
    batch.finished_at = timezone.now()
    batch.save()
    entries = [
        FundEntry(
            compound=compound,
            unit_id=r.unit_id,
            building_id=r.building_id,
            kind=EntryKind.OPENING,
            amount=r.balance,
            fund_import=batch,
            entry_date=r.on,
            note=r.note or _("期初余额导入"),
            created_by=recorder(actor),
        )
        for r in rows
        if r.balance > 0
    ]
    FundEntry.objects.bulk_create(entries, batch_size=BATCH)
    report.entries = len(entries)
    audit_record(
        action="works.fund_import",
        actor=actor,
        compound=compound,
        obj=batch,
        data={
            "file": filename[:200],
            "rows": report.rows,
            "entries": report.entries,
            "total": str(report.total),
        },
    )
    return batch


@transaction.atomic
def fund_import_enqueue(
    *, compound: Compound, data: bytes, filename: str = "", actor: User | None = None
) -> FundImport:
    """Keep the uploaded file and queue its import (``works.tasks.fund_import_run``) once
    the transaction commits; the returned job's page shows the progress and then the
    outcome. An empty or oversized file is refused here, before anything is kept."""
    if not data:
        raise ValidationError({"file": _("文件是空的")})
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": _("文件过大：上限为 %(size)s") % {"size": human_size(MAX_UPLOAD_BYTES)}}
        )
    job = FundImport(
        compound=compound,
        filename=filename[:200],
        status=NoticeJobStatus.QUEUED,
        imported_by=recorder(actor),
    )
    job.upload.save(f"{compound.pk}/{secrets.token_hex(16)}.bin", ContentFile(data), save=False)
    job.save()
    audit_record(
        action="works.fund_import_queued",
        actor=actor,
        compound=compound,
        obj=job,
        data={"file": filename[:200], "size": len(data)},
    )
    enqueue("works.tasks.fund_import_run", job.pk)
    return job


def fund_import_run(import_id: int) -> str:
    """The task's body: claim the queued import (once: a job no longer queued is left
    alone), read its file and import it; a refused file keeps its row errors (the first
    :data:`MAX_KEPT_ERRORS`) and writes nothing. The upload is deleted either way."""
    claimed = FundImport.objects.filter(pk=import_id, status=NoticeJobStatus.QUEUED).update(
        status=NoticeJobStatus.RUNNING, rows_done=0
    )
    if not claimed:
        return "skipped"
    job = FundImport.objects.select_related("compound", "imported_by").get(pk=import_id)
    try:
        with job.upload.open("rb") as stream:
            data = stream.read()
        report = fund_import(
            compound=job.compound,
            data=data,
            filename=job.filename,
            actor=job.imported_by,
            job=job,
        )
    except Exception:
        logger.exception("fund import %s failed", import_id)
        report = FundImportReport(errors=[RowError(None, "", _("导入失败，请稍后重试"))])
    if not report.ok:
        FundImport.objects.filter(pk=import_id).update(
            status=NoticeJobStatus.FAILED,
            rows=report.rows,
            errors=[[e.row, e.column, e.message] for e in report.errors[:MAX_KEPT_ERRORS]],
            finished_at=timezone.now(),
        )
    if job.upload:
        job.upload.delete(save=False)
        FundImport.objects.filter(pk=import_id).update(upload="")
    return "done" if report.ok else "failed"
