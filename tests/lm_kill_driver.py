"""Short ELMo, GPT and BERT pre-trainings (tiny models, a checkpoint after every step) for the crash tests, and
`killed_run`, the body of a process that runs one of them with one function wrapped so that it kills itself with
SIGKILL on the function's Nth call (see `kill_on_call.wrap`).

GPT and BERT train with a tokenizer the test learns once and saves (WordPiece learning may break ties differently
in two processes); ELMo learns its word vocabulary itself, deterministically.
"""

from __future__ import annotations

import os
from pathlib import Path

FAMILIES = ("elmo", "gpt", "bert")
MAX_STEPS = 8
ELMO_MODEL = dict(
    char_embedding_dim=4,
    filters=[[1, 8], [2, 8], [3, 16]],
    n_highway=1,
    lstm_dim=32,
    projection_dim=16,
    lm_dropout=0.2,
    n_negative_samples_batch=8,
)


def transformer_arguments(family: str, corpus: Path, checkpoint_dir: Path | None = None):
    from hf_classic.training.transformer_pretraining import TransformerTrainingArguments

    return TransformerTrainingArguments(
        corpus=[str(corpus)],
        architecture=family,
        vocab_size=400,
        block_size=32,
        batch_size=16,
        heldout_lines=0,
        shuffle_buffer=200,
        learning_rate=3e-3,
        max_steps=MAX_STEPS,
        progress=False,
        checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir),
        checkpoint_every_seconds=0,
    )


def train(family: str, corpus: Path, tokenizer_dir: Path | None, checkpoint_dir: Path | None = None, resume=False):
    """`MAX_STEPS` steps of `family` on `corpus` (from scratch, or `resume` from `checkpoint_dir`): `(model, summary)`."""
    resume_from = checkpoint_dir if resume else None
    if family == "elmo":
        from hf_classic.elmo import ElmoConfig
        from hf_classic.training.elmo_trainer import ElmoTrainingArguments, pretrain_elmo

        args = ElmoTrainingArguments(
            corpus=[str(corpus)],
            batch_size=32,
            max_words=20,
            max_steps=MAX_STEPS,
            learning_rate=1.0,
            heldout_lines=0,
            progress=False,
            checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir),
            checkpoint_every_seconds=0,
        )
        model, _, summary = pretrain_elmo(ElmoConfig(**ELMO_MODEL), args, resume_from=resume_from)
        return model, summary
    from transformers import AutoTokenizer

    from hf_classic.training.transformer_pretraining import pretrain_transformer

    tokenizer = None if resume else AutoTokenizer.from_pretrained(tokenizer_dir)
    args = transformer_arguments(family, corpus, checkpoint_dir)
    model, _, summary = pretrain_transformer(args, resume_from=resume_from, tokenizer=tokenizer)
    return model, summary


def killed_run(family: str, corpus: Path, tokenizer_dir, checkpoint_dir: Path, kill: tuple[str, int, str], log: Path):
    """Train `family` with checkpoints in `checkpoint_dir`, SIGKILLing this process on the `call`th call of
    `target` (`kill = (module:attribute, call, when)`, `when`: before or after the call), output to the file `log`.
    Returning means the kill never came: exit status 1."""
    import torch
    from kill_on_call import wrap

    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    torch.set_num_threads(1)
    wrap(*kill)
    train(family, corpus, tokenizer_dir, checkpoint_dir)
    raise SystemExit("the run ended without being killed")
