"""Does the question's e5 vector tell a written ambiguous question from a clear one? (offline probe)

Experiment only, on a dump of `train` (`clarify-one-se.patch`, `GOVBOT_DUMP_OUTCOMES`). Compares the
ask-back trees over `ASK_FEATURES` ("refit") with the same trees given one more column, a logistic
regression over the question's vector ("stacked", its training column from inner folds), and the
regression alone; measured out of fold (folds by item, as training), on the development writers'
questions (`others`, never trained on), and across knowledge bases (trained without one KB, tested
on it). Prints AUC (ambiguous against answerable) and the share of ambiguous questions caught when
0.5 / 1 / 2 / 3.6 % of the answerable ones are asked back.

    .venv/bin/python docs/experiments/ask_vector_probe.py DUMP
"""

import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from knowledge.embeddings import load_embeddings
from knowledge.reader import train as T
from knowledge.settings import default_model_dir

RATES = (0.005, 0.01, 0.02, 0.036)


def report(name: str, p: np.ndarray, labels: np.ndarray) -> None:
    m = (labels == "ambiguous") | (labels == "answer")
    amb, ans = p[labels == "ambiguous"], p[labels == "answer"]
    caught = " ".join(f"{np.mean(amb >= np.quantile(ans, 1 - r)):.3f}" for r in RATES)
    print(f"{name:34s} AUC {roc_auc_score(labels[m] == 'ambiguous', p[m]):.4f}  caught {caught}", flush=True)


def main(dump: str) -> None:
    d = pickle.loads(Path(dump).read_bytes())  # noqa: S301 (our own dump)
    oof, others = d["oof"], [o for o in d["others"] if o.ask_row is not None]
    emb = load_embeddings(str(default_model_dir()))
    V, Vo = (np.asarray(emb.encode([o.row.question for o in xs], "query: "), np.float32) for xs in (oof, others))
    X, Xo = np.stack([o.ask_row for o in oof]), np.stack([o.ask_row for o in others])
    y = np.array([o.row.label == "ambiguous" for o in oof], float)
    labels, labels_o = np.array([o.row.label for o in oof]), np.array([o.row.label for o in others])
    kbs = np.array([o.row.kb for o in oof])
    folds = np.array([T._fold_of(o.row.kb, o.row.item) for o in oof])

    def regression(idx):
        return LogisticRegression(max_iter=2000).fit(V[idx], y[idx])

    def inner(idx):  # the regression's column for training rows, each from folds that did not see it
        column, f = np.zeros(len(idx)), folds[idx]
        for k in set(f):
            column[f == k] = regression(idx[f != k]).predict_proba(V[idx[f == k]])[:, 1]
        return column

    def trees(x, idx):
        return T._train(x, y[idx], T.ASK_PARAMS, T.ASK_ROUNDS)

    def fit_predict(train_idx, Xt, Vt):
        lr = regression(train_idx)
        column = lr.predict_proba(Vt)[:, 1]
        base = trees(X[train_idx], train_idx).predict(Xt, num_threads=1)
        stacked = trees(np.column_stack([X[train_idx], inner(train_idx)]), train_idx).predict(np.column_stack([Xt, column]), num_threads=1)
        return base, stacked, column

    out = {name: np.zeros(len(oof)) for name in ("refit", "stacked", "vector alone")}
    for k in range(T.FOLDS):
        tr, te = np.where(folds != k)[0], np.where(folds == k)[0]
        for name, p in zip(out, fit_predict(tr, X[te], V[te])):
            out[name][te] = p
    report("out of fold, as dumped", np.array([o.ask_p for o in oof]), labels)
    for name, p in out.items():
        report(f"out of fold, {name}", p, labels)
    for name, p in zip(out, fit_predict(np.arange(len(oof)), Xo, Vo)):
        report(f"other writers, {name}", p, labels_o)
    for kb in ("sample", "guangdong"):
        tr, te = np.where(kbs != kb)[0], np.where(kbs == kb)[0]
        for name, p in zip(out, fit_predict(tr, X[te], V[te])):
            report(f"without {kb} -> {kb}, {name}", p, labels[te])


if __name__ == "__main__":
    main(sys.argv[1])
