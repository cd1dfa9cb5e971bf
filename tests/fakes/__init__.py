"""Local HTTP fakes of the outside data providers (Polygon, FRED) for tests; see base.py for the knobs."""
