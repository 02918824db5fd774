"""Source and target tokenizer of the RNN encoder-decoder family, built on `tokenizers`.

One `RnnSeq2SeqTokenizer` holds two `tokenizers.Tokenizer`s: the source one (`tokenizer.json`, no special
tokens added: the encoder reads `w_1 … w_n`) and the target one (`target_tokenizer.json`, appends `</s>`:
labels are `w_1 … w_n </s>`, the decoder reads `<s> w_1 … w_n`). With a shared vocabulary both map tokens
to the same ids. `tokenizer(src, text_target=tgt)` encodes sources with the first and targets (returned as
`labels`) with the second; `decode`/`batch_decode` read target ids, as `generate()` returns them.

Vocabularies are word-level or BPE, trained on the data (`RnnSeq2SeqTokenizer.train`), or given as token
lists (`RnnSeq2SeqTokenizer.from_vocabularies`, e.g. OpenNMT-py's). Special tokens come first, in
OpenNMT-py's order: `<unk>` 0, `<pad>` 1, `<s>` 2, `</s>` 3.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE, WordLevel
from tokenizers.trainers import BpeTrainer, WordLevelTrainer
from transformers import TokenizersBackend

UNK_TOKEN, PAD_TOKEN, BOS_TOKEN, EOS_TOKEN = "<unk>", "<pad>", "<s>", "</s>"
TARGET_TOKENIZER_FILE = "target_tokenizer.json"
BPE_SUFFIX = "</w>"
VOCABULARY_KINDS = ("word", "bpe")


def with_target_processing(backend: Tokenizer, eos_token: str) -> Tokenizer:
    """A copy of `backend` that appends `eos_token` to every encoded sequence."""
    target = Tokenizer.from_str(backend.to_str())
    target.post_processor = processors.TemplateProcessing(
        single=f"$A {eos_token}", special_tokens=[(eos_token, target.token_to_id(eos_token))]
    )
    return target


def text_pipeline(backend: Tokenizer, lowercase: bool, pretokenized: bool) -> Tokenizer:
    """Set normalisation (NFKC, optional lower-casing) and splitting (on spaces only when `pretokenized`,
    else into runs of word characters and runs of punctuation)."""
    if not pretokenized:
        steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
        backend.normalizer = normalizers.Sequence(steps)
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit() if pretokenized else pre_tokenizers.Whitespace()
    return backend


def backend_load_error(path, error: Exception) -> ValueError:
    """A `ValueError` naming `path` for the bare `Exception` that `tokenizers` raises on a malformed file
    (its message gives the line and column)."""
    return ValueError(f"{path}: not a valid tokenizers file ({error})")


class RnnSeq2SeqTokenizer(TokenizersBackend):
    """Source/target word-level or BPE tokenizer (see the module docstring)."""

    vocab_files_names = {"tokenizer_file": "tokenizer.json", "target_tokenizer_file": TARGET_TOKENIZER_FILE}
    model_input_names = ["input_ids", "attention_mask"]
    padding_side = "right"

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
    def _from_backends(cls, source: Tokenizer, target: Tokenizer, specials: Sequence[str]) -> RnnSeq2SeqTokenizer:
        unk, pad, bos, eos = specials
        for backend in (source, target):
            backend.add_special_tokens(list(specials))
        tokenizer = cls(tokenizer_object=source, unk_token=unk, pad_token=pad, bos_token=bos, eos_token=eos)
        tokenizer._source_backend = tokenizer._tokenizer
        tokenizer._target_backend = with_target_processing(target, eos)
        return tokenizer

    @classmethod
    def train(
        cls,
        source_texts: Iterable[str],
        target_texts: Iterable[str],
        kind: str = "word",
        vocab_size: int = 8000,
        target_vocab_size: int | None = None,
        min_frequency: int = 1,
        lowercase: bool = True,
        shared_vocabulary: bool = False,
    ) -> RnnSeq2SeqTokenizer:
        """Learn source and target vocabularies (`kind` `"word"` or `"bpe"`) of at most `vocab_size` entries,
        special tokens included; with `shared_vocabulary` one vocabulary is learnt from both sides."""
        if kind not in VOCABULARY_KINDS:
            raise ValueError(f"kind={kind!r}: expected one of {', '.join(VOCABULARY_KINDS)}")
        specials = [UNK_TOKEN, PAD_TOKEN, BOS_TOKEN, EOS_TOKEN]
        source_texts, target_texts = list(source_texts), list(target_texts)

        def learn(texts: list[str], size: int) -> Tokenizer:
            if kind == "word":
                backend = Tokenizer(WordLevel(unk_token=UNK_TOKEN))
                trainer = WordLevelTrainer(vocab_size=size, min_frequency=min_frequency, special_tokens=specials)
            else:
                backend = Tokenizer(BPE(unk_token=UNK_TOKEN, end_of_word_suffix=BPE_SUFFIX))
                backend.decoder = decoders.BPEDecoder(suffix=BPE_SUFFIX)
                trainer = BpeTrainer(
                    vocab_size=size,
                    min_frequency=min_frequency,
                    special_tokens=specials,
                    end_of_word_suffix=BPE_SUFFIX,
                    show_progress=False,
                )
            text_pipeline(backend, lowercase, pretokenized=False)
            backend.train_from_iterator(texts, trainer=trainer)
            return backend

        if shared_vocabulary:
            source = learn(source_texts + target_texts, vocab_size)
            target = Tokenizer.from_str(source.to_str())
        else:
            source = learn(source_texts, vocab_size)
            target = learn(target_texts, target_vocab_size or vocab_size)
        return cls._from_backends(source, target, specials)

    @classmethod
    def from_vocabularies(
        cls,
        source_tokens: Sequence[str],
        target_tokens: Sequence[str],
        specials: Sequence[str] = (UNK_TOKEN, PAD_TOKEN, BOS_TOKEN, EOS_TOKEN),
    ) -> RnnSeq2SeqTokenizer:
        """Word-level tokenizer over given token lists (position = id) for text already split on spaces.

        `specials` are the `(unk, pad, bos, eos)` token strings, which must be in both lists.
        """
        backends = []
        for side, tokens in (("source", source_tokens), ("target", target_tokens)):
            vocab = {}
            for index, token in enumerate(tokens):
                if token in vocab:
                    raise ValueError(f"{side} vocabulary: token {token!r} at ids {vocab[token]} and {index}")
                vocab[token] = index
            missing = [token for token in specials if token not in vocab]
            if missing:
                raise ValueError(f"{side} vocabulary lacks the special tokens {missing}")
            backends.append(text_pipeline(Tokenizer(WordLevel(vocab, unk_token=specials[0])), False, True))
        return cls._from_backends(*backends, specials)

    @property
    def source_backend(self) -> Tokenizer:
        if getattr(self, "_source_backend", None) is None:
            self._source_backend = self._tokenizer
        return self._source_backend

    @property
    def target_backend(self) -> Tokenizer:
        """The target side's `tokenizers.Tokenizer` (read from `target_tokenizer.json` when loaded)."""
        if getattr(self, "_target_backend", None) is None:
            path = self.init_kwargs.get("target_tokenizer_file")
            if path is None or not os.path.isfile(path):
                raise OSError(f"{TARGET_TOKENIZER_FILE} is missing beside tokenizer.json")
            try:
                self._target_backend = Tokenizer.from_file(path)
            except Exception as error:
                if type(error) is not Exception:
                    raise
                raise backend_load_error(path, error) from None
        return self._target_backend

    @property
    def target_vocab_size(self) -> int:
        return self.target_backend.get_vocab_size(with_added_tokens=True)

    def _switch_to_target_mode(self):
        self._source_backend = self.source_backend
        self._tokenizer = self.target_backend

    def _switch_to_input_mode(self):
        self._tokenizer = self.source_backend

    def _decode(self, token_ids, skip_special_tokens: bool = False, clean_up_tokenization_spaces=None, **kwargs):
        """Target ids → text (what `generate()` returns). `skip_special_tokens` drops `<pad>`, `<s>` and `</s>`
        but keeps `<unk>`, as OpenNMT-py writes it, so that an unknown word stays visible."""
        token_ids = [token_ids] if isinstance(token_ids, int) else [int(index) for index in token_ids]
        if skip_special_tokens:
            dropped = {self.pad_token_id, self.bos_token_id, self.eos_token_id}
            token_ids = [index for index in token_ids if index not in dropped]
        return self.target_backend.decode(token_ids, skip_special_tokens=False)

    def convert_target_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        """Target ids → target tokens."""
        return [self.target_backend.id_to_token(int(index)) for index in ids]

    def _save_pretrained(self, save_directory, file_names, legacy_format=None, filename_prefix=None):
        file_names = super()._save_pretrained(save_directory, file_names, legacy_format, filename_prefix)
        name = (filename_prefix + "-" if filename_prefix else "") + TARGET_TOKENIZER_FILE
        path = os.path.join(save_directory, name)
        self.target_backend.save(path)
        return file_names + (path,)


__all__ = ["RnnSeq2SeqTokenizer"]
