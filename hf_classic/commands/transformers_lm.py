"""`hf-classic pretrain gpt` and `pretrain bert`: transformers' own GPT-2 and BERT pre-trained on a corpus."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
from pathlib import Path

from .hub import add_push_option, push_if_asked

logger = logging.getLogger(__name__)

TITLES = {"gpt": "GPT-2", "bert": "BERT"}


def training_arguments(args: argparse.Namespace):
    """The `TransformerTrainingArguments` of the command line (the shipped KJV, cut into chapters, by default)."""
    from ..training.transformer_pretraining import TransformerTrainingArguments

    corpus, lines_per_document = args.corpus, args.lines_per_document
    if corpus is None:
        from ..data import KJV_CORPUS, data_path, kjv_chapter_lengths

        corpus = [str(data_path(KJV_CORPUS))]
        lines_per_document = lines_per_document or kjv_chapter_lengths()
    return TransformerTrainingArguments(
        corpus=corpus,
        architecture=args.family,
        size=args.size,
        vocab_size=args.vocab_size,
        block_size=args.block_size,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        max_steps=args.max_steps,
        warmup_ratio=args.warmup_ratio,
        weight_decay=args.weight_decay,
        clip_norm=args.clip_norm,
        dropout=args.dropout,
        next_sentence_prediction=getattr(args, "nsp", True),
        lowercase=not getattr(args, "cased", False),
        lines_per_document=lines_per_document,
        heldout_lines=args.heldout_lines,
        shuffle_buffer=args.shuffle_buffer,
        seed=args.seed,
        progress=args.progress,
        checkpoint_dir=args.checkpoint_dir or f"{args.output}.checkpoint",
        checkpoint_every_seconds=args.checkpoint_every,
    )


def trained_card(model, summary: dict):
    """The model card of a freshly pre-trained GPT or BERT folder."""
    from ..hub import CardContent

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


def run_pretrain(args: argparse.Namespace) -> None:
    """`pretrain gpt|bert`, holding the output and the checkpoint folder for the whole run (a second run fails)."""
    from ..training.checkpoints import claim_run_outputs

    with claim_run_outputs(args.output, args.checkpoint_dir or f"{args.output}.checkpoint"):
        _run_pretrain(args)


def _run_pretrain(args: argparse.Namespace) -> None:
    from accelerate import PartialState

    from ..training.lm_trainer import save_pretrained_run
    from ..training.transformer_pretraining import pretrain_transformer
    from ..utils.atomic import check_output_free

    check_output_free(args.output, args.overwrite)
    training = training_arguments(args)
    model, tokenizer, summary = pretrain_transformer(training, resume_from=args.resume_from)
    if not PartialState().is_main_process:
        return
    summary["machine"] = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    save_pretrained_run(model, tokenizer, summary, args.output, args.overwrite, card=trained_card(model, summary))
    shutil.rmtree(training.checkpoint_dir, ignore_errors=True)
    heldout = summary.get("heldout", {})
    scores = ", ".join(
        f"{name} {value:.4g}" for name, value in heldout.items() if "perplexity" in name or "acc" in name
    )
    print(
        f"trained {summary['model_class']} ({summary['parameters']:,} parameters) for {summary['steps']} steps on "
        f"{summary['tokens']:,} tokens in {summary['seconds']:.0f} s; final loss {summary['final_loss']:.4f}; "
        f"held-out {scores or '-'}; saved to {args.output}"
    )
    push_if_asked(args, args.output)


def register(verbs, families) -> None:
    """Add `pretrain gpt` and `pretrain bert` to the `hf-classic` parser."""
    helps = {
        "gpt": "pre-train transformers' GPT-2 (causal LM, byte-level BPE) on a text corpus",
        "bert": "pre-train transformers' BERT (masked LM + next-sentence prediction, WordPiece) on a text corpus",
    }
    for family, help_text in helps.items():
        parser = families["pretrain"].add_parser(family, help=help_text)
        parser.add_argument(
            "--corpus",
            nargs="+",
            help="text files, one sentence a line, documents separated by blank lines (default: the shipped KJV, "
            "one document a chapter)",
        )
        parser.add_argument("--output", required=True, help="directory to write the model, tokenizer, summary, card")
        parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
        add_push_option(parser)
        model = parser.add_argument_group("model")
        model.add_argument(
            "--size", choices=("tiny", "small", "base"), default="tiny", help="model dimensions and run defaults"
        )
        model.add_argument("--vocab-size", type=int, help="subword tokens (default: the size's)")
        model.add_argument("--block-size", type=int, help="tokens per example (default: the size's)")
        model.add_argument("--dropout", type=float, default=0.1)
        if family == "bert":
            model.add_argument("--no-nsp", dest="nsp", action="store_false", help="masked LM only, no next sentence")
            model.add_argument("--cased", action="store_true", help="keep case and accents (default: uncased)")
        run = parser.add_argument_group("run")
        run.add_argument("--batch-size", type=int, help="examples per step and process (default: the size's)")
        run.add_argument("--learning-rate", type=float, help="AdamW peak learning rate (default: the size's)")
        run.add_argument("--epochs", type=int, default=1)
        run.add_argument("--max-steps", type=int, default=None)
        run.add_argument("--warmup-ratio", type=float, default=0.05, help="share of the steps of linear warm-up")
        run.add_argument("--weight-decay", type=float, default=0.01)
        run.add_argument("--clip-norm", type=float, default=1.0)
        run.add_argument(
            "--lines-per-document", type=int, help="for corpora without blank lines: a document every N lines"
        )
        run.add_argument("--heldout-lines", type=int, default=500, help="first lines kept for the closing evaluation")
        run.add_argument("--shuffle-buffer", type=int, default=10000, help="examples mixed in shuffling (0: none)")
        run.add_argument("--seed", type=int, default=1)
        run.add_argument("--no-progress", dest="progress", action="store_false", help="hide progress bars")
        run.add_argument("--checkpoint-dir", help="where to keep the latest checkpoint (default: OUTPUT.checkpoint)")
        run.add_argument("--checkpoint-every", type=float, default=600.0, metavar="SECONDS")
        run.add_argument("--resume-from", metavar="CHECKPOINT", help="continue an interrupted run from its checkpoint")
        parser.set_defaults(handler=run_pretrain)
