"""`python -m bench`: every figure of the README's Performance section, printed and written as JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from bench import e2e, growth, matching, reminders, replicas
from bench import store as store_bench
from bot.dialogue import Dialogue
from bot.evaluate import load_cases
from faq.matcher import import_numpy

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT.parent / "shared" / "eval" / "public.yaml"
PUBLIC2 = ROOT.parent / "shared" / "eval" / "public2.yaml"  # unseen: never tuned on, read only here
OWN = ROOT / "tests" / "data" / "regression.yaml"


PARTS = ("matching", "growth", "e2e", "startup", "replicas")


def table(rows: list[dict]) -> str:
    if not rows:
        return "(none)"
    cols = list(rows[0])
    widths = [max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in cols]

    def line(values) -> str:
        return "  ".join(str(v).ljust(w) for v, w in zip(values, widths, strict=False))

    return "\n".join([line(cols), line("-" * w for w in widths)] + [line(r.get(c, "") for c in cols) for r in rows])


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.exists() else []
    return names[0] if names else platform.processor()


def machine() -> dict:
    return {"python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count(),
            "cpu": cpu_name()}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["reminders"]:  # `python -m bench reminders`: the reminder delivery benchmark alone
        return reminders.main(argv[1:])
    if argv[:1] == ["store"]:  # `python -m bench store`: the store's cost per exchange, SQLite and PostgreSQL
        return store_bench.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="PART",
                        help=f"only these parts ({', '.join(PARTS)}); default: all")
    parser.add_argument("--eval", type=Path, action="append",
                        help="eval file(s); default: the shared public eval if present, and the project's own")
    parser.add_argument("--skip", action="append", default=[], choices=PARTS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args(argv)
    for part in args.parts:
        if part not in PARTS:
            parser.error(f"unknown part {part!r}: choose from {', '.join(PARTS)}")
    args.skip += [p for p in PARTS if args.parts and p not in args.parts]

    dialogue = Dialogue()
    import_numpy()  # as the running bot has it after its first answer
    files = args.eval or [p for p in (PUBLIC, PUBLIC2, OWN) if p.exists()]
    results: dict = {"machine": machine()}
    print(f"machine: {results['machine']}")
    # The unseen set only scores: its wording goes into no other part (nor into a file the bare bot reads).
    questions = [c.q for f in files if f != PUBLIC2 for c in load_cases(f)]

    if "matching" not in args.skip:
        results["matching"] = {}
        for f in files:
            rows = [r.as_dict() for r in matching.run(dialogue, load_cases(f))]
            base = rows[0]["p50_us"]
            for r in rows:
                r["p50_vs_recertbot"] = round(r["p50_us"] / base, 2) if r["p50_us"] == r["p50_us"] else None
            results["matching"][f.name] = rows
            print(f"\n== Matching quality and latency per question: {f} ==\n{table(rows)}")
        p50, p99 = matching.project_matcher_only(dialogue, [c for f in files for c in load_cases(f)])
        results["matcher_only"] = {"p50_us": round(p50, 1), "p99_us": round(p99, 1)}
        print(f"\nmatcher alone (normalise + score + decide): p50 {p50:.0f} µs, p99 {p99:.0f} µs")

    if "growth" not in args.skip:
        results["growth"] = growth.run(dialogue.kb, questions)
        print(f"\n== Matcher latency as the knowledge base grows ==\n{table(results['growth'])}")

    if "e2e" not in args.skip:
        results["e2e"] = e2e.throughput(questions)
        print(f"\n== End to end through python-telegram-bot and a local Bot API ==\n{table(results['e2e'])}")

    if "startup" not in args.skip:
        results["startup"] = e2e.startup()
        print(f"\n== Start-up: process start to first answer, peak RSS ==\n{table(results['startup'])}")
        results["ask"] = e2e.ask()
        print(f"\n`recertbot ask \"hi\"` (s): {results['ask']}")

    if "replicas" not in args.skip:
        results["replicas"] = replicas.run()
        print(f"\n== Through nginx: one and two webhook replicas sharing the store ==\n"
              f"{table(results['replicas']['throughput'])}")
        print(f"\n== Reminders due at start, replicas racing for them ==\n{table(results['replicas']['reminders'])}")

    # A partial run (`python -m bench growth`) replaces its own parts and keeps the others' last figures.
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.out.read_text()) if args.out.exists() and args.parts else {}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["measured"] = {**previous.get("measured", {}), **{p: now for p in PARTS if p not in args.skip}}
    args.out.write_text(json.dumps({**previous, **results}, indent=1, ensure_ascii=False))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
