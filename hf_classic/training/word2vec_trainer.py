"""word2vec pre-training: vocabulary from a streamed corpus, then epochs of a training kernel.

Two kernels train the same model: the numba Hogwild kernel (`word2vec_kernels`, CPU) and the batched torch
kernel (`word2vec_torch`, any torch device); by default the device Accelerate picks decides (numba on CPU,
torch on a GPU).

The corpus is tokenised once: `build_tokenizer` finds the vocabulary and encodes every line into a
`TokenCache`, a temporary file that every epoch reads back (when it would pass `token_cache_bytes`, the epochs
stream and encode the corpus again instead). Resident memory does not grow with corpus length either way.
Under `accelerate launch` with several processes, each process trains on its share of the lines and the
processes add up their updates every `merge_lines` lines (`Word2VecTrainer._merge_across_processes`); with one
process this is plain single-machine word2vec.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numba
import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import HfClassicError
from ..utils.atomic import atomic_output_dir
from ..word2vec.configuration_word2vec import Word2VecConfig
from ..word2vec.modeling_word2vec import Word2VecForPreTraining
from ..word2vec.tokenization_word2vec import Word2VecTokenizer
from . import word2vec_kernels, word2vec_torch
from .checkpoints import JsonState, check_same_run, checkpoint_state_file, corpus_fingerprint
from .corpus import prefetch, stream_line_batches
from .token_cache import TokenCache
from .word2vec_corpus import LineEncoder, build_tokenizer, sentences
from .word2vec_devices import BACKENDS, DEVICES, make_accelerator, resolve_backend
from .word2vec_vocab import huffman_tree, keep_probabilities, noise_distribution

logger = logging.getLogger(__name__)

TRAINING_STATE_FILE = "training_state.json"
# Context windows (a centre word with its context) per batch of the torch kernel, about as many words of text:
# larger batches lose quality (CBOW on Gutenberg: analogy accuracy 0.056 with 4,096 windows, 0.049 with 16,384).
BATCH_SIZE = 2**12


@dataclass
class Word2VecTrainingArguments:
    """How to run pre-training (the model's hyper-parameters live in `Word2VecConfig`).

    Args:
        corpus: text files, one sentence a line (`.gz`, `.bz2`, `.xz` work too).
        lowercase: lower-case the text before counting and training.
        max_vocab_size: keep at most this many words (the most frequent), after `min_count`.
        seed: seed of the weight initialisation and of the kernel's random numbers.
        workers: kernel threads; default: all cores.
        block_lines: lines per block handed to the kernel.
        merge_lines: several processes: lines of the corpus (all processes' together) between two merges of the
            processes' updates; fewer lines keep the result closer to one process's, at the cost of more merges.
        token_cache_bytes: keep the encoded corpus between epochs, in a temporary file, up to this size (2 bytes a
            word while the vocabulary has at most 65,534 words, else 4); beyond it, or at 0, every epoch reads
            and encodes the corpus again.
        token_cache_dir: where that file lives; None: the system's temporary directory (`TMPDIR`).
        progress: show progress bars.
        checkpoint_dir: where to keep the latest checkpoint (replaced at each save); None: no checkpoints.
        checkpoint_every_seconds: seconds between checkpoints (at the end of a block); 0: after every block.
        device: `"auto"` (the device Accelerate picks: a GPU when there is one), `"cpu"`, or an accelerator type
            (`"cuda"`, `"mps"`, `"xpu"`); ignored when an accelerator is given to the trainer.
        backend: `"numba"` (Hogwild kernel, CPU only), `"torch"` (batched kernel, any device) or `"auto"` (numba
            on CPU, torch elsewhere).
        batch_size: torch kernel: context windows (a centre word with its context: one CBOW example, or the
            skip-gram pairs of one centre word) per batch; default 2**12.
        damp_repeated_rows: torch kernel: scale the summed update of a row that occurs several times in a batch
            down to its curvature's bound (see `word2vec_torch`); False: plain sums (diverge on large batches).
        torch_compile: torch kernel on CUDA: fuse a batch's step with `torch.compile` (once per run,
            before the clock starts); False: run its ops one by one.
        cuda_graphs: torch kernel on CUDA: capture a batch's step in a CUDA graph once and replay it (one launch a
            batch); False: launch its ops one by one.
    """

    corpus: Sequence[str]
    lowercase: bool = True
    max_vocab_size: int | None = None
    seed: int = 1
    workers: int | None = None
    block_lines: int = 8192
    merge_lines: int = 1024
    token_cache_bytes: int = 4 * 2**30
    token_cache_dir: str | None = None
    progress: bool = True
    checkpoint_dir: str | None = None
    checkpoint_every_seconds: float | None = 600.0
    device: str = "auto"
    backend: str = "auto"
    batch_size: int | None = None
    damp_repeated_rows: bool = True
    torch_compile: bool = True
    cuda_graphs: bool = True

    def __post_init__(self):
        if self.device not in DEVICES:
            raise HfClassicError(f"device={self.device!r}: expected one of {', '.join(DEVICES)}")
        if self.backend not in BACKENDS:
            raise HfClassicError(f"backend={self.backend!r}: expected one of {', '.join(BACKENDS)}")
        for name in ("block_lines", "merge_lines"):
            if getattr(self, name) < 1:
                raise HfClassicError(f"{name}={getattr(self, name)}: expected an integer >= 1")
        if self.token_cache_bytes < 0:
            raise HfClassicError(f"token_cache_bytes={self.token_cache_bytes}: expected a size >= 0")
        if self.token_cache_dir is not None and not os.path.isdir(self.token_cache_dir):
            raise HfClassicError(f"token_cache_dir={self.token_cache_dir!r}: not an existing directory")
        if self.batch_size is not None and self.batch_size < 1:
            raise HfClassicError(f"batch_size={self.batch_size}: expected an integer >= 1")


@dataclass
class TrainingState(JsonState):
    """Progress of a run, saved in checkpoints: where to continue and what has been done so far."""

    epoch: int = 0
    blocks_done: int = 0
    words_done: int = 0
    effective_words: int = 0
    loss_sum: float = 0.0
    loss_terms: int = 0
    loss_per_epoch: list[float] = field(default_factory=list)
    seconds: float = 0.0
    processes: int = 1
    corpus: list[list] = field(default_factory=list)


@dataclass
class Word2VecTrainingStats:
    """What a training run did: words seen and trained, seconds, final mean loss per example, kernel used."""

    corpus_words: int = 0
    effective_words: int = 0
    seconds: float = 0.0
    loss_per_epoch: list[float] = field(default_factory=list)
    processes: int = 1
    kernel: str = word2vec_kernels.KERNEL_NAME

    @property
    def effective_words_per_second(self) -> float:
        return self.effective_words / self.seconds if self.seconds else 0.0


class Word2VecTrainer:
    """Trains a `Word2VecForPreTraining` on a corpus with the tokenizer's vocabulary.

    Args:
        config: the model's hyper-parameters (`vocab_size` is taken from the tokenizer).
        tokenizer: a `Word2VecTokenizer` with word counts (see `build_tokenizer`).
        args: how to run.
        accelerator: an `accelerate.Accelerator`; one is made on `args.device` when None.
        model: weights to continue from (a checkpoint's); a fresh model is initialised when None.
        token_cache: this process's share of the corpus, encoded with `tokenizer` by `build_tokenizer`
            (`from_corpus` does both); None: the first epoch encodes the corpus and fills a new cache.
    """

    def __init__(
        self,
        config: Word2VecConfig,
        tokenizer: Word2VecTokenizer,
        args: Word2VecTrainingArguments,
        accelerator=None,
        model: Word2VecForPreTraining | None = None,
        token_cache: TokenCache | None = None,
    ):
        self.args = args
        self.tokenizer = tokenizer
        self.accelerator = accelerator or make_accelerator(args.device)
        self.device = self.accelerator.device
        self.backend = resolve_backend(args.backend, self.device)
        self.counts = np.asarray(tokenizer.word_counts, dtype=np.int64)
        codes, points, lengths = huffman_tree(self.counts)
        noise = noise_distribution(self.counts, config.ns_exponent)
        if model is None:
            config.vocab_size = len(tokenizer)
            config.max_code_length = codes.shape[1]
            config.pad_token_id, config.unk_token_id = tokenizer.pad_token_id, tokenizer.unk_token_id
            torch.manual_seed(args.seed)
            model = Word2VecForPreTraining(config)
            model.set_vocabulary_statistics(
                torch.from_numpy(noise.astype(np.float32)),
                torch.from_numpy(codes),
                torch.from_numpy(points),
                torch.from_numpy(lengths),
            )
        self.model = model
        self.keep_probability = keep_probabilities(self.counts, config.sample)
        self.noise_probability, self.noise_alias = word2vec_kernels.alias_table(noise)
        self.codes, self.points, self.lengths = codes, points, lengths
        self.kernel = word2vec_kernels.KERNEL_NAME
        if self.backend == "torch":
            self.kernel = word2vec_torch.kernel_name(self.device)
            self.model.to(self.device)
            self.tables = {
                name: torch.from_numpy(np.ascontiguousarray(value)).to(self.device)
                for name, value in (
                    ("keep_probability", self.keep_probability),
                    ("noise_keep", self.noise_probability),
                    ("noise_alias", self.noise_alias.astype(np.int64)),
                    ("codes", codes),
                    ("points", points.astype(np.int64)),
                    ("lengths", lengths.astype(np.int64)),
                )
            }
            model = self.model
            self.batch_size = args.batch_size or BATCH_SIZE
            self.batch_step = word2vec_torch.BatchStep(
                model.word2vec.embeddings.weight.data,
                model.output_vectors.data if model.output_vectors is not None else None,
                model.node_vectors.data if model.node_vectors is not None else None,
                self.tables,
                cbow=config.architecture == "cbow",
                cbow_mean=config.cbow_mean,
                negative=config.negative if config.uses_negative_sampling else 0,
                damped=args.damp_repeated_rows,
                compiled=args.torch_compile,
                graphs=args.cuda_graphs,
            )
        self.state = TrainingState()
        self._merged: list[torch.Tensor] | None = None
        self.token_cache = token_cache or TokenCache(args.token_cache_bytes, args.token_cache_dir)

    @classmethod
    def from_corpus(cls, config: Word2VecConfig, args: Word2VecTrainingArguments, accelerator=None):
        """A trainer for a new run on `args.corpus`: the vocabulary is built (`build_tokenizer`) and the corpus
        encoded into this process's token cache on the way."""
        accelerator = accelerator or make_accelerator(args.device)
        cache = TokenCache(args.token_cache_bytes, args.token_cache_dir)
        tokenizer = build_tokenizer(
            args.corpus,
            config.min_count,
            args.lowercase,
            args.max_vocab_size,
            args.progress,
            cache=cache,
            block_lines=args.block_lines,
            accelerator=accelerator,
        )
        return cls(config, tokenizer, args, accelerator, token_cache=cache)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, args: Word2VecTrainingArguments, accelerator=None):
        """A trainer that continues the run saved at `path` (see `save_checkpoint`) where it stopped."""
        state_file = checkpoint_state_file(path, TRAINING_STATE_FILE, "word2vec")
        path = state_file.parent
        tokenizer = Word2VecTokenizer.from_pretrained(path)
        model = Word2VecForPreTraining.from_pretrained(path, dtype=torch.float32)
        trainer = cls(model.config, tokenizer, args, accelerator, model=model)
        trainer.state = TrainingState.from_json(state_file)
        check_same_run(
            path, trainer.state.corpus, args.corpus, trainer.state.processes, trainer.accelerator.num_processes
        )
        return trainer

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write model, tokenizer and progress to `path` (replaced atomically; main process only)."""
        if not self.accelerator.is_main_process:
            return
        with atomic_output_dir(path, overwrite=True) as tmp:
            self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            self.state.to_json(tmp / TRAINING_STATE_FILE)

    def _blocks(self, skip: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """`(tokens, starts)` of each block of this process's share of the corpus (see `word2vec_corpus.sentences`),
        the first `skip` left out: read from the token cache when it holds the corpus, else streamed and encoded
        (and cached on the way when the epoch starts from its first block)."""
        cache = self.token_cache
        if cache.complete:
            for ids, line_lengths in cache.blocks(skip):
                yield sentences(ids, line_lengths)
            return
        if skip == 0:
            cache.restart(len(self.tokenizer))
        encode = LineEncoder(self.tokenizer.backend_tokenizer, self.tokenizer.unk_token_id)
        shard = (self.accelerator.process_index, self.accelerator.num_processes)
        for index, lines in enumerate(stream_line_batches(self.args.corpus, self.args.block_lines, shard)):
            if index < skip:
                continue
            ids, line_lengths = encode(lines)
            cache.append(ids, line_lengths)
            yield sentences(ids, line_lengths)
        cache.finish()

    def _weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Numpy views (shared memory) of the input, negative-sampling and hierarchical-softmax weights."""
        model = self.model
        empty = np.zeros((0, model.config.vector_size), dtype=np.float32)
        input_vectors = model.word2vec.embeddings.weight.detach().numpy()
        output = model.output_vectors.detach().numpy() if model.output_vectors is not None else empty
        nodes = model.node_vectors.detach().numpy() if model.node_vectors is not None else empty
        return input_vectors, output, nodes

    def _start_merging(self):
        """Make every process start from the same weights (their mean) and remember them as the last merge (a
        copy of the weights: several processes need twice the weights' memory)."""
        if self.accelerator.num_processes > 1:
            for parameter in self.model.parameters():
                parameter.data.copy_(self.accelerator.reduce(parameter.data, reduction="mean"))
            self._merged = [parameter.data.clone() for parameter in self.model.parameters()]

    def _merge_across_processes(self):
        """Apply every process's updates since the last merge to all processes' weights (their sum).

        This is Hogwild across processes: each process's updates count in full, as a thread's do within a process,
        and stay close to sequential SGD because merges come every `merge_lines` lines. (Averaging the weights
        instead applies every update at 1/processes strength; summing only every few thousand lines overshoots.)
        When at most half the rows changed (a large vocabulary), only those travel: the processes first add up
        which rows they changed (one number a row), then the changes of those rows.
        """
        for parameter, merged in zip(self.model.parameters(), self._merged, strict=True):
            delta = parameter.data - merged
            changed = self.accelerator.reduce((delta != 0).any(dim=1).to(delta.dtype), reduction="sum")
            rows = changed.nonzero().squeeze(1)
            if len(rows) > len(changed) // 2:
                merged += self.accelerator.reduce(delta, reduction="sum")
                parameter.data.copy_(merged)
            else:
                merged[rows] += self.accelerator.reduce(delta[rows], reduction="sum")
                parameter.data[rows] = merged[rows]

    def _train_and_merge(self, train_block, tokens: np.ndarray, starts: np.ndarray, total_words: int):
        """Train on a block and merge the processes' updates along the way; advance the words done (counting
        every process's share as this one's). Returns `(effective_words, loss_sum, loss_terms)`.

        With one process the block goes to the kernel whole. With several, it is cut into
        `ceil(block_lines / merge_lines)` chunks of sentences (the same number in every process, empty ones
        included, since each merge is a collective call), with a merge after each.
        """
        world = self.accelerator.num_processes
        if world == 1:
            result = train_block(tokens, starts, total_words) if len(tokens) else (0, 0.0, 0)
            self.state.words_done += len(tokens)
            return result
        chunks = -(-self.args.block_lines // self.args.merge_lines)
        bounds = np.linspace(0, len(starts) - 1, chunks + 1).round().astype(np.int64)
        effective = terms = 0
        loss = 0.0
        for first, last in itertools.pairwise(bounds):
            if last > first:
                chunk_starts = starts[first : last + 1] - starts[first]
                result = train_block(tokens[starts[first] : starts[last]], chunk_starts, total_words)
                effective, loss, terms = effective + result[0], loss + result[1], terms + result[2]
                self.state.words_done += int(chunk_starts[-1]) * world
            self._merge_across_processes()
        return effective, loss, terms

    def _random_seed(self) -> int:
        """Seed of the kernel's random numbers for the next call: from the seed, the words done and the process
        (so that resuming repeats them, and processes draw different negatives)."""
        return self.args.seed * 1000003 + self.state.words_done + self.accelerator.process_index * 0x9E3779B9

    def _any_process_has(self, block) -> bool:
        """Whether this process or another still has a block to train on in this epoch."""
        if self.accelerator.num_processes == 1:
            return block is not None
        flag = self.accelerator.reduce(torch.tensor([float(block is not None)], device=self.device), reduction="sum")
        return bool(flag.item() > 0)

    def _numba_block(self, tokens: np.ndarray, starts: np.ndarray, total_words: int) -> tuple[int, float, int]:
        """Train on one block with the numba kernel: `(effective_words, loss_sum, loss_terms)`."""
        config = self.model.config
        input_vectors, output_vectors, node_vectors = self._weights()
        effective, loss, terms = word2vec_kernels.train_sentences(
            input_vectors,
            output_vectors,
            node_vectors,
            tokens,
            starts,
            self.keep_probability,
            self.noise_probability,
            self.noise_alias,
            self.codes,
            self.points,
            self.lengths,
            config.architecture == "cbow",
            config.cbow_mean,
            config.window,
            config.shrink_windows,
            config.negative if config.uses_negative_sampling else 0,
            config.alpha,
            config.min_alpha,
            self.state.words_done,
            total_words,
            self._random_seed(),
            self.threads,
        )
        return int(effective), float(loss), int(terms)

    def _torch_block(self, tokens: np.ndarray, starts: np.ndarray, total_words: int) -> tuple[int, float, int]:
        """Train on one block with the batched torch kernel on the trainer's device: `(effective_words, loss_sum,
        loss_terms)`. Its random numbers are seeded from the seed and the words done, so resuming repeats them."""
        config = self.model.config
        generator = torch.Generator(device=self.device)
        generator.manual_seed(self._random_seed())
        effective, loss, terms = word2vec_torch.train_block(
            self.batch_step,
            torch.from_numpy(tokens).to(self.device, torch.int64),
            torch.from_numpy(np.diff(starts)).to(self.device),
            window=config.window,
            shrink_windows=config.shrink_windows,
            alpha_start=config.alpha,
            alpha_end=config.min_alpha,
            words_before=self.state.words_done,
            total_words=total_words,
            generator=generator,
            batch_size=self.batch_size,
        )
        return effective, float(loss), terms

    def train(self) -> tuple[Word2VecForPreTraining, Word2VecTrainingStats]:
        """Run the remaining epochs; return the trained model (on the CPU) and what the run did."""
        config = self.model.config
        state = self.state
        state.corpus = corpus_fingerprint(self.args.corpus)
        state.processes = self.accelerator.num_processes
        corpus_words = int(self.counts.sum())
        total_words = corpus_words * config.epochs
        self.threads = self.args.workers or numba.config.NUMBA_NUM_THREADS
        if self.backend == "numba":
            numba.set_num_threads(self.threads)
            train_block = self._numba_block
            if self.accelerator.num_processes > 1:
                # torch only merges here: as many threads as the kernel's, not one per core in every process.
                torch.set_num_threads(self.threads)
        else:
            if self.device.type == "cpu" and self.args.workers:
                torch.set_num_threads(self.args.workers)
            train_block = self._torch_block
            self.batch_step.prepare(self.batch_size, 2 * config.window)
        world = self.accelerator.num_processes
        no_block = (np.zeros(0, np.int32), np.zeros(1, np.int64))
        last_checkpoint = time.monotonic()
        start_time = time.perf_counter()
        seconds_before = state.seconds
        with torch.no_grad():
            self._start_merging()
            while state.epoch < config.epochs:
                bar = tqdm(
                    total=corpus_words,
                    desc=f"epoch {state.epoch + 1}/{config.epochs}",
                    unit=" words",
                    unit_scale=True,
                    disable=not self.args.progress or not self.accelerator.is_main_process,
                )
                blocks = prefetch(self._blocks(skip=state.blocks_done))
                while True:
                    block = next(blocks, None)
                    if not self._any_process_has(block):
                        break
                    tokens, starts = block or no_block
                    effective, block_loss, terms = self._train_and_merge(train_block, tokens, starts, total_words)
                    state.effective_words += effective * world
                    state.loss_sum += block_loss
                    state.loss_terms += terms
                    state.blocks_done += 1
                    bar.update(len(tokens) * world)
                    if self._checkpoint_due(last_checkpoint):
                        state.seconds = seconds_before + time.perf_counter() - start_time
                        self.save_checkpoint(self.args.checkpoint_dir)
                        last_checkpoint = time.monotonic()
                bar.close()
                state.loss_per_epoch.append(state.loss_sum / max(state.loss_terms, 1))
                state.epoch, state.blocks_done, state.loss_sum, state.loss_terms = state.epoch + 1, 0, 0.0, 0
        self.token_cache.close()
        state.seconds = seconds_before + time.perf_counter() - start_time
        self.model.to("cpu")
        padding = config.pad_token_id
        if padding is not None:
            self.model.word2vec.embeddings.weight.data[padding].zero_()
        stats = Word2VecTrainingStats(
            corpus_words=corpus_words,
            effective_words=state.effective_words,
            seconds=state.seconds,
            loss_per_epoch=list(state.loss_per_epoch),
            processes=world,
            kernel=self.kernel,
        )
        return self.model, stats

    def _checkpoint_due(self, last_checkpoint: float) -> bool:
        every = self.args.checkpoint_every_seconds
        return (
            self.args.checkpoint_dir is not None and every is not None and time.monotonic() - last_checkpoint >= every
        )


def pretrain_word2vec(
    config: Word2VecConfig, args: Word2VecTrainingArguments, accelerator=None
) -> tuple[Word2VecForPreTraining, Word2VecTokenizer, Word2VecTrainingStats]:
    """Build the vocabulary of `args.corpus` and train word2vec on it: `(model, tokenizer, stats)`."""
    trainer = Word2VecTrainer.from_corpus(config, args, accelerator)
    model, stats = trainer.train()
    return model, trainer.tokenizer, stats
