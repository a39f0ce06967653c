"""Certified tallies now carry each item's position (the typed snapshot, voting.snapshot):
add it to the snapshots stored before, from the items themselves."""

from django.db import migrations


def add_positions(apps, schema_editor):
    Decision = apps.get_model("voting", "Decision")
    Item = apps.get_model("voting", "Item")
    for decision in Decision.objects.exclude(tally_snapshot={}).iterator():
        items = decision.tally_snapshot.get("items", [])
        if all("position" in i for i in items):
            continue
        positions = dict(Item.objects.filter(decision_id=decision.pk).values_list("id", "position"))
        for i in items:
            i.setdefault("position", positions[i["id"]])
        decision.save(update_fields=["tally_snapshot"])


class Migration(migrations.Migration):
    dependencies = [("voting", "0003_rollentry_owner_nullable_for_ownerless_units")]

    operations = [migrations.RunPython(add_positions, migrations.RunPython.noop)]
