"""Shared fixtures: small models trained once per session on the shipped corpus."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

import hf_classic  # noqa: F401  (registers the families)
from hf_classic.data import KJV_CORPUS, data_path


@pytest.fixture(scope="session")
def kjv_path():
    return data_path(KJV_CORPUS)


@pytest.fixture(scope="session")
def trained_skipgram(kjv_path):
    """Skip-gram with negative sampling on the King James Bible (3 epochs, 50 dimensions)."""
    from hf_classic.training.word2vec_trainer import Word2VecTrainingArguments, pretrain_word2vec
    from hf_classic.word2vec import Word2VecConfig

    config = Word2VecConfig(vector_size=50, epochs=3, min_count=5)
    return pretrain_word2vec(config, Word2VecTrainingArguments(corpus=[str(kjv_path)], progress=False))


BLOCK_HF_CLASSIC = """
import importlib.abc, sys

class BlockHfClassic(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "hf_classic" or name.startswith("hf_classic."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, BlockHfClassic())
"""


@pytest.fixture(scope="session")
def python_without_hf_classic(tmp_path_factory) -> Path:
    """The python of a fresh virtual environment that sees this environment's packages but not hf_classic.

    The parent's site-packages is appended as a plain path (so its `.pth` hooks, among them an editable
    install's, do not run), and a meta-path finder refuses `hf_classic` in case it is installed there as a
    plain package. Scripts run with it, in an empty working directory, must get everything from transformers.
    """
    root = tmp_path_factory.mktemp("venv-without-hf-classic")
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    child_site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (child_site / "parent_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    (child_site / "block_hf_classic.py").write_text(BLOCK_HF_CLASSIC, encoding="utf-8")
    (child_site / "zz_block_hf_classic.pth").write_text("import block_hf_classic\n", encoding="utf-8")
    check = subprocess.run(
        [python, "-c", "import transformers, torch; import hf_classic"], capture_output=True, text=True, cwd=root
    )
    assert "No module named 'hf_classic'" in check.stderr, check.stderr[-2000:]
    assert sys.executable != str(python)
    return python


@pytest.fixture
def hub_upload(monkeypatch) -> dict:
    """Replace the Hub calls with recorders. After a push, `files` lists what `upload_folder` would send (filtered
    with huggingface_hub's own pattern matcher and the patterns we pass), `repo` is `(repo_id, private)`,
    `revision` and `branch` the branch uploaded to and created."""
    from huggingface_hub import CommitInfo, HfApi, RepoUrl
    from huggingface_hub.utils import filter_repo_objects

    sent = {}

    def create_repo(self, repo_id, **kwargs):
        sent["repo"] = (repo_id, kwargs.get("private"))
        return RepoUrl(f"https://huggingface.co/{repo_id}", endpoint="https://huggingface.co")

    def upload_folder(self, *, repo_id, folder_path, revision=None, ignore_patterns=None, **kwargs):
        names = sorted(
            path.relative_to(folder_path).as_posix() for path in Path(folder_path).rglob("*") if path.is_file()
        )
        sent["files"] = sorted(filter_repo_objects(names, ignore_patterns=ignore_patterns))
        sent["revision"] = revision
        return CommitInfo(
            commit_url=f"https://huggingface.co/{repo_id}/commit/0",
            commit_message="m",
            commit_description="",
            oid="0" * 40,
        )

    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
    monkeypatch.setattr(HfApi, "create_branch", lambda self, repo_id, branch, **kw: sent.update(branch=branch))
    return sent


@pytest.fixture
def as_served(tmp_path):
    """`as_served(folder, files)`: the folder as the Hub would serve it after an upload, only the uploaded `files`
    copied into a fresh directory."""

    def copy(folder: Path, files: list[str]) -> Path:
        destination = tmp_path / f"served-{Path(folder).name}"
        destination.mkdir()
        for name in files:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(folder) / name, destination / name)
        return destination

    return copy
