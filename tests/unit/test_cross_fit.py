"""The asked-field probabilities the reader's trees learn from are cross-fitted
(`knowledge.reader.train.cross_fitted_asked`): each training question's come from a classifier
that never saw its item, so they are as sharp as on a new question. Real written questions
(`data/reader/fields/S4.jsonl`, the sample guides' fields); no e5 vectors (zeros: the character
n-grams alone), which the mechanism does not need."""

import numpy as np

from knowledge.reader.data import FIELDS, read_file
from knowledge.reader.features import FIELD_NAMES
from knowledge.reader.train import INNER_FOLDS, Example, cross_fitted_asked, fit_asked, inner_fold


def _examples() -> list[Example]:
    rows = [r for r in read_file(FIELDS / "S4.jsonl") if r.label == "answer" and r.field in FIELD_NAMES]
    out = []
    for r in rows:
        labels = np.zeros(len(FIELD_NAMES), dtype=np.float32)
        labels[FIELD_NAMES.index(r.field)] = 1.0
        out.append(Example(r, [], np.zeros((0, 1)), np.zeros(0), field_labels=labels, vector=np.zeros(4, np.float32), text=r.question))
    return out


def test_each_question_is_read_by_a_classifier_that_never_saw_its_item():
    examples = _examples()
    fitted = cross_fitted_asked(examples)
    assert set(fitted) == {id(e) for e in examples}
    fold = 0
    mine = [e for e in examples if inner_fold(e.row.kb, e.row.item) == fold]
    others = [e for e in examples if inner_fold(e.row.kb, e.row.item) != fold]
    assert mine and others
    without = fit_asked(others)
    for e in mine:
        assert np.allclose(fitted[id(e)], without(e.text, e.vector))
    assert len({inner_fold(e.row.kb, e.row.item) for e in examples}) == INNER_FOLDS


def test_cross_fitted_probabilities_are_less_sure_than_in_sample_ones():
    examples = _examples()
    fitted = cross_fitted_asked(examples)
    everything = fit_asked(examples)
    truth = [int(np.argmax(e.field_labels)) for e in examples]
    in_sample = np.mean([everything(e.text, e.vector)[t] for e, t in zip(examples, truth)])
    crossed = np.mean([fitted[id(e)][t] for e, t in zip(examples, truth)])
    assert crossed < in_sample  # what a model trained on in-sample probabilities would over-trust
    assert crossed > 1.0 / len(FIELD_NAMES)  # and still says what is asked, better than chance


def test_the_asked_field_file_holds_five_decimals_and_reads_back_the_same_weights():
    """`asked.json` writes each weight to 5 decimals (not a float32's exact binary value, which
    more than doubled the shipped file), and reads back as the same float32 numbers."""
    import json

    from knowledge.reader.asked import AskedField

    model = fit_asked(_examples())
    data = json.loads(json.dumps(model.to_json(list(FIELD_NAMES))))
    weights = [w for row in data["coef"] for w in row] + data["idf"] + data["bias"]
    assert max(len(repr(w).partition(".")[2]) for w in weights) <= 5
    back = AskedField.from_json(data)
    for mine, theirs in ((model.coef, back.coef), (model.idf, back.idf), (model.bias, back.bias)):
        assert np.allclose(mine, theirs, atol=6e-6)
    again = AskedField.from_json(json.loads(json.dumps(back.to_json(list(FIELD_NAMES)))))
    assert np.array_equal(again.coef, back.coef) and np.array_equal(again.idf, back.idf)
    text, vector = "办理需要带什么材料", np.zeros(4, np.float32)
    assert np.allclose(model(text, vector), back(text, vector), atol=1e-4)
