"""The catalogue of emergency cases (应急使用维修资金的情形) the portal starts with.

The cases in which Beijing lets a compound draw on the maintenance fund urgently, without
the ordinary joint decision of CC 278 (5): the usual list of the housing authorities'
rules on urgent use (roof leaks, lifts, water pumps, facades, drainage, fire safety),
with the lift case worded as in the case (over-age lifts that fail inspection). This is
the portal's starting catalogue, not the text of a rule: the street offices keep it in
the admin (add, reword, deactivate; a case a project names cannot be deleted).
"""

from django.db import migrations

CASES = [
    (
        "lift-over-age",
        "电梯超过使用年限且经检验不合格，或电梯故障危及人身安全",
        "电梯已超过设计使用年限，经特种设备检验机构检验不合格或停用；或电梯故障频发、"
        "危及乘梯人身安全，需要维修、更新或改造。",
        "特种设备检验机构的检验报告（不合格或停用结论）；电梯使用登记证；维修/更新方案和报价。",
    ),
    (
        "roof-leak",
        "屋面防水损坏造成渗漏",
        "屋面防水层损坏，造成房屋渗漏，影响住用安全，需要维修。",
        "渗漏部位照片；物业服务企业或鉴定机构的查勘记录；维修方案和报价。",
    ),
    (
        "water-pump",
        "高层住宅水泵损坏导致供水中断",
        "高层住宅二次供水水泵损坏，导致供水中断，需要维修或更换。",
        "停水情况说明和照片；设备查勘记录；维修方案和报价。",
    ),
    (
        "facade-falling",
        "楼体外立面存在脱落危险",
        "楼体单侧外立面较大面积（五分之一以上）存在脱落危险，危及人身财产安全。",
        "外立面照片；房屋安全鉴定或查勘报告；维修方案和报价。",
    ),
    (
        "drainage-failure",
        "专用排水设施功能障碍危及人身财产安全",
        "专用排水设施因坍塌、堵塞、爆裂等造成功能障碍，危及人身财产安全。",
        "现场照片；查勘记录；维修方案和报价。",
    ),
    (
        "fire-safety",
        "消防设施出现功能障碍",
        "消防设施设备出现功能障碍，消防管理部门要求维修、更新或改造。",
        "消防管理部门的检查意见或整改通知；维修方案和报价。",
    ),
]


def seed(apps, schema_editor):
    EmergencyCase = apps.get_model("works", "EmergencyCase")
    for code, title, description, evidence in CASES:
        EmergencyCase.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "description": description,
                "evidence_required": evidence,
                "active": True,
            },
        )


def unseed(apps, schema_editor):
    EmergencyCase = apps.get_model("works", "EmergencyCase")
    EmergencyCase.objects.filter(code__in=[code for code, *_rest in CASES]).delete()


class Migration(migrations.Migration):
    dependencies = [("works", "0001_projects_funding_fund")]

    operations = [migrations.RunPython(seed, unseed)]
