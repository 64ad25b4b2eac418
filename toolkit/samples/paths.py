"""The stage paths a deal can take, as indices into the process's stages (0-3 the open stages in
order, 4 won, 5 lost), and the ground-truth rules that say which process flag a path plants."""

from __future__ import annotations

from collections.abc import Sequence

#: Open stages the path templates are drawn for: the weights below are one per open stage.
N_OPEN = 4
WON_I, LOST_I = N_OPEN, N_OPEN + 1

FLAGS: tuple[str, ...] = ("skipped_stage", "backward_move", "over_time_limit", "missing_required_field",
                          "started_late", "overdue_close_date")

# Path kinds: each deal draws one; "over" uses the normal paths with one stay past its limit.
KINDS = ("normal", "skipped_stage", "backward_move", "started_late", "over_time_limit")
KIND_P = (0.84, 0.04, 0.03, 0.03, 0.06)
NORMAL, SKIPPED, BACKWARD, STARTED_LATE, OVER = range(len(KINDS))

# How far normal deals get: open ones stop in each open stage, lost ones are lost from it.
_OPEN_REACH = (0.30, 0.30, 0.25, 0.15)
_LOST_REACH = (0.35, 0.30, 0.20, 0.15)
_WON_SHARE, _LOST_SHARE = 0.35, 0.65

Template = tuple[tuple[int, ...], int, bool, float]
"""(stage indices, kind, open?, weight within its kind and openness)."""


def path_flags(path: Sequence[int]) -> list[tuple[str, int]]:
    """The order flags of a path of stage indices: (flag, stage index) in path order."""
    flags = [("started_late", path[0])] if path[0] != 0 else []
    for a, b in zip(path, path[1:], strict=False):
        if b == LOST_I:                  # lost may follow any open stage
            continue
        if b > a + 1:
            flags.append(("skipped_stage", a + 1))
        elif b < a:
            flags.append(("backward_move", b))
    return flags


def catalog() -> list[Template]:
    """Every path template; each non-normal kind plants exactly its own flag, once."""
    out: list[Template] = []
    stages = range(N_OPEN)
    normal_open = [(tuple(range(f + 1)), w) for f, w in zip(stages, _OPEN_REACH, strict=True)]
    normal_closed = [(tuple(range(WON_I + 1)), _WON_SHARE)] + [
        ((*range(f + 1), LOST_I), _LOST_SHARE * w) for f, w in zip(stages, _LOST_REACH, strict=True)]
    for kind in (NORMAL, OVER):
        out += [(p, kind, True, w) for p, w in normal_open] + [(p, kind, False, w) for p, w in normal_closed]
    ends: tuple[tuple[int, ...], ...] = ((), (WON_I,), (LOST_I,))
    later = range(1, N_OPEN)
    for mask in range(1 << (N_OPEN - 1)):                   # skips: forward paths from the first stage, one jump
        seq = (0, *[s for s in later if mask >> (s - 1) & 1])
        for end in ends:
            path = seq + end
            flags = path_flags(path)
            if len(flags) == 1 and flags[0][0] == "skipped_stage":
                out.append((path, SKIPPED, not end, 1.0))
    for c in later:                                         # back from c to b, then forward to e >= c
        for b in range(c):
            for e in range(c, N_OPEN):
                seq = (*range(c + 1), *range(b, e + 1))
                for end in ends:
                    if end == (WON_I,) and e != N_OPEN - 1:
                        continue
                    out.append((seq + end, BACKWARD, not end, 1.0))
    for s in later:                                         # started late in s, forward to f
        for f in range(s, N_OPEN):
            for end in ends:
                if end == (WON_I,) and f != N_OPEN - 1:
                    continue
                out.append(((*range(s, f + 1), *end), STARTED_LATE, not end, 1.0))
    for path, kind, _, _ in out:
        flags = path_flags(path)
        assert (not flags) if kind in (NORMAL, OVER) else (len(flags) == 1 and flags[0][0] == KINDS[kind]), path
    return out


CATALOG = catalog()
