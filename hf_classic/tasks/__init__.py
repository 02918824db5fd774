"""Downstream tasks on pre-trained bottoms: task data, fine-tuning, and initialising models from pre-training."""
