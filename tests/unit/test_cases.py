"""Conditional answers (issue 18.2): the cases a text states by a quantity and the case a citizen's
stated situation falls in (`knowledge.cases`)."""

from knowledge.cases import applying, cases, situation_of, stated

UNEMPLOYMENT = (
    "不收费。失业保险金标准为每月1890元；领取期限：累计缴费满1年不满5年的最长12个月，满5年不满10年的最长18个月，10年以上的最长24个月。"
)
ALLOWANCE = "发放标准：80-89周岁每人每月100元；90-99周岁每人每月300元；100周岁及以上每人每月600元。"


def test_a_text_of_ranges_has_one_case_per_range():
    found = cases(UNEMPLOYMENT)
    assert [c.condition for c in found] == ["累计缴费满1年不满5年", "满5年不满10年", "10年以上"]
    assert [c.clause for c in found][1] == "满5年不满10年的最长18个月"
    assert [c.condition for c in cases(ALLOWANCE)] == ["80-89周岁", "90-99周岁", "100周岁及以上"]


def test_the_stated_situation_picks_its_case_in_digits_words_and_ranges():
    found = cases(UNEMPLOYMENT)
    assert applying("我交了3年，最长能领多久？", found).clause.endswith("最长12个月")
    assert applying("交了七年多", found).clause.startswith("满5年不满10年")
    assert applying("刚好交满10年", found).clause.startswith("10年以上")
    assert applying("满5年不满10年", found).clause.startswith("满5年不满10年")  # an option pressed
    assert applying("我爸今年八十四岁", cases(ALLOWANCE)).condition == "80-89周岁"
    assert applying("89岁", cases(ALLOWANCE)).condition == "80-89周岁"  # "80-89" holds 89


def test_an_age_said_without_sui_is_an_age():
    """People give their family's age as a bare number: "我妈今年九十二了", "我奶奶85了"."""
    allowance = cases(ALLOWANCE)
    assert applying("我妈今年九十二了 那她能拿多少", allowance).condition == "90-99周岁"
    assert applying("能拿多少", allowance, situation=situation_of(["我奶奶85了，腿脚不方便"])).condition == "80-89周岁"
    assert stated("我们家3口人了") == [] and stated("他今年2026了") == []  # a count, a calendar year


def test_nothing_applies_when_nothing_is_stated_or_it_is_not_a_situation():
    found = cases(UNEMPLOYMENT)
    assert applying("失业金最长能领多久", found) is None
    assert applying("我2019年开始交的", found) is None  # a calendar year
    assert applying("一年能领多少", found) is None  # a rate
    assert stated("孩子上三年级，每个月交多少") == []
    assert applying("最长能领多久", found, situation=situation_of(["我交了3年失业保险"])).clause.endswith("12个月")
    assert applying("我交了7年", found, situation="3年").clause.startswith("满5年")  # the question's own wins


def test_nested_conditions_of_different_things_are_not_cases():
    """Age limits by degree overlap: age alone does not pick one (the degree decides)."""
    assert cases("全日制大专学历35周岁以下、全日制本科学历45周岁以下可以落户；中级以上职称的，年龄在50周岁以下。") == []
    assert cases("男方年满22周岁、女方年满20周岁；双方完全自愿。") == []


def test_the_follow_up_model_sees_whether_a_parts_case_applies():
    """`has_cases`, `case_applies` of FOLLOW_FEATURES: a case holds the stated number (1), none
    does (-1), nothing stated in the unit (0); a part without cases (0, 0)."""
    from knowledge.answer.types import Turn
    from knowledge.reader.followup import case_columns

    assert case_columns(Turn(raw="我交了3年，最长能领多久"), UNEMPLOYMENT) == (1.0, 1.0)
    assert case_columns(Turn(raw="最长能领多久", situation="交了半年"), UNEMPLOYMENT) == (1.0, 0.0)  # 半年: no number
    assert case_columns(Turn(raw="交了0.5年能领吗"), UNEMPLOYMENT) == (1.0, -1.0)
    assert case_columns(Turn(raw="最长能领多久"), UNEMPLOYMENT) == (1.0, 0.0)
    assert case_columns(Turn(raw="我交了3年"), "携带身份证原件到服务大厅办理。") == (0.0, 0.0)
