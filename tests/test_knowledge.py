"""The knowledge base states figures only through its rules, and only facts that have a source."""

import re

import yaml

from faq.kb import DATA_DIR

# Category names ("category 3") and command examples are labels, not figures.
NOT_A_FIGURE = re.compile(r"(?i)category \d|/check[^\n]*")


def raw_entries():
    for path in sorted((DATA_DIR / "entries").glob("*.yaml")):
        yield from yaml.safe_load(path.read_text())


def test_no_answer_types_a_figure_itself():
    for entry in raw_entries():
        for field in ("answer", "short"):
            text = NOT_A_FIGURE.sub("", re.sub(r"\{\{.*?\}\}", "", entry.get(field) or ""))
            assert not re.search(r"\d", text), f"{entry['id']}.{field} states a number outside the rules: {text!r}"


def test_every_figure_in_an_answer_is_a_rule_value(kb):
    values = {str(v) for group in kb.rules.values() for v in group.values()}
    figures = {m for v in values for m in re.findall(r"\d+", v)}
    for entry in kb.entries.values():
        text = NOT_A_FIGURE.sub("", entry.answer + (entry.short or ""))
        for number in re.findall(r"\d+", text):
            assert number in figures, f"{entry.id}: {number} is not a rule value"


def test_unverified_amounts_are_never_stated(kb):
    # The seed's "$17" NHA fee is garbled (NHA-FEE); AMT's "$50" annual fee is unverified (AMT-FEE).
    assert "17" not in kb.entries["nha-fee"].answer
    assert "$" not in kb.entries["rma-fee"].answer


def test_out_of_date_rules_are_not_repeated_as_current(kb):
    text = " ".join(e.answer for e in kb.entries.values()).lower()
    assert "cpr card is required" not in text
    assert "re-enroll" not in text or "no official source" in text
    assert "15 administrative" not in text


def test_every_answer_cites_a_source_with_an_address(kb):
    for entry in kb.entries.values():
        if not entry.decline:
            assert any(s.url for s in entry.sources), entry.id
