"""Commands of the RNN encoder-decoder family.

- `hf-classic train seq2seq --catalogues *.whl | --source S --target T  OUT_DIR`: train with `Seq2SeqTrainer`
  (checkpoints in `OUT_DIR.checkpoint`, `--resume-from` it after a crash);
- `hf-classic translate seq2seq MODEL_DIR [--input FILE] [--output FILE]`: one translation per input line;
- `hf-classic attention-map MODEL_DIR "sentence" --output map.png`: heatmap of the attention (registered by
  `hf_classic.commands.attention`, which also draws transformers' self-attention);
- `hf-classic convert onmt CHECKPOINT.pt OUT_DIR`: an OpenNMT-py RNN checkpoint as a model directory;
- `hf-classic export onmt MODEL_DIR OUT.pt`: back to an OpenNMT-py checkpoint that `onmt_translate` loads.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..errors import InputFileError
from ..utils.atomic import atomic_output_file, check_output_free
from ..utils.files import existing_dir, existing_file, loading_folder
from .hub import add_push_option, push_if_asked

logger = logging.getLogger(__name__)


def load_model(model_dir: str):
    """Model and tokenizer of a saved RNN encoder-decoder directory."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    existing_dir(model_dir)
    with loading_folder(model_dir):
        model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if getattr(model.config, "model_type", None) != "rnn_seq2seq":
        raise InputFileError(f"{model_dir}: model_type is {model.config.model_type!r}, not 'rnn_seq2seq'")
    return model.eval(), tokenizer


def generation_options(args: argparse.Namespace) -> dict:
    options = {"num_beams": args.num_beams, "max_new_tokens": args.max_new_tokens, "do_sample": False}
    if args.length_penalty is not None:
        options["length_penalty"] = args.length_penalty
    return options


def add_generation_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--num-beams", type=int, default=5, help="beam size (1: greedy)")
    parser.add_argument("--max-new-tokens", type=int, default=50, help="longest translation, </s> included")
    parser.add_argument("--length-penalty", type=float, help="beam score = sum of log-probs / length**this")


def run_convert_onmt(args: argparse.Namespace) -> None:
    from ..formats.rnn_seq2seq_onmt import convert_onmt_to_directory

    push_if_asked(args, convert_onmt_to_directory(args.checkpoint, args.output_dir, overwrite=args.overwrite))


def run_export_onmt(args: argparse.Namespace) -> None:
    from ..formats.rnn_seq2seq_onmt import export_onmt_directory

    check_output_free(args.output, args.overwrite)
    existing_dir(args.model_dir)
    export_onmt_directory(args.model_dir, args.output, overwrite=args.overwrite)


def run_translate(args: argparse.Namespace) -> None:
    from ..training.rnn_seq2seq_translation import translate

    if args.output:
        check_output_free(args.output, args.overwrite)
    model, tokenizer = load_model(args.model_dir)
    if args.input == "-":
        lines = sys.stdin.read().splitlines()
    else:
        lines = existing_file(args.input).read_text(encoding="utf-8").splitlines()
    translations = translate(model, tokenizer, lines, batch_size=args.batch_size, **generation_options(args))
    text = "".join(line + "\n" for line in translations)
    if args.output:
        with atomic_output_file(args.output, overwrite=args.overwrite) as tmp:
            tmp.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def run_attention_map(args: argparse.Namespace) -> None:
    from ..plots.rnn_seq2seq_attention import attention_map, save_attention_png

    check_output_free(args.output, args.overwrite)
    model, tokenizer = load_model(args.model_dir)
    attention = attention_map(model, tokenizer, args.sentence, **generation_options(args))
    with atomic_output_file(args.output, overwrite=args.overwrite) as tmp:
        save_attention_png(attention, tmp, title=args.sentence)
    logger.info("wrote %s (%d target × %d source tokens)", args.output, *attention.weights.shape)


def run_train(args: argparse.Namespace) -> None:
    from ..training.rnn_seq2seq_translation import (
        TranslationTraining,
        read_parallel,
        read_po_pairs,
        split_pairs,
        train_translation,
    )

    check_output_free(args.output_dir, args.overwrite)
    if bool(args.catalogues) == bool(args.source and args.target) or bool(args.source) != bool(args.target):
        raise InputFileError("give either --catalogues, or --source and --target")
    if args.init_from_word2vec is not None:
        existing_dir(args.init_from_word2vec, "word2vec model directory")
    if args.catalogues:
        pairs = read_po_pairs(args.catalogues, language=args.language)
        names = ", ".join(Path(path).name for path in args.catalogues)
        data_name = f"the English→{args.language} translations in the gettext catalogues of {names}"
        languages = ("en", args.language)
    else:
        pairs = read_parallel(args.source, args.target)
        data_name = f"the line-aligned files {Path(args.source).name} / {Path(args.target).name}"
        languages = None
    train, valid, test = split_pairs(pairs, args.valid_size, args.test_size, seed=args.seed)
    model_options = {
        "cell": args.cell,
        "num_layers": args.layers,
        "embedding_size": args.embedding_size,
        "hidden_size": args.hidden_size,
        "bidirectional_encoder": not args.unidirectional,
        "dropout": args.dropout,
        "attention": args.attention,
        "attention_score": args.score,
        "input_feeding": args.attention in ("luong", "cosine") if args.input_feeding is None else args.input_feeding,
        "share_embeddings": args.share_embeddings,
    }
    options = TranslationTraining(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        vocabulary=args.vocabulary,
        vocab_size=args.vocab_size,
        shared_vocabulary=args.shared_vocabulary or args.share_embeddings,
        num_beams=args.num_beams,
        seed=args.seed,
        threads=args.threads,
        group_by_length=args.group_by_length,
        init_from_word2vec=args.init_from_word2vec,
        word2vec_side=args.word2vec_side,
        freeze_pretrained=args.freeze_pretrained,
        checkpoint_dir=args.checkpoint_dir,
        checkpoint_every_seconds=args.checkpoint_every,
    )
    metrics = train_translation(
        train,
        valid,
        test,
        model_options,
        options,
        args.output_dir,
        args.overwrite,
        data_name,
        languages,
        args.resume_from,
    )
    sys.stdout.write(json.dumps(metrics, indent=2) + "\n")
    push_if_asked(args, args.output_dir)


def register(verbs, families) -> None:
    """Add this family's sub-commands to the `hf-classic` parser."""
    convert = families["convert"].add_parser("onmt", help="an OpenNMT-py 3.x RNN checkpoint as a model directory")
    convert.add_argument("checkpoint", help="OpenNMT-py .pt checkpoint (keys model, generator, vocab, opt)")
    convert.add_argument("output_dir")
    convert.add_argument("--overwrite", action="store_true")
    add_push_option(convert)
    convert.set_defaults(handler=run_convert_onmt)

    export = families["export"].add_parser("onmt", help="a model directory as an OpenNMT-py 3.x checkpoint")
    export.add_argument("model_dir")
    export.add_argument("output", help="checkpoint file to write (.pt)")
    export.add_argument("--overwrite", action="store_true")
    export.set_defaults(handler=run_export_onmt)

    translate = families["translate"].add_parser("seq2seq", help="translate lines with an RNN encoder-decoder")
    translate.add_argument("model_dir")
    translate.add_argument("--input", default="-", help="one sentence per line (default: standard input)")
    translate.add_argument("--output", help="file for the translations (default: standard output)")
    translate.add_argument("--batch-size", type=int, default=32)
    translate.add_argument("--overwrite", action="store_true")
    add_generation_arguments(translate)
    translate.set_defaults(handler=run_translate)

    train = families["train"].add_parser("seq2seq", help="train an RNN encoder-decoder on parallel text")
    train.add_argument("output_dir")
    data = train.add_argument_group("data")
    data.add_argument("--catalogues", nargs="+", help="gettext .po files, or wheels holding them")
    data.add_argument("--language", default="fr", help="language of the catalogues' translations")
    data.add_argument("--source", help="source sentences, one per line")
    data.add_argument("--target", help="their translations, line-aligned")
    data.add_argument("--valid-size", type=int, default=200)
    data.add_argument("--test-size", type=int, default=300)
    model = train.add_argument_group("model")
    model.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    model.add_argument("--layers", type=int, default=1)
    model.add_argument("--embedding-size", type=int, default=96)
    model.add_argument("--hidden-size", type=int, default=192)
    model.add_argument("--unidirectional", action="store_true", help="a left-to-right encoder only")
    model.add_argument("--dropout", type=float, default=0.3)
    model.add_argument("--attention", choices=["none", "bahdanau", "luong", "cosine"], default="luong")
    model.add_argument("--score", choices=["dot", "general", "concat"], default="general")
    model.add_argument(
        "--input-feeding", action=argparse.BooleanOptionalAction, help="default: on for luong and cosine attention"
    )
    model.add_argument("--share-embeddings", action="store_true")
    model.add_argument("--vocabulary", choices=["word", "bpe"], default="word")
    model.add_argument("--vocab-size", type=int, default=8000)
    model.add_argument("--shared-vocabulary", action="store_true")
    pretrained = train.add_argument_group("pre-trained embeddings")
    pretrained.add_argument(
        "--init-from-word2vec", metavar="DIR", help="word2vec model whose vectors initialise the embeddings"
    )
    pretrained.add_argument("--word2vec-side", choices=["source", "target", "both"], default="source")
    pretrained.add_argument(
        "--freeze-pretrained", action="store_true", help="keep the word2vec-initialised embeddings fixed"
    )
    fit = train.add_argument_group("training")
    fit.add_argument("--epochs", type=int, default=12)
    fit.add_argument("--batch-size", type=int, default=32)
    fit.add_argument("--learning-rate", type=float, default=2e-3)
    fit.add_argument("--num-beams", type=int, default=5, help="beam size of the test translations")
    fit.add_argument("--seed", type=int, default=1234)
    fit.add_argument("--threads", type=int, default=1, help="torch threads (small RNNs run fastest on 1)")
    fit.add_argument(
        "--group-by-length",
        action="store_true",
        help="batches of similar source and target lengths in random order, as OpenNMT-py's buckets: faster",
    )
    fit.add_argument("--overwrite", action="store_true")
    fit.add_argument("--checkpoint-dir", help="where to keep the checkpoints (default: OUTPUT_DIR.checkpoint)")
    fit.add_argument(
        "--checkpoint-every",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="seconds between checkpoints inside an epoch (0: after every step); one is kept at every epoch's end",
    )
    fit.add_argument(
        "--resume-from",
        metavar="CHECKPOINT",
        help="continue an interrupted run from its checkpoint folder (same data and options)",
    )
    add_push_option(train)
    train.set_defaults(handler=run_train)
