"""Model cards of GPT and BERT folders pre-trained by `hf-classic pretrain gpt|bert`."""

from __future__ import annotations

from pathlib import Path

from ..hub import CardContent

TITLES = {"gpt": "GPT-2", "bert": "BERT"}


def trained_card(model, summary: dict):
    """The model card of a freshly pre-trained GPT or BERT folder."""
    config, settings = model.config, summary["settings"]
    gpt = summary["architecture"] == "gpt"
    layers = config.n_layer if gpt else config.num_hidden_layers
    hidden = config.n_embd if gpt else config.hidden_size
    heads = config.n_head if gpt else config.num_attention_heads
    corpus = ", ".join(Path(path).name for path in settings["corpus"])
    made_with = {
        "corpus": corpus,
        "documents": _documents(settings["lines_per_document"]),
        "held out": f"the first {settings['heldout_lines']} lines",
        "objective": "causal language model on packed blocks"
        if gpt
        else "masked LM (15%: 80% [MASK], 10% random, 10% kept)"
        + (" + next-sentence prediction" if settings["next_sentence_prediction"] else ""),
        "tokenizer": f"{'byte-level BPE' if gpt else 'WordPiece'}, {summary['vocab_size']:,} tokens, "
        "learnt on the training lines",
        "model": f"{summary['model_class']}, size {summary['size']}: {layers} layers × {hidden}, {heads} heads",
        "parameters": f"{summary['parameters']:,}",
        "block size": str(settings["block_size"]),
        "batch": f"{settings['batch_size']} × {summary['processes']} process(es)",
        "optimiser": f"AdamW, peak learning rate {settings['learning_rate']}, linear warm-up "
        f"({settings['warmup_ratio']:.0%}) and decay, weight decay {settings['weight_decay']}",
        "steps": f"{summary['steps']:,} ({summary['epochs_completed']} whole epoch(s))",
        "tokens seen": f"{summary['tokens']:,}",
        "training time": f"{summary['seconds']:.0f} s ({summary['tokens_per_second']:,.0f} tokens/s)",
        "machine": summary["machine"],
    }
    if summary["final_loss"] is not None:
        made_with["final training loss"] = f"{summary['final_loss']:.4f} (mean of the last steps)"
    results = {}
    heldout = summary.get("heldout")
    if heldout and gpt:
        results["held-out perplexity"] = f"{heldout['perplexity']:.2f} over {heldout['predicted_tokens']:,} tokens"
    elif heldout:
        results["held-out masked-token perplexity"] = (
            f"{heldout['masked_lm_perplexity']:.2f} over {heldout['predicted_tokens']:,} masked tokens"
        )
        if "next_sentence_accuracy" in heldout:
            results["held-out next-sentence accuracy"] = f"{heldout['next_sentence_accuracy']:.3f}"
    usage = (
        'from transformers import pipeline\n\ngenerate = pipeline("text-generation", model=model, tokenizer=tokenizer)\n'
        'generate("And God said", max_new_tokens=20)\n'
        if gpt
        else 'from transformers import pipeline\n\nfill = pipeline("fill-mask", model=model, tokenizer=tokenizer)\n'
        'fill("In the beginning God created the [MASK] and the earth.")\n'
    )
    return CardContent(
        family=summary["architecture"],
        title=f"{TITLES[summary['architecture']]} ({summary['size']}) pre-trained on {corpus}",
        summary=f"transformers' own `{summary['model_class']}`, pre-trained from scratch by hf_classic "
        f"(`hf-classic pretrain {summary['architecture']}`) as in its paper, at a small scale.",
        made_with=made_with,
        results=results,
        pipeline_tag="text-generation" if gpt else "fill-mask",
        auto_class="AutoModelForCausalLM" if gpt else "AutoModelForMaskedLM",
        usage=usage,
        remote_code=False,
    )


def _documents(lines_per_document) -> str:
    if lines_per_document is None:
        return "blank-line separated paragraphs (and files)"
    if isinstance(lines_per_document, int):
        return f"every {lines_per_document} lines"
    return "the KJV's chapters"
