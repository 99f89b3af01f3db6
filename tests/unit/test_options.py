"""The choices a clarify offers are named so that a citizen can tell them apart (`labelled_options`)."""

from knowledge.answer.decide import labelled_options
from knowledge.index.hybrid import ItemMeta


def meta(key: str, title: str, department: str, region: str) -> ItemMeta:
    return ItemMeta(
        item_id=0,
        key=key,
        kind="guide",
        title=title,
        department=department,
        region=region,
        effective_date=None,
        expiry_date=None,
    )


def test_choices_that_share_a_title_are_told_apart_by_their_department():
    options = labelled_options(
        [
            meta("gd-0035", "弩的制造审批", "广东省公安厅", "广东省"),
            meta("gd-2069", "弩的制造审批", "广州市公安局", "广东省广州市"),
            meta("gd-0036", "弩的进口审批", "广东省公安厅", "广东省"),
        ]
    )
    assert [o.title for o in options] == ["弩的制造审批（广东省公安厅）", "弩的制造审批（广州市公安局）", "弩的进口审批"]
    assert [o.key for o in options] == ["gd-0035", "gd-2069", "gd-0036"]


def test_one_department_for_both_names_them_by_region():
    options = labelled_options(
        [meta("a", "小学入学登记", "示例市教育局", "示例市城东区"), meta("b", "小学入学登记", "示例市教育局", "示例市城西区")]
    )
    assert [o.title for o in options] == ["小学入学登记（示例市城东区）", "小学入学登记（示例市城西区）"]
