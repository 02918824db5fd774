"""The ELMo family: character-CNN biLM configuration, models, scalar mix and character tokenizer."""

from .configuration_elmo import ElmoConfig
from .modeling_elmo import (
    ElmoBiLm,
    ElmoForPreTraining,
    ElmoForPreTrainingOutput,
    ElmoForSequenceClassification,
    ElmoForTokenClassification,
    ElmoModel,
    ElmoPreTrainedModel,
    ScalarMix,
)
from .tokenization_elmo import ElmoTokenizer

__all__ = [
    "ElmoBiLm",
    "ElmoConfig",
    "ElmoForPreTraining",
    "ElmoForPreTrainingOutput",
    "ElmoForSequenceClassification",
    "ElmoForTokenClassification",
    "ElmoModel",
    "ElmoPreTrainedModel",
    "ElmoTokenizer",
    "ScalarMix",
]
