"""What several processes of one run (`accelerate launch`, `torchrun`) compute once and share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..errors import HfClassicError

T = TypeVar("T")


def from_main_process(make: Callable[[], T], accelerator) -> T:
    """`make()` computed by the main process alone and sent to every process (with one process: just `make()`).

    An error raised by `make` is raised in every process, rather than leaving the others waiting for a value
    that never comes: our own errors as they are, any other as an `HfClassicError` naming it (and as itself in
    the main process).
    """
    if accelerator.num_processes == 1:
        return make()
    from accelerate.utils import broadcast_object_list

    holder = [None]
    if accelerator.is_main_process:
        try:
            holder[0] = (make(), None)
        except HfClassicError as error:
            holder[0] = (None, error)
        except Exception as error:
            broadcast_object_list([(None, HfClassicError(f"the main process failed: {error!r}"))])
            raise
    broadcast_object_list(holder)
    value, error = holder[0]
    if error is not None:
        raise error
    return value
