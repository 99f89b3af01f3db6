"""How much the follow-up model's figures move with its seed alone, over one reader (issue 18).

    GOVBOT_HOME=<training home> .venv/bin/python -m bench.followup_seeds [--reader DIR] [--seeds 7,1,2,3,4] [--bag K] [--out F]

The training dialogues (`data/dialogues/train`) and the development ones (`dev`) are read once over
the reader in `--reader` (default: the shipped model) as `govbot train-reader --follow-ups-only`
reads them (the reader's own asked-field classifier, so the levels are not those of a full
training), then the follow-up model is fitted once per seed (`followup.PARAMS["seed"]`, used by its
part ranker and choice trees; with `--bag K` each of its tree models is the mean of K fits with
seeds seed ... seed + K - 1, `followup.BAG`, default the shipped bag). For each seed: the operating point, and the follow-ups answered /
right / wrong out of fold and on the development dialogues at that point (`others_at_threshold`).
Two readers are compared by their spread over seeds, not by one fit: on 2026-12-05 the shipped
reader's development follow-ups ranged 0.567-0.599 over five seeds (docs/reader.md, "What the
fourteenth part tried"). Needs the knowledge bases `govbot train-reader` builds under
$GOVBOT_HOME/reader-training (the first run builds them).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import RESULTS, finish, fmt, md_table
from govbot import reader_training
from govbot.settings import Settings
from knowledge.reader import followup
from knowledge.reader.model import SHIPPED, Reader

DEFAULT_OUT = RESULTS / "followup_seeds.json"


def run(folder: Path | None, seeds: list[int], bag: int) -> dict:
    reader = Reader.load(folder or SHIPPED)
    reader.follow = None
    examples, others = reader_training.collect_follow_ups(Settings(), reader, None, None, print)
    shipped, shipped_bag = followup.PARAMS["seed"], followup.BAG
    followup.BAG = bag
    fits = []
    try:
        for seed in seeds:
            for params in (followup.PARAMS, followup.PART_PARAMS, followup.CHOICE_PARAMS):
                params["seed"] = seed
            model, _ = followup.fit(examples, lambda message: None, others)
            card = model.card
            fits.append(
                {
                    "seed": seed,
                    "threshold": card["threshold"],
                    "out_of_fold": card["out_of_fold_at_threshold"],
                    "development": card["others_at_threshold"],
                }
            )
            print(f"seed {seed}: development right {card['others_at_threshold']['right']}", flush=True)
    finally:
        for params in (followup.PARAMS, followup.PART_PARAMS, followup.CHOICE_PARAMS):
            params["seed"] = shipped
        followup.BAG = shipped_bag
    right = [f["development"]["right"] for f in fits]
    return {
        "reader": reader.version,
        "bag": bag,
        "follow_ups": len(examples),
        "development_follow_ups": len(others),
        "fits": fits,
        "development_right": {"min": min(right), "mean": round(sum(right) / len(right), 3), "max": max(right)},
    }


def markdown(result: dict) -> str:
    rows = [
        [
            f["seed"],
            fmt(f["threshold"]),
            fmt(f["out_of_fold"]["right"], 3),
            fmt(f["development"]["right"], 3),
            fmt(f["development"]["wrong"], 3),
        ]
        for f in result["fits"]
    ]
    spread = result["development_right"]
    header = ["seed", "operating point", "out of fold right", "development right", "development wrong"]
    return (
        f"reader {result['reader']}, bags of {result['bag']}\n\n"
        + md_table(header, rows)
        + f"\n\ndevelopment right: {spread['min']}–{spread['max']} (mean {spread['mean']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", type=Path, default=None, help="the model folder (default: the shipped one)")
    parser.add_argument("--seeds", default="7,1,2,3,4", help="comma-separated seeds of the follow-up model")
    parser.add_argument("--bag", type=int, default=followup.BAG, help="fits averaged per tree model (seeds seed..seed+K-1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        parser.error("--seeds: comma-separated integers, e.g. 7,1,2")
    if not seeds:
        parser.error("--seeds: at least one seed")
    if args.bag < 1:
        parser.error("--bag: at least 1")
    return finish(run(args.reader, seeds, args.bag), markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
