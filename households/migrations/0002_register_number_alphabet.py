"""楼号 and 房号 get one alphabet (households.validators). Numbers saved before the check
("16/1", "..", spaces, control characters) broke the compound, roster and billing pages
for everyone: they are rewritten to the nearest allowed form, kept unique."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import migrations, models

import households.validators
from households.validators import CHARACTERS, MAX_LENGTH, validate_register_number

_OUTSIDE = re.compile(rf"[^{CHARACTERS}]+")


def _repaired(value: str, *, fallback: str, taken: set[str], pk: int) -> str:
    text = _OUTSIDE.sub("-", unicodedata.normalize("NFKC", value).strip()).strip("-")
    text = text[:MAX_LENGTH]
    try:
        validate_register_number(text)
    except ValidationError:
        text = fallback
    if text in taken:
        suffix = f"-{pk}"
        text = text[: MAX_LENGTH - len(suffix)] + suffix
    return text


def _repair(model, group_field: str, fallback: str) -> None:
    """Rewrite every invalid ``number`` of ``model``, unique within ``group_field``."""
    taken: dict[int, set[str]] = {}
    bad = []
    for pk, group, number in model.objects.values_list("pk", group_field, "number").iterator():
        taken.setdefault(group, set()).add(number)
        try:
            validate_register_number(number)
        except ValidationError:
            bad.append((pk, group, number))
    for pk, group, number in bad:
        new = _repaired(number, fallback=f"{fallback}{pk}", taken=taken[group], pk=pk)
        taken[group].add(new)
        model.objects.filter(pk=pk).update(number=new)


def repair_register_numbers(apps, schema_editor) -> None:
    _repair(apps.get_model("households", "Building"), "compound_id", "楼栋")
    _repair(apps.get_model("households", "Unit"), "building_id", "房屋")


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(repair_register_numbers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="building",
            name="number",
            field=models.CharField(
                max_length=32,
                validators=[households.validators.validate_register_number],
                verbose_name="楼号",
            ),
        ),
        migrations.AlterField(
            model_name="unit",
            name="number",
            field=models.CharField(
                max_length=32,
                validators=[households.validators.validate_register_number],
                verbose_name="房号",
            ),
        ),
    ]
