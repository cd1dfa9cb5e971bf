"""Adapters that give every library's estimator the runner's fit/predict/predict_proba(X, bars) interface."""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


class FeatureModel:
    """A scikit-learn-style estimator trained on the feature frame; `bars` is not needed and ignored.

    `scale` puts a StandardScaler (fitted on the training rows only) in front of models that need it.
    """

    def __init__(self, estimator, *, task: str, scale: bool = False):
        self.task = task
        self.pipeline = make_pipeline(StandardScaler(), clone(estimator)) if scale else clone(estimator)
        self._constant: float | None = None

    def fit(self, X: pd.DataFrame, y: pd.Series, bars: pd.DataFrame | None = None):
        values = y.to_numpy()
        if self.task == "direction" and len(np.unique(values)) < 2:
            # A training window with one class only: the honest prediction is that class, with certainty.
            self._constant = float(values[0])
            return self
        self._constant = None
        self.pipeline.fit(X.to_numpy(), values)
        return self

    def predict(self, X: pd.DataFrame, bars: pd.DataFrame | None = None) -> np.ndarray:
        if self._constant is not None:
            return np.full(len(X), self._constant)
        return np.asarray(self.pipeline.predict(X.to_numpy()), dtype="float64")

    def predict_proba(self, X: pd.DataFrame, bars: pd.DataFrame | None = None) -> np.ndarray:
        if self._constant is not None:
            return np.full(len(X), self._constant)
        model = self.pipeline
        if hasattr(model, "predict_proba"):
            try:
                classes = list(model.classes_)
                return model.predict_proba(X.to_numpy())[:, classes.index(1)]
            except AttributeError:
                pass  # e.g. SVC(probability=False) exposes predict_proba but refuses to use it
        if hasattr(model, "decision_function"):
            # A monotone map of the margin to (0, 1): enough for ROC AUC, labelled as a score, not a probability.
            return 1.0 / (1.0 + np.exp(-np.asarray(model.decision_function(X.to_numpy()), dtype="float64")))
        return self.predict(X)
