"""The calculator's rules, case by case, each case naming the fact it checks."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faq import calculator as calc
from faq.calculator import Expiry, InputError


@pytest.fixture(scope="module")
def rules(kb):
    return kb.rules


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "fact, total, aama, status, missing",
    [
        ("CMA-CE-TOTAL", 45, 20, "not_yet", {"total": 15, "aama": 10}),  # the example
        ("CMA-CE-AAMA", 60, 25, "not_yet", {"total": 5, "aama": 5}),  # extra non-AAMA points do not count
        # totals met, but categories and expiry unknown: never ✅ (issue 11)
        ("CMA-CE-TOTAL", 60, 30, "totals_met", {}),  # exactly 60, exactly 30
        ("CMA-CE-TOTAL", 60, 60, "totals_met", {}),  # all AAMA-approved is fine
        ("CMA-CE-AAMA", 61, 30, "totals_met", {}),  # 31 non-AAMA: one is wasted, still 60 counted
        ("CMA-CE-AAMA", 90, 29, "not_yet", {"total": 1, "aama": 1}),
        ("CMA-CE-TOTAL", 59, 30, "not_yet", {"total": 1}),
        ("CMA-CE-TOTAL", 50, 50, "not_yet", {"total": 10}),
        ("CMA-CE-TOTAL", 0, 0, "not_yet", {"total": 60, "aama": 30}),
        ("CMA-CE-AAMA", 30, 0, "not_yet", {"total": 30, "aama": 30}),
    ],
)
def test_cma_points(rules, fact, total, aama, status, missing):
    v = calc.check_cma(rules, total=total, aama=aama, today=TODAY)
    assert fact in v.facts
    assert (v.status, v.missing) == (status, missing)


def test_cma_ready_only_when_every_condition_is_known(rules):
    cats = {"admin": 10, "clinical": 10, "general": 40}
    current = calc.When(past=False)
    assert calc.check_cma(rules, total=60, aama=30, today=TODAY, when=current, **cats).status == "ready"
    totals = calc.check_cma(rules, total=60, aama=30, today=TODAY, **cats)
    assert totals.status == "totals_met" and totals.unconfirmed == ("expiry",)
    partly = calc.check_cma(rules, total=60, aama=30, today=TODAY, when=current, admin=10)
    assert partly.status == "totals_met" and partly.unconfirmed == ("categories",)


def test_cma_extra_non_aama_points_are_noted(rules):
    v = calc.check_cma(rules, total=61, aama=30, today=TODAY)  # CMA-CE-AAMA
    assert "non_aama_capped" in v.notes and v.have["counted"] == 60


@pytest.mark.parametrize(
    "cats, missing, note",
    [
        ({"admin": 10, "clinical": 10, "general": 10}, {}, None),  # exactly 10 each (CMA-CE-CATEGORIES)
        ({"admin": 10, "clinical": 9, "general": 41}, {"clinical": 1}, None),
        ({"clinical": 5}, {"clinical": 5}, "some_categories_not_checked"),
        ({}, {}, "categories_not_checked"),
    ],
)
def test_cma_categories(rules, cats, missing, note):
    v = calc.check_cma(rules, total=60, aama=30, today=TODAY, **cats)
    assert "CMA-CE-CATEGORIES" in v.facts
    assert v.missing == missing
    assert (note in v.notes) if note else not any("categories" in n for n in v.notes)


@pytest.mark.parametrize(
    "amount, unit, exam",
    [
        (2, "months", False), (3, "months", False), (3.5, "months", True), (4, "months", True),
        (90, "days", False), (91, "days", True), (12, "weeks", False), (13, "weeks", True),
        (1, "year", True), (0, "months", False),
    ],
)
def test_cma_expired_three_months_then_exam_only(rules, amount, unit, exam):  # CMA-CE-EXPIRED
    v = calc.check_cma(rules, total=60, aama=30, expired=Expiry.of(amount, unit), today=TODAY)
    assert "CMA-CE-EXPIRED" in v.facts
    assert (v.status == "exam_required") == exam
    if exam:
        assert "CMA-EXAM-FEE" in v.facts


@pytest.mark.parametrize(
    "certified, current_until, ce_open_until, pass_by",
    [
        # pass-by exactly two months before expiry (issue 11: no rounding to the end of a month)
        (date(2010, 2, 1), date(2015, 2, 28), date(2015, 5, 29), date(2014, 12, 28)),  # the fact sheet's example
        (date(2019, 2, 14), date(2024, 2, 29), date(2024, 5, 29), date(2023, 12, 29)),  # leap year
        (date(2020, 1, 31), date(2025, 1, 31), date(2025, 4, 30), date(2024, 11, 30)),  # end of month
        (date(2021, 12, 1), date(2026, 12, 31), date(2027, 3, 31), date(2026, 10, 31)),
    ],
)
def test_cma_dates(rules, certified, current_until, ce_open_until, pass_by):  # CMA-CYCLE, CMA-EXAM-TIMING
    d = calc.cma_dates(certified, TODAY, rules)
    assert (d.current_until, d.ce_open_until, d.exam_pass_by) == (current_until, ce_open_until, pass_by)
    # CMA-EXAM-TIMING: the application received at least 30 days before the expiry date itself
    assert (d.current_until - d.exam_apply_by).days == 30


def test_cma_date_past_the_window_needs_the_exam(rules):  # CMA-CYCLE + CMA-CE-EXPIRED
    certified = date(2021, 6, 1)  # current until 30 June 2026, CE open until 28 September 2026
    assert calc.check_cma(rules, certified=certified, today=date(2026, 9, 28)).status == "need_info"
    late = calc.check_cma(rules, certified=certified, today=date(2026, 9, 29))
    assert late.status == "exam_required" and late.dates.days_past == 91


def test_cma_date_in_the_future_is_refused(rules):
    with pytest.raises(InputError, match="future_date"):
        calc.check_cma(rules, certified=date(2027, 1, 1), today=TODAY)


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"total": -1, "aama": 0}, "negative"),
        ({"total": 10_000, "aama": 0}, "too_many"),
        ({"total": 20, "aama": 30}, "aama_over_total"),
        ({"total": 20, "aama": 10, "clinical": 15, "admin": 10}, "categories_over_total"),
        ({"total": float("nan"), "aama": 1}, "not_a_number"),
    ],
)
def test_cma_bad_numbers(rules, kwargs, code):
    with pytest.raises(InputError) as raised:
        calc.check_cma(rules, today=TODAY, **kwargs)
    assert raised.value.code == code


def test_cma_asks_for_what_is_missing(rules):
    assert calc.check_cma(rules, total=60, today=TODAY).ask == "aama"
    assert calc.check_cma(rules, aama=20, today=TODAY).ask == "total"
    short = calc.check_cma(rules, total=45, today=TODAY)  # whatever the split, 15 more at least
    assert short.status == "not_yet" and short.missing == {"total": 15} and "aama_unknown" in short.notes


@pytest.mark.parametrize(
    "credits, hours, status, missing",
    [
        (None, 12, "not_yet", {"credits": 4}),  # 12 hours -> 6 credits -> 4 more (NHA-CE)
        (10, None, "totals_met", {}),  # met, but whether it has expired is unknown
        (7, None, "not_yet", {"credits": 3}),
        (5, 10, "totals_met", {}),
        (0, 19, "not_yet", {"credits": 0.5}),
    ],
)
def test_nha_credits(rules, credits, hours, status, missing):
    v = calc.check_nha(rules, credits=credits, hours=hours)
    assert "NHA-CE" in v.facts and "fee_unverified" in v.notes
    assert (v.status, v.missing) == (status, missing)


@pytest.mark.parametrize("points, status, missing", [(30, "totals_met", {}), (25, "not_yet", {"points": 5}),
                                                     (0, "not_yet", {"points": 30})])
def test_rma_ccp_points(rules, points, status, missing):  # AMT-CCP
    v = calc.check_rma(rules, points=points)
    assert "AMT-CCP" in v.facts and (v.status, v.missing) == (status, missing)


def test_ncma_cannot_be_checked_without_verified_hours():  # NCCT-HOURS
    assert calc.check_ncma().status == "cannot_check"


def test_expiry_units():
    assert Expiry.of(2, "weeks") == Expiry(14, "days")
    assert Expiry.of(1, "year") == Expiry(12, "months")
    with pytest.raises(InputError):
        Expiry.of(-1, "month")
    with pytest.raises(InputError):
        Expiry.of(1000, "year")


# --- properties ---------------------------------------------------------------------------------------

points = st.integers(min_value=0, max_value=calc.MAX_POINTS)


@st.composite
def cma_numbers(draw):
    total = draw(points)
    aama = draw(st.integers(min_value=0, max_value=total))
    return total, aama


@given(cma_numbers())
def test_missing_amounts_are_never_negative_and_ready_means_nothing_missing(rules, numbers):
    total, aama = numbers
    v = calc.check_cma(rules, total=total, aama=aama, today=TODAY)
    assert all(m > 0 for m in v.missing.values())
    assert not v.ready  # categories and expiry unknown
    assert (v.status == "totals_met") == (not v.missing)


@given(cma_numbers(), st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=100))
def test_adding_points_never_undoes_ready(rules, numbers, more_aama, more_other):
    total, aama = numbers
    before = calc.check_cma(rules, total=total, aama=aama, today=TODAY)
    after_total = min(total + more_aama + more_other, calc.MAX_POINTS)
    after_aama = min(aama + more_aama, after_total)
    after = calc.check_cma(rules, total=after_total, aama=after_aama, today=TODAY)
    if not before.missing:
        assert not after.missing
    assert after.missing.get("total", 0) <= before.missing.get("total", 0)


@given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=calc.MAX_HOURS))
def test_nha_missing_is_never_negative(rules, credits, hours):
    v = calc.check_nha(rules, credits=credits, hours=hours)
    assert all(m > 0 for m in v.missing.values())
    assert (v.status == "totals_met") == (not v.missing)
