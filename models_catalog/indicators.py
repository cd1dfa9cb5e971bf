"""Technical indicators shared by the rule models (models_catalog/families/rules.py) and the trials' feature
pipeline (trials/features.py), held here because trials builds on the catalog and never the reverse. No Django."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import deferred

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")


def rsi(close: pd.Series, window: int = 14) -> pd.Series:
    """Wilder's relative strength index (0-100)."""
    change = close.diff()
    gain = change.clip(lower=0).ewm(alpha=1 / window, adjust=False, min_periods=window).mean()
    loss = (-change.clip(upper=0)).ewm(alpha=1 / window, adjust=False, min_periods=window).mean()
    return 100 - 100 / (1 + gain / loss.replace(0, np.nan))
