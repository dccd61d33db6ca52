import pytest

from faq.normalize import fold


def test_fold_strips_case_punctuation_accents_and_space():
    assert fold("  How MANY CEUs?!  do I need…  ") == "how many ceus do i need"
    assert fold("café's  résumé, don't") == "cafe resume dont"


def test_fold_caps_a_pasted_essay():
    assert len(fold("word " * 10_000).split()) == 60


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("how many CEUs do I need", {"many", "ce", "requirements"}),
        ("recert", {"renew"}),
        ("recertification", {"renew"}),
        ("renewal", {"renew"}),
        ("contact hours", {"ce"}),
        ("aama approved credits", {"aamaapproved", "ce"}),
        ("credits that aren't AAMA-approved", {"nonaama", "ce"}),  # the negation turns it around
        ("how much of my points", {"many", "ce"}),  # an amount, not a price
        ("documentation", {"proof"}),
        ("exam $$?", {"exam", "cost"}),  # a dollar sign asks a price
        ("who gives the exam", {"administer", "exam"}),
        ("the latest i can pass", {"deadline", "pass"}),
        ("hw long is it", {"long"}),  # a question word typed short
        ("get it active again", {"renew"}),
        ("how mny clg credits", {"many", "college", "ce"}),  # phone shorthand
        ("how often", {"often"}),
    ],
)
def test_synonyms_reach_one_canonical_form(matcher, text, tokens):
    assert set(matcher.normalize(text).tokens) == tokens


@pytest.mark.parametrize("typo, right", [("recertifcation", "recertification"), ("expird", "expired"),
                                          ("conferance", "conference"), ("certifcation", "certification"),
                                          ("mnay", "many"), ("ceritfication", "certification")])
def test_typos_are_corrected_to_known_words(matcher, typo, right):
    assert matcher.normalize(f"cma {typo}") == matcher.normalize(f"cma {right}")


@pytest.mark.parametrize(
    "text, creds",
    [
        ("my cma", {"CMA"}),
        ("CMA (AAMA)", {"CMA"}),
        ("my ccma", {"NHA"}),
        ("certified clinical medical assistant", {"NHA"}),
        ("certified medical assistant", {"CMA"}),
        ("rma through amt", {"RMA"}),
        ("ncma", {"NCMA"}),
        ("cma vs ccma", {"CMA", "NHA"}),
        ("how many ceus", set()),
        ("are NHA's own courses free", {"NHA"}),  # a possessive names its body
        ("AMT’s annual fee", {"RMA"}),
    ],
)
def test_credentials_are_detected_and_removed_from_content(matcher, text, creds):
    norm = matcher.normalize(text)
    assert set(norm.credentials) == creds
    assert not {"cma", "ccma", "aama", "nha", "rma", "amt", "ncma"} & set(norm.tokens)


def test_stop_words_do_not_count(matcher):
    assert matcher.normalize("what is the").tokens == ()
    assert matcher.normalize("how do i renew my cma").tokens == ("renew",)


def test_numbers_are_not_content(matcher):
    assert matcher.normalize("is it 60 or 30").tokens == ()


def test_an_unknown_word_is_not_forced_onto_a_known_one(matcher):
    assert "passport" in matcher.normalize("renew my passport").tokens
    assert "lease" in matcher.normalize("when does my lease expire").tokens  # not "please", a stop word


def test_a_job_giving_trainings_administers_no_exam(matcher):
    assert "administer" not in matcher.normalize("the trainings my job gives").tokens


@pytest.mark.parametrize("word, read", [("clinic", "clinic"), ("counting", "count"), ("ineligible", "ineligible"),
                                        ("changed", "change"), ("renwal", "renew")])
def test_a_real_word_is_not_corrected_into_another(matcher, word, read):
    # "clinic" is no "clinical" category, "counting" no "accounting"; a real word only loses its inflection
    assert matcher.normalize(f"my {word} question").tokens[0] == read


@pytest.mark.parametrize("typed, meant", [("kada cuanto", "cada cuanto"), ("cuantas veses", "cuantas veces"),
                                          ("nesesito", "necesito"), ("ay q renovar", "hay que renovar"),
                                          ("cada quanto", "cada cuanto")])
def test_spanish_typed_by_ear_reads_as_spelt(dialogue, typed, meant):
    spanish = dialogue.voices["es"].matcher.normalize
    assert spanish(typed) == spanish(meant)


def test_english_is_not_read_by_spanish_sounds(matcher):
    assert matcher.normalize("kada").tokens == ("kada",)


def test_english_words_in_spanish_are_not_heard_as_credentials(dialogue):
    spanish = dialogue.voices["es"].matcher.normalize
    assert spanish("nah gracias").credentials == frozenset()
    assert spanish("where is the sheet").credentials == frozenset()


def test_a_misspelt_stop_word_drops_out_rather_than_counting_as_unknown(matcher):
    assert matcher.normalize("can i stil use ceus") == matcher.normalize("can i still use ceus")


def test_an_hour_is_pay_only_beside_money(matcher):
    assert "salary" in matcher.normalize("is 18 dollars an hour good for a cma").tokens
    assert "salary" not in matcher.normalize("webinars about an hour each").tokens


def test_a_rule_that_applies_to_me_is_no_application(matcher, dialogue):
    assert "submit" not in matcher.normalize("does the ccp apply to me").tokens
    assert "submit" in matcher.normalize("how do i apply to recertify").tokens
    spanish = dialogue.voices["es"].matcher.normalize
    assert "submit" not in spanish("a mi me aplica el ccp").tokens


def test_i_forgot_is_filler_but_forgot_to_renew_is_not(matcher):
    assert matcher.normalize("is it every 5 years, i forgot").tokens == matcher.normalize("is it every 5 years").tokens
    assert "forgotten" in matcher.normalize("i forgot to renew my cma").tokens
