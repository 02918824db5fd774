"""Character tokenizer of the ELMo family: words → character ids exactly as AllenNLP's `batch_to_ids`.

A word is its UTF-8 bytes (undecodable characters dropped) cut to the first `max_characters_per_token - 2`
bytes, even inside a multi-byte character, laid out as `[begin-of-word, bytes..., end-of-word, padding...]`
to `max_characters_per_token` places, every id plus 1: byte `b` → `b + 1`, begin-of-word 259, end-of-word
260, in-token padding 261. The words `<S>` and `</S>` get the sentence-boundary ids. Padding words (after a
sentence's end) are all 0. The model adds `<S>`/`</S>` itself, so the tokenizer does not.

With a word vocabulary (bilm-tf's `vocab.txt`: one word per line, including `<S>`, `</S>` and `<UNK>`), the
tokenizer also returns the language-model targets (`return_labels=True`).
"""

from __future__ import annotations

import os
import re

from transformers import BatchEncoding, PreTrainedTokenizer

VOCAB_FILE = "vocab.txt"
# Longer words are cut; a larger setting is a damaged or crafted tokenizer_config.json (ids are sized by it).
MAX_CHARACTERS_PER_TOKEN = 1 << 16
BEGIN_OF_SENTENCE = "<S>"
END_OF_SENTENCE = "</S>"
UNKNOWN = "<UNK>"
PAIR_SEPARATOR = "<sep>"
WORD_PATTERN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")


def word_to_char_ids(word: str, max_characters_per_token: int = 50) -> list[int]:
    """The `max_characters_per_token` character ids of `word` (AllenNLP's `ELMoCharacterMapper`, +1 applied)."""
    if word == BEGIN_OF_SENTENCE:
        encoded = [256]
    elif word == END_OF_SENTENCE:
        encoded = [257]
    else:
        encoded = list(word.encode("utf-8", "ignore")[: max_characters_per_token - 2])
    ids = [260] * max_characters_per_token
    ids[0] = 258
    ids[1 : len(encoded) + 1] = encoded
    ids[len(encoded) + 1] = 259
    return [value + 1 for value in ids]


def split_words(text: str) -> list[str]:
    """Split raw text into words: runs of word characters (with inner `-`, `'` or `.`) and single punctuation."""
    return WORD_PATTERN.findall(text)


def word_spans(text: str) -> list[tuple[int, int]]:
    """The `(start, end)` character offsets in `text` of the words of `split_words(text)`."""
    return [match.span() for match in WORD_PATTERN.finditer(text)]


class ElmoTokenizer(PreTrainedTokenizer):
    """Words → `input_ids (batch, seq, max_characters_per_token)` character ids and `attention_mask (batch, seq)`.

    `tokenizer("I play football .")` splits raw text with `split_words`; `tokenizer([["I", "play"]],
    is_split_into_words=True)` takes words as given (AllenNLP's `batch_to_ids` input). Sentences are padded to the
    longest of the batch; `max_length` with `truncation=True` keeps the first `max_length` words.
    `tokenizer(text, text_pair=other)` reads a sentence pair as one sequence, `text <sep> other`: the model's own
    `<S>`/`</S>` start and end it, and the word `<sep>` marks the boundary.
    With a vocabulary, `return_labels=True` adds `labels (batch, seq + 2)`: the word ids of
    `<S> w_1 ... w_n </S>`, then -100 (the targets of `ElmoForPreTraining`).
    """

    vocab_files_names = {"vocab_file": VOCAB_FILE}
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab_file: str | None = None, max_characters_per_token: int = 50, **kwargs):
        if type(max_characters_per_token) is not int or not 3 <= max_characters_per_token <= MAX_CHARACTERS_PER_TOKEN:
            raise ValueError(
                f"max_characters_per_token={max_characters_per_token!r}: expected an integer in "
                f"[3, {MAX_CHARACTERS_PER_TOKEN}]"
            )
        self.max_characters_per_token = max_characters_per_token
        self.vocab: dict[str, int] = {}
        if vocab_file is not None:
            self.vocab = read_vocabulary(vocab_file)
            kwargs.setdefault("unk_token", UNKNOWN)
            kwargs.setdefault("bos_token", BEGIN_OF_SENTENCE)
            kwargs.setdefault("eos_token", END_OF_SENTENCE)
        self.ids_to_words = {index: word for word, index in self.vocab.items()}
        super().__init__(max_characters_per_token=max_characters_per_token, **kwargs)

    @classmethod
    def from_words(cls, words: list[str], **kwargs) -> ElmoTokenizer:
        """A tokenizer whose vocabulary is `words` (id = position), which must hold `<S>`, `</S>` and `<UNK>`."""
        tokenizer = cls(**kwargs)
        tokenizer.vocab = check_vocabulary(words, "words")
        tokenizer.ids_to_words = dict(enumerate(words))
        tokenizer.unk_token, tokenizer.bos_token, tokenizer.eos_token = UNKNOWN, BEGIN_OF_SENTENCE, END_OF_SENTENCE
        return tokenizer

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def get_vocab(self) -> dict[str, int]:
        return dict(self.vocab)

    def _tokenize(self, text: str, **kwargs) -> list[str]:
        return split_words(text)

    def _convert_token_to_id(self, token: str) -> int:
        if not self.vocab:
            raise ValueError("ElmoTokenizer has no word vocabulary (vocab.txt); only character ids are available")
        return self.vocab.get(token, self.vocab[UNKNOWN])

    def _convert_id_to_token(self, index: int) -> str:
        return self.ids_to_words.get(index, UNKNOWN)

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return " ".join(tokens)

    def char_ids(self, words: list[str]) -> list[list[int]]:
        """`(len(words), max_characters_per_token)` character ids of one sentence."""
        return [word_to_char_ids(word, self.max_characters_per_token) for word in words]

    def __call__(
        self,
        text: str | list[str] | list[list[str]],
        text_pair: str | list[str] | list[list[str]] | None = None,
        is_split_into_words: bool = False,
        truncation: bool | None = None,
        max_length: int | None = None,
        return_tensors: str | None = None,
        return_attention_mask: bool = True,
        return_labels: bool = False,
        **kwargs,
    ) -> BatchEncoding:
        """Character ids (and mask, labels) of one sentence or a batch.

        `text`: a string or a list of strings (one sentence each); with `is_split_into_words`, a list of words
        (one sentence) or a list of lists of words. One sentence gives unbatched lists unless `return_tensors`
        is set. `text_pair`, of the same form, gives the second sentence of each pair. Other keyword arguments (`padding`, ...) are accepted and ignored: padding is always to the
        longest sentence, as `batch_to_ids` does.
        """
        single, sentences = self._words(text, is_split_into_words)
        if text_pair is not None:
            _, second = self._words(text_pair, is_split_into_words)
            if len(second) != len(sentences):
                raise ValueError(f"text_pair: expected {len(sentences)} sentences like text, got {len(second)}")
            sentences = [first + [PAIR_SEPARATOR] + other for first, other in zip(sentences, second, strict=True)]
        if truncation and max_length is not None:
            sentences = [words[:max_length] for words in sentences]
        longest = max((len(words) for words in sentences), default=0)
        padding_word = [0] * self.max_characters_per_token
        data = {
            "input_ids": [self.char_ids(words) + [padding_word] * (longest - len(words)) for words in sentences],
        }
        if return_attention_mask:
            data["attention_mask"] = [[1] * len(words) + [0] * (longest - len(words)) for words in sentences]
        if return_labels:
            data["labels"] = [
                self.convert_tokens_to_ids([BEGIN_OF_SENTENCE, *words, END_OF_SENTENCE])
                + [-100] * (longest - len(words))
                for words in sentences
            ]
        if single and return_tensors is None:
            data = {key: value[0] for key, value in data.items()}
        return BatchEncoding(data, tensor_type=return_tensors)

    @staticmethod
    def _words(text, is_split_into_words: bool) -> tuple[bool, list[list[str]]]:
        """Whether `text` is one sentence, and its sentences as lists of words."""
        if is_split_into_words:
            single = not text or isinstance(text[0], str)
            return single, [list(text)] if single else [list(words) for words in text]
        single = isinstance(text, str)
        return single, [split_words(line) for line in ([text] if single else text)]

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        """Write `vocab.txt` (one word per line, in id order) when there is a vocabulary."""
        if not self.vocab:
            return ()
        path = os.path.join(save_directory, (filename_prefix + "-" if filename_prefix else "") + VOCAB_FILE)
        with open(path, "w", encoding="utf-8") as handle:
            for index in range(len(self.ids_to_words)):
                handle.write(self.ids_to_words[index] + "\n")
        return (path,)


def check_vocabulary(words: list[str], source: str) -> dict[str, int]:
    """`{word: id}` for `words`; raises ValueError naming `source` if a word repeats or a boundary word is missing."""
    vocab: dict[str, int] = {}
    for line_number, word in enumerate(words, start=1):
        if word in vocab:
            raise ValueError(f"{source}:{line_number}: word {word!r} repeats line {vocab[word] + 1}")
        vocab[word] = line_number - 1
    missing = [word for word in (BEGIN_OF_SENTENCE, END_OF_SENTENCE, UNKNOWN) if word not in vocab]
    if missing:
        raise ValueError(f"{source}: expected the words {', '.join(missing)} in the vocabulary, not found")
    return vocab


def read_vocabulary(path: str) -> dict[str, int]:
    """Read bilm-tf's `vocab.txt` (one word per line) into `{word: id}`."""
    with open(path, encoding="utf-8") as handle:
        words = [line.strip() for line in handle]
    return check_vocabulary(words, path)


__all__ = ["ElmoTokenizer", "read_vocabulary", "split_words", "word_spans", "word_to_char_ids"]
