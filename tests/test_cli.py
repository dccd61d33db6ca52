import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


DATA_DIR = tempfile.mkdtemp(prefix="recertbot-cli-")


def run(*args, stdin="", cwd=None, data_dir=DATA_DIR):
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd or ROOT, env=env)


def test_ask_prints_the_answer():
    result = run("ask", "how", "many", "ceus", "for", "my", "cma")
    assert result.returncode == 0
    assert "60 recertification points" in result.stdout


def test_ask_json_reads_one_question_a_line_and_keeps_the_contract():
    questions = ["how many ceus for cma", "how do i renew", "what's the weather", ""]
    result = run("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    for row in rows:
        assert list(row) == ["question", "kind", "entry", "score", "text", "suggestions"]
        assert isinstance(row["text"], str) and isinstance(row["suggestions"], list)
    assert rows[0]["kind"] == "answer" and rows[0]["entry"] == "cma-ce-total" and rows[0]["score"] > 0
    assert rows[1]["kind"] == "clarify" and len(rows[1]["suggestions"]) == 3
    assert rows[2]["kind"] == "decline" and rows[2]["suggestions"] == []


def test_ask_without_question_or_json_explains_itself():
    result = run("ask")
    assert result.returncode == 2 and "give a question" in result.stderr


def test_chat_answers_picks_by_number_and_quits():
    result = run("chat", stdin="how do i renew\n1\nthanks\nquit\n")
    assert result.returncode == 0
    out = result.stdout
    assert "closest topics" in out
    assert "There are two ways to recertify" in out
    assert "You're welcome" in out and out.rstrip().endswith("Bye!")


def test_chat_ends_cleanly_at_end_of_input():
    result = run("chat", stdin="how often do i renew my ccma\n")
    assert result.returncode == 0 and "every 2 years" in result.stdout


def test_eval_reports_groups_failures_and_honours_min(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        '- {q: "how many ceus for my cma", must: ["60"]}\n'
        '- {q: "how many ceus for my cma", must: ["61"]}\n'
        '- {q: "tell me a joke", decline: true}\n'
    )
    result = run("eval", str(cases), "--min", "0.9")
    assert result.returncode == 1
    assert "FAIL [answer] 'how many ceus for my cma': missing '61'" in result.stdout
    assert "answer: 1/2 = 50.0%" in result.stdout and "decline: 1/1 = 100.0%" in result.stdout
    assert run("eval", str(cases), "--min", "0.6").returncode == 0


def test_eval_rejects_a_malformed_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {must: ['x']}\n")
    result = run("eval", str(bad))
    assert result.returncode == 2 and "case 1" in result.stderr


def test_check_command_line_json():
    result = run("check", "cma", "--total", "45", "--aama", "20", "--json")
    assert result.returncode == 0
    row = json.loads(result.stdout)
    assert row["kind"] == "check" and row["entry"] == "check:CMA"
    assert "15 more points" in row["text"]


def test_check_command_line_bad_number_fails_with_the_reason():
    result = run("check", "cma", "--total=-3", "--aama", "2")
    assert result.returncode == 1 and "can't be negative" in result.stdout


def test_an_answer_does_not_wait_for_numpy_and_is_the_same_without_it():
    """numpy (a tenth of a second to import) is left to a thread of the running bot: a one-off answer ranks in
    Python, and ranks exactly as numpy does."""
    script = """if True:
        import json, sys
        from bot.dialogue import Dialogue
        from faq.matcher import import_numpy
        dialogue = Dialogue()
        questions = ["how many ceus do i need to recert my cma", "can i renew my ccma online and how much is it",
                     "what counts as aama approved ceu for the cma"]
        before = [dialogue.matcher.top(dialogue.matcher.normalize(q), 6) for q in questions]
        loaded = "numpy" in sys.modules
        import_numpy()
        after = [dialogue.matcher.top(dialogue.matcher.normalize(q), 6) for q in questions]
        print(json.dumps({"loaded": loaded, "same": before == after, "ranked": [len(r) for r in after]}))
    """
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["loaded"] is False
    assert found["same"] is True and all(found["ranked"])
