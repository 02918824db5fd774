"""Convert a bilm-tf ELMo (options.json + weights.hdf5 [+ vocab.txt]) into a transformers model directory.

Usage: python conversion/convert_elmo_bilm_tf.py --options options.json --weights weights.hdf5 [--vocab vocab.txt]
OUT_DIR [--overwrite], the same as `hf-classic convert elmo ...`.
"""

import argparse
import sys

from hf_classic.formats.elmo_bilm_tf import convert_to_directory

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--vocab")
    parser.add_argument("output_dir")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    try:
        convert_to_directory(args.options, args.weights, args.output_dir, vocab=args.vocab, overwrite=args.overwrite)
    except (ValueError, OSError) as error:
        sys.exit(f"convert_elmo_bilm_tf: error: {error}")
