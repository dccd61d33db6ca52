"""The README's two set-up commands are the ones that work: CI runs the test one verbatim."""

import re

from tests.conftest import ROOT


def readme_commands():
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_gives_one_run_and_one_test_command():
    run, test = readme_commands()[:2]
    assert run.endswith(".venv/bin/recertbot")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    test = readme_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test in ci_lines
