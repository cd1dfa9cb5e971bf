"""Trials: a catalog model trained and evaluated walk-forward on stored data, in the background."""
