from datetime import date

import pytest

from faq.extract import extract


@pytest.mark.parametrize(
    "text, values",
    [
        ("I have 45 points and 20 of them are AAMA approved", {"total": 45, "aama": 20}),
        ("i've got 52 points, 30 aama approved", {"total": 52, "aama": 30}),
        ("I have forty five points, twenty of them aama-approved", {"total": 45, "aama": 20}),
        ("did 7 credits so far", {"total": 7}),
        ("12 hours of ce", {"hours": 12}),
        ("3 hours from a webinar and 2 hours from a conference", {"hours": 5}),
        ("a course of 4 hours total, the certificate says 4.0 contact hours", {"hours": 4}),  # one total, restated
        ("my job has free 1 hour videos for ce", {}),  # the length of one video, not the user's hours
        ("i have 20 aama ceus and 25 non-aama", {"aama": 20, "non_aama": 25}),
        ("45 points: 20 aama, 12 clinical, 10 admin and 15 general",
         {"total": 45, "aama": 20, "clinical": 12, "admin": 10, "general": 15}),
        ("clinical: 8, administrative 11", {"clinical": 8, "admin": 11}),
        ("i have 10,000 points", {"total": 10000}),
        ("i have -5 points", {"total": -5}),
        ("aama approved: 18 total 40", {"aama": 18, "total": 40}),
    ],
)
def test_which_number_means_what(text, values):
    assert extract(text).values == values


@pytest.mark.parametrize(
    "text, expired",
    [
        ("my cma expired 2 months ago", (2, "month")),
        ("it lapsed about three weeks ago", (3, "week")),
        ("expired 100 days ago", (100, "day")),
        ("my cma lapsed last month", (1, "month")),
        ("been expired for 2 yrs", (2, "year")),
    ],
)
def test_how_long_ago_it_expired(text, expired):
    assert extract(text).expired == expired


def test_not_expired_is_recognised():
    assert extract("60 points, 30 aama approved, cma hasn't expired").not_expired
    assert extract("still current, 40 points").not_expired


@pytest.mark.parametrize(
    "text, month",
    [("i certified in march 2022", date(2022, 3, 1)), ("recertified Sept 2021", date(2021, 9, 1)),
     ("got my cma in 03/2021", date(2021, 3, 1)), ("certified 2020-11", date(2020, 11, 1))],
)
def test_certification_month(text, month):
    assert extract(text).certified == month


@pytest.mark.parametrize(
    "text",
    ["how many ceus do i need", "is it still 15 per category", "do ceus from 6 years ago count",
     "how often do i renew my ccma", "what happens after 3 failed attempts"],
)
def test_general_questions_hold_no_personal_numbers(text):
    assert not extract(text).any


def test_a_cpr_cards_expiry_is_not_the_credentials():
    assert extract("my bls card expired in june, does my cma still need one", today=date(2026, 11, 25)).expiry is None
    assert extract("my cma expired in june", today=date(2026, 11, 25)).expiry == date(2026, 6, 30)


def test_the_end_of_last_month_is_its_last_day():
    found = extract("my cma lapsed at the end of last month", today=date(2026, 3, 10))
    assert (found.expiry, found.expiry_exact, found.expiry_past) == (date(2026, 2, 28), True, True)


def test_ones_is_a_pronoun_not_a_number() -> None:
    assert extract("some of my ceus were from inservices so not aama ones").values == {}
    assert extract("i did 12 aama ceus, the other ones were not aama").values == {"aama": 12}


def test_the_same_hours_named_again_count_once_but_another_course_adds() -> None:
    assert extract("i took a 6 hour course, and that 6 hour course is all i have").values == {"hours": 6}
    assert extract("i took a 6 hour course and another 6 hour course").values == {"hours": 12}


def test_one_is_still_a_number_beside_ones() -> None:
    assert extract("i did one aama ceu, the other ones were not aama").values.get("aama") == 1


@pytest.mark.parametrize("text", ["me gradue en 2016 de un programa acreditado", "my baby was born in 2021"])
def test_a_date_word_inside_another_word_names_no_expiry(text) -> None:
    # "gradue" holds "due", "baby" holds "by": neither says when a credential expires
    found = extract(text.lower())
    assert found.expiry_year is None and found.expiry_past is None


def test_due_for_recert_in_a_year_is_when_it_is_due_not_when_it_was_done() -> None:
    due = extract("my cma is due for recert in 2028")
    assert (due.certified_year, due.expiry_year, due.expiry_past) == (None, 2028, False)
    assert extract("i did my recert in 2021").certified_year == 2021


def test_credits_of_a_semester_are_college_credits() -> None:
    assert extract("took biology, 4 credits last semester").values == {"college": 4.0}


def test_or_is_it_conflicts_only_between_two_dates() -> None:
    assert extract("it expired in march or was it april").conflict
    assert not extract("i did a 3 credit course. does that count or is it totally separate").conflict


@pytest.mark.parametrize("text, values", [
    # someone else's numbers are not the user's
    ("my friend already has 58 points. i have 41 with 22 aama", {"total": 41, "aama": 22}),
    # a phone number, children and a patient count are no amounts
    ("text me at 312-555-0199, i have 50 points", {"total": 50}),
    ("i have 2 kids and 33 aama points", {"aama": 33}),
    ("currently 44 with 21 aama", {"total": 44, "aama": 21}),
    # "other points (N aama)": the AAMA ones are among the others
    ("50 other points (20 aama) and 2 cpr cards", {"total": 50, "aama": 20, "cpr": 2}),
    ("took 3 quarter college credits", {"college": 3}),
])
def test_whose_amounts_and_which_numbers_count(text, values) -> None:
    assert extract(text).values == values


def test_amounts_inside_the_total_that_do_not_count_are_marked() -> None:
    assert extract("i have 30 points but 12 are from employment").values == {
        "total": 30, "employment": 12, "employment_part": 12}
    assert extract("44 points, 9 of them i earned before my last cycle").values["before_period"] == 9


@pytest.mark.parametrize("text, hours", [("i have 8 ceus (each one is 2 hours)", 16.0),
                                         ("did 3 webinars, 1.5 hours each", 4.5)])
def test_items_of_so_many_hours_each_count_their_hours_in_all(text, hours) -> None:
    assert extract(text).values == {"hours": hours}


def test_a_correction_in_other_units_replaces_the_first_amount() -> None:
    assert extract("i did 12 credits, sorry i mean 12 hours").values == {"hours": 12.0}


@pytest.mark.parametrize("text, expiry", [
    ("my cma expires 3/27", date(2027, 3, 31)),  # month and year, as on a card
    ("cert exp. 03-31-2027", date(2027, 3, 31)),
    ("my cma ran out last month", date(2026, 10, 31)),
    ("my cma expires next month", date(2026, 12, 31)),
    ("my cma expires next may", date(2027, 5, 31)),
])
def test_dates_as_people_type_them(text, expiry) -> None:
    assert extract(text, today=date(2026, 11, 25)).expiry == expiry


def test_a_spanish_month_with_del_and_its_year_is_a_date() -> None:
    from faq.extract import prepare

    found = extract(prepare("saque mi cma en enero del 2022", "es"), is_prepared=True, today=date(2026, 11, 25))
    assert found.certified == date(2022, 1, 1)


@pytest.mark.parametrize("text, values", [
    ("cma 60/30 aama, exp 2027", {"total": 60, "aama": 30}),  # total/AAMA-approved
    ("the aama requires 30 approved right? i have 40 total", {"total": 40}),  # the rule's 30, not the user's
    ("i have 9 cpr cards lol thats 36 points right?", {"cpr": 9}),  # the user's own sum of the cards
    ("20/20/20 admin clinical general", {"admin": 20, "clinical": 20, "general": 20}),  # no date
])
def test_pairs_rules_and_sums(text, values) -> None:
    assert extract(text).values == values


def test_month_day_and_two_digit_year() -> None:
    assert extract("cma exp 1/31/27, 58 pts", today=date(2026, 11, 25)).expiry == date(2027, 1, 31)


def test_months_and_weeks_ago_after_an_expiry_word_is_one_past_duration() -> None:
    found = extract("my rma exp 2 mo n 3 wks ago")
    assert (found.expired, found.expiry_past) == ((82.0, "day"), True)


def test_three_small_numbers_are_categories_unless_a_date_word_comes_before() -> None:
    assert extract("45 pts 10/20/30").values == {"total": 45, "admin": 10, "clinical": 20, "general": 30}
    assert extract("expires on 3/31/27", today=date(2026, 11, 25)).expiry == date(2027, 3, 31)


# Each reading beside its opposite: what is taken off the total against what stays in it, someone else's numbers
# after the user's, the rule's figure beside the user's own, a sum restated against a share named, dates either way.
@pytest.mark.parametrize("text, values", [
    ("i have 14 points from webinars and put 15 for employment", {"from": 14, "employment": 15}),  # beside, not in
    ("44 points, all earned in this cycle", {"total": 44}),  # nothing before the period
    ("i have 41 with 22 aama, my friend already has 58", {"total": 41, "aama": 22}),  # the friend's come after
    ("i have 30 aama points, the aama requires 30 approved right?", {"aama": 30}),  # the user's 30 stays
    ("i have 45 points, thats 20 aama and 25 other", {"total": 45, "aama": 20, "non_aama": 25}),  # a share, not a sum
    ("i have 3 credits for my ccma", {"total": 3}),  # credits are counted, kids are not
    ("i did 12 credits, sorry i mean 14 credits", {"total": 14}),  # a correction in the same unit
])
def test_readings_beside_their_opposites(text, values) -> None:
    assert extract(text).values == values


def test_points_from_a_year_inside_the_cycle_are_not_set_aside() -> None:
    found = extract("35 points but 9 are from 2025, my cycle started march 2024")
    assert (found.values, found.cycle_start, found.dated_parts) == ({"total": 35}, 2024, [(9.0, 2025)])


@pytest.mark.parametrize("text, expires_in, expiry_year, past", [
    ("my cma expires in 2 mo n 3 wks", (82.0, "day"), None, False),  # ahead, not ago
    ("my cma is due in 2027", None, 2027, False),  # "due" as its own word still dates the expiry
])
def test_dates_ahead_beside_their_past_readings(text, expires_in, expiry_year, past) -> None:
    found = extract(text, today=date(2026, 11, 25))
    assert (found.expires_in, found.expiry_year, found.expiry_past, found.expired) == (expires_in, expiry_year, past,
                                                                                       None)
