"""Triage engine benchmark: throughput, single-message latency and memory on one core.

    python bench/triage.py [--n 100000] [--latency-n 10000]

Generates N messages from the labelled corpus with deterministic variations (case, punctuation,
typos, emoji, phone numbers and CNICs, greetings, joined messages), then measures:
- batch throughput of Engine.triage_many over all N (messages/s);
- latency of Engine.triage for single messages (p50, p99);
- resident memory (RSS) of the process after loading the engine (with numpy already imported, as in
  any process that triages), the delta the engine adds, and RSS after the run (messages freed).
Prints one JSON line per figure: {"bench": "triage", "metric", "value", "unit", "n", "db": "none"}.
"""

from __future__ import annotations

import os

# One core: no BLAS/OpenMP thread pools behind numpy.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 20251128
PREFIXES = ["", "", "", "Sir ", "sir plz ", "جناب ", "محترم ", "AOA ", "Salam, ", "ښاغلیه ", "URGENT: "]
SUFFIXES = ["", "", "", " 🙏", " plz", "!!!", " شکریہ", " مننه", " 😡😡", " jaldi", "?"]
EMOJI = ["😀", "🙏", "😭", "🔥", "👍🏽", "📍"]


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def emit(metric: str, value: float, unit: str, n: int) -> None:
    print(json.dumps({"bench": "triage", "metric": metric, "value": round(value, 3), "unit": unit, "n": n, "db": "none"}))


def vary(text: str, rng: random.Random, pool: list[str]) -> str:
    """One deterministic variation of a corpus text."""
    choice = rng.random()
    if choice < 0.15:
        text = text.lower()
    elif choice < 0.2:
        text = text.upper()
    if rng.random() < 0.3 and len(text) > 8:
        i = rng.randrange(len(text) - 2)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # swap two letters: a typo
    if rng.random() < 0.15:
        text += f" {rng.choice(['0300', '0345', '0312', '+92 333'])}-{rng.randrange(1000000, 9999999)}"
    if rng.random() < 0.05:
        text += f" CNIC {rng.randrange(10000, 99999)}-{rng.randrange(1000000, 9999999)}-{rng.randrange(10)}"
    if rng.random() < 0.1:
        text += " " + rng.choice(EMOJI) * rng.randrange(1, 4)
    if rng.random() < 0.05:
        text += " " + rng.choice(pool)  # two messages pasted together
    return rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)


def messages(n: int) -> list[str]:
    """N generated messages (deterministic for a given N)."""
    from rabta.triage.corpus import load_corpus

    pool = [e.text for e in load_corpus()]
    rng = random.Random(SEED)
    return [vary(rng.choice(pool), rng, pool) for _ in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--latency-n", type=int, default=10_000)
    args = parser.parse_args()

    import numpy  # noqa: F401 - counted in the baseline: any process that triages has numpy loaded

    before = rss_mb()
    started = time.perf_counter()
    from rabta.triage.engine import Engine

    engine = Engine()
    load_seconds = time.perf_counter() - started
    engine.triage("warm up")
    loaded = rss_mb()
    emit("engine_load_time", load_seconds * 1000, "ms", 1)
    emit("rss_after_load", loaded, "MB", 1)
    emit("rss_load_delta", loaded - before, "MB", 1)

    texts = messages(args.n)
    started = time.perf_counter()
    for offset in range(0, len(texts), 2048):  # results are dropped as they come, like a worker would
        engine.triage_many(texts[offset : offset + 2048])
    elapsed = time.perf_counter() - started
    emit("batch_throughput", args.n / elapsed, "messages/s", args.n)

    sample = texts[: args.latency_n]
    timings: list[int] = []
    for text in sample:
        t0 = time.perf_counter_ns()
        engine.triage(text)
        timings.append(time.perf_counter_ns() - t0)
    timings.sort()
    emit("single_latency_p50", timings[len(timings) // 2] / 1000, "us", len(timings))
    emit("single_latency_p99", timings[int(len(timings) * 0.99) - 1] / 1000, "us", len(timings))
    del texts, sample
    gc.collect()
    emit("rss_after_run", rss_mb(), "MB", args.n)
    emit("py3langid_loaded", 1.0 if engine.language.langid_loaded else 0.0, "bool", args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
