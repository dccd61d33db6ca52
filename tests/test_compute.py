"""Questions that give a number get the result worked out from the rules (faq/compute.py)."""

import pytest

from faq.compute import compute
from faq.extract import prepare


@pytest.fixture(scope="module")
def rules(kb):
    return kb.rules


@pytest.mark.parametrize("entry, text, kind, result, counted", [
    ("nha-ce", "how many hours is 10 nha credits", "nha_credits", 20, None),  # NHA-CE: 2 hours a credit
    ("nha-ce", "how many nha credits would 16 hours of webinars give me", "nha_hours", 8, None),
    ("cma-college-credit", "how many recert points is a 3 credit college class worth", "college_points", 45, 30),
    ("cma-college-credit", "what is one college credit worth", "college_points", 15, 15),  # CMA-CE-NONAAMA
    ("cma-cpr", "if someone turned in 5 two-year cpr cards how many points", "cpr_points", 20, 12),  # CMA-CPR
    ("cma-cpr", "how many points do 2 cpr cards give", "cpr_points", 8, 8),
])
def test_conversions_follow_the_rules(rules, entry, text, kind, result, counted):
    found = compute(entry, prepare(text), rules)
    assert found is not None and (found.kind, found.result, found.counted) == (kind, result, counted)


@pytest.mark.parametrize("entry, text", [
    ("nha-ce", "how many credits do i need for my ccma"),  # no number given
    ("cma-cycle", "is it 60 months"),  # not a conversion
    ("nha-ce", "how many hours is -5 nha credits"),
    ("cma-cpr", "how many points do 9999 cpr cards give"),
])
def test_nothing_to_compute(rules, entry, text):
    assert compute(entry, prepare(text), rules) is None


def test_the_answer_starts_with_the_result(dialogue):
    reply = dialogue.reply("how many hours of ce is 10 nha credits")
    assert reply.kind == "answer" and reply.text.startswith("10 NHA CE credits take 20 hours of CE.")
