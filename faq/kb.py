"""Loading and validating the knowledge base: entries, rules, facts and sources from faq/data.

Everything is checked at load, and a bad file stops start-up with one `KnowledgeBaseError` that names
the file and the entry. Answer templates are rendered once here, from the rules, so a template error
is a load error and never a runtime one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DATA_DIR = Path(__file__).parent / "data"
CREDENTIAL_IDS = ("CMA", "NHA", "RMA", "NCMA")
TRANSLATED = ("es",)  # languages the knowledge base may have a folder for (faq/data/es/)
Credential = Literal["CMA", "NHA", "RMA", "NCMA"]


class KnowledgeBaseError(Exception):
    """One problem in the knowledge base, said in one line."""

    def __init__(self, file: Path | str, message: str, entry: str | None = None):
        self.file, self.entry, self.message = str(file), entry, message
        where = f"{self.file}: entry '{entry}'" if entry else self.file
        super().__init__(f"{where}: {message}")


class _Strict(BaseModel):
    # defer_build: the validators are built when YAML is first validated, not at import: a bot started from the
    # compiled cache (bot/kb_cache.py) only unpickles these, which needs the classes but not their validators.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class EntrySpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)
    credentials: list[Credential]
    topics: list[str] = []
    question: str = Field(min_length=5)
    phrasings: list[str] = Field(min_length=3)
    answer: str = Field(min_length=10)
    short: str | None = None
    facts: list[str]
    related: list[str] = []
    decline: bool = False


class SourceSpec(_Strict):
    name: str
    url: str | None


class FactSpec(_Strict):
    status: Literal["seed+official", "official", "seed-corrected", "seed", "unverified"]
    sources: list[str]


class RuleSpec(_Strict):
    value: int | str
    fact: str


class CredentialSpec(_Strict):
    label: str
    menu: str
    body: str
    markers: list[str] = Field(min_length=1)


class OtherBodySpec(_Strict):
    names: list[str] = Field(min_length=1)
    shared: list[str] = []
    senses: list[str] = []
    entry: str | None = None


@dataclass(frozen=True)
class OtherBody:
    """A credential or body we don't cover, and how a message names it (other_bodies.yaml)."""

    id: str
    names: tuple[str, ...]
    shared: tuple[str, ...]
    senses: tuple[str, ...]
    entry: str | None  # the decline entry that says where to ask


class SynonymSpec(_Strict):
    anchors: list[str] = Field(min_length=1)
    strong_anchors: list[str] = Field(min_length=1)
    out_of_scope: list[str] = []
    phrases: dict[str, str]
    words: dict[str, str]


class TranslationSpec(_Strict):
    """One entry in another language: same id, its own question, phrasings and answer (same rules)."""

    id: str
    question: str = Field(min_length=5)
    phrasings: list[str] = Field(min_length=3)
    answer: str = Field(min_length=10)
    short: str | None = None


class LanguageCredentialSpec(_Strict):
    """A credential's name on buttons and in lists, in another language (label and markers stay the boards')."""

    menu: str = Field(min_length=2)


class LanguageOtherBodySpec(_Strict):
    """Another language's words for a body we don't cover, added to its own (other_bodies.yaml)."""

    names: list[str] = []
    senses: list[str] = []


class LanguageSynonymSpec(_Strict):
    phrases: dict[str, str] = {}
    words: dict[str, str] = {}


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    url: str | None


@dataclass(frozen=True)
class Entry:
    """One FAQ entry with its answer already rendered from the rules."""

    id: str
    credentials: tuple[str, ...]
    topics: tuple[str, ...]
    question: str
    phrasings: tuple[str, ...]
    answer: str
    short: str | None
    facts: tuple[str, ...]
    sources: tuple[Source, ...]
    related: tuple[str, ...]
    decline: bool
    file: str


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]  # in file order
    rules: Mapping[str, Mapping[str, Any]]  # group -> name -> value
    rule_facts: Mapping[str, str]  # "group.name" -> fact id
    facts: Mapping[str, FactSpec]
    sources: Mapping[str, Source]
    credentials: Mapping[str, CredentialSpec]
    synonyms: SynonymSpec
    stopwords: frozenset[str]
    other_bodies: tuple[OtherBody, ...] = ()
    # Real words that typo correction leaves alone (common_words.txt, when the knowledge base has one)
    common_words: frozenset[str] = frozenset()
    language: str = "en"
    # The same knowledge base in other languages (faq/data/<language>/): entries with the same ids, rules,
    # facts and sources; their own questions, phrasings, answers, synonyms and stop words.
    translations: Mapping[str, KnowledgeBase] = field(default_factory=dict)
    untranslated: tuple[str, ...] = ()  # in a translation: the entries it still lacks


def _read_yaml(path: Path) -> Any:
    import yaml  # here: a bot started from the compiled cache (bot/kb_cache.py) reads no YAML at all

    try:
        with path.open(encoding="utf-8") as fh:
            # libyaml's C parser when PyYAML was built with it (several times faster than the pure-Python
            # one); the same safe subset of YAML either way.
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise KnowledgeBaseError(path, "file is missing") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise KnowledgeBaseError(path, f"is not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "entry"
    return f"{field}: {err['msg']}"


def _parse_map(path: Path, model: type[_Strict]) -> dict[str, Any]:
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(path, "must be a mapping of id to fields")
    parsed = {}
    for key, value in raw.items():
        try:
            parsed[str(key)] = model.model_validate(value)
        except ValidationError as exc:
            raise KnowledgeBaseError(path, _first_error(exc), str(key)) from None
    return parsed


_jinja = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


def _render(path: Path, entry_id: str, field: str, source: str, context: dict[str, Any]) -> str:
    try:
        return _jinja.from_string(source).render(context).strip()
    except jinja2.TemplateError as exc:
        raise KnowledgeBaseError(path, f"{field} template: {exc}", entry_id) from None


def _read_words(path: Path) -> frozenset[str]:
    """One word a line, '#' comments; none when the file is absent."""
    if not path.exists():
        return frozenset()
    with path.open(encoding="utf-8") as fh:
        return frozenset(w for line in fh if (w := line.strip()) and not w.startswith("#"))


def load(data_dir: Path | str = DATA_DIR) -> KnowledgeBase:
    """Load and check the whole knowledge base; raise KnowledgeBaseError on the first problem."""
    data_dir = Path(data_dir)
    sources = {
        sid: Source(sid, spec.name, spec.url)
        for sid, spec in _parse_map(data_dir / "sources.yaml", SourceSpec).items()
    }
    facts = _parse_map(data_dir / "facts.yaml", FactSpec)
    for fid, fact in facts.items():
        for sid in fact.sources:
            if sid not in sources:
                raise KnowledgeBaseError(data_dir / "facts.yaml", f"unknown source id '{sid}'", fid)

    credentials = _parse_map(data_dir / "credentials.yaml", CredentialSpec)
    if set(credentials) != set(CREDENTIAL_IDS):
        raise KnowledgeBaseError(data_dir / "credentials.yaml", f"must define exactly {', '.join(CREDENTIAL_IDS)}")

    rules_path = data_dir / "rules.yaml"
    raw_rules = _read_yaml(rules_path)
    if not isinstance(raw_rules, dict):
        raise KnowledgeBaseError(rules_path, "must be a mapping of groups")
    rules: dict[str, dict[str, Any]] = {}
    rule_facts: dict[str, str] = {}
    for group, items in raw_rules.items():
        if not isinstance(items, dict):
            raise KnowledgeBaseError(rules_path, "must be a mapping of rule names", group)
        for name, value in items.items():
            key = f"{group}.{name}"
            try:
                spec = RuleSpec.model_validate(value)
            except ValidationError as exc:
                raise KnowledgeBaseError(rules_path, _first_error(exc), key) from None
            if spec.fact not in facts:
                raise KnowledgeBaseError(rules_path, f"unknown fact id '{spec.fact}'", key)
            if facts[spec.fact].status == "unverified":
                raise KnowledgeBaseError(rules_path, f"rests on unverified fact '{spec.fact}'", key)
            rules.setdefault(group, {})[name] = spec.value
            rule_facts[key] = spec.fact

    syn_path = data_dir / "synonyms.yaml"
    try:
        synonyms = SynonymSpec.model_validate(_read_yaml(syn_path))
    except ValidationError as exc:
        raise KnowledgeBaseError(syn_path, _first_error(exc)) from None
    stop_path = data_dir / "stopwords.yaml"
    stopwords = _read_yaml(stop_path)
    if not isinstance(stopwords, list):
        raise KnowledgeBaseError(stop_path, "must be a list of words")
    for word in stopwords:
        if not isinstance(word, str):  # YAML reads bare on/off/yes/no as booleans
            raise KnowledgeBaseError(stop_path, f"{word!r} is not a word: put it in quotes")

    context = {"r": rules, "c": credentials}
    entries: dict[str, Entry] = {}
    specs: list[tuple[Path, EntrySpec]] = []
    for path in sorted((data_dir / "entries").glob("*.yaml")):
        raw = _read_yaml(path)
        if not isinstance(raw, list):
            raise KnowledgeBaseError(path, "must be a list of entries")
        for i, item in enumerate(raw):
            label = item.get("id") if isinstance(item, dict) else None
            try:
                entry_spec = EntrySpec.model_validate(item)
            except ValidationError as exc:
                raise KnowledgeBaseError(path, _first_error(exc), str(label or f"#{i + 1}")) from None
            if any(s.id == entry_spec.id for _, s in specs):
                raise KnowledgeBaseError(path, "duplicate id", entry_spec.id)
            specs.append((path, entry_spec))

    all_ids = {s.id for _, s in specs}
    for path, entry_spec in specs:
        entries[entry_spec.id] = _build_entry(path, entry_spec, all_ids, facts, sources, context)
    if not entries:
        raise KnowledgeBaseError(data_dir / "entries", "holds no entries")

    bodies_path = data_dir / "other_bodies.yaml"
    other_bodies = []
    for bid, body in _parse_map(bodies_path, OtherBodySpec).items():
        if body.entry is not None and (body.entry not in entries or not entries[body.entry].decline):
            raise KnowledgeBaseError(bodies_path, f"'{body.entry}' is not a decline entry", bid)
        if bool(body.shared) != bool(body.senses):
            raise KnowledgeBaseError(bodies_path, "shared names need senses, and senses need shared names", bid)
        other_bodies.append(OtherBody(bid, tuple(body.names), tuple(body.shared), tuple(body.senses), body.entry))

    base = KnowledgeBase(
        entries=MappingProxyType(entries),
        rules=MappingProxyType({g: MappingProxyType(v) for g, v in rules.items()}),
        rule_facts=MappingProxyType(rule_facts),
        facts=MappingProxyType(facts),
        sources=MappingProxyType(sources),
        credentials=MappingProxyType(credentials),
        synonyms=synonyms,
        stopwords=frozenset(str(w) for w in stopwords),
        other_bodies=tuple(other_bodies),
        common_words=_read_words(data_dir / "common_words.txt"),
    )
    languages = {lang: load_translation(base, data_dir / lang) for lang in TRANSLATED if (data_dir / lang).is_dir()}
    return replace(base, translations=MappingProxyType(languages))


def _build_entry(path: Path, spec: EntrySpec, all_ids: set[str], facts: Mapping[str, FactSpec],
                 sources: Mapping[str, Source], context: dict[str, Any]) -> Entry:
    for fid in spec.facts:
        if fid not in facts:
            raise KnowledgeBaseError(path, f"unknown fact id '{fid}'", spec.id)
    if not spec.decline and not spec.facts:
        raise KnowledgeBaseError(path, "an answer must cite at least one fact", spec.id)
    for rid in spec.related:
        if rid not in all_ids:
            raise KnowledgeBaseError(path, f"unknown related id '{rid}'", spec.id)
        if rid == spec.id:
            raise KnowledgeBaseError(path, "is related to itself", spec.id)
    if spec.topics and not spec.short:
        raise KnowledgeBaseError(path, "an entry with topics needs a short answer", spec.id)
    cited: dict[str, Source] = {}
    for fid in spec.facts:
        for sid in facts[fid].sources:
            cited.setdefault(sid, sources[sid])
    return Entry(
        id=spec.id,
        credentials=tuple(spec.credentials),
        topics=tuple(spec.topics),
        question=spec.question,
        phrasings=tuple(spec.phrasings),
        answer=_render(path, spec.id, "answer", spec.answer, context),
        short=_render(path, spec.id, "short", spec.short, context) if spec.short else None,
        facts=tuple(spec.facts),
        sources=tuple(cited.values()),
        related=tuple(spec.related),
        decline=spec.decline,
        file=str(path),
    )


def _translated_credentials(base: KnowledgeBase, path: Path) -> Mapping[str, CredentialSpec]:
    """Each credential with its menu name in the language of `path`; one without it stops the load."""
    raw = _read_yaml(path) if path.exists() else {}
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(path, "must map each credential id to its menu name")
    for cid in raw:
        if cid not in base.credentials:
            raise KnowledgeBaseError(path, "no credential has this id", str(cid))
    credentials: dict[str, CredentialSpec] = {}
    for cid, spec in base.credentials.items():
        if cid not in raw:
            raise KnowledgeBaseError(path, "no menu name in this language", cid)
        try:
            own = LanguageCredentialSpec.model_validate(raw[cid])
        except ValidationError as exc:
            raise KnowledgeBaseError(path, _first_error(exc), cid) from None
        credentials[cid] = spec.model_copy(update={"menu": own.menu})
    return MappingProxyType(credentials)


def _translated_bodies(base: KnowledgeBase, path: Path) -> tuple[OtherBody, ...]:
    """The bodies we don't cover, each also named and told apart by the words of `path`'s language."""
    own = _parse_map(path, LanguageOtherBodySpec) if path.exists() else {}
    known = {b.id for b in base.other_bodies}
    for bid in own:
        if bid not in known:
            raise KnowledgeBaseError(path, "no body of ../other_bodies.yaml has this id", bid)
    return tuple(replace(b, names=b.names + tuple(own[b.id].names), senses=b.senses + tuple(own[b.id].senses))
                 if b.id in own else b for b in base.other_bodies)


def load_translation(base: KnowledgeBase, lang_dir: Path) -> KnowledgeBase:
    """`base` in the language of `lang_dir` (e.g. faq/data/es): each entry with the same short-answer shape,
    its answers reading the same rules; one not translated yet stays in the original (listed in `untranslated`).
    Its phrasings are normalised with both languages' synonyms onto the same canonical words, so a message
    mixing the two ("cuantos CE credits para renew mi ccma") still finds its entry."""
    language = lang_dir.name
    translated: dict[str, tuple[Path, TranslationSpec]] = {}
    for path in sorted((lang_dir / "entries").glob("*.yaml")):
        raw = _read_yaml(path)
        if not isinstance(raw, list):
            raise KnowledgeBaseError(path, "must be a list of entries")
        for i, item in enumerate(raw):
            try:
                spec = TranslationSpec.model_validate(item)
            except ValidationError as exc:
                label = item.get("id") if isinstance(item, dict) else None
                raise KnowledgeBaseError(path, _first_error(exc), str(label or f"#{i + 1}")) from None
            if spec.id not in base.entries:
                raise KnowledgeBaseError(path, "no entry has this id", spec.id)
            if spec.id in translated:
                raise KnowledgeBaseError(path, "translated twice", spec.id)
            translated[spec.id] = (path, spec)
    context = {"r": base.rules, "c": base.credentials}
    entries: dict[str, Entry] = {}
    for eid, entry in base.entries.items():
        if eid not in translated:
            entries[eid] = entry  # answered in the original language meanwhile; `faq lint` and the tests say so
            continue
        path, spec = translated[eid]
        if (spec.short is None) != (entry.short is None):
            raise KnowledgeBaseError(path, "a short answer exactly where the original has one", eid)
        entries[eid] = replace(
            entry, question=spec.question, phrasings=tuple(spec.phrasings),
            answer=_render(path, eid, "answer", spec.answer, context),
            short=_render(path, eid, "short", spec.short, context) if spec.short else None, file=str(path))
    syn_path = lang_dir / "synonyms.yaml"
    try:
        own = LanguageSynonymSpec.model_validate(_read_yaml(syn_path))
    except ValidationError as exc:
        raise KnowledgeBaseError(syn_path, _first_error(exc)) from None
    synonyms = base.synonyms.model_copy(update={"phrases": {**base.synonyms.phrases, **own.phrases},
                                                "words": {**base.synonyms.words, **own.words}})
    stop_path = lang_dir / "stopwords.yaml"
    stopwords = _read_yaml(stop_path)
    if not isinstance(stopwords, list) or not all(isinstance(w, str) for w in stopwords):
        raise KnowledgeBaseError(stop_path, "must be a list of words (quote yes/no/on/off)")
    untranslated = tuple(eid for eid in base.entries if eid not in translated)
    return replace(base, entries=MappingProxyType(entries), synonyms=synonyms, language=language,
                   credentials=_translated_credentials(base, lang_dir / "credentials.yaml"),
                   other_bodies=_translated_bodies(base, lang_dir / "other_bodies.yaml"),
                   stopwords=base.stopwords | frozenset(stopwords), translations={}, untranslated=untranslated)
