"""Task heads shared by the model families (see `task_heads`); each family folder links to the one file."""
