"""Scoring the dialogue on an eval file (format: shared/eval/README.md)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.contracts import Reply, ReplyKind
from bot.dialogue import Dialogue

KINDS = {"answer", "clarify", "decline", "check"}


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str
    must: list[str | list[str]] = []
    must_not: list[str] = []
    decline: bool = False
    kind: str | list[str] | None = None
    group: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v):
        for k in [v] if isinstance(v, str) else v or []:
            if k not in KINDS:
                raise ValueError(f"unknown kind '{k}'")
        return v

    @property
    def kind_group(self) -> str:
        if self.decline:
            return "decline"
        if self.kind:
            return self.kind if isinstance(self.kind, str) else "/".join(self.kind)
        return "answer"


class EvalFileError(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    case: EvalCase
    reply: Reply
    passed: bool
    why: str


def load_cases(path: Path | str) -> list[EvalCase]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalFileError(f"{path}: cannot read: {exc}") from None
    if not isinstance(raw, list):
        raise EvalFileError(f"{path}: must be a YAML list of cases")
    cases = []
    for i, item in enumerate(raw, 1):
        try:
            cases.append(EvalCase.model_validate(item))
        except ValidationError as exc:
            raise EvalFileError(f"{path}: case {i}: {exc.errors()[0]['msg']}") from None
    return cases


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def judge(case: EvalCase, reply: Reply) -> tuple[bool, str]:
    if case.decline:
        declined = reply.kind == ReplyKind.DECLINE
        return declined, "" if declined else f"expected decline, got {reply.kind}"
    allowed = {case.kind} if isinstance(case.kind, str) else set(case.kind or {"answer", "check"})
    if reply.kind not in allowed:
        return False, f"expected {'/'.join(sorted(allowed))}, got {reply.kind}"
    haystack = _fold(" ".join((reply.text, *reply.suggestions)))
    for item in case.must:
        options = [item] if isinstance(item, str) else item
        if not any(_fold(o) in haystack for o in options):
            return False, f"missing {' | '.join(options)!r}"
    for item in case.must_not:
        if _fold(item) in haystack:
            return False, f"must not contain {item!r}"
    return True, ""


def run(dialogue: Dialogue, cases: list[EvalCase]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        reply = dialogue.reply(case.q)
        ok, why = judge(case, reply)
        outcomes.append(Outcome(case, reply, ok, why))
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for o in outcomes:
        groups[o.case.kind_group].append(o.passed)
        if o.case.group:
            groups[f"group:{o.case.group}"].append(o.passed)
        groups["all"].append(o.passed)
    return {g: (sum(v), len(v)) for g, v in groups.items()}
