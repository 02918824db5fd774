"""Training loops and evaluation that drive the model families."""
