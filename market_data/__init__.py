"""Market and economic data: bundled history, live connectors, uploads, provenance."""
