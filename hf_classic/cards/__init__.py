"""What the model card of each family's folders says (rendered and written by `hf_classic.hub`)."""
