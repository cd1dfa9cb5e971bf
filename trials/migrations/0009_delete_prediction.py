# The one-row-per-prediction table, copied into TrialPredictions by 0008.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0008_trial_predictions_blob"),
    ]

    operations = [
        migrations.DeleteModel(
            name="Prediction",
        ),
    ]
