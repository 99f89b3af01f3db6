"""The follow-up model's operating point (knowledge/reader/followup.py): the same wrong-answer
bound as the reader's, counted over every follow-up."""

from knowledge.reader.followup import MAX_WRONG, operating_point


def test_the_operating_point_is_the_lowest_within_the_wrong_answer_bound():
    chances = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    right = [True, True, True, False, True, False, False]
    total = 20  # one wrong answer is 5% of twenty follow-ups: allowed; two are not
    t = operating_point(chances, right, total)
    assert t == 0.51  # 0.6 and above: one wrong (0.7); at 0.5 the second wrong would be answered
    wrong = sum(1 for c, r in zip(chances, right) if c >= t and not r)
    assert wrong <= MAX_WRONG * total


def test_nothing_is_answered_when_every_part_is_wrong():
    assert operating_point([0.9, 0.8], [False, False], 2) == 0.91
    assert operating_point([], [], 0) == 0.0


def _examples(n: int = 240):
    """Synthetic follow-ups: the part model can tell the right part by one column; the general
    reading is right when its confidence column is high and its part is not the service's."""
    import numpy as np

    from knowledge.reader.followup import FOLLOW_FEATURES, FollowExample, General, Part

    rng = np.random.default_rng(3)
    out = []
    for i in range(n):
        parts = [Part(10 + i % 12, "materials", "材料"), Part(10 + i % 12, "location", "地点"), Part(100 + i % 12, "answer", "问答")]
        x = rng.random((len(parts), len(FOLLOW_FEATURES))).astype(np.float32)
        right_at = int(rng.integers(len(parts)))
        answerable = i % 3 != 0  # a third change the topic: the general reading is right, no part is
        x[:, 0] = 0.0
        if answerable:
            x[right_at, 0] = 1.0
        right = np.zeros(len(parts), dtype=bool)
        right[right_at] = answerable
        general = General(confidence=0.2 if answerable else 0.9, kind="qa", in_service=answerable, part=(999, "answer"))
        example = FollowExample(f"f-{i}", "sample", "terse", f"sample:{i % 12}", x, right, parts, general, not answerable, not answerable)
        out.append(example)
    return out


def test_the_choice_between_the_service_part_and_the_general_reading_is_learned(tmp_path):
    from knowledge.reader.followup import FollowUps, choice_row, fit

    examples = _examples()
    model, oof = fit(examples, log=lambda _: None)
    assert len(oof) == len(examples) and all(0.0 <= chance <= 1.0 for _, chance, _ in oof)
    assert 0.0 <= model.threshold <= 1.01 and model.card["out_of_fold_at_threshold"]["wrong"] <= 0.05
    answerable, topic_change = examples[1], examples[0]
    for e, part_wins in ((answerable, True), (topic_change, False)):
        row = choice_row(e.x, model.scores(e.x), e.parts, e.general)
        use_part, chance = model.choose(row)
        assert use_part is part_wins and 0.0 <= chance <= 1.0
    model.save(tmp_path)
    again = FollowUps.load(tmp_path)
    row = choice_row(answerable.x, again.scores(answerable.x), answerable.parts, answerable.general)
    assert again.choose(row) == model.choose(row)
    refit, _ = fit(examples, log=lambda _: None)
    assert refit.card == model.card  # the same data, the same model


def test_two_parts_that_state_one_fact_in_their_own_words_overlap():
    from knowledge.text import pair_overlap

    guide = "未办理租赁备案的，每人每年最高提取14400元；已办理租赁备案的，按实际租金提取。"
    qa = "没有办租赁备案的，每人每年最多可以提取14400元。"
    assert pair_overlap(qa, guide) == pair_overlap(guide, qa) > 0.5
    assert pair_overlap("办理地点：市民中心二楼", guide) < 0.2
    assert pair_overlap("", guide) == 0.0


def test_doubt_between_parts_that_say_one_thing_is_not_a_rival():
    """`rival_gap`: the best part's lead over the best part that says something else; a second
    part that states the same fact in other words does not count."""
    import numpy as np

    from knowledge.reader.followup import CHOICE_FEATURES, FOLLOW_FEATURES, General, Part, choice_row

    parts = [
        Part(1, "fee", "未办理租赁备案的，每人每年最高提取14400元。"),
        Part(2, "answer", "没有办租赁备案的，每人每年最多可以提取14400元。"),
        Part(1, "location", "办理地点：市民中心二楼公积金窗口。"),
    ]
    x = np.zeros((3, len(FOLLOW_FEATURES)), dtype=np.float32)
    general = General(confidence=0.4, kind="qa", in_service=True, part=(2, "answer"), text=parts[1].text)
    row = dict(zip(CHOICE_FEATURES, choice_row(x, np.asarray([0.6, 0.55, 0.1]), parts, general)[0]))
    assert row["part_gap"] == np.float32(0.6 - 0.55)
    assert row["rival_gap"] == np.float32(0.6 - 0.1)  # the Q&A says what the best part says
    assert row["runner_overlap"] > 0.5 and row["general_overlap"] > 0.5


def test_the_operating_point_is_raised_until_other_writers_are_within_the_bound():
    """Other writers' follow-ups (the development dialogues) bound the operating point too: here a
    third of them are labelled against what the model learned, so its own point answers them wrongly
    far beyond the bound, and the point rises until it holds."""
    import numpy as np

    from knowledge.reader.followup import MAX_WRONG, choice_row, fit

    examples = _examples()
    alone, _ = fit(examples, log=lambda _: None)
    others = _examples(90)
    for e in others[::3]:
        e.right = ~e.right
        e.general_right = not e.general_right
    model, _ = fit(examples, log=lambda _: None, others=others)
    card = model.card
    assert card["threshold_out_of_fold"] == alone.threshold and card["bound_on"] == len(others)
    assert model.threshold == max(alone.threshold, card["threshold_others"]) > alone.threshold
    wrong = 0
    for e in others:
        scores = model.scores(e.x)
        use_part, chance = model.choose(choice_row(e.x, scores, e.parts, e.general))
        right = bool(e.right[int(np.argmax(scores))]) if use_part else e.general_right
        wrong += chance >= model.threshold and not right
    assert wrong <= MAX_WRONG * len(others)


def test_a_bag_is_the_mean_of_its_members_and_saves_in_one_file(tmp_path):
    """Each follow-up tree model is the mean of BAG fits with consecutive seeds; the file of one
    plain LightGBM model (as written before the bag) loads as a bag of one."""
    import lightgbm
    import numpy as np

    from knowledge.reader.followup import BAG, CHOICE_PARAMS, Bag, _train

    rng = np.random.default_rng(5)
    x = rng.random((300, 4))
    y = (x[:, 0] + 0.3 * rng.random(300) > 0.6).astype(float)
    bag = _train(x, y, CHOICE_PARAMS, 20)
    assert len(bag.boosters) == BAG > 1 and bag.num_feature() == 4
    members = np.stack([b.predict(x[:10]) for b in bag.boosters])
    assert np.allclose(bag.predict(x[:10]), members.mean(axis=0))
    assert not np.allclose(members[0], members[1])  # the seeds differ, so do the fits
    bag.save_model(str(tmp_path / "bag.txt"))
    assert np.allclose(Bag.load(tmp_path / "bag.txt").predict(x[:10]), bag.predict(x[:10]))
    single = bag.boosters[0]
    single.save_model(str(tmp_path / "one.txt"))
    old = Bag.load(tmp_path / "one.txt")
    assert len(old.boosters) == 1 and np.allclose(old.predict(x[:10]), single.predict(x[:10]))
    assert isinstance(single, lightgbm.Booster)
