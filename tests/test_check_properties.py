"""Properties of the check through the real dialogue (issue 11): a future expiry is never read as an expired
one, no ✅ while a condition is unknown, and a correction makes the later number count."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dialogue import Dialogue

TODAY = date(2026, 11, 25)
EXPIRED = {"exam_required", "lapsed"}


@pytest.fixture(scope="module")
def talk(kb, matcher):
    return Dialogue(kb, matcher, today=lambda: TODAY)


future = st.sampled_from(["my {c} expires in {n} {u}", "{c} will expire in {n} {u}", "my {c} will lapse in {n} {u}",
                          "{c} expiring in {n} {u}", "my {c} is about to expire, in {n} {u}",
                          "my {c} isn't expired yet, it expires in {n} {u}"])
credential = st.sampled_from(["cma", "ccma", "rma"])
unit = st.sampled_from(["days", "weeks", "months", "years"])
amounts = st.sampled_from(["", ", i have {p} points", ", i have {p} aama ceus", ", got {p} credits",
                           " and i have {p} ccp points"])


@settings(deadline=None)
@given(future, credential, st.integers(1, 4), unit, amounts, st.integers(0, 80))
def test_expires_in_is_never_expired(talk, phrase, cred, n, u, amount, points):
    text = phrase.format(c=cred, n=n, u=u) + amount.format(p=points)
    reply = talk.reply(text)
    for check in reply.checks:
        assert check.status not in EXPIRED, (text, reply.text)
        assert check.expiry in ("current", "unknown"), (text, check)
    if reply.kind != "check":  # not read as the user's own check (e.g. no "my"): the FAQ answers instead
        return
    assert not any(words in reply.text for words in ("Expired ", "That date has passed", "has lapsed",
                                                      "has expired", "must pass the")), (text, reply.text)


optional = st.one_of(st.none(), st.integers(0, 70))


@settings(deadline=None)
@given(st.integers(0, 120), st.integers(0, 120), optional, optional, optional,
       st.sampled_from([None, "expired=0", "expired=2", "certified=2023-04", "certified=2021-12"]))
def test_no_tick_while_a_condition_is_unknown(talk, total, aama, admin, clinical, general, when):
    aama = min(aama, total)
    parts = [f"total={total}", f"aama={aama}"]
    parts += [f"{k}={v}" for k, v in (("admin", admin), ("clinical", clinical), ("general", general)) if v is not None]
    cats = [v for v in (admin, clinical, general) if v is not None]
    if sum(cats) > total:
        return
    reply = talk.reply("/check cma " + " ".join(parts + ([when] if when else [])))
    if "✅" in reply.text:
        [check] = reply.checks
        assert check.status == "ready" and not check.missing
        assert when is not None and len(cats) >= 2, reply.text  # two categories and the total give the third


@settings(deadline=None)
@given(st.integers(0, 120), st.integers(0, 120),
       st.sampled_from(["sorry i mean", "wait no", "actually", "no wait", "oops no"]))
def test_a_correction_makes_the_later_number_count(talk, first, later, word):
    reply = talk.reply(f"my cma expires in 8 months, i have {first} aama points... {word} {later}")
    [check] = reply.checks
    if later > 500:
        assert check.status == "input_error"
        return
    short = max(0, 60 - later)
    assert check.missing.get("total", 0) == short, (first, later, word, check)
