"""manage.py load_bundled_data: store the real history bundled with the arch package."""

from django.core.management.base import BaseCommand

from market_data.services import bundled_load


class Command(BaseCommand):
    help = "Store the bundled daily and monthly series (SPX, IXIC, VIXCLS, DCOILWTICO, CPILFESL, AAA, BAA)."

    def handle(self, *args, **options):
        for dataset, stored in bundled_load():
            state = "stored" if stored else "unchanged"
            self.stdout.write(f"{dataset.key:<11} {dataset.rows:>6} rows  sha256={dataset.sha256[:12]}…  {state}")
