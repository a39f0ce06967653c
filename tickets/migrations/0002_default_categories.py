from django.db import migrations


def seed(apps, schema_editor):
    from tickets.catalogue import DEFAULT_CATEGORIES

    Category = apps.get_model("tickets", "Category")
    for order, (code, name, hours, emergency, covered) in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "service_level_hours": hours,
                "emergency_hours": emergency,
                "covered_by_contract": covered,
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_requests")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
