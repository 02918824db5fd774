"""The token-classification pipeline for ELMo taggers.

transformers' `TokenClassificationPipeline` reads each token's id as one integer, but ELMo's input ids are the
characters of each word, `(batch, seq, max_characters_per_token)`. This subclass splits the sentence into
words with their character offsets, tags every word (ELMo's tokens are whole words, so there are no sub-words
to merge) and returns transformers' entity dicts. Every saved `ElmoForTokenClassification` folder names it under
`custom_pipelines` in config.json and carries this file, so `pipeline("token-classification", model=DIR,
trust_remote_code=True)` uses it, with or without hf_classic installed.
"""

from __future__ import annotations

import torch
from transformers import TokenClassificationPipeline

from .tokenization_elmo import word_spans

CUSTOM_PIPELINES = {
    "token-classification": {
        "impl": "pipeline_elmo.ElmoTokenClassificationPipeline",
        "pt": ["AutoModelForTokenClassification"],
        "type": "text",
    }
}


class ElmoTokenClassificationPipeline(TokenClassificationPipeline):
    """Sentence → `[{"entity", "score", "index", "word", "start", "end"}]`, one dict per word whose label is not
    ignored (`ignore_labels`, default `["O"]`); `aggregation_strategy="simple"` groups B-/I- runs as usual."""

    def preprocess(self, sentence: str, offset_mapping=None, **preprocess_params):
        if not isinstance(sentence, str):
            raise ValueError(f"ElmoTokenClassificationPipeline: expected a sentence as a string, got {type(sentence)}")
        spans = word_spans(sentence)
        words = [sentence[start:end] for start, end in spans]
        inputs = self.tokenizer(words, is_split_into_words=True, return_tensors="pt")
        yield {
            **inputs,
            "special_tokens_mask": torch.zeros(1, len(words), dtype=torch.long),
            "offset_mapping": torch.tensor(spans, dtype=torch.long).reshape(1, len(words), 2),
            "sentence": sentence,
            "is_last": True,
        }

    def gather_pre_entities(self, sentence, input_ids, scores, offset_mapping, special_tokens_mask, *args, **kwargs):
        """One pre-entity per word, its text and span taken from the sentence."""
        entities = []
        for index, (word_scores, (start, end)) in enumerate(zip(scores, offset_mapping.tolist(), strict=True)):
            entities.append(
                {
                    "word": sentence[start:end],
                    "scores": word_scores,
                    "start": start,
                    "end": end,
                    "index": index,
                    "is_subword": False,
                }
            )
        return entities


__all__ = ["CUSTOM_PIPELINES", "ElmoTokenClassificationPipeline"]
