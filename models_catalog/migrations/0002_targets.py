"""One word for one thing: what an entry can predict is its `targets` (was `tasks`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("models_catalog", "0001_initial")]

    operations = [migrations.RenameField("catalogentry", "tasks", "targets")]
