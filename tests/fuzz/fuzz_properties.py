"""The property every fuzz test checks, for hypothesis: a mutated seed gives `ok` or our error, never a finding."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import fuzz_targets as ft
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Reproducible in CI (derandomize), no example database, and no per-example deadline: the alarm guard in
# `fuzz_targets.execute` bounds each read instead, because a loaded 2-core machine makes timings jumpy.
FUZZ_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

TARGETS = {target.name: target for target in ft.all_targets()}


def steps(mutators: int) -> st.SearchStrategy:
    """One to three `(mutator index, random seed)` steps."""
    return st.lists(st.tuples(st.integers(0, mutators - 1), st.integers(0, 2**32 - 1)), min_size=1, max_size=3)


def check_mutation(name: str, folder: Path, seeds: list[bytes], data) -> ft.Outcome:
    """Draw a seed and mutation steps, run the target, record the outcome and assert it is not a finding."""
    target = TARGETS[name]
    seed = seeds[data.draw(st.integers(0, len(seeds) - 1), label="seed")]
    mutated = ft.mutate(target, seed, data.draw(steps(len(target.mutators)), label="steps"))
    outcome = ft.execute(target, mutated, folder)
    ft.SUITE_TALLY.add(name, outcome)
    assert outcome.kind != "finding", f"{name}: {outcome.message}\ninput: {mutated[:400]!r}"
    return outcome


def peak_bytes(function) -> tuple[object, int]:
    """`(result or raised exception, peak bytes traced by tracemalloc while it ran)`; numpy's and Python's
    allocations are traced."""
    tracemalloc.start()
    try:
        try:
            result = function()
        except Exception as error:  # noqa: BLE001 - returned for the caller to check
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def print_tally(names) -> None:
    """Print the in-suite counts of `names` (seen with `pytest -s`)."""
    lines = [line for line in ft.SUITE_TALLY.summary().splitlines() if line.split(":")[0] in names]
    if lines:
        print("\nfuzz tally:\n" + "\n".join(lines))
