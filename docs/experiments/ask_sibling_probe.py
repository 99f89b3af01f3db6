"""Do features of the two services a question falls between tell an ambiguous question? (offline probe)

Experiment only, on a dump of `train` (`clarify-one-se.patch`, `GOVBOT_DUMP_OUTCOMES`) and the
training homes it was made with (`$GOVBOT_HOME/reader-training/<kb>`, whose index ids the dump's
`services` are). For each question, the best candidate's service and the first other service
below it ("runner"), six columns that name no topic of any knowledge base:

- `sib_cos`: cosine of the two services' title vectors (siblings: 护照 / 港澳通行证);
- `title_jaccard`, `shared_words`: the words their titles share;
- `q_lead`: how much closer in meaning the question is to the best title than to the runner's;
- `named_words`, `named_chars`: how much of what tells the two titles apart the question says.

Compared as `ask_vector_probe.py` compares: the ask-back trees over `ASK_FEATURES` ("refit") and
with the six columns ("+sibling"), out of fold, trained without one knowledge base and tested on
it, and on the development writers' questions.

    GOVBOT_HOME=/tmp/trhome .venv/bin/python docs/experiments/ask_sibling_probe.py DUMP
"""

import os
import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from govbot.settings import Settings
from knowledge.engine import Knowledge
from knowledge.reader import train as T
from knowledge.text import normalize, tokenize

from ask_vector_probe import report  # the same table (run as a script: its folder is on the path)

HOMES = {"sample": "sample", "seeds": "sample", "guangdong": "guangdong"}
NAMES = ("sib_cos", "title_jaccard", "q_lead", "named_words", "named_chars", "shared_words")


class Probe:
    def __init__(self, home: Path):
        self.home, self.kbs, self.vectors = home, {}, {}

    def kb(self, name: str) -> Knowledge:
        home = HOMES[name]
        if home not in self.kbs:
            self.kbs[home] = Knowledge(Settings(home=self.home / "reader-training" / home, database_url=""))
        return self.kbs[home]

    def title_vector(self, kb: Knowledge, title: str) -> np.ndarray:
        if title not in self.vectors:
            self.vectors[title] = kb.embeddings.encode([title], "passage: ")[0]
        return self.vectors[title]

    def words(self, text: str) -> set[str]:
        return {w for w in tokenize(normalize(text)) if len(w) > 1}  # tokenize drops the stop words

    def row(self, outcome) -> list[float]:
        kb = self.kb(outcome.row.kb)
        services, meta = outcome.services, kb.index.meta
        runner = next((i for i, s in enumerate(services[:10]) if i and s != services[0]), None) if services else None
        if runner is None or services[0] not in meta or services[runner] not in meta:
            return [np.nan] * len(NAMES)
        best, other, question = meta[services[0]].title, meta[services[runner]].title, outcome.row.question
        q = kb.embeddings.encode([question], "query: ")[0]
        bv, rv = self.title_vector(kb, best), self.title_vector(kb, other)
        bw, rw, qw = self.words(best), self.words(other), self.words(question)
        apart = set(best) ^ set(other)
        named = len((bw - rw) & qw) / max(1, len(bw - rw)) + len((rw - bw) & qw) / max(1, len(rw - bw))
        return [
            float(bv @ rv),
            len(bw & rw) / max(1, len(bw | rw)),
            float(q @ bv) - float(q @ rv),
            named,
            len(apart & set(question)) / max(1, len(apart)),
            len(bw & rw),
        ]


def main(dump: str) -> None:
    d = pickle.loads(Path(dump).read_bytes())  # noqa: S301 (our own dump)
    oof, others = d["oof"], [o for o in d["others"] if o.ask_row is not None]
    probe = Probe(Path(os.environ.get("GOVBOT_HOME", "var")))
    F = np.asarray([probe.row(o) for o in oof], np.float32)
    Fo = np.asarray([probe.row(o) for o in others], np.float32)
    X, Xo = np.stack([o.ask_row for o in oof]), np.stack([o.ask_row for o in others])
    y = np.array([o.row.label == "ambiguous" for o in oof], float)
    labels, labels_o = np.array([o.row.label for o in oof]), np.array([o.row.label for o in others])
    kbs = np.array([o.row.kb for o in oof])
    folds = np.array([T._fold_of(o.row.kb, o.row.item) for o in oof])

    def fit(x, idx):
        return T._train(x[idx], y[idx], T.ASK_PARAMS, T.ASK_ROUNDS)

    for name, XX, XXo in (("refit", X, Xo), ("+sibling", np.column_stack([X, F]), np.column_stack([Xo, Fo]))):
        p = np.zeros(len(oof))
        for k in range(T.FOLDS):
            tr, te = np.where(folds != k)[0], np.where(folds == k)[0]
            p[te] = fit(XX, tr).predict(XX[te], num_threads=1)
        report(f"out of fold, {name}", p, labels)
        for kb in ("sample", "guangdong"):
            tr, te = np.where(kbs != kb)[0], np.where(kbs == kb)[0]
            report(f"without {kb} -> {kb}, {name}", fit(XX, tr).predict(XX[te], num_threads=1), labels[te])
        report(f"other writers, {name}", fit(XX, np.arange(len(oof))).predict(XXo, num_threads=1), labels_o)
    m = (labels == "ambiguous") | (labels == "answer")
    for j, name in enumerate(NAMES):
        print(f"{name}: AUC alone {roc_auc_score(labels[m] == 'ambiguous', np.nan_to_num(F[m, j], nan=-1)):.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
