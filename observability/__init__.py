"""Monitoring and operations: Prometheus series, health and readiness probes, request-scoped JSON logs."""
