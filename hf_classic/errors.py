"""Error types raised by hf_classic for bad input.

Every message names the file, key or position at fault and what was expected. The CLI turns these into a
one-line message and a non-zero exit status.
"""


class HfClassicError(ValueError):
    """Base class of hf_classic's input errors (a `ValueError`, so generic handlers still catch it)."""


class InputFileError(HfClassicError):
    """A file given by the user is missing, empty, truncated or malformed."""


class OutputExistsError(HfClassicError):
    """An output path already exists and `--overwrite` was not given."""


class OutputBusyError(OutputExistsError):
    """Another process is writing the same output path right now."""
