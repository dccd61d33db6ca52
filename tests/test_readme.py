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


def test_every_setting_is_in_env_example_with_a_comment():
    from bot.settings import Settings

    example = (ROOT / ".env.example").read_text().splitlines()
    for name, field in Settings.model_fields.items():
        env = (field.validation_alias or name).upper()
        line = next((i for i, text in enumerate(example) if re.match(rf"#?\s*{env}=", text)), None)
        assert line is not None, f"{env} is missing from .env.example"
        above = line - 1
        while above >= 0 and re.match(r"[A-Z_]+=", example[above]):  # settings sharing one comment
            above -= 1
        assert above >= 0 and example[above].startswith("#"), f"{env} has no comment above it"
