"""GPT and BERT pre-training: the loss falls, a killed run resumes to the uninterrupted result, the output is a
native transformers folder, bad input gets a clear error and exit status 2."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from hf_classic import cli
from hf_classic.errors import HfClassicError
from hf_classic.training.transformer_pretraining import (
    PretrainingExamples,
    TransformerTrainer,
    TransformerTrainingArguments,
    build_model,
    build_tokenizer,
    evaluate,
    learning_rate_at,
    pretrain_transformer,
)

FAST = ["--vocab-size", "400", "--block-size", "32", "--batch-size", "16", "--heldout-lines", "100", "--no-progress"]


def arguments(corpus, architecture, **kwargs) -> TransformerTrainingArguments:
    values = dict(
        corpus=[str(corpus)],
        architecture=architecture,
        vocab_size=400,
        block_size=32,
        batch_size=16,
        heldout_lines=100,
        shuffle_buffer=200,
        learning_rate=3e-3,
        progress=False,
    )
    return TransformerTrainingArguments(**{**values, **kwargs})


def test_learning_rate_warms_up_then_decays_linearly_to_zero():
    rates = [learning_rate_at(step, 1.0, total_steps=10, warmup_steps=2) for step in range(10)]
    assert rates[:3] == [0.5, 1.0, 1.0] and rates[-1] == pytest.approx(0.125)
    assert all(later <= earlier for earlier, later in zip(rates[1:], rates[2:], strict=False))


def test_sizes_fill_the_unset_arguments_and_unknown_ones_are_refused(kjv_chapters_slice):
    base = TransformerTrainingArguments(corpus=[str(kjv_chapters_slice)], architecture="bert", size="base")
    assert (base.vocab_size, base.block_size) == (30522, 512)
    with pytest.raises(HfClassicError, match="size 'huge': expected one of tiny, small, base"):
        TransformerTrainingArguments(corpus=[str(kjv_chapters_slice)], size="huge")
    with pytest.raises(HfClassicError, match="architecture 'xlnet'"):
        TransformerTrainingArguments(corpus=[str(kjv_chapters_slice)], architecture="xlnet")


@pytest.mark.parametrize("architecture", ["gpt", "bert"])
def test_a_short_run_lowers_the_held_out_loss(kjv_chapters_slice, architecture):
    args = arguments(kjv_chapters_slice, architecture, max_steps=40)
    tokenizer = build_tokenizer(args)
    before = evaluate(build_model(args, tokenizer), tokenizer, args, PretrainingExamples(args, tokenizer))
    model, _, summary = pretrain_transformer(args)
    after = summary["heldout"]
    loss = "loss" if architecture == "gpt" else "masked_lm_loss"
    assert after["examples"] == before["examples"] > 0
    assert after[loss] < before[loss] - 0.75, (before, after)
    assert summary["steps"] == 40 and summary["parameters"] == model.num_parameters() > 0
    if architecture == "gpt":
        assert summary["tokens"] == 40 * 16 * 32
        assert summary["final_perplexity"] == pytest.approx(2.718281828 ** summary["final_loss"])
    else:
        assert 0 < summary["tokens"] <= 40 * 16 * 32 and "next_sentence_accuracy" in after


class Killed(Exception):
    """Stands for the process being killed right after a checkpoint is written."""


@pytest.mark.parametrize("architecture", ["gpt", "bert"])
def test_a_killed_run_resumed_from_its_checkpoint_ends_as_the_uninterrupted_run(
    kjv_chapters_slice, tmp_path, monkeypatch, architecture
):
    settings = dict(max_steps=8, checkpoint_every_seconds=0)
    tokenizer = build_tokenizer(arguments(kjv_chapters_slice, architecture))  # WordPiece learning may break ties
    whole, _, whole_summary = pretrain_transformer(
        arguments(kjv_chapters_slice, architecture, **settings), tokenizer=tokenizer
    )
    checkpoint = tmp_path / "checkpoint"
    save = TransformerTrainer.save_checkpoint

    def save_then_die(self, path):
        save(self, path)
        if self.state.steps == 5:
            raise Killed

    monkeypatch.setattr(TransformerTrainer, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        pretrain_transformer(
            arguments(kjv_chapters_slice, architecture, checkpoint_dir=str(checkpoint), **settings), tokenizer=tokenizer
        )
    monkeypatch.undo()
    assert json.loads((checkpoint / "training_state.json").read_text())["steps"] == 5
    resumed, _, summary = pretrain_transformer(
        arguments(kjv_chapters_slice, architecture, **settings), resume_from=checkpoint
    )
    assert (summary["steps"], summary["tokens"]) == (8, whole_summary["tokens"])
    assert summary["final_loss"] == whole_summary["final_loss"]
    for (name, expected), (_, found) in zip(whole.state_dict().items(), resumed.state_dict().items(), strict=True):
        assert torch.equal(expected, found), name


def test_resume_refuses_other_data_options(kjv_chapters_slice, tmp_path):
    checkpoint = tmp_path / "checkpoint"
    args = arguments(kjv_chapters_slice, "gpt", max_steps=1, checkpoint_dir=str(checkpoint), checkpoint_every_seconds=0)
    pretrain_transformer(args)
    with pytest.raises(HfClassicError, match="block_size=32, not 64"):
        pretrain_transformer(arguments(kjv_chapters_slice, "gpt", block_size=64), resume_from=checkpoint)


LOAD_WITHOUT_HF_CLASSIC = """
import json, sys
import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer, pipeline
gpt, bert = sys.argv[1], sys.argv[2]
tokenizer, model = AutoTokenizer.from_pretrained(gpt), AutoModelForCausalLM.from_pretrained(gpt)
ids = tokenizer("And God said", return_tensors="pt")["input_ids"]
generated = model.generate(ids, max_new_tokens=5, do_sample=False)[0].tolist()
fill = pipeline("fill-mask", model=bert)
text = "In the beginning God created the [MASK]."
tokenizer, model = AutoTokenizer.from_pretrained(bert), AutoModelForMaskedLM.from_pretrained(bert)
logits = model(**tokenizer(text, return_tensors="pt")).logits
print(json.dumps({"generated": generated, "fill": fill(text)[0]["token"], "logits_sum": float(logits.sum()),
                  "classes": [type(model).__name__, type(tokenizer).__name__]}))
"""


@pytest.fixture(scope="module")
def cli_outputs(kjv_chapters_slice, tmp_path_factory):
    """GPT and BERT folders written by `hf-classic pretrain` on the KJV slice (3 steps each)."""
    root = tmp_path_factory.mktemp("cli")
    for family in ("gpt", "bert"):
        arguments = ["pretrain", family, "--corpus", str(kjv_chapters_slice), "--output", str(root / family)]
        assert cli.main([*arguments, *FAST, "--max-steps", "3"]) == 0
    return root / "gpt", root / "bert"


def test_cli_writes_summary_and_card_and_removes_its_checkpoint(cli_outputs):
    for folder, tag, pipeline_tag in zip(cli_outputs, ("gpt", "bert"), ("text-generation", "fill-mask"), strict=True):
        summary = json.loads((folder / "training_summary.json").read_text())
        assert summary["steps"] == 3 and summary["tokens"] > 0 and summary["seconds"] > 0
        assert summary["parameters"] > 0 and summary["final_loss"] > 0 and "heldout" in summary
        card = (folder / "README.md").read_text()
        assert "library_name: transformers" in card and f"- {tag}\n" in card and "- hf-classic" in card
        assert f"pipeline_tag: {pipeline_tag}" in card and "custom_code" not in card
        assert "trust_remote_code" not in card and f"{summary['parameters']:,}" in card
        assert not folder.with_name(folder.name + ".checkpoint").exists()
    assert json.loads((cli_outputs[1] / "config.json").read_text())["architectures"] == ["BertForPreTraining"]


def test_output_loads_with_transformers_alone(cli_outputs, python_without_hf_classic, tmp_path):
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    result = subprocess.run(
        [python_without_hf_classic, "-c", LOAD_WITHOUT_HF_CLASSIC, *map(str, cli_outputs)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    gpt, bert = cli_outputs
    tokenizer, model = AutoTokenizer.from_pretrained(gpt), AutoModelForCausalLM.from_pretrained(gpt)
    ids = tokenizer("And God said", return_tensors="pt")["input_ids"]
    assert found["generated"] == model.generate(ids, max_new_tokens=5, do_sample=False)[0].tolist()
    tokenizer, model = AutoTokenizer.from_pretrained(bert), AutoModelForMaskedLM.from_pretrained(bert)
    with torch.no_grad():
        logits = model(**tokenizer("In the beginning God created the [MASK].", return_tensors="pt")).logits
    assert found["logits_sum"] == pytest.approx(float(logits.sum()), rel=1e-5)
    assert found["classes"] == ["BertForMaskedLM", "BertTokenizer"]


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("missing", "corpus file does not exist"),
        ("empty", "corpus file is empty"),
        ("blank", "no training text"),
        ("one-document", "needs at least two documents"),
        ("not-a-checkpoint", "is not a GPT/BERT training checkpoint"),
    ],
)
def test_bad_input_is_a_clear_error_and_exit_status_2(problem, message, tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    if problem == "empty":
        corpus.write_text("")
    elif problem == "blank":
        corpus.write_text("\n \n\n")
    elif problem in ("one-document", "not-a-checkpoint"):
        corpus.write_text("".join(f"the {n} sheep went into the fold\n" for n in range(40)))
    extra = ["--resume-from", str(tmp_path)] if problem == "not-a-checkpoint" else []
    status = cli.main(
        ["pretrain", "bert", "--corpus", str(corpus), "--output", str(tmp_path / "out"), *FAST, "--heldout-lines",
         "0", *extra]
    )  # fmt: skip
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_size_is_refused_by_the_command_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["pretrain", "gpt", "--output", str(tmp_path / "out"), "--size", "huge"])
    assert exit_info.value.code == 2 and "invalid choice: 'huge'" in capsys.readouterr().err


def checkpoint_steps(state_file) -> int:
    """The steps of the checkpoint's progress file, 0 while there is none (or it is being replaced)."""
    try:
        return json.loads(state_file.read_text())["steps"]
    except (OSError, ValueError):
        return 0


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(kjv_chapters_slice, tmp_path):
    command = [sys.executable, "-m", "hf_classic", "pretrain", "gpt", "--corpus", str(kjv_chapters_slice), *FAST]
    command += ["--max-steps", "12", "--checkpoint-every", "0"]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    whole = tmp_path / "whole"
    subprocess.run([*command, "--output", str(whole)], check=True, capture_output=True, timeout=600, env=environment)
    killed = tmp_path / "killed"
    process = subprocess.Popen(
        [*command, "--output", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment
    )
    state_file = tmp_path / "killed.checkpoint" / "training_state.json"
    deadline = time.monotonic() + 600
    while checkpoint_steps(state_file) < 4:
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not killed.exists()
    resume = [*command, "--output", str(killed), "--resume-from", str(tmp_path / "killed.checkpoint")]
    subprocess.run(resume, check=True, capture_output=True, timeout=600, env=environment)
    assert (killed / "model.safetensors").read_bytes() == (whole / "model.safetensors").read_bytes()


@pytest.mark.slow
def test_two_processes_train_one_bert(kjv_chapters_slice, tmp_path):
    output = tmp_path / "bert"
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines",
        "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "hf_classic", "pretrain", "bert",
        "--corpus", str(kjv_chapters_slice), "--output", str(output), *FAST, "--max-steps", "6",
    ]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((output / "training_summary.json").read_text())
    assert summary["processes"] == 2 and summary["steps"] == 6 and summary["tokens"] > 0
    assert summary["heldout"]["examples"] > 0


def test_push_sends_the_native_folder_with_its_card(cli_outputs, hub_upload):
    from hf_classic.hub import push_folder

    for folder in cli_outputs:
        push_folder(folder, f"someone/{folder.name}", token="hf_test")
        assert hub_upload["repo"] == (f"someone/{folder.name}", False)
        assert {"README.md", "config.json", "model.safetensors", "tokenizer.json"} <= set(hub_upload["files"])
        assert not [name for name in hub_upload["files"] if name.endswith(".py")]  # native: no remote code to send
