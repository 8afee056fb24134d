"""Social cards (issue 18): what drawing them costs the import of 1,000 articles.

The same 1,000 generated articles (run.generate_articles: copies of the corpus) are imported
into a fresh database each time, as `make bench`'s import vs Hugo does, in three ways:

  off   SOCIAL_CARDS=0: the import as it was before cards (the anchor);
  cold  cards on, none on disk yet: every card is drawn (the cost, seconds per 1,000);
  warm  cards on, every card already on disk (kept from `cold`): each is found by its hash.

Goal: warm / off <= 1.10 (cards add at most 10 % when they exist). `off` and `warm` are run
REPEAT times alternately and the fastest of each is compared (wall clock incl. process
start, as in run.py). Figures go to stdout and bench/out/cards.json; nothing here asserts.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402 - the import benchmark's own helpers, not copies
    CORPUS,
    CORPUS_IMAGES,
    KEEP,
    OUT,
    PYTHON,
    QUICK,
    child_env,
    generate_articles,
    log,
    manage,
    measure,
)

COUNT = 1_000
REPEAT = 2 if QUICK else 3
GOAL_WARM_RATIO = 1.10


def import_once(articles: Path, var_dir: Path, template_db: Path, *, cards: bool) -> dict:
    """One import into a fresh copy of the migrated database; the images folder is kept."""
    shutil.copyfile(template_db, var_dir / "db.sqlite3")
    env = child_env(
        VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="0",
        SOCIAL_CARDS="1" if cards else "0",
    )
    cmd = [str(PYTHON), "manage.py", "import_articles", str(articles)]
    run = measure([*cmd, "--images", str(CORPUS_IMAGES), "--json"], env=env)
    report = json.loads(run.stdout)
    if report["failed"] or report["imported"] != COUNT:
        raise RuntimeError(f"import: {report['imported']} imported, {len(report['failed'])} failed")
    folder = var_dir / "images" / "articles" / "cards"
    return {
        "seconds": round(run.seconds, 3),
        "peak_mb": round(run.peak_mb, 1),
        "cards_on_disk": sum(1 for _ in folder.iterdir()) if folder.is_dir() else 0,
    }


def bench_cards(tmp: Path) -> dict:
    articles = generate_articles(COUNT, tmp / "articles")
    var_dir = tmp / "var"
    manage(var_dir, "migrate", "--noinput", "-v0")
    template_db = tmp / "migrated.sqlite3"
    shutil.copyfile(var_dir / "db.sqlite3", template_db)
    cards_dir = var_dir / "images" / "articles" / "cards"

    log(f"import {COUNT:,} articles, cards off")
    off = [import_once(articles, var_dir, template_db, cards=False)]
    shutil.rmtree(cards_dir, ignore_errors=True)
    log(f"import {COUNT:,} articles, cards drawn (none on disk)")
    cold = import_once(articles, var_dir, template_db, cards=True)
    warm = []
    for n in range(REPEAT):
        log(f"import {COUNT:,} articles, cards on disk ({n + 1}/{REPEAT})")
        warm.append(import_once(articles, var_dir, template_db, cards=True))
        if n + 1 < REPEAT:
            log(f"import {COUNT:,} articles, cards off ({n + 2}/{REPEAT})")
            off.append(import_once(articles, var_dir, template_db, cards=False))
    best_off = min(r["seconds"] for r in off)
    best_warm = min(r["seconds"] for r in warm)
    return {
        "articles": COUNT,
        "off": off,
        "cold": cold,
        "warm": warm,
        "warm_ratio": round(best_warm / best_off, 3),
        "cold_extra_seconds_per_1000": round((cold["seconds"] - best_off) * 1000 / COUNT, 2),
        "cold_ratio": round(cold["seconds"] / best_off, 3),
        "goal_warm_ratio_max": GOAL_WARM_RATIO,
    }


def print_cards(result: dict) -> None:
    ok = result["warm_ratio"] <= GOAL_WARM_RATIO
    best_off = min(r["seconds"] for r in result["off"])
    best_warm = min(r["seconds"] for r in result["warm"])
    print()
    print(f"Social cards: import of {result['articles']:,} articles (fresh database each run)")
    print(
        f"   cards off (SOCIAL_CARDS=0)      {best_off:8.2f} s   (fastest of {len(result['off'])})"
    )
    print(
        f"   cards on, all on disk           {best_warm:8.2f} s   (fastest of "
        f"{len(result['warm'])})  ratio {result['warm_ratio']:.3f}x  "
        f"goal <= {GOAL_WARM_RATIO:.2f}x  {'OK' if ok else 'MISSED'}"
    )
    print(
        f"   cards on, none on disk (drawn)  {result['cold']['seconds']:8.2f} s   "
        f"cost {result['cold_extra_seconds_per_1000']:.1f} s per 1,000 cards "
        f"({result['cold_ratio']:.2f}x), {result['cold']['cards_on_disk']} cards written"
    )


def main() -> int:
    if not CORPUS.is_dir():
        print(f"The corpus {CORPUS} is missing (set SHARED_DIR).", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="ka-bench-cards-"))
    try:
        result = bench_cards(tmp)
    finally:
        if KEEP:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["quick"] = QUICK
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    print_cards(result)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cards.json").write_text(json.dumps(result, indent=2) + "\n")
    print("written: bench/out/cards.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
