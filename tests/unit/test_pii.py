"""Masking personal data: generated valid IDs, bank cards and mobile numbers in the layouts people
type, inside ordinary Chinese sentences; nothing left in the masked text rebuilds the number."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.pii import find_pii, mask, redact, without_masks

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
FULL_WIDTH = str.maketrans("0123456789+-X", "０１２３４５６７８９＋－Ｘ")


@st.composite
def resident_ids(draw) -> str:
    area = draw(st.sampled_from(["110101", "440305", "330106", "510107", "410102", "370203"]))
    birth = draw(st.dates(min_value=date(1930, 1, 1))).strftime("%Y%m%d")
    serial = f"{draw(st.integers(0, 999)):03d}"
    body = area + birth + serial
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


@st.composite
def mobiles(draw) -> str:
    return "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))


@st.composite
def cards(draw) -> str:
    size = draw(st.integers(16, 19))
    return draw(st.sampled_from(["6222", "6217", "6228", "4367", "6214"])) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=size - 4, max_size=size - 4))
    )


def _grouped(number: str, sizes: list[int], separator: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    if at < len(number):
        parts.append(number[at:])
    return separator.join(parts)


LAYOUTS = {
    "id": [[], [6, 8, 4], [6, 4, 4, 4], [3, 3, 4, 4, 4]],
    "mobile": [[], [3, 4, 4], [3, 8], [7, 4]],
    "card": [[], [4, 4, 4, 4], [6, 13], [4, 4, 4, 4, 3]],
}


@st.composite
def written(draw) -> tuple[str, str]:
    """(the number's digits, the number as someone typed it)."""
    kind = draw(st.sampled_from(sorted(LAYOUTS)))
    number = draw({"id": resident_ids(), "mobile": mobiles(), "card": cards()}[kind])
    separator = draw(st.sampled_from(["", " ", "-", ".", "\u3000", " - "]))
    sizes = draw(st.sampled_from(LAYOUTS[kind])) if separator else []
    text = _grouped(number, sizes, separator)
    if kind == "mobile":
        text = draw(st.sampled_from(["", "+86", "+86 ", "86", "86-", "+86-"])) + text
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return number, text


SENTENCES = [
    "我的身份证号是{}，麻烦帮我查一下",
    "电话{}。",
    "卡号：{} 谢谢",
    "{}",
    "2024-05-01 {} 打过电话",
    "联系我 {}，下午在家",
    "号码{}号",
]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


@settings(max_examples=600, deadline=None)
@given(written(), st.sampled_from(SENTENCES))
def test_masked_numbers_cannot_be_rebuilt(number_and_text, sentence):
    number, text = number_and_text
    message = sentence.format(text)
    masked = mask(message)
    kept = 10 if len(number) == 18 else 8 if len(number) >= 16 else 7 + 2  # head and tail (+ a country code 86)
    around = len(_digits(sentence.format("")))
    assert len(_digits(masked)) - around <= kept, (message, masked)
    assert len(_digits(redact(message))) - around <= 2  # at most a country code stays
    assert number not in _digits(masked) and find_pii(message), message
    assert mask(masked) == masked  # masking twice changes nothing


def test_ordinary_numbers_stay():
    for text in [
        "咨询电话0571-87654321，或拨打12345、110",
        "2024年5月1日起施行，有效期至2026-12-31",
        "车牌号是A12345，文号示府〔2024〕12号",
        "起付线800元，报销比例70%，限额30万元",
        "2024-05-01 至 2024-05-31",
    ]:
        assert mask(text) == text and find_pii(text) == []


def test_examples_keep_head_and_tail():
    assert mask("身份证110101 19900307 757X") == "身份证110101********757X"
    assert mask("手机 +86 138-1234-5678") == "手机 +86 138****5678"
    assert mask("卡号６２２２－０２１２－３４５６－７８９０") == "卡号6222 **** **** 7890"
    assert mask("邮箱 zhang.san@example.com") == "邮箱 z***@example.com"
    assert mask("2024-05-01 13812345678") == "2024-05-01 138****5678"


def test_a_draft_from_a_masked_question_carries_no_mask():
    def draft(text):
        return without_masks(mask(text))

    assert draft("我身份证110101199003077578，社保卡丢了怎么补") == "社保卡丢了怎么补"  # the clause was only the number
    assert draft("我手机号13812345678一直收不到验证码，怎么办？") == "我手机号一直收不到验证码，怎么办？"
    assert draft("银行卡6222021234567890123被冻结了，工资发不下来怎么办") == "银行卡被冻结了，工资发不下来怎么办"
    assert draft("邮箱zhang@qq.com，公积金怎么提取") == "公积金怎么提取"
    assert draft("居住证怎么办？") == "居住证怎么办？"


ADVERSARIAL = {
    "digits and spaces": "1 " * 500_000,
    "digits and dashes": "1-" * 500_000,
    "three-digit groups": "138 " * 250_000,
    "check characters": "1X " * 333_333,
    "local part without @": "a" * 1_000_000,
    "many @": "a@" * 500_000,
    "dotted domain": "a@" + "a." * 500_000,
    "digits and letters": "1a" * 500_000,
}


def test_masking_is_linear_on_one_megabyte_bombs():
    """Each 1 MB input in a child process that must finish well inside the limit (linear work is
    under a second or two here; the old patterns took minutes)."""
    code = "import sys; from knowledge.pii import mask; mask(sys.stdin.read())"
    for name, text in ADVERSARIAL.items():
        done = subprocess.run([sys.executable, "-c", code], input=text, text=True, timeout=30, capture_output=True)
        assert done.returncode == 0, (name, done.stderr[-500:])
