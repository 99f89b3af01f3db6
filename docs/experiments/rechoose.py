"""Re-choose a trained model's operating point from its dumped outcomes with another `MAX_ASKED`.

Experiment only. The dump comes from training with `clarify-one-se.patch` applied and
`GOVBOT_DUMP_OUTCOMES=FILE` set (its out-of-fold outcomes, the development writers' outcomes and
the calibration). The script runs what `knowledge.reader.train.train` runs after the outcomes
(`choose_operating_point`, `clarify_card`, `bound_thresholds`) and writes MODEL_IN's files to
MODEL_OUT with the card's clarify and thresholds replaced. The follow-up model is not retrained:
it reads the reader's thresholds when it labels its training examples, so where the thresholds
change the result is an approximation of a full training.

    .venv/bin/python docs/experiments/rechoose.py DUMP MODEL_IN MODEL_OUT MAX_ASKED

Checked (2026-12-06): HS14's dump at 0.05 gives HS14's trained card exactly.
"""

import json
import pickle
import shutil
import sys
import time
from pathlib import Path

from knowledge.reader import train as T
from knowledge.reader.model import Calibrations


def main(dump: str, src: Path, dst: Path, bound: float) -> None:
    d = pickle.loads(Path(dump).read_bytes())  # noqa: S301 (our own dump)
    oof, others = d["oof"], d["others"]
    calibration = Calibrations.from_json(d["calibration"])
    kinds = sorted(calibration.by_kind)

    def probability(raw, kind=""):
        return float(calibration(raw, kind))

    T.MAX_ASKED = bound
    start = time.time()
    clarify, threshold = T.choose_operating_point(oof, probability, kinds)
    clarify = T.clarify_card(oof, clarify)
    out_of_fold = dict(threshold)
    threshold, needed = T.bound_thresholds(threshold, others, probability, clarify, kinds)
    report = {
        "dump": dump,
        "max_asked": bound,
        "clarify": clarify,
        "oof_thresholds": out_of_fold,
        "thresholds": threshold,
        "others_need": needed,
        "oof_answered_right": T.metrics(oof, probability, out_of_fold, clarify)["answered_right"],
        "seconds": round(time.time() - start),
    }
    print(json.dumps(report, ensure_ascii=False))
    shutil.copytree(src, dst, dirs_exist_ok=True)
    card = json.loads((dst / "card.json").read_text())
    card.update(clarify=clarify, threshold=threshold[""], thresholds_out_of_fold=out_of_fold)
    card["thresholds"] = {k: v for k, v in threshold.items() if k}
    card["params"]["ask"]["max_asked"] = bound
    card["version"] = f"{card['version']}-m{bound}"
    (dst / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
