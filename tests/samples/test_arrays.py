"""The sample generator's array helpers: Salesforce ids with their real case checksum, minutes
and days from the history start, and positions within groups."""

from __future__ import annotations

import datetime as dt

import numpy as np

from toolkit.samples.arrays import HISTORY_START, dates, datetimes, group_starts, sf_ids, within

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum(id15: str) -> str:
    """Salesforce's 15 -> 18 character suffix, as Salesforce documents it: per 5-character chunk, a
    bit per upper-case letter (first character = lowest bit), the 5 bits indexing A-Z0-5."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    return "".join(alphabet[sum(1 << i for i, ch in enumerate(id15[k:k + 5]) if ch.isupper())] for k in (0, 5, 10))


def test_the_checksum_of_a_published_id() -> None:
    assert checksum("001A0000006Vm9r") == "IAC"  # the commonly cited 001A0000006Vm9r -> 001A0000006Vm9rIAC


def test_sf_ids() -> None:
    numbers = np.array([0, 10, 61, 62, 62 ** 4 * 7 + 12345])
    ids = sf_ids("006", numbers).to_list()
    assert ids[:4] == ["0065g0000000000AAA", "0065g000000000AAAQ", "0065g000000000zAAA", "0065g0000000010AAA"]
    for number, sid in zip(numbers, ids, strict=True):
        digits = "".join(_B62[(int(number) // 62 ** p) % 62] for p in range(9, -1, -1))
        assert sid == "0065g" + digits + checksum(sid[:15])


def test_minutes_and_days_from_the_history_start() -> None:
    start = dt.datetime.combine(HISTORY_START, dt.time())
    assert datetimes(np.array([0, 90, 1440])).to_list() == [start, start + dt.timedelta(minutes=90),
                                                            start + dt.timedelta(days=1)]
    assert dates(np.array([0, 31]), np.array([True, False])).to_list() == [HISTORY_START, None]


def test_positions_within_groups() -> None:
    counts = np.array([2, 0, 3])
    assert group_starts(counts).tolist() == [0, 2, 2]
    assert within(counts).tolist() == [0, 1, 0, 1, 2]
