"""Validated CSV uploads: a good file becomes one of the team's series (source `upload`), a bad one stores nothing."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from accounts.models import Team, User
from accounts.services import membership_require

from ..errors import UploadInvalid
from ..frames import BAR_COLUMNS, naive_utc
from ..hashing import frame_sha256
from ..models import Dataset
from .access import DATA_WRITERS
from .datasets import dataset_store

if TYPE_CHECKING:  # pandas is imported where a frame is built or read, not with the web's imports
    import pandas as pd

logger = logging.getLogger(__name__)

_UPLOAD_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._^-]{0,63}$")


def _infer_frequency(index: pd.DatetimeIndex) -> str:
    """The frequency name a series' spacing suggests (median step): 1d for daily files, 1mo for monthly..."""
    import pandas as pd

    if len(index) < 2:
        return "1d"
    step = pd.Series(index).diff().median()
    if step >= pd.Timedelta(days=360):
        return "1y"
    if step >= pd.Timedelta(days=85):
        return "1q"
    if step >= pd.Timedelta(days=27):
        return "1mo"
    if step >= pd.Timedelta(days=6):
        return "1w"
    if step >= pd.Timedelta(hours=20):
        return "1d"
    if step >= pd.Timedelta(minutes=55):
        return f"{max(1, round(step / pd.Timedelta(hours=1)))}h"
    return f"{max(1, round(step / pd.Timedelta(minutes=1)))}m"


def dataset_upload(*, team: Team, user: User, key: str, kind: str, filename: str, content: bytes) -> Dataset:
    """Validate a CSV and store it as the team's series with source `upload`; a bad file stores nothing.

    Raises PermissionDenied (viewers) or UploadInvalid listing every problem, each naming its line."""
    import pandas as pd

    from ..uploads import parse_upload  # pandas: parsed in the request that uploads

    membership_require(user=user, team=team, roles=DATA_WRITERS, action="upload data")
    key = (key or "").strip()
    errors = []
    if not _UPLOAD_KEY.match(key):
        errors.append(
            "key: give the series a name of 1 to 64 letters, digits or : . _ ^ - (starting with a letter or digit)."
        )
    if kind not in (Dataset.Kind.BARS, Dataset.Kind.SERIES):
        raise UploadInvalid([*errors, f"kind: must be bars or series, got {kind!r}."])
    data = None
    try:
        data = parse_upload(content=content, kind=kind, max_bytes=settings.UPLOAD_MAX_BYTES)
    except UploadInvalid as exc:
        errors.extend(exc.errors)
    if errors:
        raise UploadInvalid(errors)
    filename = os.path.basename((filename or "upload.csv").replace("\\", "/"))[:200]
    frequency = _infer_frequency(pd.DatetimeIndex(data.index))
    clash = Dataset.objects.filter(team=team, key=key, source=Dataset.Source.UPLOAD, frequency=frequency).exclude(
        kind=kind
    )
    if clash.exists():
        raise UploadInvalid([f"key: {key} is already one of {team.name}'s uploads as {clash.first().kind}."])
    # Bars are stored exactly as they read back (volume NaN where absent), so the recorded hash verifies later.
    frame = data.reindex(columns=BAR_COLUMNS) if kind == Dataset.Kind.BARS else data["value"].rename(key)
    frame = frame.set_axis(naive_utc(frame.index), axis=0).astype("float64")
    provenance = {
        "source": Dataset.Source.UPLOAD,
        "filename": filename,
        "uploaded_by": user.get_username(),
        "uploaded_at": timezone.now().isoformat(),
        "bytes": len(content),
        "file_sha256": hashlib.sha256(content).hexdigest(),
        "sha256": frame_sha256(frame),
    }
    dataset = dataset_store(
        key=key,
        name=filename,
        kind=kind,
        source=Dataset.Source.UPLOAD,
        data=frame,
        provenance=provenance,
        team=team,
        user=user,
        frequency=frequency,
        adjusted=True,
    )
    logger.info("team %s uploaded %s (%s rows) as dataset %s", team.slug, filename, dataset.rows, dataset.pk)
    return dataset
