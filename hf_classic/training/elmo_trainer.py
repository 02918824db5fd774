"""ELMo pre-training: a word vocabulary from a streamed corpus, then batches of sentences through
`ElmoForPreTraining` under Accelerate (one process or several), with checkpoints and resume.

As bilm-tf: Adagrad (`initial_accumulator_value=1`), gradients clipped to a global norm, the loss the mean of
the forward and backward LM losses, sampled softmax in training when `n_negative_samples_batch > 0` (the
vocabulary is sorted by decreasing count, as its log-uniform sampler assumes). The first `heldout_lines` lines
of the corpus are kept out of training; the closing evaluation gives their forward and backward perplexity
next to a unigram model's. Under `accelerate launch` each process reads every `num_processes`-th line and
gradients are averaged across processes (DDP); a checkpoint holds the model, tokenizer, optimizer, random
state and progress, and resuming it continues the run exactly where it stopped.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from ..elmo import ElmoConfig, ElmoForPreTraining, ElmoTokenizer
from ..elmo.tokenization_elmo import BEGIN_OF_SENTENCE, END_OF_SENTENCE, UNKNOWN, split_words
from ..errors import InputFileError
from ..hub import describe_machine
from .checkpoints import checkpoint_state_file
from .corpus import stream_line_batches
from .lm_trainer import TRAINING_STATE_FILE, StreamingTrainer, TrainingState

logger = logging.getLogger(__name__)

READ_BATCH_LINES = 4096
# The run's arguments that shape the model, kept in the summary and the card (not progress bars or checkpoints).
CARD_ARGUMENTS = (
    "max_vocab_size",
    "min_count",
    "batch_size",
    "max_words",
    "epochs",
    "max_steps",
    "learning_rate",
    "clip_norm",
    "heldout_lines",
    "seed",
)


@dataclass
class ElmoTrainingArguments:
    """How to run pre-training (the model's hyper-parameters live in `ElmoConfig`).

    Args:
        corpus: text files, one sentence a line (`.gz`, `.bz2`, `.xz` work too); words are split as the
            tokenizer splits raw text.
        max_vocab_size: keep at most this many words (the most frequent) besides `<S>`, `</S>`, `<UNK>`.
        min_count: words seen fewer times become `<UNK>`.
        batch_size: sentences per step and process.
        max_words: longer sentences are cut to their first `max_words` words.
        epochs: passes over the training lines.
        max_steps: stop after this many optimizer steps in all (None: run the epochs out).
        max_seconds: stop once training has run this many seconds (a wall-time budget; None: no limit).
        learning_rate: Adagrad learning rate (bilm-tf: 0.2).
        clip_norm: global gradient-norm clip (bilm-tf: 10).
        heldout_lines: the first lines of the corpus, kept out of training for the closing evaluation.
        seed: seed of the initialisation, dropout and noise words.
        progress: show progress bars.
        checkpoint_dir: where to keep the latest checkpoint (replaced at each save); None: no checkpoints.
        checkpoint_every_seconds: seconds between checkpoints; 0: after every step.
    """

    corpus: Sequence[str]
    max_vocab_size: int | None = 20000
    min_count: int = 1
    batch_size: int = 32
    max_words: int = 50
    epochs: int = 1
    max_steps: int | None = None
    max_seconds: float | None = None
    learning_rate: float = 0.2
    clip_norm: float = 10.0
    heldout_lines: int = 500
    seed: int = 1
    progress: bool = True
    checkpoint_dir: str | None = None
    checkpoint_every_seconds: float | None = 600.0


class ElmoTrainingState(TrainingState):
    """Progress of an ELMo run, saved in checkpoints."""


def stream_sentences(
    corpus: Sequence[str], shard: tuple[int, int] = (0, 1), skip_lines: int = 0
) -> Iterator[list[str]]:
    """Non-empty sentences (lists of words) of this process's lines, leaving out the first `skip_lines` lines."""
    index, count = shard
    line_number = index
    for lines in stream_line_batches(corpus, READ_BATCH_LINES, shard):
        for line in lines:
            if line_number >= skip_lines:
                words = split_words(line)
                if words:
                    yield words
            line_number += count


def heldout_sentences(corpus: Sequence[str], lines: int) -> list[list[str]]:
    """The non-empty sentences among the first `lines` lines of the corpus."""
    sentences = []
    for number, batch in enumerate(stream_line_batches(corpus, max(lines, 1))):
        if number > 0 or not lines:
            break
        sentences = [words for words in map(split_words, batch[:lines]) if words]
    return sentences


def count_words(args: ElmoTrainingArguments) -> tuple[Counter, int]:
    """Word counts of the training lines and the number of training sentences."""
    counts: Counter = Counter()
    sentences = 0
    bar = tqdm(desc="counting words", unit=" sentences", unit_scale=True, disable=not args.progress)
    for words in stream_sentences(args.corpus, skip_lines=args.heldout_lines):
        counts.update(words)
        sentences += 1
        bar.update()
    bar.close()
    if not counts:
        raise InputFileError(f"{', '.join(map(str, args.corpus))}: no training sentence after the held-out lines")
    return counts, sentences


def build_vocabulary(counts: Counter, max_vocab_size: int | None, min_count: int) -> list[str]:
    """`<S>`, `</S>`, `<UNK>`, then the words seen at least `min_count` times, most frequent first."""
    specials = (BEGIN_OF_SENTENCE, END_OF_SENTENCE, UNKNOWN)
    words = [word for word, count in counts.most_common() if count >= min_count and word not in specials]
    return list(specials) + words[:max_vocab_size]


def unigram_log_probabilities(counts: Counter, sentences: int, tokenizer: ElmoTokenizer) -> torch.Tensor:
    """`(vocab,)` add-one smoothed unigram log-probabilities of the training words.

    `<S>` and `</S>` count once per sentence; `<UNK>` gets the counts of the words left out of the vocabulary.
    """
    vocab = tokenizer.get_vocab()
    table = torch.ones(len(vocab), dtype=torch.float64)
    for word, count in counts.items():
        table[vocab.get(word, vocab[UNKNOWN])] += count
    table[vocab[BEGIN_OF_SENTENCE]] += sentences
    table[vocab[END_OF_SENTENCE]] += sentences
    return torch.log(table / table.sum())


@torch.no_grad()
def evaluate(
    model: ElmoForPreTraining,
    tokenizer: ElmoTokenizer,
    sentences: list[list[str]],
    batch_size: int = 32,
    max_words: int = 50,
    unigram: torch.Tensor | None = None,
) -> dict[str, float]:
    """Forward and backward perplexity of `sentences` (full softmax), and the unigram model's when given.

    Perplexity = `exp(mean negative log-likelihood)` over every predicted word: `w_1 ... w_n </S>` forward,
    `<S> w_1 ... w_n` backward (so the unigram perplexity is the same for both directions).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    totals = {"forward": 0.0, "backward": 0.0, "unigram": 0.0}
    count = 0
    for start in range(0, len(sentences), batch_size):
        batch = sentences[start : start + batch_size]
        encoded = tokenizer(
            batch,
            is_split_into_words=True,
            truncation=True,
            max_length=max_words,
            return_labels=True,
            return_tensors="pt",
        ).to(device)
        output = model(**encoded)
        targets = encoded["labels"][:, 1:]
        predicted = int((targets != -100).sum())
        totals["forward"] += float(output.forward_loss) * predicted
        totals["backward"] += float(output.backward_loss) * predicted
        if unigram is not None:
            totals["unigram"] -= float(unigram.to(device)[targets[targets != -100]].sum())
        count += predicted
    model.train(was_training)
    result = {
        "sentences": len(sentences),
        "predicted_words": count,
        "forward_perplexity": math.exp(totals["forward"] / count),
        "backward_perplexity": math.exp(totals["backward"] / count),
    }
    if unigram is not None:
        result["unigram_perplexity"] = math.exp(totals["unigram"] / count)
    return result


class ElmoTrainer(StreamingTrainer):
    """Runs pre-training of an `ElmoForPreTraining` on `args.corpus`.

    Args:
        config: the model's hyper-parameters (`vocab_size` must equal the tokenizer's vocabulary).
        tokenizer: an `ElmoTokenizer` with the word vocabulary.
        args: how to run.
        accelerator: an `accelerate.Accelerator`; one is made when None.
        model: weights to continue from (a checkpoint's); a fresh model is initialised when None.
    """

    state_class = ElmoTrainingState
    family = "ELMo"

    def __init__(
        self, config: ElmoConfig, tokenizer: ElmoTokenizer, args: ElmoTrainingArguments, accelerator=None, model=None
    ):
        from accelerate import Accelerator

        if config.vocab_size != tokenizer.vocab_size:
            raise ValueError(
                f"ElmoConfig.vocab_size={config.vocab_size}: expected {tokenizer.vocab_size}, the tokenizer's vocabulary"
            )
        accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
        torch.manual_seed(args.seed)
        model = model or ElmoForPreTraining(config)
        model.elmo.scalar_mix.requires_grad_(False)  # the mix is for downstream tasks; the LM never uses it
        parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
        optimizer = torch.optim.Adagrad(parameters, lr=args.learning_rate, initial_accumulator_value=1.0)
        super().__init__(model, tokenizer, optimizer, args, accelerator)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, args: ElmoTrainingArguments, accelerator=None) -> ElmoTrainer:
        """A trainer that continues the run saved at `path` (see `save_checkpoint`) where it stopped."""
        path = checkpoint_state_file(path, TRAINING_STATE_FILE, cls.family).parent
        tokenizer = ElmoTokenizer.from_pretrained(path)
        model = ElmoForPreTraining.from_pretrained(path, dtype=torch.float32)
        trainer = cls(model.config, tokenizer, args, accelerator, model=model)
        trainer.restore(path)
        return trainer

    def _batches(self, skip: int) -> Iterator[list[list[str]]]:
        """This process's batches of sentences for one epoch, the first `skip` left out."""
        shard = (self.accelerator.process_index, self.accelerator.num_processes)
        batch: list[list[str]] = []
        done = 0
        for words in stream_sentences(self.args.corpus, shard, skip_lines=self.args.heldout_lines):
            batch.append(words)
            if len(batch) == self.args.batch_size:
                if done >= skip:
                    yield batch
                done += 1
                batch = []
        if batch and done >= skip:
            yield batch

    def _step(self, batch: list[list[str]]) -> tuple[float, int]:
        encoded = self.tokenizer(
            batch,
            is_split_into_words=True,
            truncation=True,
            max_length=self.args.max_words,
            return_labels=True,
            return_tensors="pt",
        ).to(self.accelerator.device)
        loss = self.model(**encoded).loss
        self.optimizer.zero_grad()
        self.accelerator.backward(loss)
        self.accelerator.clip_grad_norm_(self.model.parameters(), self.args.clip_norm)
        self.optimizer.step()
        return float(loss.detach()), int(encoded["attention_mask"].sum())


def pretrain_elmo(
    config: ElmoConfig, args: ElmoTrainingArguments, accelerator=None, resume_from: str | os.PathLike | None = None
) -> tuple[ElmoForPreTraining, ElmoTokenizer, dict]:
    """Build the vocabulary of `args.corpus`, pre-train (or resume) and evaluate on the held-out lines.

    Returns `(model, tokenizer, summary)`; the summary holds the corpus, its training words, the run's
    arguments and machine, the steps, tokens, seconds, tokens/s, the loss per epoch and the held-out
    forward/backward perplexities with the unigram baseline.
    """
    counts, sentences = count_words(args)
    if resume_from is not None:
        trainer = ElmoTrainer.from_checkpoint(resume_from, args, accelerator)
    else:
        words = build_vocabulary(counts, args.max_vocab_size, args.min_count)
        tokenizer = ElmoTokenizer.from_words(words, max_characters_per_token=config.max_characters_per_token)
        config.vocab_size = len(words)
        trainer = ElmoTrainer(config, tokenizer, args, accelerator)
    model = trainer.train()
    tokenizer = trainer.tokenizer
    state = trainer.state
    summary = {
        "corpus": [str(path) for path in args.corpus],
        "training_words": sum(counts.values()),
        "arguments": {name: getattr(args, name) for name in CARD_ARGUMENTS},
        "machine": f"{describe_machine(trainer.accelerator.device)}, {state.processes} process(es)",
        "steps": state.steps,
        "epochs_completed": state.epoch,
        "tokens": state.tokens,
        "seconds": state.seconds,
        "tokens_per_second": state.tokens / state.seconds if state.seconds else 0.0,
        "processes": state.processes,
        "loss_per_epoch": list(state.loss_per_epoch),
        "vocab_size": tokenizer.vocab_size,
        "training_sentences": sentences,
        "parameters": sum(parameter.numel() for parameter in model.parameters()),
    }
    heldout = heldout_sentences(args.corpus, args.heldout_lines)
    if heldout and trainer.accelerator.is_main_process:
        unigram = unigram_log_probabilities(counts, sentences, tokenizer)
        summary["heldout"] = evaluate(model, tokenizer, heldout, args.batch_size, args.max_words, unigram)
    return model, tokenizer, summary
