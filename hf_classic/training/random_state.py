"""The random states a resumed run needs to draw exactly what the uninterrupted run would have drawn: torch's
(CPU, and every CUDA device's), numpy's global generator and Python's `random`, captured per process."""

from __future__ import annotations

import random

import numpy as np
import torch


def capture_random_states() -> dict:
    """This process's random states, in types that `torch.load(weights_only=True)` reads back: `torch` (a byte
    tensor), `cuda` (one byte tensor a device, only where CUDA is available), `numpy` and `python` (lists and
    tuples of numbers)."""
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    states = {
        "torch": torch.get_rng_state(),
        "numpy": [name, keys.tolist(), position, has_gauss, cached_gaussian],
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_random_states(states: dict | torch.Tensor) -> None:
    """Set the random states captured by `capture_random_states`. A bare tensor (the torch CPU state alone, as
    checkpoints before numpy's and Python's states were kept) sets torch's CPU state only. CUDA states are set on
    the devices this machine has (a checkpoint made without CUDA leaves the CUDA generators as seeded)."""
    if isinstance(states, torch.Tensor):
        torch.set_rng_state(states)
        return
    torch.set_rng_state(states["torch"])
    name, keys, position, has_gauss, cached_gaussian = states["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached_gaussian))
    version, internal, gauss_next = states["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in states and torch.cuda.is_available():
        for device, state in enumerate(states["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(state, device)
