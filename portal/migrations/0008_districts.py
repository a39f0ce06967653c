"""Districts (区) above street offices, and the district officer's role (issue 12)."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def districts_from_names(apps, schema_editor):
    District = apps.get_model("portal", "District")
    StreetOffice = apps.get_model("portal", "StreetOffice")
    names = sorted({n for n in StreetOffice.objects.values_list("district_name", flat=True) if n})
    for number, name in enumerate(names, start=1):
        district = District.objects.create(code=f"district-{number}", name=name)
        StreetOffice.objects.filter(district_name=name).update(district=district)


def names_from_districts(apps, schema_editor):
    StreetOffice = apps.get_model("portal", "StreetOffice")
    for office in StreetOffice.objects.exclude(district=None).select_related("district"):
        office.district_name = office.district.name
        office.save(update_fields=["district_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_accounts_resets_sign_ins"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="District",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.CharField(
                        max_length=32,
                        unique=True,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[a-z0-9][a-z0-9-]{1,31}$", "代码须为2–32位小写字母、数字或连字符"
                            )
                        ],
                        verbose_name="代码",
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="名称")),
            ],
            options={
                "verbose_name": "区",
                "verbose_name_plural": "区",
                "ordering": ["name"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="membership",
            name="membership_scope_matches_role",
        ),
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("district_officer", "区住建委工作人员"),
                    ("street_officer", "街道工作人员"),
                    ("committee_member", "物管会委员"),
                    ("company_staff", "物业企业人员"),
                    ("property_unit_rep", "产权单位代表"),
                    ("resident", "业主"),
                ],
                max_length=32,
                verbose_name="角色",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="district",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="portal.district",
            ),
        ),
        # The street office's district was a name; it becomes a row of its own. Existing
        # names become districts with generated codes (renamed in the admin if need be).
        migrations.RenameField(
            model_name="streetoffice", old_name="district", new_name="district_name"
        ),
        migrations.AddField(
            model_name="streetoffice",
            name="district",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="street_offices",
                to="portal.district",
                verbose_name="所属区",
            ),
        ),
        migrations.RunPython(districts_from_names, names_from_districts),
        migrations.RemoveField(model_name="streetoffice", name="district_name"),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("compound__isnull", True),
                        ("district__isnull", False),
                        ("role", "district_officer"),
                        ("service_company__isnull", True),
                        ("street_office__isnull", True),
                    ),
                    models.Q(
                        ("compound__isnull", True),
                        ("district__isnull", True),
                        ("role", "street_officer"),
                        ("service_company__isnull", True),
                        ("street_office__isnull", False),
                    ),
                    models.Q(
                        ("compound__isnull", True),
                        ("district__isnull", True),
                        ("role", "company_staff"),
                        ("service_company__isnull", False),
                        ("street_office__isnull", True),
                    ),
                    models.Q(
                        ("compound__isnull", False),
                        ("district__isnull", True),
                        ("role__in", ["committee_member", "property_unit_rep", "resident"]),
                        ("service_company__isnull", True),
                        ("street_office__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="membership_scope_matches_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=models.Q(("district__isnull", False)),
                fields=("user", "role", "district"),
                name="membership_unique_district",
            ),
        ),
    ]
