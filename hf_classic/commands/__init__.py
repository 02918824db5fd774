"""Per-family command-line modules; each exposes `register(verbs, families)` for `hf_classic.cli`."""
