# Predictions move from one row per prediction to one compressed columnar blob per trial (trials.prediction_codec).
# The copy runs trial by trial, so memory holds one trial's predictions at a time; 0009 drops the old table.

import django.db.models.deletion
from django.db import migrations, models

from trials import prediction_codec

COLUMNS = ("date", *prediction_codec.COLUMNS)


def rows_to_blobs(apps, schema_editor):
    Prediction = apps.get_model("trials", "Prediction")
    TrialPredictions = apps.get_model("trials", "TrialPredictions")
    trial_ids = Prediction.objects.order_by().values_list("trial_id", flat=True).distinct()
    for trial_id in sorted(trial_ids):
        rows = list(Prediction.objects.filter(trial_id=trial_id).order_by("date").values_list(*COLUMNS))
        TrialPredictions.objects.create(trial_id=trial_id, rows=len(rows), blob=prediction_codec.encode_rows(rows))


def blobs_to_rows(apps, schema_editor):
    Prediction = apps.get_model("trials", "Prediction")
    TrialPredictions = apps.get_model("trials", "TrialPredictions")
    for stored in TrialPredictions.objects.order_by("trial_id").iterator(chunk_size=20):
        Prediction.objects.bulk_create(
            [
                Prediction(trial_id=stored.trial_id, **dict(zip(COLUMNS, row, strict=True)))
                for row in prediction_codec.decode_rows(bytes(stored.blob))
            ],
            batch_size=2000,
        )


def blob_storage_external(apps, schema_editor):
    # The blob is compressed already: PostgreSQL keeps it out of line without trying to compress it again.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "trials_trialpredictions" ALTER COLUMN "blob" SET STORAGE EXTERNAL')


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0007_trial_metrics_keyset_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TrialPredictions",
            fields=[
                (
                    "trial",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="prediction_set",
                        serialize=False,
                        to="trials.trial",
                    ),
                ),
                ("rows", models.PositiveIntegerField()),
                ("blob", models.BinaryField()),
            ],
            options={
                "verbose_name_plural": "trial predictions",
            },
        ),
        migrations.RunPython(blob_storage_external, migrations.RunPython.noop),
        migrations.RunPython(rows_to_blobs, blobs_to_rows),
    ]
