from django.db import migrations, models
from django.db.models import Q

# Before the flag, agreements took an item as deciding the fee standard when its title named
# it; items recorded then keep that meaning (the demo's 2021 item among them).
FEE_STANDARD_WORDS = ("收费标准", "物业费标准", "物业服务费")


def flag_items_named_after_the_fee_standard(apps, schema_editor):
    Item = apps.get_model("voting", "Item")
    named = Q()
    for word in FEE_STANDARD_WORDS:
        named |= Q(title__contains=word)
    Item.objects.filter(named).update(sets_fee_standard=True)


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="sets_fee_standard",
            field=models.BooleanField(
                default=False,
                help_text="本事项决定物业服务收费标准；通过后可据以生成四方协议",
                verbose_name="涉及物业服务收费标准",
            ),
        ),
        migrations.RunPython(
            flag_items_named_after_the_fee_standard, migrations.RunPython.noop, elidable=True
        ),
    ]
