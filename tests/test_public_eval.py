"""The shared public eval, when this checkout sits beside it (a user's clone has none: then skipped)."""

import pytest

from bot import evaluate
from tests.conftest import ROOT

PUBLIC = ROOT.parent / "shared" / "eval" / "public.yaml"


@pytest.mark.skipif(not PUBLIC.exists(), reason="no ../shared/eval beside this checkout")
def test_public_eval_scores_at_least_95_percent_and_every_decline(dialogue):
    outcomes = evaluate.run(dialogue, evaluate.load_cases(PUBLIC))
    summary = evaluate.summary(outcomes)
    ok, n = summary["all"]
    assert ok / n >= 0.95, [f"{o.case.q}: {o.why}" for o in outcomes if not o.passed]
    assert summary["decline"][0] == summary["decline"][1]
