"""GPT and BERT training examples: documents, packing, next-sentence pairs and BERT's masking proportions."""

import random
from collections import Counter

import pytest
import torch

from hf_classic.errors import HfClassicError
from hf_classic.training.corpus import stream_document_lines
from hf_classic.training.subword_tokenizers import train_bert_tokenizer, train_gpt_tokenizer
from hf_classic.training.transformer_examples import (
    IS_NEXT,
    IS_RANDOM,
    bert_example,
    encode_lines,
    masking_collator,
    packed_blocks,
    packed_segments,
    sample_sentences,
    sentence_pairs,
    shuffled,
    truncate_pair,
)


def synthetic_sentences(documents: int, sentences: int) -> list[tuple[int, list[int]]]:
    """`(document, ids)` where the ids say where the sentence stands: `[1000 * document + index, ...]`."""
    return [(d, [1000 * d + i, 7, 7]) for d in range(documents) for i in range(sentences)]


def test_documents_break_at_blank_lines_files_and_given_lengths(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("a\nb\n\n\nc\nd\ne\n")
    second.write_text("f\ng\n")
    assert list(stream_document_lines([first, second])) == [
        (0, 0, "a"), (0, 1, "b"), (1, 4, "c"), (1, 5, "d"), (1, 6, "e"), (2, 7, "f"), (2, 8, "g")
    ]  # fmt: skip
    assert [d for d, _, _ in stream_document_lines([first, second], lines_per_document=[5, 2])] == [0, 0, 1, 2, 2, 3, 3]
    assert [d for d, _, _ in stream_document_lines([first], lines_per_document=2)] == [0, 0, 1, 1, 2]


def test_gpt_blocks_are_the_token_stream_cut_in_order_with_end_of_text_between_documents():
    sentences = [(0, [1, 2, 3]), (0, [4, 5]), (1, [6, 7, 8, 9]), (2, [10])]
    blocks = list(packed_blocks(sentences, block_size=4, end_of_text=0))
    assert blocks == [[1, 2, 3, 4], [5, 0, 6, 7], [8, 9, 0, 10]]  # the last, partial block [0] is dropped


def test_gpt_tokenizer_is_byte_level_bpe_and_round_trips_text(kjv_chapters_slice):
    lines = kjv_chapters_slice.read_text().splitlines()
    tokenizer = train_gpt_tokenizer(lines, vocab_size=600, model_max_length=64)
    text = "And God saw the light, that it was good. Zürich!\n"
    ids = tokenizer(text)["input_ids"]
    assert tokenizer.decode(ids) == text and tokenizer.unk_token_id not in ids
    assert len(tokenizer) == 600 and tokenizer.eos_token == "<|endoftext|>"


def test_byte_level_bpe_learnt_twice_on_one_corpus_is_the_same(kjv_chapters_slice):
    lines = kjv_chapters_slice.read_text().splitlines()
    vocabularies = [train_gpt_tokenizer(lines, 400, model_max_length=64).get_vocab() for _ in range(3)]
    assert vocabularies[0] == vocabularies[1] == vocabularies[2]


def test_bert_pair_example_is_what_the_tokenizer_makes_of_a_text_pair(kjv_chapters_slice):
    tokenizer = train_bert_tokenizer(kjv_chapters_slice.read_text().splitlines(), 600, model_max_length=64)
    a, b = "In the beginning God created the heaven", "And the earth was without form"
    ids = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in (a, b)]
    example = bert_example(tokenizer, ids[0], ids[1], IS_NEXT, max_length=64)
    expected = tokenizer(a, b, return_special_tokens_mask=True)
    for name in ("input_ids", "token_type_ids", "special_tokens_mask"):
        assert example[name] == expected[name], name
    tokens = tokenizer.convert_ids_to_tokens(example["input_ids"])
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2 and tokens[-1] == "[SEP]"
    assert example["next_sentence_label"] == IS_NEXT


def test_pair_truncation_cuts_the_longer_segment_first():
    a, b = truncate_pair(list(range(10)), [100, 101, 102], max_tokens=8)
    assert a == [0, 1, 2, 3, 4] and b == [100, 101, 102]
    assert sum(map(len, truncate_pair([1] * 6, [2] * 6, 7))) == 7


def test_next_sentence_labels_are_balanced_true_pairs_adjacent_random_pairs_from_other_documents():
    sentences = synthetic_sentences(documents=400, sentences=30)
    pool = sample_sentences(iter(sentences), size=2000, rng=random.Random(1))
    pairs = list(sentence_pairs(iter(sentences), pool, random.Random(2)))
    assert len(pairs) == 400 * 29  # every sentence that has a successor in its document, once
    labels = Counter(label for _, _, label in pairs)
    assert abs(labels[IS_NEXT] / len(pairs) - 0.5) < 0.02
    random_documents = Counter()
    for a, b, label in pairs:
        document_a, document_b = a[0] // 1000, b[0] // 1000
        if label == IS_NEXT:
            assert document_b == document_a and b[0] == a[0] + 1
        else:
            assert label == IS_RANDOM and document_b != document_a
            random_documents[document_b] += 1
    assert len(random_documents) > 300  # drawn across the corpus, not from a few neighbours


def test_next_sentence_prediction_refuses_a_pool_of_one_document():
    sentences = synthetic_sentences(documents=1, sentences=5)
    with pytest.raises(HfClassicError, match="more documents"):
        for _ in range(20):
            list(sentence_pairs(iter(sentences), sentences, random.Random(0)))


def test_mlm_only_segments_are_whole_sentences_of_one_document():
    sentences = [(0, [1, 2]), (0, [3, 4]), (0, [5, 6]), (1, [7]), (1, list(range(20, 30)))]
    assert list(packed_segments(sentences, max_tokens=5)) == [[1, 2, 3, 4], [5, 6], [7], list(range(20, 25))]


def test_shuffle_buffer_gives_a_permutation_that_depends_on_the_seed():
    items = list(range(1000))
    first = list(shuffled(items, 100, random.Random(1)))
    assert sorted(first) == items and first != items
    assert first == list(shuffled(items, 100, random.Random(1)))
    assert first != list(shuffled(items, 100, random.Random(2)))
    assert list(shuffled(items, 0, random.Random(1))) == items


def test_masking_follows_the_bert_paper_15_percent_then_80_10_10(kjv_chapters_slice):
    lines = kjv_chapters_slice.read_text().splitlines()
    tokenizer = train_bert_tokenizer(lines, 600, model_max_length=128)
    sentences = list(encode_lines(tokenizer, ((0, n, text) for n, text in enumerate(lines) if text)))
    examples = [bert_example(tokenizer, ids, max_length=128) for _, ids in sentences] * 8
    collator = masking_collator(tokenizer, seed=0)
    special_ids = set(tokenizer.all_special_ids)
    chosen = masked = random_token = kept = candidates = special_chosen = 0
    for start in range(0, len(examples), 256):
        batch = examples[start : start + 256]
        original = tokenizer.pad(batch, return_tensors="pt")["input_ids"]
        out = collator(batch)
        assert torch.equal(out["labels"] != -100, (out["labels"] == original) & (out["labels"] != -100))
        selected = out["labels"] != -100
        is_special = torch.isin(original, torch.tensor(sorted(special_ids)))
        special_chosen += int((selected & is_special).sum())
        candidates += int((~is_special).sum())
        chosen += int(selected.sum())
        masked += int((selected & (out["input_ids"] == tokenizer.mask_token_id)).sum())
        kept += int((selected & (out["input_ids"] == original)).sum())
        random_token += int(
            (selected & (out["input_ids"] != original) & (out["input_ids"] != tokenizer.mask_token_id)).sum()
        )
    assert special_chosen == 0  # never [CLS], [SEP] or padding
    assert chosen > 30000
    assert abs(chosen / candidates - 0.15) < 0.005
    assert abs(masked / chosen - 0.8) < 0.01
    assert abs(random_token / chosen - 0.1) < 0.01
    assert abs(kept / chosen - 0.1) < 0.01  # includes the rare random draw of the same token (1/600 of 10%)
