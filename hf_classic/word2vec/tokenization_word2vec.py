"""Word-level tokenizer of the word2vec family, built on `tokenizers`, that keeps each word's corpus count.

Ids are `<pad>` = 0, `<unk>` = 1, then the words by descending count (ties in first-seen order), as gensim
orders its vocabulary. The counts drive frequent-word subsampling, the `count ** 0.75` noise distribution
and the Huffman tree; they are saved beside `tokenizer.json` as `word_counts.txt` in word2vec.c's
`-save-vocab` format (`word count` per line, in id order, special tokens left out).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordLevel
from transformers import TokenizersBackend

PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
START_TOKEN, SEPARATOR_TOKEN, END_TOKEN = "<s>", "<sep>", "</s>"
WORD_COUNTS_FILE = "word_counts.txt"


def build_backend(words: Iterable[str], lowercase: bool = True) -> Tokenizer:
    """A `tokenizers.Tokenizer` mapping `<pad>`, `<unk>`, then `words` to consecutive ids.

    Text is NFKC-normalised (and lower-cased if `lowercase`) and split into runs of word characters and
    runs of punctuation, so "God's" becomes `god ' s`.
    """
    vocab = {PAD_TOKEN: 0, UNK_TOKEN: 1}
    for word in words:
        vocab.setdefault(word, len(vocab))
    backend = Tokenizer(WordLevel(vocab, unk_token=UNK_TOKEN))
    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
    backend.normalizer = normalizers.Sequence(steps)
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return backend


def backend_load_error(path, error: Exception) -> ValueError:
    """A `ValueError` naming `path` for the bare `Exception` that `tokenizers` raises on a malformed file
    (its message gives the line and column)."""
    return ValueError(f"{path}: not a valid tokenizers file ({error})")


class Word2VecTokenizer(TokenizersBackend):
    """Word-level tokenizer with per-word corpus counts (`word_counts`, aligned with ids).

    Build one from counts with `Word2VecTokenizer.from_word_counts(...)` (the pre-training code does this
    from a corpus) and load a saved one with `AutoTokenizer.from_pretrained(dir)`.
    """

    vocab_files_names = {"tokenizer_file": "tokenizer.json", "word_counts_file": WORD_COUNTS_FILE}
    model_input_names = ["input_ids", "attention_mask"]

    @classmethod
    def _from_pretrained(cls, resolved_vocab_files, *args, **kwargs):
        try:
            return super()._from_pretrained(resolved_vocab_files, *args, **kwargs)
        except Exception as error:
            # `tokenizers` reports a malformed tokenizer.json with a bare `Exception`; every other type passes.
            if type(error) is not Exception:
                raise
            raise backend_load_error(resolved_vocab_files.get("tokenizer_file"), error) from None

    @classmethod
    def from_word_counts(cls, word_counts: Iterable[tuple[str, int]], lowercase: bool = True) -> Word2VecTokenizer:
        """Build a tokenizer from `(word, count)` pairs, most frequent first.

        The pairs are sorted by descending count (stable, so ties keep their order).
        """
        pairs = sorted(word_counts, key=lambda pair: -pair[1])
        backend = build_backend((word for word, _ in pairs), lowercase=lowercase)
        tokenizer = cls(tokenizer_object=backend, unk_token=UNK_TOKEN, pad_token=PAD_TOKEN)
        tokenizer._word_counts = [0, 0] + [int(count) for _, count in pairs]
        return tokenizer

    def add_boundary_markers(self) -> Word2VecTokenizer:
        """Add start, separator and end markers for downstream tasks, in place, and return the tokenizer.

        Afterwards `tokenizer(text)` encodes `<s> text </s>` and `tokenizer(text, text_pair)` encodes
        `<s> text <sep> text_pair </s>` (`token_type_ids` 0 then 1), the input transformation with which one
        sequence model reads sentence pairs. The markers get new ids after the words (count 0), so the model
        needs `model.resize_token_embeddings(len(tokenizer))`. Calling it again changes nothing.
        """
        if self.sep_token == SEPARATOR_TOKEN:
            return self
        counts = self.word_counts
        self.add_special_tokens({"bos_token": START_TOKEN, "sep_token": SEPARATOR_TOKEN, "eos_token": END_TOKEN})
        self._word_counts = counts + [0] * (len(self) - len(counts))
        ids = {token: self.convert_tokens_to_ids(token) for token in (START_TOKEN, SEPARATOR_TOKEN, END_TOKEN)}
        self._tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{START_TOKEN} $A {END_TOKEN}",
            pair=f"{START_TOKEN} $A {SEPARATOR_TOKEN} $B:1 {END_TOKEN}:1",
            special_tokens=list(ids.items()),
        )
        return self

    @property
    def word_counts(self) -> list[int]:
        """Corpus count of every id (0 for special tokens, and for all ids when no counts were saved)."""
        if getattr(self, "_word_counts", None) is None:
            self._word_counts = self._read_word_counts(self.init_kwargs.get("word_counts_file"))
        return self._word_counts

    def _read_word_counts(self, path: str | None) -> list[int]:
        counts = [0] * len(self)
        if path is None or not os.path.isfile(path):
            return counts
        vocabulary = self.get_vocab()
        with open(path, encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                word, _, count = line.rstrip("\n").rpartition(" ")
                index = vocabulary.get(word)
                if index is None or not count.isdigit():
                    raise ValueError(f"{path}:{line_number}: expected 'word count' for a word of tokenizer.json")
                counts[index] = int(count)
        return counts

    def _save_pretrained(self, save_directory, file_names, legacy_format=None, filename_prefix=None):
        file_names = super()._save_pretrained(save_directory, file_names, legacy_format, filename_prefix)
        path = os.path.join(save_directory, (filename_prefix + "-" if filename_prefix else "") + WORD_COUNTS_FILE)
        special = set(self.all_special_ids)
        id_to_token = self.convert_ids_to_tokens(list(range(len(self))))
        with open(path, "w", encoding="utf-8") as handle:
            for index, (token, count) in enumerate(zip(id_to_token, self.word_counts, strict=True)):
                if index not in special:
                    handle.write(f"{token} {count}\n")
        return file_names + (path,)


__all__ = ["Word2VecTokenizer"]
