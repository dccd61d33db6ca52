"""The project's own questions, as users type them, as a regression guard on answer quality."""

from bot import evaluate
from tests.conftest import REGRESSION


def test_regression_questions_score_at_least_95_percent(dialogue):
    outcomes = evaluate.run(dialogue, evaluate.load_cases(REGRESSION))
    failures = [f"{o.case.q!r}: {o.why}" for o in outcomes if not o.passed]
    ok, n = evaluate.summary(outcomes)["all"]
    assert ok / n >= 0.95, "\n".join(failures)


def test_every_decline_case_declines(dialogue):
    cases = [c for c in evaluate.load_cases(REGRESSION) if c.decline]
    assert len(cases) >= 10
    outcomes = evaluate.run(dialogue, cases)
    assert [o.case.q for o in outcomes if not o.passed] == []


def test_judge_follows_the_eval_format(dialogue):
    reply = dialogue.reply("how often do i renew my ccma")
    case = evaluate.EvalCase(q="x", must=[["five years", "2 years"]], must_not=["$17"])
    assert evaluate.judge(case, reply) == (True, "")
    assert not evaluate.judge(evaluate.EvalCase(q="x", decline=True), reply)[0]
    assert not evaluate.judge(evaluate.EvalCase(q="x", kind="check"), reply)[0]
    assert not evaluate.judge(evaluate.EvalCase(q="x", must_not=["2 YEARS"]), reply)[0]
