import subprocess
import sys

import pytest
import yaml

from faq.kb import KnowledgeBaseError, load
from faq.matcher import Matcher


def edit_entries(kb_dir, file, change):
    path = kb_dir / "entries" / file
    entries = yaml.safe_load(path.read_text())
    change(entries)
    path.write_text(yaml.safe_dump(entries, sort_keys=False))
    return path


def first(entries, entry_id):
    return next(e for e in entries if e["id"] == entry_id)


def test_the_shipped_knowledge_base_loads(kb):
    assert len(kb.entries) >= 30
    for entry in kb.entries.values():
        assert entry.decline or entry.sources, entry.id
        assert "{{" not in entry.answer


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda es: first(es, "cma-cycle")["facts"].append("CMA-NOPE"), "unknown fact id 'CMA-NOPE'"),
        (lambda es: first(es, "cma-cycle")["related"].append("no-such-entry"), "unknown related id 'no-such-entry'"),
        (lambda es: first(es, "cma-cycle").update(answer="Every {{ r.cma.no_such_rule }} months"), "answer template"),
        (lambda es: first(es, "cma-cycle").update(answer="Every {{ r.cma.cycle_months "), "answer template"),
        (lambda es: first(es, "cma-cycle").pop("question"), "question: Field required"),
        (lambda es: first(es, "cma-cycle").update(credentials=["CNA"]), "credentials.0"),
        (lambda es: first(es, "cma-cycle").update(surprise=1), "surprise"),
        (lambda es: first(es, "cma-cycle").pop("short"), "needs a short answer"),
    ],
)
def test_a_broken_entry_names_the_file_and_the_entry(kb_copy, change, message):
    path = edit_entries(kb_copy, "cma_status.yaml", change)
    with pytest.raises(KnowledgeBaseError) as err:
        load(kb_copy)
    assert str(path) in str(err.value)
    assert "entry 'cma-cycle'" in str(err.value)
    assert message in str(err.value)


def test_a_phrasing_owned_by_two_entries_is_refused(kb_copy):
    edit_entries(kb_copy, "nha.yaml",
                 lambda es: first(es, "nha-fee")["phrasings"].append("How many CEUs do I need to recert my CCMA?"))
    with pytest.raises(KnowledgeBaseError, match="also belongs to entry 'nha-ce'"):
        Matcher(load(kb_copy))


def test_invalid_yaml_names_the_line(kb_copy):
    (kb_copy / "entries" / "nha.yaml").write_text("- id: x\n  question: [unclosed\n")
    with pytest.raises(KnowledgeBaseError, match=r"nha.yaml: is not valid YAML at line \d"):
        load(kb_copy)


@pytest.mark.parametrize(
    "file, edit, message",
    [
        ("rules.yaml", lambda t: t.replace("fact: CMA-CYCLE", "fact: CMA-CYCLES", 1),
         "rules.yaml: entry 'cma.cycle_months': unknown fact id"),
        ("rules.yaml", lambda t: t + "  renewal_fee: {value: 17, fact: NHA-FEE}\n", "unverified fact 'NHA-FEE'"),
        ("facts.yaml", lambda t: t.replace("[AMT-STAY]", "[AMT-GONE]", 1), "unknown source id 'AMT-GONE'"),
    ],
)
def test_broken_rules_and_facts_are_refused(kb_copy, file, edit, message):
    path = kb_copy / file
    path.write_text(edit(path.read_text()))
    with pytest.raises(KnowledgeBaseError, match=message):
        load(kb_copy)


def test_cli_reports_a_broken_file_in_one_line_without_a_traceback(kb_copy, tmp_path):
    edit_entries(kb_copy, "cma_status.yaml", lambda es: first(es, "cma-cycle")["facts"].append("CMA-NOPE"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "faq", "lint"],
        env={"RECERTBOT_KB_DIR": str(kb_copy), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cma_status.yaml: entry 'cma-cycle': unknown fact id 'CMA-NOPE'" in lines[0]


def test_lint_is_clean_on_the_shipped_knowledge_base(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "faq", "lint"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 confusable pairs" in result.stdout


def test_lint_lists_entries_the_matcher_cannot_tell_apart(kb_copy, tmp_path):
    edit_entries(kb_copy, "nha.yaml",
                 lambda es: first(es, "nha-fee")["phrasings"].append("how many hours of ce"))  # nha-ce's own question
    result = subprocess.run([sys.executable, "-m", "bot", "faq", "lint"], capture_output=True, text=True,
                            env={"RECERTBOT_KB_DIR": str(kb_copy), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "confusable (en): " in result.stdout and "'nha-fee'" in result.stdout and "'nha-ce'" in result.stdout


def test_lint_lists_spanish_entries_the_matcher_cannot_tell_apart(kb_copy, tmp_path):
    nha = kb_copy / "es" / "entries" / "nha.yaml"
    entries = yaml.safe_load(nha.read_text())
    first(entries, "nha-fee")["phrasings"].append("como se convierten las horas a creditos nha pa renovar")
    nha.write_text(yaml.safe_dump(entries, allow_unicode=True))
    result = subprocess.run([sys.executable, "-m", "bot", "faq", "lint"], capture_output=True, text=True,
                            env={"RECERTBOT_KB_DIR": str(kb_copy), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    # the pair scores the same both ways: lint may name it from either side
    assert "confusable (es)" in result.stdout and "'nha-fee'" in result.stdout and "'nha-ce'" in result.stdout
    assert "en: 68 entries" in result.stdout
