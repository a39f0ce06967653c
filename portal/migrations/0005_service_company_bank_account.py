from django.db import migrations, models


class Migration(migrations.Migration):
    """The service company's collection account, printed on fee notices."""

    dependencies = [
        ("portal", "0004_audit_hmac_and_checkpoints"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicecompany",
            name="bank_account_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="收款户名"),
        ),
        migrations.AddField(
            model_name="servicecompany",
            name="bank_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="开户银行"),
        ),
        migrations.AddField(
            model_name="servicecompany",
            name="bank_account_number",
            field=models.CharField(blank=True, max_length=40, verbose_name="收款账号"),
        ),
    ]
