"""Where word2vec trains and with which kernel: the device (as Accelerate picks it) and the backend."""

from __future__ import annotations

import torch

from ..errors import HfClassicError

DEVICES = ("auto", "cpu", "cuda", "mps", "xpu")
BACKENDS = ("auto", "numba", "torch")


def make_accelerator(device: str):
    """An `accelerate.Accelerator` on `device` (see `Word2VecTrainingArguments.device`); an accelerator type that
    this machine lacks is an error naming it."""
    from accelerate import Accelerator

    available = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None
    if device not in ("auto", "cpu") and (available is None or available.type != device):
        raise HfClassicError(
            f"device={device!r}: no {device} device is available here (found "
            f"{available.type if available is not None else 'only the cpu'}); use device 'auto' or 'cpu'"
        )
    # Without an accelerator, cpu=True is what makes `accelerate launch` start CPU processes that train together.
    return Accelerator(cpu=device == "cpu" or available is None)


def resolve_backend(backend: str, device: torch.device) -> str:
    """The kernel that trains on `device`: `"numba"` or `"torch"`."""
    if backend == "auto":
        return "numba" if device.type == "cpu" else "torch"
    if backend == "numba" and device.type != "cpu":
        raise HfClassicError(
            f"backend='numba' runs on the CPU only, but the device is {device.type}; use backend 'torch' or 'auto'"
        )
    return backend
