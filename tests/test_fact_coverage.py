"""Every fact of the fact sheet is cited by an entry or applied by a rule, unless nobody would ask about it;
and no answer speaks of "the seed": users don't know what a seed article is, so a seed-only fact is worded
"check with the certifying body"."""

import re

import pytest

from tests.conftest import ROOT

FACT_SHEET = ROOT.parent / "shared" / "facts.md"

# Facts nobody would ask about, each with the reason it needs no entry. An id here that an entry or a rule cites
# after all is a stale exemption and fails test_exemptions_are_real_and_still_needed.
EXEMPT: dict[str, str] = {}


def cited(kb) -> set[str]:
    return {f for e in kb.entries.values() for f in e.facts} | set(kb.rule_facts.values())


def test_every_fact_is_cited_by_an_entry_or_a_rule(kb):
    uncited = sorted(set(kb.facts) - cited(kb) - set(EXEMPT))
    assert not uncited, f"facts no entry or rule cites (cite them, or exempt them with a reason): {uncited}"


def test_exemptions_are_real_and_still_needed(kb):
    assert set(EXEMPT) <= set(kb.facts), sorted(set(EXEMPT) - set(kb.facts))
    assert not set(EXEMPT) & cited(kb), f"exempt but cited: {sorted(set(EXEMPT) & cited(kb))}"
    assert all(reason.strip() for reason in EXEMPT.values())


def test_no_answer_mentions_the_seed(kb):
    for entry in kb.entries.values():
        for field, text in (("answer", entry.answer), ("short", entry.short or "")):
            assert not re.search(r"(?i)\bseed", text), f"{entry.id}.{field} speaks of the seed: {text!r}"


def test_seed_only_facts_are_worded_check_with_the_certifying_body(kb):
    for entry in kb.entries.values():
        if any(kb.facts[f].status == "seed" for f in entry.facts):
            assert "check with the certifying body" in entry.answer.lower(), entry.id


def test_every_decline_pointing_to_another_body_cites_its_source(kb):
    """The bodies of facts.md's "Not ours to answer" list: each decline says where to ask and rests on a source."""
    for fid in (f for f in kb.facts if f.startswith("OOS-")):
        entries = [e for e in kb.entries.values() if fid in e.facts]
        assert entries and all(e.decline for e in entries), fid
        assert all(any(s.url for s in e.sources) for e in entries), fid


@pytest.mark.parametrize("phrase", [
    "fourth attempt",  # CMA-EXAM-ATTEMPTS: never offered
    "within 60 months of graduat",  # superseded by CMA-ELIG-NONRECENT: no deadline
    "2029",  # CMA-ELIG-ALT: the end date is not on the current page
    "$59", "90-day grace", "90 days before",  # NHA-FEE, NHA-GRACE, NCCT-FEE: content-farm figures
    "employment earns",  # AMT-CCP-WORK
])
def test_never_repeat_list_is_not_repeated(kb, phrase):
    for entry in kb.entries.values():
        assert phrase.lower() not in (entry.answer + (entry.short or "")).lower(), (entry.id, phrase)


def test_three_failed_attempts_names_the_way_back(kb):
    answer = kb.entries["cma-exam-attempts"].answer
    assert "official transcript" in answer and "accredited medical assisting program" in answer
    assert "no official source" not in answer


@pytest.mark.skipif(not FACT_SHEET.exists(), reason="no ../shared/facts.md beside this checkout")
def test_facts_yaml_follows_the_fact_sheet(kb):
    """Every row of facts.md is in facts.yaml with the same status (its first word) and the same sources."""
    text = FACT_SHEET.read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z0-9]+(?:-[A-Z0-9]+)*) \|(.*)$", text, flags=re.M)
    sources = [r for r in rows if r[1].count(" | ") == 1]  # | id | source | address |
    facts = [r for r in rows if r[1].count(" | ") >= 2]  # | id | fact | status | sources |
    assert len(facts) >= 60 and len(sources) >= 30
    for sid, _ in sources:
        assert sid in kb.sources, f"source {sid} of facts.md is missing from sources.yaml"
    for fid, rest in facts:
        cells = [c.strip() for c in rest.rstrip(" |").split(" | ")]
        status, listed = cells[-2], cells[-1]
        assert fid in kb.facts, f"fact {fid} of facts.md is missing from facts.yaml"
        assert kb.facts[fid].status == status.split()[0], fid
        expected = set() if listed == "—" else {s.strip() for s in listed.split(",")}
        assert set(kb.facts[fid].sources) == expected, fid
