"""word2vec's view of a corpus: its vocabulary with counts, and its lines as blocks of ids.

`build_tokenizer` reads the corpus twice, both passes in `tokenizers`' Rust code: a `WordLevelTrainer` finds the
words seen at least `min_count` times, then every line is encoded with them, which gives the exact counts and,
when a `TokenCache` is given, fills it with the ids, so that training never tokenises the corpus again.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Sequence

import numpy as np
from tokenizers import AddedToken, Tokenizer
from tokenizers.trainers import WordLevelTrainer
from tqdm.auto import tqdm

from ..errors import InputFileError
from ..word2vec.tokenization_word2vec import UNK_TOKEN, Word2VecTokenizer, build_backend
from .corpus import check_corpus_files, shard_positions, stream_line_batches, stream_numbered_line_batches
from .processes import from_main_process
from .token_cache import TokenCache

logger = logging.getLogger(__name__)

MAX_SENTENCE_LENGTH = 10000
LINE_END = "\n"
# Texts per call into `tokenizers`: each of its threads gets several (at 8,192 lines a block, 256 lines a text).
PIECES_PER_CALL = 32


class LineEncoder:
    """Encodes lines into the ids of their in-vocabulary words, with `backend`'s vocabulary.

    `tokenizers` costs about as much per text it encodes as per word, so the lines go in joined by newlines, in
    `pieces` texts a call (enough for its threads), and a copy of the tokenizer maps each newline to an extra id:
    on Gutenberg this encodes 1.8 times as fast as a text a line. The newline is matched before normalisation and
    never reaches the pre-tokenizer, so each line is encoded exactly as on its own.
    """

    def __init__(self, backend: Tokenizer, unknown_id: int, pieces: int = PIECES_PER_CALL):
        self._encoder = Tokenizer.from_str(backend.to_str())
        self._encoder.add_special_tokens([AddedToken(LINE_END, special=True, normalized=False)])
        self._line_end = self._encoder.token_to_id(LINE_END)
        self._unknown_id = unknown_id
        self._pieces = pieces

    def __call__(self, lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`(ids (words,) int32, line_lengths (lines,) int64)`: the ids of the in-vocabulary words of `lines`, in
        order (out-of-vocabulary words are dropped, as gensim does), and how many of them each line has."""
        encodings = self._encoder.encode_batch_fast(
            joined_lines(lines, self._pieces, LINE_END), add_special_tokens=False
        )
        ids = np.fromiter(itertools.chain.from_iterable(encoding.ids for encoding in encodings), dtype=np.int32)
        is_end = ids == self._line_end
        ends = np.flatnonzero(is_end)
        raw_lengths = np.diff(ends, prepend=-1) - 1
        ids = ids[~is_end]
        known = ids != self._unknown_id
        if known.all():
            return ids, raw_lengths
        return ids[known], _kept_per_line(known, raw_lengths)


def joined_lines(lines: list[str], pieces: int, end: str = "") -> list[str]:
    """`lines` joined by newlines into at most `pieces` texts of consecutive lines, each followed by `end`."""
    step = max(1, -(-len(lines) // pieces))
    return [LINE_END.join(lines[start : start + step]) + end for start in range(0, len(lines), step)]


def sentences(ids: np.ndarray, line_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training sentences of encoded lines: `(tokens (words,) int32, starts (sentences + 1,) int64)`.

    Negative ids are dropped (words left out of the vocabulary after encoding). Each line is a sentence; empty
    lines are skipped and lines longer than 10,000 words are split, as word2vec.c does.
    """
    keep = ids >= 0
    if not keep.all():
        line_lengths = _kept_per_line(keep, line_lengths)
        ids = ids[keep]
    line_lengths = line_lengths[line_lengths > 0]
    if len(line_lengths) and line_lengths.max() > MAX_SENTENCE_LENGTH:
        pieces = []
        for length in line_lengths:
            full, rest = divmod(int(length), MAX_SENTENCE_LENGTH)
            pieces.extend([MAX_SENTENCE_LENGTH] * full + ([rest] if rest else []))
        line_lengths = np.asarray(pieces, dtype=np.int64)
    starts = np.zeros(len(line_lengths) + 1, dtype=np.int64)
    np.cumsum(line_lengths, out=starts[1:])
    return ids.astype(np.int32, copy=False), starts


def _kept_per_line(keep: np.ndarray, line_lengths: np.ndarray) -> np.ndarray:
    """`(lines,)` how many of each line's words `keep (words,)` keeps."""
    line_of_word = np.repeat(np.arange(len(line_lengths)), line_lengths)
    return np.bincount(line_of_word[keep], minlength=len(line_lengths)).astype(np.int64)


def build_tokenizer(
    corpus: Sequence[str | os.PathLike],
    min_count: int,
    lowercase: bool = True,
    max_vocab_size: int | None = None,
    progress: bool = True,
    cache: TokenCache | None = None,
    block_lines: int = 8192,
    accelerator=None,
) -> Word2VecTokenizer:
    """The vocabulary of `corpus`: words seen at least `min_count` times, by descending count (ties in first-seen
    order), at most `max_vocab_size` of them.

    With a `cache`, the ids of the lines are stored in it, in blocks of `block_lines` lines as the trainer reads
    them, ready for every epoch. With an `accelerator` of several processes, the main process finds the candidate
    words and sends them to the others, each process encodes its share of the lines (the shard that
    `stream_line_batches` gives it) into its own cache, and the counts are added up: every process ends with the
    same vocabulary, for the price of one process's encoding.
    """
    files = check_corpus_files(corpus)
    processes = accelerator.num_processes if accelerator is not None else 1
    if processes == 1:
        candidate_words = candidate_words_of(files, min_count, lowercase, block_lines, progress)
        shard = (0, 1)
    else:
        candidate_words = from_main_process(
            lambda: candidate_words_of(files, min_count, lowercase, block_lines, progress), accelerator
        )
        shard = (accelerator.process_index, processes)
    counts, first_seen = count_candidates(files, candidate_words, lowercase, progress, cache, block_lines, shard)
    if processes > 1:
        counts, first_seen = _add_up(counts, first_seen, accelerator)
    # Ids 0 and 1 are <pad> and <unk>; the candidates follow, by descending count, ties in first-seen order.
    frequent = 2 + np.flatnonzero(counts[2:] >= max(min_count, 1))
    order = frequent[np.lexsort((first_seen[frequent], -counts[frequent]))][:max_vocab_size]
    if len(order) < 2:
        raise InputFileError(
            f"{', '.join(files)}: only {len(order)} distinct word(s) occur at least min_count={min_count} times; "
            f"word2vec needs at least 2 (lower --min-count or give a larger corpus)"
        )
    if cache is not None:
        id_map = np.full(len(counts), -1, dtype=np.int32)
        id_map[order] = np.arange(2, len(order) + 2, dtype=np.int32)
        cache.finish(id_map)
    logger.info("vocabulary: %d words seen at least min_count=%d times", len(order), min_count)
    words = [(candidate_words[index - 2], int(counts[index])) for index in order]
    return Word2VecTokenizer.from_word_counts(words, lowercase=lowercase)


def candidate_words_of(
    files: list[str], min_count: int, lowercase: bool, block_lines: int, progress: bool
) -> list[str]:
    """The words seen at least `min_count` times in `files`, sorted, found by `tokenizers`' `WordLevelTrainer`."""
    backend = build_backend([], lowercase=lowercase)
    line_count = 0
    has_text = False

    def counted(batches):
        nonlocal line_count, has_text
        for lines in batches:
            line_count += len(lines)
            has_text = has_text or any(not line.isspace() for line in lines if line)
            yield joined_lines(lines, PIECES_PER_CALL)

    trainer = WordLevelTrainer(min_frequency=max(min_count, 1), special_tokens=[], show_progress=False)
    batches = tqdm(stream_line_batches(files, block_lines), desc="finding words", unit=" blocks", disable=not progress)
    backend.train_from_iterator(counted(batches), trainer=trainer)
    if not has_text:
        raise InputFileError(f"{', '.join(files)}: the corpus has no words ({line_count} lines read)")
    return sorted(backend.get_vocab())


def _add_up(counts: np.ndarray, first_seen: np.ndarray, accelerator) -> tuple[np.ndarray, np.ndarray]:
    """Every process's `counts` summed and `first_seen` keys at their minimum, across the processes."""
    import torch
    import torch.distributed as dist

    totals = torch.from_numpy(counts).to(accelerator.device)
    firsts = torch.from_numpy(first_seen).to(accelerator.device)
    dist.all_reduce(totals, op=dist.ReduceOp.SUM)
    dist.all_reduce(firsts, op=dist.ReduceOp.MIN)
    return totals.cpu().numpy(), firsts.cpu().numpy()


def count_candidates(
    files: list[str],
    candidate_words: list[str],
    lowercase: bool,
    progress: bool,
    cache: TokenCache | None,
    block_lines: int,
    shard: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Encode the lines of `shard` with `<pad>`, `<unk>` and `candidate_words` as ids 0, 1, 2, ...: `(counts,
    first_seen)`, each `(len(candidate_words) + 2,)`, the count of each id and where it first occurs (the key
    `line * 2**24 + position in the line`, comparable across shards). The lines go to `cache` on the way."""
    backend = build_backend(candidate_words, lowercase=lowercase)
    vocab_size = len(candidate_words) + 2
    encode = LineEncoder(backend, backend.token_to_id(UNK_TOKEN))
    counts = np.zeros(vocab_size, dtype=np.int64)
    never = np.iinfo(np.int64).max
    first_seen = np.full(vocab_size, never, dtype=np.int64)
    if cache is not None:
        cache.restart(vocab_size)
    batches = stream_numbered_line_batches(files, block_lines)
    for first_line, lines in tqdm(batches, desc="counting words", unit=" blocks", disable=not progress):
        positions = shard_positions(first_line, len(lines), shard)
        if not positions:
            continue
        ids, line_lengths = encode(lines if len(positions) == len(lines) else [lines[p] for p in positions])
        counts += np.bincount(ids, minlength=vocab_size)
        unseen = first_seen[ids] == never
        if unseen.any():
            new_ids, first = np.unique(ids[unseen], return_index=True)
            first_seen[new_ids] = _occurrence_keys(first_line + np.asarray(positions), line_lengths)[unseen][first]
        if cache is not None:
            cache.append(ids, line_lengths)
    return counts, first_seen


def _occurrence_keys(line_numbers: np.ndarray, line_lengths: np.ndarray) -> np.ndarray:
    """`(words,)` the key `line * 2**24 + position in the line` of each word of encoded lines, ordered as the
    words are in the corpus (positions past 2**24 - 1 share the last key of their line)."""
    line_of_word = np.repeat(np.arange(len(line_lengths)), line_lengths)
    line_starts = np.cumsum(line_lengths) - line_lengths
    position = np.arange(len(line_of_word)) - line_starts[line_of_word]
    return line_numbers[line_of_word] * 2**24 + np.minimum(position, 2**24 - 1)
