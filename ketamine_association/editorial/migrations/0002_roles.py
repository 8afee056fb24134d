"""The three editorial roles as groups (editorial/roles.py names them). What each may do is
workflow.ACTIONS; the groups carry no model permissions of their own (editors who should
also use the Django admin are made staff and given permissions there)."""

from django.db import migrations

GROUPS = ("Authors", "Editors", "Medical reviewers")


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
