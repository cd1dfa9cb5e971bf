"""One module per family or library; each exposes SPECS, a list of ModelSpec."""
