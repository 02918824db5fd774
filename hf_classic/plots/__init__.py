"""Pictures of models: word-vector maps, attention heatmaps."""
