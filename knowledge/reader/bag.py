"""A bag of boosted tree models: fitted alike with consecutive seeds, their mean is the prediction.

One fit's figures move with its seed (the columns `feature_fraction` draws, the rows
`bagging_fraction` draws), and a retraining moved the development figures by more than the margins
readers are compared with; the mean of a few fits moves less (docs/reader.md). Saved as one text
file: the members' LightGBM model strings joined by `SEPARATOR` (a file of one model loads as a
bag of one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEPARATOR = "\n=== bag member ===\n"
# fits per tree model, for the reader's trees and the follow-up model's alike: one retraining with
# another seed alone moved the development figures by more than the margins readers are compared
# with (2026-12-05 for the follow-ups, 2026-12-06 for the reader; docs/reader.md)
SIZE = 5


class Bag:
    def __init__(self, boosters: list):
        self.boosters = list(boosters)

    def predict(self, x: np.ndarray, num_threads: int = 1) -> np.ndarray:
        return np.mean([b.predict(x, num_threads=num_threads) for b in self.boosters], axis=0)

    def num_feature(self) -> int:
        return self.boosters[0].num_feature()

    def save_model(self, path: str) -> None:
        Path(path).write_text(SEPARATOR.join(b.model_to_string() for b in self.boosters), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Bag":
        import lightgbm

        text = Path(path).read_text(encoding="utf-8")
        return cls([lightgbm.Booster(model_str=member) for member in text.split(SEPARATOR)])


def fit_bag(
    x: np.ndarray,
    y: np.ndarray,
    params: dict,
    rounds: int,
    weight: np.ndarray | None = None,
    group: list[int] | None = None,
    size: int | None = None,
) -> Bag:
    """`size` (default `SIZE`) fits of `params` with seeds `params["seed"]`, `params["seed"] + 1`, ..."""
    import lightgbm

    def member(seed: int):
        data = lightgbm.Dataset(x, np.asarray(y, dtype=float), weight=weight, group=group, free_raw_data=False)
        return lightgbm.train(params | {"seed": seed}, data, num_boost_round=rounds)

    return Bag([member(params["seed"] + i) for i in range(size or SIZE)])
