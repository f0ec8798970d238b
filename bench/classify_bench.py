"""Median time to classify one customer message with the offline router.

    .venv/bin/python bench/classify_bench.py [--runs 5] [--repeat 50] [FILE.jsonl]

Each run times every message of the file `--repeat` times (time.perf_counter_ns around one call)
and takes the median per-message time; the script prints each run and the median of the runs.
The baseline, timed the same way in the same run, is the classifier's own text analysis step
(normalising, spelling fixes, stemming): the ratio shows what scoring adds on top of reading the text.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import playbooks  # noqa: E402
from playbooks.classifier import prepare  # noqa: E402


def _median_ns(function, texts, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter_ns()
            function(text)
            samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples)


def main() -> None:
    """Time classification over the labelled file and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(ROOT / "tests/fixtures/intents-dev.jsonl"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    books = playbooks.load_playbooks(ROOT / "playbooks")
    index = prepare(books)
    texts = [json.loads(line)["text"] for line in open(args.file, encoding="utf-8") if line.strip()]
    runs = []
    for run in range(1, args.runs + 1):
        classify = _median_ns(lambda text: playbooks.classify(books, text), texts, args.repeat)
        baseline = _median_ns(index.analyse, texts, args.repeat)
        runs.append((classify, baseline))
        print(f"run {run}: classify {classify / 1000:.1f} µs/message, text analysis {baseline / 1000:.1f} µs "
              f"(ratio {classify / baseline:.1f}x)")
    classify = statistics.median(r[0] for r in runs)
    baseline = statistics.median(r[1] for r in runs)
    print(f"\n{len(texts)} messages x {args.repeat} repetitions x {args.runs} runs")
    print(f"median classification time: {classify / 1000:.1f} µs per message (target < 1000 µs)")
    print(f"median text-analysis baseline: {baseline / 1000:.1f} µs; classification / baseline = "
          f"{classify / baseline:.1f}x")


if __name__ == "__main__":
    main()
