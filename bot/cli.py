"""The `recertbot` command."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the commands import what they need, so `recertbot ask` does not load Telegram
    from bot.contracts import Reply
    from bot.dialogue import Dialogue
    from bot.settings import Settings
    from bot.store import Store


@dataclass(frozen=True)
class KbSettings:
    """All `recertbot ask` needs of the settings: where the knowledge base is. Read without pydantic-settings
    (a tenth of a second to import), with its precedence: the environment, then `.env`, then the default."""

    kb_dir: Path

    @classmethod
    def read(cls) -> KbSettings:
        from faq.kb import DATA_DIR

        name = "RECERTBOT_KB_DIR"
        value = next((v for k, v in os.environ.items() if k.upper() == name), None)
        if value is None and Path(".env").is_file():
            from dotenv import dotenv_values

            value = next((v for k, v in dotenv_values(".env").items() if k.upper() == name), None)
        return cls(Path(value) if value else DATA_DIR)


def _dialogue(settings: Settings | KbSettings, cached: bool = True) -> Dialogue:
    """The dialogue over the configured knowledge base: kept compiled between runs (bot.kb_cache) unless not
    `cached`, when the files are read and checked afresh."""
    from bot.dialogue import Dialogue
    from bot.kb_cache import load_compiled
    from faq.kb import load

    if not cached:
        return Dialogue(load(settings.kb_dir))
    kb, matchers = load_compiled(settings.kb_dir)
    return Dialogue(kb, matchers[kb.language], voices=matchers)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from bot.terminal import chat

    store = settings.open_store()
    try:
        dialogue = _dialogue(settings)
        started()
        chat(dialogue, intro=getattr(args, "intro", ""), store=store,
             chat_id=f"terminal:{getpass.getuser()}")
    finally:
        store.close()
    return 0


NO_TOKEN_INTRO = ("(No TELEGRAM_BOT_TOKEN is set, so this is the terminal chat. To serve Telegram, put the token "
                  "from @BotFather in .env as TELEGRAM_BOT_TOKEN=... and run recertbot again.)")


def cmd_default(args: argparse.Namespace, settings: Settings) -> int:
    """`recertbot` alone: Telegram when a token is set, the terminal chat otherwise."""
    if settings.telegram_bot_token is None:
        args.intro = NO_TOKEN_INTRO
        return cmd_chat(args, settings)
    return cmd_run(args, settings)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot import log_setup
    from bot.telegram.app import allowed_updates, build_application

    problem = settings.token_problem()
    if problem or settings.telegram_bot_token is None:  # the second only tells mypy what the first implies
        print(f"recertbot: {problem}. Put it in .env (see .env.example).", file=sys.stderr)
        return 2
    token = settings.telegram_bot_token.get_secret_value().strip()
    if problem := settings.webhook_problem():
        print(f"recertbot: {problem}.", file=sys.stderr)
        return 2
    from bot.live import LiveDialogue

    log_setup.configure(settings.log_level, token, log_bodies=settings.log_update_bodies,
                        json_lines=settings.log_format == "json")
    log = logging.getLogger("recertbot")
    if warning := log_setup.bodies_warning(settings.log_level, settings.log_update_bodies):
        log.warning(warning)
    dialogue = _dialogue(settings)
    store = settings.open_store()
    app = build_application(settings, LiveDialogue(dialogue, settings.kb_dir), store=store)
    started()
    mode = f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"
    env_file = settings.env_file_used
    log.info("recertbot starting: %s; %d entries from %s; settings from %s; data folder %s; store %s",
             mode, len(dialogue.kb.entries), settings.kb_dir, env_file or "the environment only", settings.data_dir,
             store.describe())
    try:
        if settings.webhook_url and settings.webhook_secret is not None:
            import asyncio
            from urllib.parse import urlparse

            from bot.telegram import webhook

            asyncio.run(webhook.serve(app, listen=settings.webhook_listen, port=settings.webhook_port,
                                      url_path=urlparse(settings.webhook_url).path,
                                      secret=settings.webhook_secret.get_secret_value() if settings.webhook_secret else "",
                                      webhook_url=settings.webhook_url, allowed_updates=allowed_updates()))
        else:
            app.run_polling(allowed_updates=allowed_updates())
    except InvalidToken:
        print("recertbot: Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather.", file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"recertbot: cannot reach the Bot API: {str(exc).replace(token, '[token]')}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def reply_json(question: str, reply: Reply) -> dict[str, object]:
    return {
        "question": question,
        "kind": reply.kind,
        "entry": reply.entry,
        "score": reply.score,
        "text": reply.text,
        "suggestions": list(reply.suggestions),
    }


def cmd_ask(args: argparse.Namespace, settings: Settings | KbSettings) -> int:
    from bot.terminal import format_reply

    dialogue = _dialogue(settings)
    questions: Iterable[str]
    if args.question:
        questions = [" ".join(args.question)]
    elif args.json:
        questions = (line.rstrip("\n") for line in sys.stdin)
    else:
        print("recertbot ask: give a question, or --json to read one question a line from standard input",
              file=sys.stderr)
        return 2
    for q in questions:
        reply = dialogue.reply(q)
        if args.json:
            print(json.dumps(reply_json(q, reply), ensure_ascii=False), flush=True)
        else:
            print(format_reply(reply))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot import evaluate

    try:
        cases = evaluate.load_cases(args.file)
    except evaluate.EvalFileError as exc:
        print(f"recertbot eval: {exc}", file=sys.stderr)
        return 2
    outcomes = evaluate.run(_dialogue(settings), cases)
    for o in outcomes:
        if not o.passed:
            text = " ".join(o.reply.text.split())
            print(f"FAIL [{o.case.kind_group}] {o.case.q!r}: {o.why}\n     got {o.reply.kind}"
                  f" ({o.reply.entry}, {o.reply.score}): {text[:300]}")
    summary = evaluate.summary(outcomes)
    for group, (ok, n) in sorted(summary.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        print(f"{group:>12}: {ok}/{n} = {ok / n:.1%}")
    ok, n = summary["all"]
    if n and ok / n < args.min:
        print(f"below --min {args.min:.0%}", file=sys.stderr)
        return 1
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """`recertbot check cma --total 45 --aama 20`: the same check as `/check cma total=45 aama=20`."""
    fields = ["total", "aama", "admin", "clinical", "general", "credits", "hours", "points", "college", "cpr",
              "expired", "certified"]
    parts = [args.credential] + [f"{f}={getattr(args, f)}" for f in fields if getattr(args, f) is not None]
    reply = _dialogue(settings).reply("/check " + " ".join(parts))
    if args.json:
        out = reply_json("/check " + " ".join(parts), reply)
        out["checks"] = [{"credential": c.credential, "status": c.status, "missing": dict(c.missing),
                          "expiry": c.expiry, "current_until": c.current_until and c.current_until.isoformat(),
                          "asks": c.asks} for c in reply.checks]
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(reply.text)
    return 0 if reply.entry else 1


def _open_existing_store(settings: Settings) -> Store | None:
    from bot.store import DB_NAME

    if settings.database_url is None and not (settings.data_dir / DB_NAME).exists():
        return None
    return settings.open_store()


def cmd_misses(args: argparse.Namespace, settings: Settings) -> int:
    from bot import reports

    store = _open_existing_store(settings)
    groups = reports.group_misses(store.misses(args.since)) if store else []
    if args.json:
        print(json.dumps([g.as_dict() for g in groups], ensure_ascii=False, indent=1))
    else:
        print(reports.misses_table(groups))
    return 0


def cmd_suggest(args: argparse.Namespace, settings: Settings) -> int:
    from bot import reports

    store = _open_existing_store(settings)
    found = reports.suggest(store, _dialogue(settings).matcher, args.since) if store else []
    if args.json:
        print(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=1))
    else:
        print(reports.suggestions_yaml(found) or "No suggestions yet.")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot import reports

    store = _open_existing_store(settings)
    data = reports.stats(store, args.since) if store else {"kinds": {}, "top_entries": {}, "feedback": {}}
    print(json.dumps(data, ensure_ascii=False, indent=1) if args.json else reports.stats_table(data))
    return 0


def cmd_lint(args: argparse.Namespace, settings: Settings) -> int:
    from bot import kb_cache
    from faq.lint import confusable_pairs

    kb_cache.clear()  # whoever lints has just edited: the next start reads the files afresh too
    dialogue = _dialogue(settings, cached=False)
    kb = dialogue.kb
    pairs = []
    for lang, voice in dialogue.voices.items():  # each language's phrasings against its own matcher
        found = confusable_pairs(voice.matcher)
        for p in found:
            print(f"confusable ({lang}): {p.entry!r} phrasing {p.phrasing!r} scores {p.own_score} there "
                  f"and {p.other_score} for {p.other!r}")
        print(f"{lang}: {len(voice.kb.entries)} entries, {sum(len(e.phrasings) for e in voice.kb.entries.values())} "
              f"phrasings, {len(found)} confusable pairs")
        pairs += found
    untranslated = _translation_problems() + [
        f"no {lang} version of entry {eid!r}" for lang, tkb in kb.translations.items() for eid in tkb.untranslated]
    for line in untranslated:
        print(f"translation: {line}")
    return 1 if pairs or untranslated else 0


def _translation_problems() -> list[str]:
    from bot import translations

    if not (translations.ROOT / "bot" / "locale" / "babel.cfg").exists():
        return []  # an installed copy without the sources: nothing to compare the catalogs with
    return translations.problems()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recertbot", description=__doc__)
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("run", help="serve Telegram (long polling, or a webhook when WEBHOOK_URL is set)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("chat", help="chat in the terminal")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("ask", help="print the reply to one question")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="one JSON object a line; with no question, read stdin")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="score the bot on an eval file")
    p.add_argument("file")
    p.add_argument("--min", type=float, default=0.0, help="exit 1 when overall accuracy is below this (0-1)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("check", help="check your numbers against the recertification rules")
    p.add_argument("credential", help="cma, ccma (or another NHA certification), rma or ncma")
    for name in ("total", "aama", "admin", "clinical", "general", "credits", "hours", "points", "college", "cpr"):
        p.add_argument(f"--{name}", type=str, metavar="N")
    p.add_argument("--expired", metavar="MONTHS", help="how long ago it expired: 2 (months) or 60d")
    p.add_argument("--certified", metavar="YYYY-MM", help="month of certification or last recertification")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)

    for name, func, text in (("misses", cmd_misses, "unanswered questions, grouped"),
                             ("suggest", cmd_suggest, "new phrasings for entries, as YAML to paste"),
                             ("stats", cmd_stats, "questions by reply kind, top entries, feedback")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--since", type=float, metavar="DAYS", help="only the last DAYS days")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)

    p = sub.add_parser("faq", help="knowledge-base tools")
    faq_sub = p.add_subparsers(dest="faq_command", required=True)
    lint = faq_sub.add_parser("lint", help="validate the knowledge base and list confusable entries")
    lint.set_defaults(func=cmd_lint)
    return parser


def started() -> None:
    """Start-up is over: what it made (modules, the knowledge base) is frozen, so the collector's full passes
    skip it, and collection resumes."""
    gc.freeze()
    gc.enable()


def main(argv: list[str] | None = None) -> int:
    # pydantic looks for installed plugins (a scan of every package's metadata) before its first model; this
    # program uses none. Set PYDANTIC_DISABLE_PLUGINS yourself (even empty) to have them looked for.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Start-up's imports make hundreds of thousands of objects and almost no garbage: the collector's passes
    # over them were about a tenth of its CPU. Off until `started` (the long-running commands) or the end.
    gc.disable()
    from faq.kb import KnowledgeBaseError

    args = build_parser().parse_args(argv)
    func = getattr(args, "func", None) or cmd_default
    try:
        if func is cmd_ask:
            return cmd_ask(args, KbSettings.read())
        from bot.settings import Settings

        return int(func(args, Settings()))
    except KnowledgeBaseError as exc:
        print(f"recertbot: knowledge base error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `recertbot ask ... | head`: the reader has gone; nothing more to print and nothing to complain about
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
