"""The eligibility check against a table of free-text messages written by someone who never saw the bot
(tests/data/check_messages.yaml, plus a fresh batch in check_messages_fresh.yaml): each message goes through the
real dialogue, and the structured outcome of its reply (one per credential) must match the expected status,
shortfalls, expiry and date.

`python -m tests.test_check_messages` prints the score and each failure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.contracts import CheckSummary, Reply
from bot.dialogue import Dialogue

DATA = Path(__file__).parent / "data"
TABLE = DATA / "check_messages.yaml"  # written by someone who never saw the bot
FRESH = DATA / "check_messages_fresh.yaml"  # written by the developer before running it
TODAY = dt.date(2026, 11, 25)
TABLE_CASES: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
CASES = TABLE_CASES + yaml.safe_load(FRESH.read_text(encoding="utf-8"))


def outcomes(reply: Reply) -> list[CheckSummary]:
    return list(reply.checks) if reply.kind == "check" else []


def mismatch(case: dict[str, Any], reply: Reply) -> str | None:
    """Why the reply does not match the case, or None when it does."""
    got = outcomes(reply)
    expected = case["expect"]
    if [e["status"] for e in expected] == ["no_check"]:
        return None if not got else f"expected no check, got {got}"
    if len(got) != len(expected):
        return f"expected {len(expected)} outcome(s), got {got}"
    remaining = list(got)
    for want in expected:
        match = next((g for g in remaining if want.get("credential") in (None, g.credential)), None)
        if match is None:
            return f"no outcome for {want.get('credential')}: {got}"
        remaining.remove(match)
        if match.status != want["status"]:
            return f"{want.get('credential')}: status {match.status} != {want['status']} ({match})"
        if "missing" in want and dict(match.missing) != {k: float(v) for k, v in want["missing"].items()}:
            return f"{want.get('credential')}: missing {dict(match.missing)} != {want['missing']}"
        if "expiry" in want and want["status"] != "no_check" and match.expiry != want["expiry"]:
            return f"{want.get('credential')}: expiry {match.expiry} != {want['expiry']}"
        if "current_until" in want and match.current_until != want["current_until"]:
            return f"{want.get('credential')}: current_until {match.current_until} != {want['current_until']}"
        if "asks" in want and match.asks != want["asks"]:
            return f"{want.get('credential')}: asks {match.asks} != {want['asks']}"
    return None


@pytest.fixture(scope="module")
def talk(kb, matcher):
    return Dialogue(kb, matcher, today=lambda: TODAY)


def test_the_table_is_big_enough():
    assert len(TABLE_CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=[c["q"][:60] for c in CASES])
def test_message(talk, case):
    reply = talk.reply(case["q"])
    why = mismatch(case, reply)
    assert why is None, f"{case['q']!r}: {why}\n{reply.text}"


def main() -> None:
    from faq.kb import load
    from faq.matcher import Matcher

    kb = load()
    talk = Dialogue(kb, Matcher(kb), today=lambda: TODAY)
    failures = []
    for case in CASES:
        reply = talk.reply(case["q"])
        why = mismatch(case, reply)
        if why:
            failures.append((case["q"], why))
    for q, why in failures:
        print(f"FAIL {q!r}\n     {why}")
    print(f"{len(CASES) - len(failures)}/{len(CASES)} pass")


if __name__ == "__main__":
    main()
