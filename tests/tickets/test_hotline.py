"""12345 intake: all-or-nothing import with a row-level report, duplicates merged, the
export back in the same shape with the result."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tickets import services
from tickets.hotline import HEADERS, fix_mojibake
from tickets.models import Channel, Request
from tickets.services_hotline import hotline_import

pytestmark = pytest.mark.django_db

COLUMNS = list(HEADERS.values())


def xlsx(rows, headers=COLUMNS, title: str | None = "12345工单 2024年3月") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


GOOD = [
    ["BJ240301", "2024-03-01 09:15", "13900001111", "1-0101", "维修", "楼道水管漏水", "", "否"],
    [
        "BJ240302",
        "2024/03/02 10:00",
        "",
        "院内东侧",
        "sanitation",
        "垃圾无人清运",
        "2024-03-03 10:00",
        "是",
    ],
    ["BJ240301", "2024-03-01 09:15", "13900001111", "1-0101", "维修", "楼道水管漏水", "", "否"],
]


def test_import_creates_cases_merges_duplicates_links_units(cast):
    report = hotline_import(compound=cast.compound, actor=cast.officer, data=xlsx(GOOD))
    assert report.ok and report.created == 2 and report.merged == 1
    leak = Request.objects.get(hotline_case_number="BJ240301")
    assert leak.channel == Channel.HOTLINE and leak.unit.label == "1号楼 0101"
    assert leak.caller_phone_masked == "139****1111"
    assert leak.due_at - leak.received_at == dt.timedelta(hours=72)
    trash = Request.objects.get(hotline_case_number="BJ240302")
    assert trash.place == "院内东侧" and trash.emergency
    due = timezone.localtime(trash.due_at)
    assert (due.day, due.hour) == (3, 10)
    again = hotline_import(compound=cast.compound, actor=cast.officer, data=xlsx(GOOD))
    assert again.ok and again.created == 0 and again.already == 2


def test_any_bad_row_imports_nothing_and_names_every_problem(cast):
    rows = [
        *GOOD,
        ["BJ240303", "三月五号", "", "", "维修", "电梯困人", "", ""],
        ["BJ240304", "2024-03-05 08:00", "call me", "", "不存在的类别", "x", "2024-03-01", "也许"],
        ["BJ240301", "2024-03-01 09:15", "", "", "维修", "另一件事", "", ""],
        ["BJ240305", "2024-03-05 08:00", "", "", "维修", "乱码\ufffd\ufffd", "", ""],
    ]
    report = hotline_import(compound=cast.compound, actor=cast.officer, data=xlsx(rows))
    assert not report.ok and not Request.objects.exists()
    problems = {(e.row, e.column) for e in report.errors}
    # the title row is row 1, the header row 2: data start at row 3
    assert (6, "受理时间") in problems
    assert {(7, "来电号码"), (7, "问题类别"), (7, "办理时限"), (7, "紧急")} <= problems
    assert (8, "工单编号") in problems and "诉求内容不同" in " ".join(
        e.message for e in report.errors
    )
    assert (9, "诉求内容") in problems


def test_case_seen_before_with_other_content_is_refused(cast):
    hotline_import(compound=cast.compound, actor=cast.officer, data=xlsx(GOOD[:1]))
    changed = [["BJ240301", "2024-03-01 09:15", "", "", "维修", "改过的内容", "", ""]]
    report = hotline_import(compound=cast.compound, actor=cast.officer, data=xlsx(changed))
    assert not report.ok and "已导入过" in report.errors[0].message
    assert Request.objects.get().description == "楼道水管漏水"


def test_missing_columns_and_not_a_spreadsheet(cast):
    report = hotline_import(
        compound=cast.compound, actor=cast.officer, data=xlsx([], headers=["工单编号", "地址"])
    )
    assert "受理时间" in report.file_error and "诉求内容" in report.file_error
    report = hotline_import(compound=cast.compound, actor=cast.officer, data=b"\x89PNG....")
    assert report.file_error


def test_gbk_csv_and_mojibake_repaired(cast):
    text = "工单编号,受理时间,问题类别,诉求内容\nBJ1,2024-03-01 09:00,维修,路灯不亮\n"
    report = hotline_import(compound=cast.compound, actor=cast.officer, data=text.encode("gbk"))
    assert report.ok and Request.objects.get().description == "路灯不亮"
    assert fix_mojibake("路灯".encode().decode("latin-1")) == ("路灯", True)
    assert fix_mojibake("路灯") == ("路灯", False)


def test_page_only_for_street_office_export_reads_back(cast, django_capture_on_commit_callbacks):
    hotline_import(compound=cast.compound, actor=cast.officer, data=xlsx(GOOD))
    case = Request.objects.get(hotline_case_number="BJ240301")
    services.request_resolve(request=case, actor=cast.company_staff, result="已维修=完成")
    client = Client()
    client.force_login(cast.officer)
    response = client.get("/c/home/requests/hotline/?export=xlsx")
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:8]) == COLUMNS and rows[0][11] == "办理结果"
    exported = {r[0]: r for r in rows[1:]}
    assert exported["BJ240301"][11] == "已维修=完成" and exported["BJ240301"][2] == "139****1111"
    assert exported["BJ240301"][8] == "已办结"
    again = hotline_import(compound=cast.compound, actor=cast.officer, data=data)
    assert again.ok and again.already == 2 and again.created == 0
    for user in (cast.company_staff, cast.resident, cast.outsider_office):
        other = Client()
        other.force_login(user)
        assert other.get("/c/home/requests/hotline/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        upload = client.post(
            "/c/home/requests/hotline/",
            {
                "file": SimpleUploadedFile(
                    "h.xlsx", xlsx([["X", "bad", "", "", "维修", "x", "", ""]])
                )
            },
        )
    # The upload becomes a background job (eager here); its page shows the row report.
    assert upload.status_code == 302
    assert "hotline-errors" in client.get(upload.url).content.decode()
    empty = client.post("/c/home/requests/hotline/", {"file": SimpleUploadedFile("h.xlsx", b"")})
    assert empty.status_code == 400


def test_hotline_api_import_and_export(cast):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(cast.officer)
    url = "/api/v1/compounds/home/requests/hotline/"
    bad = client.post(
        url,
        {"file": SimpleUploadedFile("h.xlsx", xlsx([["X", "bad", "", "", "维修", "x"]]))},
        format="multipart",
    )
    assert bad.status_code == 400, bad.content
    assert bad.json()["problems"][0]["column"] == "受理时间", bad.content.decode()
    good = client.post(url, {"file": SimpleUploadedFile("h.xlsx", xlsx(GOOD))}, format="multipart")
    assert good.status_code == 201 and good.json()["created"] == 2
    sheet = load_workbook(io.BytesIO(b"".join(client.get(url).streaming_content))).active
    assert sheet.max_row == 3
    staff = APIClient()
    staff.force_authenticate(cast.company_staff)
    refused = staff.post(
        url, {"file": SimpleUploadedFile("h.xlsx", xlsx(GOOD))}, format="multipart"
    )
    assert refused.status_code == 404
