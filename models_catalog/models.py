"""The database copy of the catalog: what admins see and can disable."""

from django.db import models


class CatalogEntry(models.Model):
    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=50, db_index=True)
    library = models.CharField(max_length=50)
    targets = models.JSONField(default=list)
    description = models.TextField(blank=True)
    params_schema = models.JSONField(default=list)
    enabled = models.BooleanField(default=True, help_text="A disabled entry cannot be used for new trials.")
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "catalog entries"
        ordering = ["family", "key"]

    def __str__(self) -> str:
        return self.key
