"""One module per family or library; each exposes DEFINITIONS, a list of ModelDefinition."""
