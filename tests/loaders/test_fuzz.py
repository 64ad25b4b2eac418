"""Property-based fuzzing of the loaders: every sample export, mutated (byte flips, truncations,
deleted and doubled lines, stray quotes, NULs, BOMs, other encodings, changed headers, hostile
names), loads into rows and rejects or fails with one of the project's errors, with every file's
ledger adding up and no deal id that the mutated files do not hold.

Derandomized and small in ``make test``; ``make fuzz`` runs many more examples from a fixed seed.
``TOOLKIT_FUZZ_RECORD=FILE`` records every example (and its escape) to FILE as JSON lines instead
of stopping at the first escape, to survey the loaders.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from fuzz_mutations import EXPORT_FILES, Step, check_load, mutations
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("TOOLKIT_FUZZ_EXAMPLES", "8"))
SEED = os.environ.get("TOOLKIT_FUZZ_SEED")
RECORD = os.environ.get("TOOLKIT_FUZZ_RECORD")

_settings = settings(
    max_examples=EXAMPLES, derandomize=SEED is None, deadline=None, database=None, print_blob=True,
    # a survey records every example; shrinking would re-run the failing ones many times over
    phases=(Phase.explicit, Phase.generate) if RECORD else tuple(Phase),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _seeded(test):  # type: ignore[no-untyped-def]
    return seed(int(SEED))(test) if SEED is not None else test


@_seeded
@_settings
@given(target=st.sampled_from(EXPORT_FILES), mutation=mutations)
def test_mutated_exports_load_or_fail_cleanly(target: tuple[str, str], mutation: list[Step]) -> None:
    fmt, name = target
    with tempfile.TemporaryDirectory() as tmp:
        outcome = check_load(fmt, name, mutation, Path(tmp))
    if RECORD:
        with open(RECORD, "a", encoding="utf-8") as out:
            out.write(json.dumps({"file": f"{fmt}/{name}", "mutation": [s.what for s in mutation],
                                  "escape": outcome.escape, "error": outcome.error}) + "\n")
        return
    assert outcome.escape is None, f"{fmt}/{name} after {[s.what for s in mutation]}: {outcome.escape}"
