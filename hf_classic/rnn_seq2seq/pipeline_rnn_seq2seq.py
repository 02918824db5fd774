"""A translation pipeline for RNN encoder-decoders.

transformers 5 removed its `translation` and `text2text-generation` pipelines. Every saved
`RnnSeq2SeqForConditionalGeneration` folder names this class under `custom_pipelines` in its config.json and
carries this file, so `pipeline("translation", model=DIR, trust_remote_code=True)` works again:
`pipe("source text", num_beams=5)` → `[{"translation_text": "..."}]`.
"""

from __future__ import annotations

from transformers import Pipeline

TASK = "translation"
CUSTOM_PIPELINES = {
    TASK: {"impl": "pipeline_rnn_seq2seq.RnnTranslationPipeline", "pt": ["AutoModelForSeq2SeqLM"], "type": "text"}
}


class RnnTranslationPipeline(Pipeline):
    """Source text (or a list of them) → `[{"translation_text": str}]` per input, from `model.generate()`.

    Keyword arguments of the call go to `generate()` (`num_beams`, `max_new_tokens`, `do_sample`, ...).
    """

    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_tokenizer = True

    def _sanitize_parameters(self, **generate_kwargs):
        return {}, generate_kwargs, {}

    def preprocess(self, text: str):
        return self.tokenizer(text, return_tensors="pt")

    def _forward(self, model_inputs, **generate_kwargs):
        return {"output_ids": self.model.generate(**model_inputs, **generate_kwargs)}

    def postprocess(self, model_outputs):
        texts = self.tokenizer.batch_decode(model_outputs["output_ids"], skip_special_tokens=True)
        return [{"translation_text": text} for text in texts]


__all__ = ["CUSTOM_PIPELINES", "RnnTranslationPipeline"]
