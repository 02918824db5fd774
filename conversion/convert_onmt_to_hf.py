"""Convert an OpenNMT-py 3.x RNN checkpoint into a transformers model directory (same as `hf-classic convert onmt`).

python conversion/convert_onmt_to_hf.py model_step_1000.pt converted/ [--overwrite]
python conversion/convert_onmt_to_hf.py --export converted/ back.pt [--overwrite]
"""

from __future__ import annotations

import argparse
import logging

from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_to_directory, export_onmt_directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="OpenNMT-py checkpoint (or, with --export, a model directory)")
    parser.add_argument("target", help="model directory to write (or, with --export, a .pt file)")
    parser.add_argument("--export", action="store_true", help="write an OpenNMT-py checkpoint from a model directory")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.export:
        export_onmt_directory(args.source, args.target, overwrite=args.overwrite)
    else:
        convert_onmt_to_directory(args.source, args.target, overwrite=args.overwrite)


if __name__ == "__main__":
    main()
