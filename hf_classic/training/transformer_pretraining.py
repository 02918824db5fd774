"""Pre-training of transformers' own GPT-2 (`GPT2LMHeadModel`) and BERT (`BertForPreTraining`) from a corpus.

A subword tokenizer is learnt on the training lines (byte-level BPE for GPT, WordPiece for BERT), then the
model trains on streamed examples (see `transformer_examples`) under Accelerate with the shared loop of
`lm_trainer`: checkpoints every N seconds, exact resume. The optimiser is AdamW (β = 0.9, 0.999, weight decay
0.01 on matrices only, BERT's ε = 1e-6) with the learning rate warmed up linearly over the first
`warmup_ratio` of the steps, then decayed linearly to 0 at the last step, as in the BERT paper. The first
`heldout_lines` lines of the corpus are kept out of training (and out of the tokenizer); the closing
evaluation gives their perplexity (GPT), or the masked-token perplexity and next-sentence accuracy (BERT).
Under `accelerate launch` every process builds the same example stream and keeps every `num_processes`-th
example; gradients are averaged across processes (DDP).
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import torch

from ..errors import HfClassicError, InputFileError
from .checkpoints import checkpoint_state_file
from .corpus import check_corpus_files, stream_document_lines
from .lm_trainer import TRAINING_STATE_FILE, StreamingTrainer, TrainingState
from .processes import from_main_process
from .subword_tokenizers import train_bert_tokenizer, train_gpt_tokenizer
from .transformer_examples import (
    bert_example,
    encode_lines,
    masking_collator,
    packed_blocks,
    packed_segments,
    sample_sentences,
    sentence_pairs,
    shuffled,
)

ARCHITECTURES = ("gpt", "bert")
RECENT_STEPS = 20


@dataclass(frozen=True)
class ModelSize:
    """A preset of model dimensions and run defaults."""

    num_layers: int
    hidden_size: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    block_size: int
    batch_size: int
    learning_rate: float


SIZES = {
    # BERT-Tiny of Turc et al. (2019); a few minutes an epoch of the KJV on 2 CPU cores
    "tiny": {
        "gpt": ModelSize(2, 128, 2, 512, 5000, 128, 32, 1e-3),
        "bert": ModelSize(2, 128, 2, 512, 5000, 128, 32, 1e-3),
    },
    # BERT-Small of Turc et al. (2019)
    "small": {
        "gpt": ModelSize(4, 512, 8, 2048, 16000, 256, 32, 5e-4),
        "bert": ModelSize(4, 512, 8, 2048, 16000, 256, 32, 5e-4),
    },
    # GPT-2 small (124 M parameters with its 50,257 tokens) and BERT-base (110 M with 30,522)
    "base": {
        "gpt": ModelSize(12, 768, 12, 3072, 50257, 1024, 8, 2.5e-4),
        "bert": ModelSize(12, 768, 12, 3072, 30522, 512, 16, 1e-4),
    },
}


@dataclass
class TransformerTrainingArguments:
    """How to pre-train; the fields left None take the value of the `size` preset (see `SIZES`).

    Args:
        corpus: text files, one sentence a line; blank lines (and file ends) separate documents.
        architecture: `gpt` (causal LM on packed blocks) or `bert` (masked LM, with next-sentence prediction
            unless `next_sentence_prediction` is False).
        size: `tiny`, `small` or `base`: the model's dimensions and the defaults below.
        vocab_size: at most this many subword tokens.
        block_size: GPT: tokens per block; BERT: at most this many tokens per example (also the positions).
        batch_size: examples per step and process.
        learning_rate: AdamW's peak learning rate.
        epochs: passes over the training lines.
        max_steps: stop after this many optimizer steps in all (None: run the epochs out); also the length of
            the learning-rate schedule when shorter than the epochs.
        max_seconds: stop once training has run this many seconds (a wall-time budget; None: no limit).
        warmup_ratio: share of the steps over which the learning rate rises linearly from 0.
        weight_decay: AdamW's decoupled weight decay, on weight matrices only.
        clip_norm: global gradient-norm clip.
        dropout: dropout on embeddings, attention and hidden layers.
        next_sentence_prediction: BERT: add next-sentence pairs and the NSP head (`BertForPreTraining`);
            False trains the masked LM alone (`BertForMaskedLM`) on runs of consecutive sentences.
        lowercase: BERT: the uncased model (lower-cased, accents stripped).
        lines_per_document: for corpora without blank lines: an int starts a document every N lines, a list
            gives each document's number of lines (the shipped KJV: its chapters).
        heldout_lines: the first lines of the corpus, kept for the closing evaluation.
        shuffle_buffer: examples mixed by the shuffle buffer (0: corpus order).
        sentence_sample_size: BERT: the sentences kept as the pool of random second segments.
        seed: seed of the initialisation, dropout, masking, pairs and shuffling.
        progress: show progress bars.
        checkpoint_dir: where to keep the latest checkpoint (replaced at each save); None: no checkpoints.
        checkpoint_every_seconds: seconds between checkpoints; 0: after every step.
    """

    corpus: Sequence[str]
    architecture: str = "gpt"
    size: str = "tiny"
    vocab_size: int | None = None
    block_size: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    epochs: int = 1
    max_steps: int | None = None
    max_seconds: float | None = None
    warmup_ratio: float = 0.05
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    dropout: float = 0.1
    next_sentence_prediction: bool = True
    lowercase: bool = True
    lines_per_document: int | list[int] | None = None
    heldout_lines: int = 500
    shuffle_buffer: int = 10000
    sentence_sample_size: int = 20000
    seed: int = 1
    progress: bool = True
    checkpoint_dir: str | None = None
    checkpoint_every_seconds: float | None = 600.0

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise HfClassicError(f"architecture {self.architecture!r}: expected one of {', '.join(ARCHITECTURES)}")
        if self.size not in SIZES:
            raise HfClassicError(f"size {self.size!r}: expected one of {', '.join(SIZES)}")
        preset = SIZES[self.size][self.architecture]
        for name in ("vocab_size", "block_size", "batch_size", "learning_rate"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(preset, name))
        minimum_block = 8
        if self.block_size < minimum_block:
            raise HfClassicError(f"block_size={self.block_size}: expected at least {minimum_block}")
        for name in ("batch_size", "epochs", "vocab_size"):
            if getattr(self, name) < 1:
                raise HfClassicError(f"{name}={getattr(self, name)}: expected a positive number")
        if not 0 <= self.warmup_ratio < 1:
            raise HfClassicError(f"warmup_ratio={self.warmup_ratio}: expected a number in [0, 1)")

    @property
    def uses_nsp(self) -> bool:
        return self.architecture == "bert" and self.next_sentence_prediction

    def data_settings(self) -> dict:
        """The arguments that decide the examples and their order: a resumed run must keep them."""
        names = ("architecture", "block_size", "batch_size", "next_sentence_prediction", "lines_per_document")
        names += ("heldout_lines", "shuffle_buffer", "sentence_sample_size", "seed")
        return {name: getattr(self, name) for name in names}


def corpus_lines(args: TransformerTrainingArguments, heldout: bool = False) -> Iterator[tuple[int, int, str]]:
    """`(document, line, text)` of the training lines, or of the held-out lines (the first `heldout_lines`)."""
    for document, line, text in stream_document_lines(args.corpus, args.lines_per_document):
        if heldout and line >= args.heldout_lines:
            return
        if heldout or line >= args.heldout_lines:
            yield document, line, text


def build_tokenizer(args: TransformerTrainingArguments):
    """The subword tokenizer learnt on the training lines: `GPT2Tokenizer` or `BertTokenizer`."""
    texts = (text for _, _, text in corpus_lines(args))
    if args.architecture == "gpt":
        tokenizer = train_gpt_tokenizer(texts, args.vocab_size, args.block_size)
    else:
        tokenizer = train_bert_tokenizer(texts, args.vocab_size, args.block_size, lowercase=args.lowercase)
    if len(tokenizer) <= len(tokenizer.all_special_tokens):
        names = ", ".join(map(str, args.corpus))
        raise InputFileError(f"{names}: no training text after the first {args.heldout_lines} (held-out) lines")
    return tokenizer


def build_model(args: TransformerTrainingArguments, tokenizer):
    """A freshly initialised `GPT2LMHeadModel`, `BertForPreTraining` or (no NSP) `BertForMaskedLM`."""
    from transformers import BertConfig, BertForMaskedLM, BertForPreTraining, GPT2Config, GPT2LMHeadModel

    size = SIZES[args.size][args.architecture]
    torch.manual_seed(args.seed)
    if args.architecture == "gpt":
        config = GPT2Config(
            vocab_size=len(tokenizer),
            n_positions=args.block_size,
            n_embd=size.hidden_size,
            n_layer=size.num_layers,
            n_head=size.num_heads,
            n_inner=size.intermediate_size,
            resid_pdrop=args.dropout,
            embd_pdrop=args.dropout,
            attn_pdrop=args.dropout,
            bos_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        return GPT2LMHeadModel(config)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden_size,
        num_hidden_layers=size.num_layers,
        num_attention_heads=size.num_heads,
        intermediate_size=size.intermediate_size,
        hidden_dropout_prob=args.dropout,
        attention_probs_dropout_prob=args.dropout,
        max_position_embeddings=args.block_size,
        type_vocab_size=2,
        pad_token_id=tokenizer.pad_token_id,
    )
    return BertForPreTraining(config) if args.next_sentence_prediction else BertForMaskedLM(config)


class PretrainingExamples:
    """The examples of one architecture drawn from the corpus, training or held-out.

    Building it streams the training lines once: it counts the examples of an epoch (which does not depend on
    the random draws) and, for next-sentence prediction, keeps a uniform sample of the training sentences from
    which random second segments are drawn.
    """

    def __init__(self, args: TransformerTrainingArguments, tokenizer):
        self.args = args
        self.tokenizer = tokenizer
        self.suffix = "\n" if args.architecture == "gpt" else ""
        self.pool: list[tuple[int, list[int]]] = []
        if args.uses_nsp:
            self.examples_per_epoch, self.documents = 0, set()
            self.pool = sample_sentences(
                self._counted(self._sentences()), args.sentence_sample_size, random.Random(f"{args.seed}:pool")
            )
            if len(self.documents) < 2:
                raise InputFileError(
                    f"{', '.join(map(str, args.corpus))}: next-sentence prediction needs at least two documents, "
                    f"found {len(self.documents)}; separate documents by blank lines (or give several files, or "
                    "--lines-per-document), or train with --no-nsp"
                )
        else:
            self.examples_per_epoch = sum(1 for _ in self.examples(random.Random(0)))
        if self.examples_per_epoch == 0:
            raise InputFileError(f"{', '.join(map(str, args.corpus))}: not one training example in the corpus")

    def _sentences(self, heldout: bool = False) -> Iterator[tuple[int, list[int]]]:
        return encode_lines(self.tokenizer, corpus_lines(self.args, heldout), self.suffix)

    def _counted(self, sentences):
        previous = None
        for document, ids in sentences:
            self.examples_per_epoch += document == previous
            self.documents.add(document)
            previous = document
            yield document, ids

    def examples(self, rng: random.Random, heldout: bool = False) -> Iterator:
        """The examples in corpus order: GPT token blocks (lists of ids), or BERT features (dicts)."""
        args, sentences = self.args, self._sentences(heldout)
        if args.architecture == "gpt":
            yield from packed_blocks(sentences, args.block_size, self.tokenizer.eos_token_id)
        elif args.next_sentence_prediction:
            for a, b, label in sentence_pairs(sentences, self.pool, rng):
                yield bert_example(self.tokenizer, a, b, label, args.block_size)
        else:
            for segment in packed_segments(sentences, args.block_size - 2):
                yield bert_example(self.tokenizer, segment, max_length=args.block_size)

    def epoch_batches(self, epoch: int, shard: tuple[int, int], skip: int = 0) -> Iterator[list]:
        """This process's batches of epoch `epoch` (shuffled with a seed of the epoch), the first `skip` left out."""
        seed, (index, count) = self.args.seed, shard
        examples = shuffled(
            self.examples(random.Random(f"{seed}:{epoch}:pairs")),
            self.args.shuffle_buffer,
            random.Random(f"{seed}:{epoch}:shuffle"),
        )
        batch: list = []
        done = 0
        for number, example in enumerate(examples):
            if number % count != index:
                continue
            batch.append(example)
            if len(batch) == self.args.batch_size:
                if done >= skip:
                    yield batch
                done += 1
                batch = []
        if batch and done >= skip:
            yield batch

    def steps_per_epoch(self, processes: int) -> int:
        """Optimizer steps in an epoch: every process must have a batch, and the smallest share has
        `examples // processes` examples."""
        return math.ceil((self.examples_per_epoch // processes) / self.args.batch_size)


@dataclass
class TransformerTrainingState(TrainingState):
    """Progress of a GPT or BERT run, saved in checkpoints."""

    recent_losses: list[float] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def learning_rate_at(step: int, peak: float, total_steps: int, warmup_steps: int) -> float:
    """BERT's schedule: `peak * step / warmup_steps` while warming up, then linear decay to 0 at `total_steps`."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    return peak * max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


class TransformerTrainer(StreamingTrainer):
    """Runs pre-training of a GPT or BERT model on `args.corpus`.

    Args:
        model: a `GPT2LMHeadModel`, `BertForPreTraining` or `BertForMaskedLM` (see `build_model`).
        tokenizer: its tokenizer (see `build_tokenizer`).
        args: how to run.
        accelerator: an `accelerate.Accelerator`; one is made when None.
    """

    state_class = TransformerTrainingState
    family = "GPT/BERT"

    def __init__(self, model, tokenizer, args: TransformerTrainingArguments, accelerator=None):
        from accelerate import Accelerator

        accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
        decayed = [parameter for parameter in model.parameters() if parameter.ndim >= 2]
        others = [parameter for parameter in model.parameters() if parameter.ndim < 2]
        groups = [{"params": decayed, "weight_decay": args.weight_decay}, {"params": others, "weight_decay": 0.0}]
        optimizer = torch.optim.AdamW(groups, lr=args.learning_rate, betas=(0.9, 0.999), eps=1e-6)
        super().__init__(model, tokenizer, optimizer, args, accelerator)
        self.data = PretrainingExamples(args, tokenizer)
        self.collator = masking_collator(tokenizer) if args.architecture == "bert" else None
        self.total_steps = args.epochs * self.data.steps_per_epoch(accelerator.num_processes)
        if args.max_steps is not None:
            self.total_steps = min(self.total_steps, args.max_steps)
        self.warmup_steps = math.ceil(args.warmup_ratio * self.total_steps)

    @classmethod
    def from_checkpoint(
        cls, path: str | os.PathLike, args: TransformerTrainingArguments, accelerator=None
    ) -> TransformerTrainer:
        """A trainer that continues the run saved at `path` (see `save_checkpoint`) where it stopped."""
        from transformers import AutoConfig, AutoTokenizer, BertForMaskedLM, BertForPreTraining, GPT2LMHeadModel

        path = checkpoint_state_file(path, TRAINING_STATE_FILE, cls.family).parent
        saved = TransformerTrainingState.from_json(path / TRAINING_STATE_FILE).settings
        for name, value in args.data_settings().items():
            if saved.get(name) != value:
                raise HfClassicError(
                    f"{path}: checkpoint was made with {name}={saved.get(name)!r}, not {value!r}; resume with the "
                    "same options"
                )
        architecture = AutoConfig.from_pretrained(path).architectures[0]
        model_class = {model.__name__: model for model in (GPT2LMHeadModel, BertForPreTraining, BertForMaskedLM)}
        model = model_class[architecture].from_pretrained(path, dtype=torch.float32)
        trainer = cls(model, AutoTokenizer.from_pretrained(path), args, accelerator)
        trainer.restore(path)
        return trainer

    def _batches(self, skip: int) -> Iterator[list]:
        shard = (self.accelerator.process_index, self.accelerator.num_processes)
        return self.data.epoch_batches(self.state.epoch, shard, skip)

    def _tensors(self, batch: list) -> dict[str, torch.Tensor]:
        if self.collator is None:
            input_ids = torch.tensor(batch)
            return {"input_ids": input_ids, "labels": input_ids.clone()}
        return dict(self.collator(batch))

    def _step(self, batch: list) -> tuple[float, int]:
        learning_rate = learning_rate_at(self.state.steps, self.args.learning_rate, self.total_steps, self.warmup_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        inputs = {name: tensor.to(self.accelerator.device) for name, tensor in self._tensors(batch).items()}
        loss = self.model(**inputs).loss
        self.optimizer.zero_grad()
        self.accelerator.backward(loss)
        self.accelerator.clip_grad_norm_(self.model.parameters(), self.args.clip_norm)
        self.optimizer.step()
        loss = float(loss.detach())
        self.state.recent_losses = (self.state.recent_losses + [loss])[-RECENT_STEPS:]
        tokens = inputs["attention_mask"].sum() if "attention_mask" in inputs else inputs["input_ids"].numel()
        return loss, int(tokens)

    def train(self):
        self.state.settings = self.args.data_settings()
        return super().train()


@torch.no_grad()
def evaluate(model, tokenizer, args: TransformerTrainingArguments, data: PretrainingExamples) -> dict | None:
    """The held-out lines' scores; None when they make no example.

    GPT: `perplexity = exp(mean negative log-likelihood)` of every predicted token of the held-out blocks.
    BERT: the masked tokens' perplexity (masks drawn with a fixed seed) and the next-sentence accuracy.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    examples = list(data.examples(random.Random(f"{args.seed}:heldout"), heldout=True))
    if not examples:
        return None
    collator = masking_collator(tokenizer, seed=args.seed) if args.architecture == "bert" else None
    loss_sum, predicted, nsp_right = 0.0, 0, 0
    for start in range(0, len(examples), args.batch_size):
        batch = examples[start : start + args.batch_size]
        if collator is None:
            input_ids = torch.tensor(batch, device=device)
            loss_sum += float(model(input_ids=input_ids, labels=input_ids).loss) * input_ids[:, 1:].numel()
            predicted += input_ids[:, 1:].numel()
            continue
        inputs = {name: tensor.to(device) for name, tensor in collator(batch).items()}
        labels, nsp_labels = inputs.pop("labels"), inputs.pop("next_sentence_label", None)
        output = model(**inputs)
        logits = output.prediction_logits if hasattr(output, "prediction_logits") else output.logits
        loss_sum += float(torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum"))
        predicted += int((labels != -100).sum())
        if nsp_labels is not None:
            nsp_right += int((output.seq_relationship_logits.argmax(-1) == nsp_labels).sum())
    model.train(was_training)
    result: dict = {"examples": len(examples), "predicted_tokens": predicted}
    name = "perplexity" if args.architecture == "gpt" else "masked_lm_perplexity"
    result[name.replace("perplexity", "loss")] = loss_sum / max(predicted, 1)
    result[name] = math.exp(loss_sum / max(predicted, 1))
    if args.uses_nsp:
        result["next_sentence_accuracy"] = nsp_right / len(examples)
    return result


def shared_tokenizer(args: TransformerTrainingArguments, accelerator):
    """The tokenizer learnt by the main process and sent to the others (WordPiece learning may break ties
    differently in each process)."""
    return from_main_process(lambda: build_tokenizer(args), accelerator)


def pretrain_transformer(
    args: TransformerTrainingArguments,
    accelerator=None,
    resume_from: str | os.PathLike | None = None,
    tokenizer=None,
) -> tuple:
    """Learn the tokenizer (unless one is given), pre-train (or resume) and evaluate on the held-out lines.

    Returns `(model, tokenizer, summary)`; the summary holds the parameters, steps, tokens seen, seconds,
    tokens/s, the loss per epoch and of the last steps, and the held-out scores.
    """
    from accelerate import Accelerator

    check_corpus_files(args.corpus)
    accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
    if resume_from is not None:
        trainer = TransformerTrainer.from_checkpoint(resume_from, args, accelerator)
    else:
        tokenizer = tokenizer or shared_tokenizer(args, accelerator)
        trainer = TransformerTrainer(build_model(args, tokenizer), tokenizer, args, accelerator)
    model = trainer.train()
    state = trainer.state
    final_loss = sum(state.recent_losses) / len(state.recent_losses) if state.recent_losses else None
    summary = {
        "architecture": args.architecture,
        "model_class": type(model).__name__,
        "size": args.size,
        "parameters": model.num_parameters(),
        "vocab_size": len(trainer.tokenizer),
        "steps": state.steps,
        "epochs_completed": state.epoch,
        "examples_per_epoch": trainer.data.examples_per_epoch,
        "tokens": state.tokens,
        "seconds": state.seconds,
        "tokens_per_second": state.tokens / state.seconds if state.seconds else 0.0,
        "processes": state.processes,
        "loss_per_epoch": list(state.loss_per_epoch),
        "final_loss": final_loss,
        "settings": {
            **asdict(args),
            "corpus": [str(path) for path in args.corpus],
            "lines_per_document": "per-document list"
            if isinstance(args.lines_per_document, list)
            else args.lines_per_document,
        },
    }
    if args.architecture == "gpt" and final_loss is not None:
        summary["final_perplexity"] = math.exp(final_loss)
    if trainer.accelerator.is_main_process:
        heldout = evaluate(model, trainer.tokenizer, args, trainer.data)
        if heldout is not None:
            summary["heldout"] = heldout
    return model, trainer.tokenizer, summary
