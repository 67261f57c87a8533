"""``rabta triage``: JSON Lines in, JSON Lines out (CONTRACTS.md), plus ``train`` and ``evaluate``.

    rabta triage [--input F|-] [--output F|-] [--explain]
    rabta triage train [--corpus DIR] [--corrections F.jsonl] [--out DIR]
    rabta triage evaluate [--corpus DIR] [--split heldout|train|all] [--model F] [--json] [--misses]

Input lines are read as bytes and decoded as UTF-8 with invalid bytes replaced (U+FFFD), so no input
can stop the run. Every input line gives exactly one output line, in order; a line that is blank, not
JSON, not an object, or without a string "text" gives ``{"id": <id or null>, "line": N, "error": ...}``
(N counts from 1). Keys other than "text" are carried into the output line; the engine's own keys
win when a name clashes. Lines are processed in batches of 256 for speed; output is flushed after
each batch (and after every line when the input is a terminal).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["main"]

_BATCH = 256
_RESERVED = (
    "language",
    "category",
    "urgency",
    "district",
    "police_station",
    "sensitive",
    "pii",
    "redacted_text",
    "confidence",
    "reasons",
    "ruleset",
    "explain",
)


def _open_input(name: str) -> IO[bytes]:
    if name == "-":
        return sys.stdin.buffer
    return open(name, "rb")


def _open_output(name: str) -> IO[bytes]:
    if name == "-":
        return sys.stdout.buffer
    return open(name, "wb")


def _parse(raw: bytes, number: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(record, None) for a good line, (None, error line) for a bad one."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n").lstrip("\ufeff")
    if not text.strip():
        return None, {"id": None, "line": number, "error": "blank line"}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return None, {"id": None, "line": number, "error": f"not valid JSON: {str(exc)[:200]}"}
    if not isinstance(value, dict):
        return None, {"id": None, "line": number, "error": "not a JSON object"}
    identifier = value.get("id")
    if not isinstance(value.get("text"), str):
        problem = "missing 'text'" if "text" not in value else "'text' is not a string"
        return None, {"id": _plain_id(identifier), "line": number, "error": problem}
    channel = value.get("channel")
    if channel is not None and not isinstance(channel, str):
        value["channel"] = str(channel)
    return value, None


def _plain_id(identifier: object) -> object:
    """The id exactly as given (any JSON value), or null."""
    return identifier


def _dump(line: dict[str, Any]) -> bytes:
    text = json.dumps(line, ensure_ascii=False, separators=(", ", ": "))
    # Lone surrogates (from \ud800-style escapes in the input) cannot be UTF-8: replace them.
    return text.encode("utf-8", errors="replace") + b"\n"


def _batches(handle: IO[bytes], size: int) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for number, raw in enumerate(handle, start=1):
        batch.append((number, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_triage(args: argparse.Namespace) -> int:
    """The default command: triage every line."""
    from rabta.triage.engine import Engine

    engine = Engine.default()
    source = _open_input(args.input)
    sink = _open_output(args.output)
    interactive = args.input == "-" and sys.stdin.isatty()
    try:
        for batch in _batches(source, 1 if interactive else _BATCH):
            parsed = [_parse(raw, number) for number, raw in batch]
            records = [record for record, _ in parsed if record is not None]
            results = (
                iter(
                    engine.triage_many(
                        [str(r["text"]) for r in records],
                        channels=[r.get("channel") for r in records],
                        explain=args.explain,
                    )
                )
                if records
                else iter(())
            )
            for record, error in parsed:
                if record is None:
                    sink.write(_dump(error or {"id": None, "error": "unreadable line"}))
                    continue
                result = next(results)
                line: dict[str, Any] = {"id": _plain_id(record.get("id"))}
                line.update(result)
                for key, value in record.items():
                    if key not in ("id", "text") and key not in _RESERVED:
                        line[key] = value
                sink.write(_dump(line))
            sink.flush()
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if sink is not sys.stdout.buffer:
            sink.close()
    return 0


def _say(text: str) -> None:
    """Write a report line to standard output (the subcommands' whole output)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def run_train(args: argparse.Namespace) -> int:
    """Retrain the model from the corpus train split plus corrections; print held-out figures."""
    from rabta.triage.corpus import CORPUS_DIR, load_corpus, load_examples
    from rabta.triage.engine import DATA_DIR, Engine
    from rabta.triage.evaluate import evaluate, format_report
    from rabta.triage.train import train_model, write_model

    corpus = Path(args.corpus) if args.corpus else CORPUS_DIR
    examples = load_corpus(corpus, split="train")
    corrections = load_examples(Path(args.corrections)) if args.corrections else []
    out_dir = Path(args.out) if args.out else DATA_DIR
    path = out_dir / "model.npz"
    write_model(train_model([*examples, *corrections]), path)
    _say(f"trained on {len(examples)} corpus examples + {len(corrections)} corrections -> {path}")
    heldout = load_corpus(corpus, split="heldout")
    if heldout:
        _say(format_report(evaluate(Engine(model_path=path), heldout)))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Print quality figures of the engine on a corpus split."""
    from rabta.triage.corpus import CORPUS_DIR, load_corpus
    from rabta.triage.engine import Engine
    from rabta.triage.evaluate import evaluate, format_report

    corpus = Path(args.corpus) if args.corpus else CORPUS_DIR
    examples = load_corpus(corpus, split=None if args.split == "all" else args.split)
    engine = Engine(model_path=Path(args.model)) if args.model else Engine.default()
    report = evaluate(engine, examples)
    if args.json:
        if not args.misses:
            report.pop("misses")
        _say(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    _say(format_report(report))
    if args.misses:
        for miss in report["misses"]:
            _say(json.dumps(miss, ensure_ascii=False))
    return 0


def run_cv(args: argparse.Namespace) -> int:
    """Print cross-validation figures of the train split (what rules and settings are tuned on)."""
    from rabta.triage.corpus import CORPUS_DIR, load_corpus
    from rabta.triage.crossval import cross_validate
    from rabta.triage.evaluate import format_report
    from rabta.triage.train import TrainSettings

    corpus = Path(args.corpus) if args.corpus else CORPUS_DIR
    settings = TrainSettings(c_category=args.c_category) if args.c_category else None
    report = cross_validate(load_corpus(corpus, split="train"), folds=args.folds, settings=settings)
    if args.json:
        if not args.misses:
            report.pop("misses")
        _say(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    _say(format_report(report))
    if args.misses:
        for miss in report["misses"]:
            _say(json.dumps(miss, ensure_ascii=False))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rabta triage", description="Triage messages given as JSON Lines.")
    parser.add_argument("--input", default="-", help="JSON Lines file to read, or - for standard input")
    parser.add_argument("--output", default="-", help="file to write, or - for standard output")
    parser.add_argument("--explain", action="store_true", help="add an 'explain' object with the details")
    return parser


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rabta triage train", description="Retrain the triage model.")
    parser.add_argument("--corpus", help="corpus directory (default: the shipped corpus)")
    parser.add_argument("--corrections", help="JSON Lines of operator corrections (corpus fields)")
    parser.add_argument("--out", help="directory to write model.npz to (default: the package data)")
    return parser


def _evaluate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rabta triage evaluate", description="Quality figures on a corpus split.")
    parser.add_argument("--corpus", help="corpus directory (default: the shipped corpus)")
    parser.add_argument("--split", default="heldout", choices=("heldout", "train", "all"))
    parser.add_argument("--model", help="model file to evaluate (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--misses", action="store_true", help="also print every example the engine got wrong")
    return parser


def _cv_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rabta triage cv", description="Cross-validation inside the train split.")
    parser.add_argument("--corpus", help="corpus directory (default: the shipped corpus)")
    parser.add_argument("--folds", type=int, default=4, help="number of folds (by CRC32 of the message id)")
    parser.add_argument("--c-category", type=float, default=None, help="regularisation C of the category head")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--misses", action="store_true", help="also print every example the engine got wrong")
    return parser


def main(argv: list[str]) -> int:
    """Entry point for ``rabta triage ...`` (argv excludes the word "triage")."""
    if argv and argv[0] == "train":
        return run_train(_train_parser().parse_args(argv[1:]))
    if argv and argv[0] == "evaluate":
        return run_evaluate(_evaluate_parser().parse_args(argv[1:]))
    if argv and argv[0] == "cv":
        return run_cv(_cv_parser().parse_args(argv[1:]))
    return run_triage(_parser().parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
