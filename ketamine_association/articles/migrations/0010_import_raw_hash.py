from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("articles", "0009_reviewer_user")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="raw_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="page",
            name="raw_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
