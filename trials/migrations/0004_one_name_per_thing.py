"""One word for one thing: a trial's `target` (was `task`), and `data`/`validation` as the API names them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("trials", "0003_trial_list_filter_indexes")]

    operations = [
        migrations.RenameField("trial", "task", "target"),
        migrations.RenameField("trial", "data_spec", "data"),
        migrations.RenameField("trial", "validation_spec", "validation"),
        migrations.RenameField("study", "data_spec", "data"),
        migrations.RenameField("study", "validation_spec", "validation"),
    ]
