"""Training loops, corpus streaming and checkpoints that drive the model families."""
