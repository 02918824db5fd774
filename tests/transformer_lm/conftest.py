"""A slice of the shipped KJV laid out as the GPT/BERT pre-training expects: one verse a line, a blank line
between chapters (the documents)."""

import gzip
import itertools

import pytest

from hf_classic.data import KJV_CORPUS, data_path, kjv_chapter_lengths

SLICE_CHAPTERS = 30


@pytest.fixture(scope="session")
def kjv_chapters_slice(tmp_path_factory):
    """The first 30 chapters of Genesis (about 800 verses), chapters separated by a blank line."""
    with gzip.open(data_path(KJV_CORPUS), "rt", encoding="utf-8") as lines:
        verses = [line.rstrip("\n") for line in itertools.islice(lines, 2000)]
    chapters, start = [], 0
    for length in kjv_chapter_lengths()[:SLICE_CHAPTERS]:
        chapters.append("\n".join(verses[start : start + length]))
        start += length
    path = tmp_path_factory.mktemp("kjv") / "genesis.txt"
    path.write_text("\n\n".join(chapters) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Train with one thread: on a machine shared by several jobs, two spinning threads run several times slower
    (results do not depend on it)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
