"""Pictures of models: one module per family."""
