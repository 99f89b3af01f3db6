"""A large synthetic knowledge base for the latency benchmark, recombined from the sample KB.

What it writes (JSON Lines and .txt files in the formats of data/kb and data/documents, ingested
later through the real `Knowledge.ingest` path):

- base set (citywide, region 示例市), about the number of passages asked for:
  * service guides for 168 services (107 subjects x their actions) that are NOT in the sample KB
    (殡葬补贴申领, 无犯罪记录证明开具 …), each with the ten guide fields; once all 168 are used,
    further guides repeat a service with a round number in the title (居民身份证换领（2）): 316
    guides for the 10k index. Every field is recombined from the same field of two sample guides
    (of the same department when it has two): the first sentences of one, the rest of the other,
    with the sample service's name and department replaced by the new ones; address and phone
    are drawn per item.
  * 3 policy Q&As per guide (question + 2-3 colloquial phrasings, answer = the guide's field), built
    from question frames per field ("{service}需要提交哪些材料？", "办{noun}要带啥" …).
  * policy documents (~15% of passages): a title, 文号, addressees and signature, then 3-6 top-level
    sections taken from the 5 seed documents and renumbered.
- district variants (only for the 100k index): copies of the base items for one district per
  round (11 rounds for 100k: 示例市城西区 … 示例市经开区; the last round stops part-way): region,
  department (示例市城西区民政局), title or question prefixed with the district, service hall and
  phone replaced; bodies otherwise the same. Plus a directory entry for each district department.
  Keys are the base key + "~dNN", which the benchmark uses to reuse the base item's passage
  vectors (see bench/latency.py).

The sample KB itself is not copied: the benchmark ingests it next to the synthetic files, so the
eval questions keep their right answers. All of it is deterministic (fixed seeds).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict
from pathlib import Path

from bench.common import SAMPLE_KB_DIR, SEED_DOCS_DIR, fresh_dir

COMMENT = {"_comment": "示例数据：基准测试用的合成知识库，由样例知识库的句子重组而成，不是真实政策。"}
RECORDS_PER_FILE = 400
DOC_SHARE = 0.15  # share of base passages that come from policy documents (the sample KB has ~7%)
QA_PER_GUIDE = 3
VARIANT_KEY = re.compile(r"~d\d{2}")

# (service noun, department, actions): guide title = noun + action
SERVICES: list[tuple[str, str, list[str]]] = [
    ("临时救助", "示例市民政局", ["申请", "审核确认"]),
    ("特困人员供养", "示例市民政局", ["申请", "终止"]),
    ("殡葬补贴", "示例市民政局", ["申领"]),
    ("困境儿童生活补贴", "示例市民政局", ["申请", "变更"]),
    ("孤儿基本生活费", "示例市民政局", ["申领"]),
    ("老年人优待证", "示例市民政局", ["办理", "补办"]),
    ("居家养老服务补贴", "示例市民政局", ["申请"]),
    ("社会团体", "示例市民政局", ["成立登记", "变更登记", "注销登记"]),
    ("民办非企业单位", "示例市民政局", ["成立登记", "年度检查"]),
    ("收养登记", "示例市民政局", ["办理"]),
    ("离婚登记", "示例市民政局", ["办理"]),
    ("婚姻登记记录证明", "示例市民政局", ["出具"]),
    ("职业技能提升补贴", "示例市人力资源和社会保障局", ["申领"]),
    ("创业担保贷款", "示例市人力资源和社会保障局", ["申请", "贴息申领"]),
    ("就业困难人员", "示例市人力资源和社会保障局", ["认定", "社保补贴申领"]),
    ("职业资格证书", "示例市人力资源和社会保障局", ["补发", "查询验证"]),
    ("工伤认定", "示例市人力资源和社会保障局", ["申请"]),
    ("劳动能力鉴定", "示例市人力资源和社会保障局", ["申请", "再次鉴定"]),
    ("养老保险关系", "示例市人力资源和社会保障局", ["转移接续", "跨省转入"]),
    ("城乡居民养老保险", "示例市人力资源和社会保障局", ["参保登记", "待遇申领", "缴费档次变更"]),
    ("高校毕业生求职创业补贴", "示例市人力资源和社会保障局", ["申领"]),
    ("劳动人事争议仲裁", "示例市人力资源和社会保障局", ["申请"]),
    ("欠薪", "示例市人力资源和社会保障局", ["投诉"]),
    ("门诊慢特病待遇", "示例市医疗保障局", ["认定", "变更"]),
    ("长期护理保险待遇", "示例市医疗保障局", ["申请"]),
    ("医保关系", "示例市医疗保障局", ["转移接续"]),
    ("城乡居民医保", "示例市医疗保障局", ["参保缴费", "停保"]),
    ("医保电子凭证", "示例市医疗保障局", ["激活", "亲情账户绑定"]),
    ("居民身份证", "示例市公安局", ["换领", "补领", "首次申领"]),
    ("临时居民身份证", "示例市公安局", ["办理"]),
    ("居民户口簿", "示例市公安局", ["补领", "换领"]),
    ("无犯罪记录证明", "示例市公安局", ["开具"]),
    ("户口登记项目", "示例市公安局", ["变更更正"]),
    ("养犬登记", "示例市公安局", ["办理", "年检"]),
    ("台湾居民来往大陆通行证", "示例市公安局", ["申领"]),
    ("往来台湾通行证", "示例市公安局", ["申领", "签注"]),
    ("机动车注册登记", "示例市公安局交通警察支队", ["办理"]),
    ("电动自行车", "示例市公安局交通警察支队", ["登记上牌", "转移登记"]),
    ("机动车驾驶证", "示例市公安局交通警察支队", ["补领", "审验"]),
    ("交通违法", "示例市公安局交通警察支队", ["处理", "罚款缴纳"]),
    ("机动车号牌", "示例市公安局交通警察支队", ["补领"]),
    ("药品经营许可", "示例市市场监督管理局", ["申请", "延续", "变更"]),
    ("第二类医疗器械经营", "示例市市场监督管理局", ["备案"]),
    ("特种设备使用登记", "示例市市场监督管理局", ["办理", "变更"]),
    ("计量器具强制检定", "示例市市场监督管理局", ["申请"]),
    ("企业注销登记", "示例市市场监督管理局", ["办理", "简易注销"]),
    ("企业变更登记", "示例市市场监督管理局", ["办理"]),
    ("股权出质登记", "示例市市场监督管理局", ["设立", "注销"]),
    ("食品小作坊", "示例市市场监督管理局", ["登记", "变更"]),
    ("工业产品生产许可", "示例市市场监督管理局", ["申请"]),
    ("出生医学证明", "示例市卫生健康委员会", ["首次签发", "补发", "换发"]),
    ("医师执业注册", "示例市卫生健康委员会", ["首次注册", "变更注册"]),
    ("护士执业注册", "示例市卫生健康委员会", ["首次注册", "延续注册"]),
    ("独生子女父母奖励", "示例市卫生健康委员会", ["申领"]),
    ("计划生育特别扶助金", "示例市卫生健康委员会", ["申领"]),
    ("公共场所卫生许可", "示例市卫生健康委员会", ["申请", "延续"]),
    ("预防接种证", "示例市卫生健康委员会", ["补办", "查验"]),
    ("母婴保健技术服务", "示例市卫生健康委员会", ["执业许可"]),
    ("教师资格", "示例市教育局", ["认定", "证书补发"]),
    ("中小学生学籍", "示例市教育局", ["转接", "异动"]),
    ("幼儿园入园", "示例市教育局", ["报名"]),
    ("中小学转学", "示例市教育局", ["申请"]),
    ("家庭经济困难学生资助", "示例市教育局", ["申请"]),
    ("民办学校", "示例市教育局", ["设立审批", "变更"]),
    ("课外培训机构", "示例市教育局", ["审批", "投诉"]),
    ("农村宅基地", "示例市自然资源和规划局", ["申请审批"]),
    ("建设用地规划许可证", "示例市自然资源和规划局", ["核发"]),
    ("不动产抵押登记", "示例市自然资源和规划局", ["首次登记", "注销登记"]),
    ("不动产首次登记", "示例市自然资源和规划局", ["办理"]),
    ("不动产权证书", "示例市自然资源和规划局", ["补发", "换发"]),
    ("不动产登记资料", "示例市自然资源和规划局", ["查询"]),
    ("商品房预售许可", "示例市住房和城乡建设局", ["申请"]),
    ("建筑工程施工许可", "示例市住房和城乡建设局", ["申请", "变更"]),
    ("住房保障资格", "示例市住房和城乡建设局", ["申请", "年审"]),
    ("房屋租赁合同", "示例市住房和城乡建设局", ["登记备案"]),
    ("物业服务", "示例市住房和城乡建设局", ["投诉"]),
    ("住宅专项维修资金", "示例市住房和城乡建设局", ["使用申请", "查询"]),
    ("道路运输经营许可", "示例市交通运输局", ["申请", "延续"]),
    ("出租汽车驾驶员从业资格证", "示例市交通运输局", ["申请", "注册"]),
    ("网约车运输证", "示例市交通运输局", ["申领"]),
    ("公交老年卡", "示例市交通运输局", ["办理", "年审"]),
    ("户外广告设施设置", "示例市城市管理局", ["审批"]),
    ("城市道路挖掘", "示例市城市管理局", ["许可"]),
    ("建筑垃圾处置", "示例市城市管理局", ["核准"]),
    ("城市树木迁移", "示例市城市管理局", ["许可"]),
    ("违章搭建", "示例市城市管理局", ["举报"]),
    ("排污许可证", "示例市生态环境局", ["申请", "变更", "延续"]),
    ("建设项目环境影响评价", "示例市生态环境局", ["审批"]),
    ("危险废物转移", "示例市生态环境局", ["审批"]),
    ("油烟污染", "示例市生态环境局", ["投诉"]),
    ("个人所得税综合所得", "示例市税务局", ["汇算清缴"]),
    ("发票", "示例市税务局", ["领用", "代开"]),
    ("契税", "示例市税务局", ["申报缴纳"]),
    ("完税证明", "示例市税务局", ["开具"]),
    ("车船税", "示例市税务局", ["缴纳"]),
    ("退役士兵", "示例市退役军人事务局", ["安置", "自主就业补助申领"]),
    ("退役军人优待证", "示例市退役军人事务局", ["申领"]),
    ("伤残抚恤", "示例市退役军人事务局", ["申请"]),
    ("法律援助", "示例市司法局", ["申请"]),
    ("公证", "示例市司法局", ["办理", "投诉"]),
    ("人民调解", "示例市司法局", ["申请"]),
    ("残疾人证", "示例市残疾人联合会", ["首次申领", "换领", "迁移"]),
    ("残疾人辅助器具", "示例市残疾人联合会", ["适配申请"]),
    ("残疾人就业", "示例市残疾人联合会", ["补贴申领"]),
    ("用水", "示例市水务集团有限公司", ["报装", "过户", "水表迁移"]),
    ("燃气", "示例市燃气有限公司", ["过户", "停用", "改管"]),
    ("政务服务", "示例市政务服务管理局", ["差评申诉", "帮办代办"]),
]

DISTRICTS = ["城东区", "城西区", "南湖区", "高新区", "城北区", "江北区", "临港区", "东山县", "西岭县", "北湖区", "滨江区", "经开区"]
ROADS = ["人民路", "解放路", "建设大道", "中山路", "湖滨路", "创新大道", "朝阳路", "西湖路", "长江路", "文化路", "新华路", "滨江大道"]
DOC_ABBR = {
    "示例市民政局": "民",
    "示例市人力资源和社会保障局": "人社",
    "示例市医疗保障局": "医保",
    "示例市公安局": "公",
    "示例市公安局交通警察支队": "公交管",
    "示例市市场监督管理局": "市监",
    "示例市卫生健康委员会": "卫健",
    "示例市教育局": "教",
    "示例市自然资源和规划局": "自然资源",
    "示例市住房和城乡建设局": "住建",
    "示例市交通运输局": "交",
    "示例市城市管理局": "城管",
    "示例市生态环境局": "环",
    "示例市税务局": "税",
    "示例市退役军人事务局": "退役军人",
    "示例市司法局": "司",
    "示例市残疾人联合会": "残联",
    "示例市水务集团有限公司": "水务",
    "示例市燃气有限公司": "燃气",
    "示例市政务服务管理局": "政务",
}

# Q&A frames per guide field: (standard question, colloquial phrasings)
QA_FRAMES: dict[str, tuple[str, list[str]]] = {
    "所需材料": ("办理{title}需要提交哪些材料？", ["办{noun}要带啥", "{noun}要准备什么材料", "{title}材料清单有哪些"]),
    "受理条件": ("{title}需要满足什么条件？", ["什么情况可以{action}{noun}", "{noun}有啥要求", "我符合{noun}的条件吗"]),
    "办理时限": ("{title}多长时间能办好？", ["{noun}几天能拿到", "{title}要等多久", "{noun}办下来要多少天"]),
    "收费标准": ("{title}收费吗？", ["{noun}要交钱吗", "办{noun}花多少钱", "{title}有没有费用"]),
    "办理地点": ("{title}在哪里办理？", ["{noun}去哪办", "{noun}可以网上办吗", "在哪个窗口办{noun}"]),
    "办理流程": ("{title}的办理流程是怎样的？", ["{noun}怎么办", "{noun}办理步骤", "{title}要走哪些程序"]),
    "办理对象": ("哪些人可以申请{title}？", ["{noun}谁能办", "外地人能办{noun}吗", "{noun}是给什么人办的"]),
    "咨询电话": ("{title}的咨询电话是多少？", ["{noun}打哪个电话问", "问{noun}的事找谁", "{noun}有没有咨询电话"]),
    "法律依据": ("{title}的政策依据是什么？", ["{noun}按哪个文件办", "{noun}有什么规定"]),
}
GUIDE_LABELS = ["事项名称", "办理对象", "受理条件", "所需材料", "办理流程", "办理时限", "收费标准", "办理地点", "咨询电话", "法律依据"]
_SENTENCE = re.compile(r"[^。；]+[。；]?")
_CN = "一二三四五六七八九十"
_LEVEL1 = re.compile(rf"^[{_CN}]+、")


# --- material from the sample KB ---------------------------------------------------------------
def _read_jsonl(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if not all(k.startswith("_") for k in r)]


def sample_guides() -> list[dict]:
    return [r for p in sorted(SAMPLE_KB_DIR.glob("*.jsonl")) for r in _read_jsonl(p) if r.get("kind") == "guide"]


def sample_hotline() -> list[dict]:
    return [r for p in sorted(SAMPLE_KB_DIR.glob("*.jsonl")) for r in _read_jsonl(p) if r.get("kind") == "hotline"]


def _subjects(guide: dict) -> list[str]:
    """The strings that name a sample guide's service: its short title, then its longest title word."""
    from knowledge.text import title_words

    short = guide["title"].split("（")[0]
    words = sorted((w for w in title_words(guide["title"]) if len(w) >= 2 and w != short), key=lambda w: (-len(w), w))
    return [short] + words[:1]


def _retarget(text: str, guide: dict, title: str, noun: str, dept: str) -> str:
    """A sample guide's text made about another service and department."""
    subjects = _subjects(guide)
    text = text.replace(subjects[0], title)
    for word in subjects[1:]:
        text = text.replace(word, noun)
    return text.replace(guide["department"], dept)


def seed_sections() -> list[list[str]]:
    """The level-1 sections (一、… up to the next 一、) of the seed documents, as lists of lines."""
    sections = []
    for path in sorted(SEED_DOCS_DIR.glob("*.txt")):
        current: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            if _LEVEL1.match(line):
                if current and len("".join(current)) > 300:
                    sections.append(current)
                current = [line]
            elif current is not None:
                current.append(line)
        if current and len("".join(current)) > 300:
            sections.append(current)
    return sections


# --- generating ------------------------------------------------------------------------------
class Generator:
    def __init__(self, seed: int = 20240601):
        self.rng = random.Random(seed)
        self.guides = sample_guides()
        self.sections = seed_sections()
        self.hotline = sample_hotline()
        self.services = [(noun, dept, action) for noun, dept, actions in SERVICES for action in actions]

    def phone(self) -> str:
        return f"0000-8{self.rng.randrange(100000, 999999)}"

    def _field(self, label: str, title: str, noun: str, dept: str) -> str:
        """One guide field recombined from the same field of two sample guides (of `dept` if it has two)."""
        same = [g for g in self.guides if g["department"] == dept]  # prefer the department's own guides
        first, second = self.rng.sample(same if len(same) >= 2 else self.guides, 2)
        a = _SENTENCE.findall(_retarget(first["fields"].get(label, ""), first, title, noun, dept))
        b = _SENTENCE.findall(_retarget(second["fields"].get(label, ""), second, title, noun, dept))
        cut = max(1, len(a) // 2)
        text = "".join(a[:cut] + b[cut:] if len(b) > cut else a)
        return text[:220]

    def guide(self, n: int, noun: str, dept: str, action: str) -> dict:
        title = noun + action
        fields = {label: self._field(label, title, noun, dept) for label in GUIDE_LABELS}
        fields["事项名称"] = title
        road = self.rng.choice(ROADS)
        fields["办理地点"] = (
            f"示例市政务服务中心（示例市城东区示例大道100号）{self.rng.randint(1, 60)}号窗口，"
            f"或{dept}业务大厅（示例市{road}{self.rng.randint(1, 300)}号）；也可通过“示例办”APP网上申请。"
        )
        fields["咨询电话"] = f"{dept}咨询电话{self.phone()}，或拨打12345政务服务便民热线。"
        return {
            "kind": "guide",
            "key": f"syn-guide-{n:04d}",
            "title": title,
            "department": dept,
            "region": "示例市",
            "effective_date": "2024-01-01",
            "expiry_date": None,
            "status": "published",
            "fields": fields,
            "_meta": {"noun": noun, "action": action},
        }

    def qas(self, guide: dict) -> list[dict]:
        noun, action = guide["_meta"]["noun"], guide["_meta"]["action"]
        out = []
        labels = self.rng.sample(sorted(QA_FRAMES), QA_PER_GUIDE)
        for i, label in enumerate(labels, 1):
            question, similar = QA_FRAMES[label]
            values = {"title": guide["title"], "noun": noun, "action": action}
            answer = "".join(_SENTENCE.findall(guide["fields"][label])[:3])[:180]
            year = self.rng.choice([2022, 2023, 2024])
            out.append(
                {
                    "kind": "qa",
                    "key": f"{guide['key'].replace('guide', 'qa')}-{i:02d}",
                    "question": question.format(**values),
                    "similar": [s.format(**values) for s in self.rng.sample(similar, min(len(similar), self.rng.choice([2, 3])))],
                    "answer": answer,
                    "source_document": f"《示例市{noun}管理办法》（示例{DOC_ABBR[guide['department']]}发〔{year}〕"
                    f"{self.rng.randint(1, 40)}号）",
                    "department": guide["department"],
                    "region": "示例市",
                    "effective_date": "2024-01-01",
                    "expiry_date": None,
                    "status": "published",
                }
            )
        return out

    def document(self, n: int) -> tuple[str, str]:
        """(file name, text) of one policy document."""
        noun, dept, _action = self.rng.choice(self.services)
        year = self.rng.choice([2022, 2023, 2024, 2025])
        kind = self.rng.choice(["工作实施方案", "管理办法", "工作要点", "实施细则"])
        name = f"示例市{noun}{kind}"
        lines = [
            f"{dept}关于印发{name}的通知",
            f"示例{DOC_ABBR[dept]}发〔{year}〕{self.rng.randint(1, 60)}号",
            "各区人民政府，市政府各部门，各有关单位：",
            f"现将《{name}》印发给你们，请结合实际认真贯彻执行。",
            dept,
            f"{year}年{self.rng.randint(1, 12)}月{self.rng.randint(1, 28)}日",
            name,
            f"为进一步做好{noun}相关工作，规范办理流程，提升服务质量，结合本市实际，制定本{kind[-2:]}。",
        ]
        chosen = self.rng.sample(self.sections, self.rng.randint(3, 6))
        for number, section in enumerate(chosen):
            lines.append(_LEVEL1.sub(_CN[number % 10] + "、", section[0], count=1))
            lines.extend(section[1:])
        return f"syn-doc-{n:04d}.txt", "\n".join(lines) + "\n"


def _passages_of_record(record: dict, source: str) -> int:
    """How many passages the real code makes of one record (records -> draft -> item -> passages)."""
    from knowledge.content import Item
    from knowledge.ingest.records import record_to_draft
    from knowledge.passages import item_passages

    draft = record_to_draft({k: v for k, v in record.items() if k != "_meta"}, source=source)
    return len(item_passages(Item(**asdict(draft))))


def _passages_of_document(path: Path) -> int:
    from knowledge.content import Item
    from knowledge.ingest.service import IngestOptions, document_draft
    from knowledge.passages import item_passages

    return len(item_passages(Item(**asdict(document_draft(path, str(path), IngestOptions())))))


def sample_passages() -> int:
    """Passages the sample KB (data/kb + data/documents) makes, counted with the real code."""
    from knowledge.content import Item
    from knowledge.ingest.service import IngestOptions, drafts_for, expand_paths
    from knowledge.passages import item_passages

    total = 0
    for path in expand_paths([SAMPLE_KB_DIR, SEED_DOCS_DIR]):
        total += sum(len(item_passages(Item(**asdict(d)))) for d in drafts_for(path, IngestOptions()))
    return total


def _write_records(folder: Path, stem: str, records: list[dict]) -> None:
    for start in range(0, len(records), RECORDS_PER_FILE):
        part = records[start : start + RECORDS_PER_FILE]
        lines = [json.dumps(COMMENT, ensure_ascii=False)]
        lines += [json.dumps({k: v for k, v in r.items() if k != "_meta"}, ensure_ascii=False) for r in part]
        (folder / f"{stem}_{start // RECORDS_PER_FILE:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_base(folder: Path, passages: int, seed: int = 20240601) -> dict:
    """Citywide guides + Q&As + documents, about `passages` passages in all, into `folder`."""
    fresh_dir(folder)
    gen = Generator(seed)
    (folder / "documents").mkdir()
    doc_target = int(passages * DOC_SHARE)
    docs, doc_passages = 0, 0
    while doc_passages < doc_target:
        docs += 1
        name, text = gen.document(docs)
        path = folder / "documents" / name
        path.write_text(text, encoding="utf-8")
        doc_passages += _passages_of_document(path)
    guides, qas, total = [], [], doc_passages
    services = list(gen.services)
    gen.rng.shuffle(services)
    n = 0
    while total < passages:
        noun, dept, action = services[n % len(services)]
        if n >= len(services):  # every service used once: further rounds are 第二批-style re-issues
            action = f"{action}（{n // len(services) + 1}）"
        n += 1
        guide = gen.guide(n, noun, dept, action)
        guides.append(guide)
        total += _passages_of_record(guide, "x")
        for qa in gen.qas(guide):
            qas.append(qa)
            total += _passages_of_record(qa, "x")
    _write_records(folder, "guides", guides)
    _write_records(folder, "qa", qas)
    return {
        "folder": str(folder),
        "guides": len(guides),
        "qas": len(qas),
        "documents": docs,
        "passages_expected": total,
        "services_distinct": min(n, len(services)),
    }


# --- district variants -------------------------------------------------------------------------
def _district_department(dept: str, district: str) -> str:
    if dept.startswith("示例市") and not dept.endswith("公司"):
        return f"示例市{district}{dept[len('示例市') :]}"
    return dept


def _district_text(text: str, district: str, dept: str, new_dept: str, address: str) -> str:
    text = text.replace(dept, new_dept)
    text = text.replace("示例市政务服务中心（示例市城东区示例大道100号）", f"{district}政务服务中心（{address}）")
    return text


def variant_record(record: dict, j: int, rng: random.Random) -> dict:
    """The record as district number j publishes it (key: base key + "~dNN")."""
    district = DISTRICTS[j % len(DISTRICTS)]
    dept = record["department"]
    new_dept = _district_department(dept, district)
    address = f"示例市{district}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
    out = dict(record, key=f"{record['key']}~d{j:02d}", region=f"示例市{district}", department=new_dept)
    if record["kind"] == "guide":
        fields = {k: _district_text(v, district, dept, new_dept, address) for k, v in record["fields"].items()}
        fields["事项名称"] = district + fields["事项名称"]
        fields["咨询电话"] = f"{new_dept}咨询电话0000-8{rng.randrange(100000, 999999)}，或拨打12345政务服务便民热线。"
        out.update(title=district + record["title"], fields=fields)
    elif record["kind"] == "qa":
        out.update(question=district + record["question"], answer=_district_text(record["answer"], district, dept, new_dept, address))
    return out


def variant_document(text: str, j: int) -> str:
    """A district's version of a document: its head (up to the first section) names the district."""
    district = DISTRICTS[j % len(DISTRICTS)]
    lines = text.splitlines()
    head_end = next(i for i, line in enumerate(lines) if _LEVEL1.match(line))
    head = [line.replace("示例市", f"示例市{district}").replace("各区人民政府", "各街道办事处") for line in lines[:head_end]]
    return "\n".join(head + lines[head_end:]) + "\n"


def write_variants(base: Path, folder: Path, passages: int, seed: int = 7) -> dict:
    """District copies of the base set, one district per round, until about `passages` passages.

    Each round adds the district's directory entries, then its copies of the documents, then of
    the guides and Q&As; the last round stops part-way once the target is reached."""
    fresh_dir(folder)
    rng = random.Random(seed)
    records = [r for p in sorted(base.glob("*.jsonl")) for r in _read_jsonl(p)]
    doc_paths = sorted((base / "documents").glob("*.txt"))
    record_passages = {r["key"]: _passages_of_record(r, "x") for r in records}
    doc_passages = {p.name: _passages_of_document(p) for p in doc_paths}
    (folder / "documents").mkdir()
    hotline = [h for h in sample_hotline() if h["region"] == "示例市" and h["key"] != "dept-12345"]
    total, rounds, out_records, entries, docs = 0, 0, [], [], 0
    while total < passages:
        rounds += 1
        district = DISTRICTS[rounds % len(DISTRICTS)]
        for h in hotline:  # the district's own departments in the directory
            dept = _district_department(h["title"], district)
            entries.append(
                dict(
                    h,
                    key=f"{h['key']}-{rounds:02d}",
                    title=dept,
                    department=dept,
                    region=f"示例市{district}",
                    handles=h["handles"].replace(h["title"], dept),
                    phone=f"0000-8{rng.randrange(100000, 999999)}",
                    address=f"示例市{district}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
                )
            )
            total += 1
        for path in doc_paths:
            if total >= passages:
                break
            (folder / "documents" / f"{path.stem}~d{rounds:02d}.txt").write_text(
                variant_document(path.read_text(encoding="utf-8"), rounds), encoding="utf-8"
            )
            docs += 1
            total += doc_passages[path.name]
        for record in records:
            if total >= passages:
                break
            out_records.append(variant_record(record, rounds, rng))
            total += record_passages[record["key"]]
    _write_records(folder, "guides_qa", out_records)
    _write_records(folder, "hotline", entries)
    return {
        "folder": str(folder),
        "rounds": rounds,
        "districts": [DISTRICTS[r % len(DISTRICTS)] for r in range(1, rounds + 1)],
        "records": len(out_records),
        "documents": docs,
        "hotline_entries": len(entries),
        "passages_expected": total,
    }


def base_key(key: str) -> str:
    """The base item a district variant was copied from ("syn-qa-0001-02~d03" -> "syn-qa-0001-02")."""
    return VARIANT_KEY.sub("", key)
