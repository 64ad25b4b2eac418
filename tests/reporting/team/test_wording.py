"""A changed deal, a coaching line and the week's window in a manager's words."""

from __future__ import annotations

from toolkit.reporting.team.wording import at_stake, change_text, coaching_text, window_text


def test_change_text_says_what_changed_in_order() -> None:
    assert change_text({"changes": ["new"]}) == "new deal"
    assert change_text({"changes": ["won", "pulled_in"], "stage": {"from": "Negotiate", "to": "Closed Won"},
                        "close_date": {"from": "2025-07-17T00:00:00", "to": "2025-06-28T00:00:00"}}) == (
        "won from Negotiate; close date pulled in 2025-07-17 → 2025-06-28")
    # a lost deal without a known earlier stage; the stage change is not said twice
    assert change_text({"changes": ["lost", "stage_changed"], "stage": {"from": None, "to": "Closed Lost"}}) == "lost"
    assert change_text({"changes": ["stage_changed", "pushed", "amount_down"],
                        "stage": {"from": "Qualify", "to": "Propose"},
                        "close_date": {"from": "2025-07-01", "to": "2025-08-15"},
                        "amount": {"from": 12500.4, "to": 9000}}) == (
        "stage Qualify → Propose; close date pushed 2025-07-01 → 2025-08-15; amount 12,500 → 9,000")
    # an amount that appears (was empty) shows a dash before
    assert change_text({"changes": ["amount_up"], "amount": {"from": None, "to": 1000}}) == "amount – → 1,000"
    assert change_text({"changes": []}) == ""


def test_at_stake_is_the_larger_amount() -> None:
    assert at_stake({"amount": {"from": 5000, "to": 3000}}) == 5000.0
    assert at_stake({"amount": {"from": None, "to": 700}}) == 700.0
    assert at_stake({}) == 0.0


def test_window_text_names_the_days_covered() -> None:
    # the window is (start, end]: its first day is the day after start
    assert window_text({"start": "2025-06-23T23:59:59.999999", "end": "2025-06-30T23:59:59.999999"}) == (
        "24 Jun – 30 Jun 2025")
    assert window_text({"start": "2024-12-29T00:00:00", "end": "2025-01-05T00:00:00"}) == "30 Dec – 5 Jan 2025"
    assert window_text({}) == "" and window_text({"start": "soon", "end": "later"}) == ""


def test_coaching_text_drops_the_reps_name() -> None:
    row = {"owner_name": "Ann Lee", "stage": "Propose", "line": "Ann Lee: Propose, 3 of 9 go on (team 60 %)"}
    assert coaching_text(row) == "Propose, 3 of 9 go on (team 60 %)"
    # a line that does not start with the name is kept whole
    assert coaching_text(row | {"line": "Propose: behind the team"}) == "Propose: behind the team"
    assert coaching_text({"owner_name": "Bob", "stage": None, "line": "Bob: no stage behind the team beyond chance "
                                                                      "(12 deals)"}) == (
        "no stage behind the team beyond chance")
    assert coaching_text({"owner_name": None, "stage": None, "line": None}) == ""
