"""`hf-classic push MODEL_DIR REPO_ID`: upload a model folder (weights, config, code, tokenizer, card)."""

from __future__ import annotations

import argparse


def add_push_option(parser: argparse.ArgumentParser) -> None:
    """`--push-to-hub REPO_ID` for commands that write a model folder."""
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="also upload the written folder to the Hub")


def push_if_asked(args: argparse.Namespace, folder) -> None:
    if getattr(args, "push_to_hub", None):
        from ..hub import push_folder

        print(f"pushed {folder} to {args.push_to_hub}: {push_folder(folder, args.push_to_hub)}")


def run_push(args: argparse.Namespace) -> None:
    from ..hub import push_folder

    url = push_folder(args.model_dir, args.repo_id, private=args.private, revision=args.revision)
    print(f"pushed {args.model_dir} to {args.repo_id}: {url}")


def register(verbs, families) -> None:
    push = verbs.add_parser("push", help="upload a model folder to the Hugging Face Hub")
    push.add_argument("model_dir")
    push.add_argument("repo_id", help="user/name of the Hub model repository (created if missing)")
    push.add_argument("--private", action="store_true", help="create the repository as private")
    push.add_argument("--revision", help="branch to upload to (created if missing)")
    push.set_defaults(handler=run_push)
