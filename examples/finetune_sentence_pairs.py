"""Next-verse prediction on the King James Bible: is the second verse the one that follows the first?

Sentence pairs go through the sequence-classification head as one sequence with boundary markers
(word2vec: `<s> first <sep> second </s>`; ELMo: `first <sep> second`). Half the pairs are true next verses,
half a verse from at least 100 verses away. The KJV ships with hf_classic, so no download is needed:

    python examples/finetune_sentence_pairs.py --model hf-classic-demo --output runs/next-verse
"""

from finetune_common import run_example

if __name__ == "__main__":
    run_example(
        "pairs",
        __doc__.splitlines()[0],
        {"epochs": 2, "max_train_examples": 4000, "max_eval_examples": 1000, "head_hidden_size": 64},
    )
