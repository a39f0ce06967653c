"""Print jobs in parts (issue 10): a building's notices are printed in parts of a bounded
size and joined, so a task's memory does not grow with the building."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fees", "0004_collection_totals"),
        ("households", "0002_register_number_alphabet"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="noticechunk", name="notice_chunk_unique"),
        migrations.AlterModelOptions(
            name="noticechunk",
            options={
                "ordering": ["run", "building__sort_key", "building__number", "-part"],
                "verbose_name": "通知单打印文件",
                "verbose_name_plural": "通知单打印文件",
            },
        ),
        migrations.AddField(
            model_name="noticechunk",
            name="part",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="noticechunk",
            name="parts",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="noticechunk",
            name="offset",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="noticechunk",
            name="size",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="noticechunk",
            constraint=models.UniqueConstraint(
                fields=("run", "building", "part"), name="notice_chunk_part_unique"
            ),
        ),
    ]
