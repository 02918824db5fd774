import subprocess
import textwrap

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoModelForPreTraining

from hf_classic.word2vec import Word2VecConfig, Word2VecForPreTraining, Word2VecModel


def small_model(**overrides) -> Word2VecForPreTraining:
    torch.manual_seed(0)
    config = Word2VecConfig(vocab_size=8, vector_size=6, max_code_length=3, **overrides)
    model = Word2VecForPreTraining(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_()
        model.word2vec.embeddings.weight[0].zero_()
    model.noise_distribution.copy_(torch.tensor([0, 0, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1]))
    model.huffman_codes[2:, :2] = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1], [1, 0], [0, 1]], dtype=torch.uint8)
    model.huffman_points[2:, 1] = 1
    model.huffman_code_lengths[2:] = 2
    return model


def test_initial_vectors_follow_gensim():
    model = Word2VecForPreTraining(Word2VecConfig(vocab_size=500, vector_size=20, objective="both"))
    vectors = model.word2vec.embeddings.weight
    assert torch.all(vectors[0] == 0)
    # Uniform in ±1/dim: the largest of 9,980 draws comes within 1% of the bound.
    assert 0.99 / 20 < vectors[1:].abs().max() <= 1 / 20
    assert torch.all(model.output_vectors == 0) and torch.all(model.node_vectors == 0)


def test_base_model_returns_masked_vectors():
    model = small_model().word2vec
    ids = torch.tensor([[2, 3, 4], [5, 6, 0]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    assert hidden.shape == (2, 3, 6)
    torch.testing.assert_close(hidden[0, 1], model.embeddings.weight[3])
    assert torch.all(hidden[1, 2] == 0)


def test_base_model_rejects_bad_shapes():
    model = small_model().word2vec
    with pytest.raises(ValueError, match=r"input_ids: expected shape \(batch, seq\), got \(3,\)"):
        model(input_ids=torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"attention_mask: expected shape \(1, 3\)"):
        model(input_ids=torch.tensor([[1, 2, 3]]), attention_mask=torch.ones(1, 2))


def test_negative_sampling_loss_matches_formula():
    model = small_model()
    ids, labels, negatives = torch.tensor([[2]]), torch.tensor([3]), torch.tensor([[4, 5, 3, 6, 7]])
    loss = model(input_ids=ids, labels=labels, negative_ids=negatives).loss
    h, u = model.word2vec.embeddings.weight[2], model.output_vectors
    expected = -torch.nn.functional.logsigmoid(h @ u[3])
    for noise in (4, 5, 6, 7):  # the noise word equal to the label is skipped, as in word2vec.c
        expected = expected - torch.nn.functional.logsigmoid(-(h @ u[noise]))
    torch.testing.assert_close(loss, expected)


def test_hierarchical_softmax_loss_matches_formula():
    model = small_model(objective="hierarchical")
    loss = model(input_ids=torch.tensor([[4]]), labels=torch.tensor([3])).loss
    h, v = model.word2vec.embeddings.weight[4], model.node_vectors
    expected = -torch.nn.functional.logsigmoid(h @ v[0]) - torch.nn.functional.logsigmoid(-(h @ v[1]))
    torch.testing.assert_close(loss, expected)


def test_cbow_mean_and_sum_of_context():
    mean_model = small_model(architecture="cbow")
    ids, mask = torch.tensor([[2, 3, 0]]), torch.tensor([[1, 1, 0]])
    vectors = mean_model.word2vec.embeddings.weight
    torch.testing.assert_close(mean_model.project(ids, mask)[0], (vectors[2] + vectors[3]) / 2)
    mean_model.config.cbow_mean = False
    torch.testing.assert_close(mean_model.project(ids, mask)[0], vectors[2] + vectors[3])


def test_save_and_load_is_bit_identical(tmp_path):
    model = small_model(objective="both")
    model.save_pretrained(tmp_path)
    loaded = AutoModelForPreTraining.from_pretrained(tmp_path)
    assert isinstance(loaded, Word2VecForPreTraining)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name]), name
    stored = load_file(tmp_path / "model.safetensors")
    assert torch.equal(stored["word2vec.embeddings.weight"], model.word2vec.embeddings.weight)
    base = AutoModel.from_pretrained(tmp_path)
    assert isinstance(base, Word2VecModel)
    assert torch.equal(base.embeddings.weight, model.word2vec.embeddings.weight)


def test_saved_folder_carries_code_and_auto_map(tmp_path):
    small_model().save_pretrained(tmp_path)
    config = (tmp_path / "config.json").read_text()
    for entry in (
        "configuration_word2vec.Word2VecConfig",
        "modeling_word2vec.Word2VecModel",
        "modeling_word2vec.Word2VecForPreTraining",
    ):
        assert entry in config
    assert {"configuration_word2vec.py", "modeling_word2vec.py", "keyed_vectors.py"} <= {
        path.name for path in tmp_path.iterdir()
    }


REMOTE_LOAD = textwrap.dedent(
    """
    import json, sys

    import torch
    from transformers import AutoModel, AutoModelForPreTraining, AutoTokenizer

    folder = sys.argv[1]
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    model = AutoModel.from_pretrained(folder, trust_remote_code=True)
    batch = tokenizer(["in the beginning god created", "and the earth"], padding=True, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    pretraining = AutoModelForPreTraining.from_pretrained(folder, trust_remote_code=True)
    loss = pretraining(input_ids=torch.tensor([[5], [6]]), labels=torch.tensor([7, 8]),
                       negative_ids=torch.tensor([[9, 10], [11, 12]])).loss
    neighbours = model.word_vectors(tokenizer).most_similar("god", topn=3)
    print(json.dumps({"module": type(model).__module__, "ids": batch["input_ids"].tolist(),
                      "hidden": hidden.tolist(), "loss": loss.item(), "neighbours": neighbours}))
    """
)


def test_loads_with_trust_remote_code_in_a_venv_without_hf_classic(
    tmp_path, trained_skipgram, python_without_hf_classic
):
    import json

    model, tokenizer, _ = trained_skipgram
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    result = subprocess.run(
        [python_without_hf_classic, "-c", REMOTE_LOAD, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    remote = json.loads(result.stdout.strip().splitlines()[-1])
    assert remote["module"].startswith("transformers_modules.")
    batch = tokenizer(["in the beginning god created", "and the earth"], padding=True, return_tensors="pt")
    assert remote["ids"] == batch["input_ids"].tolist()
    local_hidden = model.word2vec(**batch).last_hidden_state
    np.testing.assert_array_equal(np.array(remote["hidden"], dtype=np.float32), local_hidden.detach().numpy())
    local_loss = model(
        input_ids=torch.tensor([[5], [6]]), labels=torch.tensor([7, 8]), negative_ids=torch.tensor([[9, 10], [11, 12]])
    ).loss
    assert remote["loss"] == pytest.approx(local_loss.item(), abs=0)
    assert [word for word, _ in remote["neighbours"]] == [
        word for word, _ in model.word2vec.word_vectors(tokenizer).most_similar("god", topn=3)
    ]
