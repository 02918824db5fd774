"""Two writers of one output, or a reader of a folder being saved: one writer wins whole, the other gets a clear
error, and a reader sees the old folder or the new one, or none, never a torn one.

The writers are real processes (forked, started together at a barrier, so that they overlap); each scenario runs a
few rounds to give a race a chance to show.
"""

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hf_classic import cli
from hf_classic.errors import OutputBusyError, OutputExistsError
from hf_classic.utils.atomic import atomic_output_dir, atomic_output_file, output_lock
from hf_classic.word2vec import Word2VecConfig, Word2VecModel

ROUNDS = 4
FORK = multiprocessing.get_context("fork")
KILL_ON_CALL = Path(__file__).resolve().parent / "kill_on_call.py"


def write_folder(path: Path, version: str, overwrite: bool, barrier, results) -> None:
    """Child: after the barrier, write `path` holding `a.txt` and `b.txt`, both `version`, with a pause between."""
    barrier.wait()
    try:
        with atomic_output_dir(path, overwrite) as tmp:
            (tmp / "a.txt").write_text(version)
            time.sleep(0.3)
            (tmp / "b.txt").write_text(version)
        results.put((version, "ok"))
    except OutputExistsError as error:
        results.put((version, f"{type(error).__name__}: {error}"))


def race(path: Path, overwrite: bool) -> dict[str, str]:
    barrier, results = FORK.Barrier(2), FORK.Queue()
    writers = [FORK.Process(target=write_folder, args=(path, v, overwrite, barrier, results)) for v in "12"]
    for writer in writers:
        writer.start()
    outcome = dict(results.get(timeout=60) for _ in writers)
    for writer in writers:
        writer.join(timeout=60)
        assert writer.exitcode == 0
    return outcome


@pytest.mark.parametrize("overwrite", [False, True], ids=["new", "overwrite"])
def test_two_writers_of_one_folder_one_wins_whole_the_other_gets_a_clear_error(tmp_path, overwrite):
    for round_ in range(ROUNDS):
        path = tmp_path / f"round{round_}" / "model"
        if overwrite:
            path.mkdir(parents=True)
            (path / "a.txt").write_text("old")
        outcome = race(path, overwrite)
        (winner,) = [version for version, result in outcome.items() if result == "ok"]
        (loser,) = [result for result in outcome.values() if result != "ok"]
        assert loser.startswith("OutputBusyError: ") and f"{path}: another process (pid " in loser
        assert (path / "a.txt").read_text() == (path / "b.txt").read_text() == winner
        assert [entry.name for entry in path.parent.iterdir()] == ["model"]


def test_an_output_made_by_someone_else_meanwhile_is_not_replaced(tmp_path):
    """A writer that does not take our lock creates the path while we write: the final rename refuses to land
    on it (no --overwrite), keeps it as it is and removes our temporary."""
    folder, single = tmp_path / "model", tmp_path / "vectors.txt"
    appeared = "output appeared while this one was written"
    with pytest.raises(OutputExistsError, match=appeared), atomic_output_dir(folder) as tmp:
        (tmp / "mine.txt").write_text("mine")
        folder.mkdir()
    with pytest.raises(OutputExistsError, match=appeared), atomic_output_file(single) as tmp:
        tmp.write_text("mine")
        single.write_text("theirs")
    assert list(folder.iterdir()) == [] and single.read_text() == "theirs"
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["model", "vectors.txt"]


def save_versions(path: Path, versions: int, overwrite: bool, barrier) -> None:
    """Child: save a small word2vec model at `path` `versions` times, every weight of version k equal to k."""
    torch.set_num_threads(1)
    model = Word2VecModel(Word2VecConfig(vocab_size=2000, vector_size=64))
    barrier.wait()
    for version in range(1, versions + 1):
        model.embeddings.weight.data.fill_(version)
        with atomic_output_dir(path, overwrite=overwrite) as tmp:
            model.save_pretrained(tmp)


@pytest.mark.parametrize("overwrite", [False, True], ids=["new", "overwrite"])
def test_a_reader_sees_a_whole_folder_or_none_while_it_is_saved(tmp_path, overwrite):
    """Without overwrite the folder goes from absent to whole; with overwrite every load gets one whole version
    (the weights file of one save, never missing, never mixed)."""
    path = tmp_path / "model"
    versions = 30 if overwrite else 1
    if overwrite:
        save_versions(path, 1, True, FORK.Barrier(1))
    barrier = FORK.Barrier(2)
    writer = FORK.Process(target=save_versions, args=(path, versions, overwrite, barrier))
    writer.start()
    barrier.wait()
    seen, absent = set(), 0
    while writer.is_alive() or not seen:
        if not path.exists():
            absent += 1
            assert not overwrite, "the folder vanished during an overwrite"
            time.sleep(0.005)
            continue
        weights = Word2VecModel.from_pretrained(path).embeddings.weight
        values = torch.unique(weights)
        assert len(values) == 1, f"a torn weights file: values {values[:5].tolist()}"
        seen.add(int(values.item()))
    writer.join(timeout=60)
    assert writer.exitcode == 0
    assert seen <= set(range(1, versions + 1))
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["model"]


def hold_lock(path: Path, barrier, release) -> None:
    with output_lock(path):
        barrier.wait()
        release.wait(timeout=60)


def test_a_training_run_refuses_an_output_another_run_is_writing(tmp_path, capsys):
    """A word2vec run stopped inside training holds its output: a second run into it (with or without --overwrite)
    or into its checkpoint folder exits with status 2 naming the path, before training; the first run then
    completes, and the output is its own."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("in the beginning god created the heaven and the earth\n" * 200, encoding="utf-8")
    output, release = tmp_path / "model", tmp_path / "release"
    common = ["--workers", "1", "--epochs", "1", "--vector-size", "8", "--min-count", "1", "--no-progress"]
    args = ["pretrain", "word2vec", "--corpus", str(corpus), "--output", str(output), *common]
    kernel = "hf_classic.training.word2vec_kernels:train_sentences"
    first = subprocess.Popen(
        [sys.executable, str(KILL_ON_CALL), kernel, "1", f"hold={release}", "--", *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not Path(f"{release}.held").exists():
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read() if first.stderr else ""
            time.sleep(0.05)
        for extra, busy in [([], output), (["--overwrite"], output)]:
            assert cli.main([*args, *extra]) == cli.EXIT_BAD_INPUT
            assert f"{busy}: another process (pid {first.pid}) is writing this output" in capsys.readouterr().err
        other = [*args[:5], str(tmp_path / "other"), *common, "--checkpoint-dir", f"{output}.checkpoint"]
        assert cli.main(other) == cli.EXIT_BAD_INPUT
        assert f"{output}.checkpoint: another process (pid {first.pid})" in capsys.readouterr().err
    finally:
        release.touch()
        first.wait(timeout=120)
    assert first.returncode == 0, first.stderr.read()
    assert (output / "model.safetensors").is_file() and not (tmp_path / "other").exists()
    assert cli.main(args) == cli.EXIT_BAD_INPUT
    assert "output already exists; pass --overwrite" in capsys.readouterr().err


def test_seq2seq_training_refuses_an_output_another_process_is_writing(tmp_path):
    from hf_classic.training.rnn_seq2seq_translation import TranslationTraining, train_translation

    barrier, release = FORK.Barrier(2), FORK.Event()
    holder = FORK.Process(target=hold_lock, args=(tmp_path / "model", barrier, release))
    holder.start()
    try:
        barrier.wait()
        pairs = [("a b", "c d")] * 4
        with pytest.raises(OutputBusyError, match=f"{tmp_path / 'model'}: another process \\(pid {holder.pid}\\)"):
            train_translation(pairs, pairs[:1], pairs[:1], {}, TranslationTraining(epochs=1), tmp_path / "model")
    finally:
        release.set()
        holder.join(timeout=60)
    assert sorted(entry.name for entry in tmp_path.iterdir()) == []


def test_an_overwrite_killed_between_its_two_renames_gets_its_old_output_back(tmp_path):
    """Without renameat2 an overwrite renames the old output aside, then the new one in; a writer killed between
    the two leaves only the `.old` folder, which the next writer of the path puts back instead of removing."""
    path = tmp_path / "model"
    aside = tmp_path / ".model.0123abcd.old"
    aside.mkdir()
    (aside / "a.txt").write_text("old")
    half_written = tmp_path / ".model.4567cdef.tmp"
    half_written.mkdir()
    with pytest.raises(OutputExistsError, match="model"), atomic_output_dir(path):
        pytest.fail("the writer must stop before writing: the put-back output exists")
    assert (path / "a.txt").read_text() == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["model"]
    with atomic_output_dir(path, overwrite=True) as tmp:
        (tmp / "a.txt").write_text("new")
    assert (path / "a.txt").read_text() == "new"
