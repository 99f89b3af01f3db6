"""Reading, cleaning, metadata and chunking of real government documents (knowledge.ingest)."""

from __future__ import annotations

import datetime
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from knowledge.ingest.chunk import Chunk, chunk_document, heading_of
from knowledge.ingest.clean import clean_document
from knowledge.ingest.errors import IngestError
from knowledge.ingest.meta import DocMeta, extract_metadata, parse_date
from knowledge.ingest.readers import read_document

SEED_NAMES = [
    "000_09049e3a06e794f3.txt",
    "001_8a1ce8f3cd3cb75f.txt",
    "002_7723b1c36605eed2.txt",
    "003_dd439216d952db6d.txt",
    "004_924ba6c806a8898a.txt",
]
# The repository's own copy first, then the shared corpus checked out beside the repository.
SEED_DIRS = [
    Path(__file__).parents[2] / "data/documents",
    Path(__file__).parents[3] / "shared/corpus/seeds",
]

EXPECTED_META = {
    "000_09049e3a06e794f3.txt": DocMeta(
        title="红桥区市场监管局2019年政务公开工作要点", doc_number=None, issuing_body="红桥区市场监管局", date=None
    ),
    "001_8a1ce8f3cd3cb75f.txt": DocMeta(
        title="贵阳国家高新区党政办公室印发贵阳国家高新区2019年政务公开工作实施方案的通知",
        doc_number="筑高新办函〔2019〕23号",
        issuing_body="贵阳国家高新区党政办公室",
        date=datetime.date(2019, 7, 10),
    ),
    "002_7723b1c36605eed2.txt": DocMeta(
        title="2019年义乌市政务公开工作要点", doc_number=None, issuing_body="义乌市人民政府办公室", date=datetime.date(2019, 6, 27)
    ),
    "003_dd439216d952db6d.txt": DocMeta(
        title="泉州市工商局关于2017年政务公开工作主要任务分解实施方案",
        doc_number=None,
        issuing_body="泉州市工商局",
        date=datetime.date(2017, 5, 24),
    ),
    "004_924ba6c806a8898a.txt": DocMeta(
        title="厦门市城市管理行政执法局2019年政务公开工作主要任务",
        doc_number=None,
        issuing_body="厦门市城市管理行政执法局",
        date=datetime.date(2019, 9, 12),
    ),
}

# Page furniture and the portal vendor's contact block: none of it may survive cleaning.
BOILERPLATE = [
    "4006-0531-77",
    "0531-88873",
    "zhenghe",
    "联系我们",
    "服务热线",
    "技术支持",
    "注册地址",
    "公司地址",
    "浏览量",
    "分享到",
    "扫一扫",
    "当前位置",
    "朗读",
    "附件下载",
    "相关解读",
    "文字解读",
    "媒体报道",
    "微信二维码",
    "APP客户端",
    "项目日历",
    "政策订阅",
    "政策匹配",
    "已入库项目",
    "每日一听",
    "此件公开发布",
    "政策来源",
]

SENTENCE_END = "。！？；!?;"


def _seed_dir() -> Path | None:
    for folder in SEED_DIRS:
        if all((folder / name).is_file() for name in SEED_NAMES):
            return folder
    return None


def seed_raw(name: str) -> str:
    folder = _seed_dir()
    if folder is None:
        pytest.skip("seed documents not found in data/documents/ nor ../shared/corpus/seeds/")
    return read_document(folder / name)


def seed_clean(name: str) -> str:
    return clean_document(seed_raw(name))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def path_of(chunks: list[Chunk], *prefix: str) -> list[Chunk]:
    return [c for c in chunks if c.heading_path[: len(prefix)] == prefix]


# --------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize("name", SEED_NAMES)
def test_cleaning_removes_portal_boilerplate(name):
    cleaned = seed_clean(name)
    for marker in BOILERPLATE:
        assert marker not in cleaned, f"{marker!r} survived cleaning of {name}"
    assert clean_document(cleaned) == cleaned  # cleaning twice changes nothing


def test_vendor_contact_block_is_removed_but_attachments_stay():
    cleaned = seed_clean("001_8a1ce8f3cd3cb75f.txt")
    assert "4006-0531-77" not in cleaned and "山东省济南市" not in cleaned
    assert "4047" not in cleaned and "148家企业" not in cleaned
    lines = cleaned.split("\n")
    assert lines[-1] == "筑高新办函〔2019〕23号 附件2《贵阳国家高新区2019年政务公开工作实施方案》解读材料"
    assert "筑高新办函〔2019〕23号 附件1 贵阳国家高新区政务公开工作规范流程" in lines
    assert lines[0] == "贵阳国家高新区党政办公室印发贵阳国家高新区2019年政务公开工作实施方案的通知"
    assert "发布时间:2019-07-17" in lines  # kept: it carries the publication date


@pytest.mark.parametrize("name", SEED_NAMES)
def test_cleaning_keeps_every_numbered_line_and_every_sentence(name):
    raw, cleaned = seed_raw(name), seed_clean(name)
    kept = set(cleaned.split("\n"))
    numbered = [" ".join(line.split()) for line in raw.split("\n") if heading_of(line)]
    sentences = [" ".join(line.split()) for line in raw.split("\n") if "。" in line]
    assert len(numbered) >= 10 and len(sentences) >= 10
    for line in numbered + sentences:
        assert line in kept


def test_cleaning_normalises_whitespace():
    cleaned = seed_clean("003_dd439216d952db6d.txt")
    lines = cleaned.split("\n")
    assert all(line == line.strip() for line in lines)
    assert "\n\n\n" not in cleaned
    assert lines[1] == "时间:2017-05-24 10:33"  # indentation dropped
    assert lines[-1].startswith("各科室要结合实际,根据本要点")  # tail cut at 附件下载
    assert seed_clean("000_09049e3a06e794f3.txt").split("\n")[-1].startswith("(十八)提升规范化水平")


def test_cleaning_rules_on_a_synthetic_page():
    page = "\n".join(
        [
            "您现在的位置：首页 > 政务公开 > 通知公告",
            "  关于做好夏季用电的通知  ",
            "发布时间：2023-06-01　　浏览次数：35次　【字体：大 中 小】",
            "",
            "",
            "一、各单位要节约用电。",
            "群众可拨打服务热线：12345 咨询。",
            "（此件主动公开）",
            "打印本页",
            "关闭窗口",
            "二、用电高峰期错峰生产。",
            "附件：",
            "分享到：",
            "网站首页 | 网站地图",
            "联系我们",
            "电话：0591-1234567",
        ]
    )
    cleaned = clean_document(page)
    assert cleaned.split("\n") == [
        "关于做好夏季用电的通知",
        "发布时间：2023-06-01",
        "",
        "一、各单位要节约用电。",
        "群众可拨打服务热线：12345 咨询。",  # a hotline in the body is real content
        "二、用电高峰期错峰生产。",
    ]


def test_footer_marker_in_the_middle_does_not_cut_the_document():
    text = "\n".join(
        [
            "一、总体要求",
            "分享到：",
            "二、具体措施。各单位要落实责任。",
            "联系我们",
            "  • 服务热线:4006-0531-77",
            "  • 邮箱:service@example.com",
            "政策匹配",
            "148家企业",
            "成功匹配政策",
            "三、保障措施。加强督导。",
            "政策解读",
            "四、政策解读要通俗易懂。",
        ]
    )
    assert clean_document(text).split("\n") == [
        "一、总体要求",
        "二、具体措施。各单位要落实责任。",
        "三、保障措施。加强督导。",
        "政策解读",
        "四、政策解读要通俗易懂。",  # a widget title alone is left alone
    ]


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("name", SEED_NAMES)
def test_metadata_of_each_seed(name):
    assert extract_metadata(seed_clean(name), name) == EXPECTED_META[name]


def test_doc_number_cited_in_the_body_is_not_this_documents_number():
    text = (
        "关于做好2019年政务公开工作的通知\n"
        "各部门：\n"
        "根据《省人民政府办公厅关于印发贵州省2019年政务公开工作要点的通知》（黔府办函〔2019〕68号），"
        "现将有关事项通知如下。\n"
        "某某区人民政府办公室\n"
        "2019年5月6日"
    )
    meta = extract_metadata(text, "notice.txt")
    assert meta.doc_number is None
    assert meta.title == "关于做好2019年政务公开工作的通知"
    assert meta.issuing_body == "某某区人民政府办公室"
    assert meta.date == datetime.date(2019, 5, 6)


@pytest.mark.parametrize(
    "line, number",
    [
        ("厦府办〔2020〕12号", "厦府办〔2020〕12号"),
        ("义政办发[2019]33号", "义政办发[2019]33号"),
        ("泉政文(2018) 第 7 号", "泉政文(2018)第7号"),
        ("文号：闽政〔2019〕1号", "闽政〔2019〕1号"),
        ("厦门市人民政府令第178号", "厦门市人民政府令第178号"),
    ],
)
def test_doc_number_formats(line, number):
    meta = extract_metadata(f"某市人民政府关于加强管理的意见\n{line}\n各区人民政府：", "x.txt")
    assert meta.doc_number == number
    assert meta.issuing_body == "某市人民政府"


def test_metadata_fallbacks():
    meta = extract_metadata("发布时间：2021-03-05 09:00\n各位市民请注意停水安排。\n", "停水公告.txt")
    assert meta.date == datetime.date(2021, 3, 5)
    assert meta.title == "各位市民请注意停水安排"  # first meaningful line, up to the sentence end
    assert meta.doc_number is None and meta.issuing_body is None
    assert extract_metadata("", "/data/documents/停水公告.txt").title == "停水公告"


def test_parse_date_formats():
    assert parse_date("2019年7月10日") == datetime.date(2019, 7, 10)
    assert parse_date("发布时间:2019-07-17") == datetime.date(2019, 7, 17)
    assert parse_date("二〇一九年十二月三十一日") == datetime.date(2019, 12, 31)
    assert parse_date("2019年2月30日") is None
    assert parse_date("没有日期") is None


# --------------------------------------------------------------------------- chunking


def test_chunks_follow_structure_of_000():
    chunks = chunk_document(seed_clean("000_09049e3a06e794f3.txt"))
    assert chunks[0].heading_path == ()
    assert chunks[0].text.startswith("红桥区市场监管局2019年\n政务公开工作要点")
    target = path_of(chunks, "一、深入推进决策和执行公开", "(一)着力推进重要决策公开")
    assert len(target) == 1
    assert target[0].text.startswith("一、深入推进决策和执行公开\n(一)着力推进重要决策公开。要以")
    assert [c.heading_path for c in path_of(chunks, "二、强化重点领域信息公开")][:2] == [
        ("二、强化重点领域信息公开", "(四)围绕“放管服”改革信息公开"),
        ("二、强化重点领域信息公开", "(五)以推动解决重点民生问题为着力点"),
    ]
    # the unnumbered paragraph after (七) belongs to (七)
    (seventh,) = path_of(chunks, "二、强化重点领域信息公开", "(七)推进预决算公开")
    assert "加强收费信息公开,公布收费目录清单。" in seventh.text


def test_chunks_follow_three_levels():
    chunks = chunk_document(seed_clean("001_8a1ce8f3cd3cb75f.txt"))
    paths = [c.heading_path for c in chunks]
    assert ("三、工作任务", "(一)聚焦中心工作,加大政策解读和回应关切力度", "1.主动服务大局加强信息公开") in paths
    assert ("四、强化保障措施,推动各项工作落到实处", "(三)强化考核督导") in paths
    assert ("一、指导思想",) in paths
    assert "筑高新办函〔2019〕23号" in chunks[0].text and chunks[0].heading_path == ()

    chunks = chunk_document(seed_clean("003_dd439216d952db6d.txt"))
    assert ("二、主要任务和职责分工", "(一)以政务公开促改革,重点推进“放管服”改革信息公开", "1)推进权力清单、责任清单管理工作") in [
        c.heading_path for c in chunks
    ]

    chunks = chunk_document(seed_clean("004_924ba6c806a8898a.txt"))
    (first,) = path_of(chunks, "二、聚焦重点领域,进一步推进政策落实", "(四)加强三大攻坚战信息公开", "1.围绕打好防范化解重大风险攻坚战")
    assert first.text.startswith("(四)加强三大攻坚战信息公开。\n1.围绕打好")  # parent joins child


def test_level_one_heading_with_a_space():
    chunks = chunk_document(seed_clean("002_7723b1c36605eed2.txt"))
    (deep,) = path_of(chunks, "一、加强政策解读和回应关切,以公开稳定预期", "(一)深入解读重要政策")
    assert deep.text.startswith("一、 加强政策解读和回应关切,以公开稳定预期\n(一)深入解读重要政策。")


@pytest.mark.parametrize("name", SEED_NAMES)
@pytest.mark.parametrize("max_chars", [400, 150])
def test_chunks_are_bounded_and_lose_no_text(name, max_chars):
    cleaned = seed_clean(name)
    chunks = chunk_document(cleaned, max_chars=max_chars)
    for chunk in chunks:
        if len(chunk.text) > max_chars:  # only a single sentence that cannot be split
            inner = chunk.text.rstrip(SENTENCE_END + "”’")
            assert "\n" not in inner and not re.search(f"[{SENTENCE_END}]", inner), chunk.text
    assert squash("".join(c.text for c in chunks)) == squash(cleaned)
    joined = "\n".join(c.text for c in chunks)
    for sentence in re.split(f"[{SENTENCE_END}\n]", cleaned):
        assert sentence.strip() in joined


@pytest.mark.parametrize("name", SEED_NAMES)
def test_no_chunk_is_a_bare_heading(name):
    for chunk in chunk_document(seed_clean(name)):
        body = [line for line in chunk.text.split("\n") if not heading_of(line) or len(line) > len(heading_of(line)[1]) + 3]
        assert body, f"heading-only chunk: {chunk}"


def test_long_section_is_split_at_sentence_ends_keeping_its_path():
    chunks = chunk_document(seed_clean("000_09049e3a06e794f3.txt"), max_chars=150)
    pieces = path_of(chunks, "二、强化重点领域信息公开", "(四)围绕“放管服”改革信息公开")
    assert len(pieces) >= 3
    assert all(len(p.text) <= 150 for p in pieces)
    assert all(p.text[-1] in SENTENCE_END + "”" for p in pieces)
    assert pieces[0].text.startswith("二、强化重点领域信息公开\n")


def test_chunking_synthetic_markers():
    text = "\n".join(
        [
            "某市关于做好供暖工作的通知",
            "各区：",
            "一、 总体要求",
            "（一）保障居民供暖。供暖期为每年11月15日至次年3月15日。",
            "1、热源单位要提前试运行。",
            "2）供热企业要公开服务电话。",
            "（1）投诉电话：12345。",
            "(2)报修电话24小时有人接听。",
            "二、保障措施",
            "各区要加强监督检查，确保居民室温不低于18℃。" * 3,
        ]
    )
    chunks = chunk_document(text, max_chars=60)
    assert chunks[0] == Chunk((), "某市关于做好供暖工作的通知\n各区：")
    paths = [c.heading_path for c in chunks]
    assert ("一、总体要求", "（一）保障居民供暖", "1、热源单位要提前试运行") in paths
    assert ("一、总体要求", "（一）保障居民供暖", "2）供热企业要公开服务电话") in paths
    assert ("一、总体要求", "（一）保障居民供暖", "（1）投诉电话：12345") in paths
    assert ("一、总体要求", "（一）保障居民供暖", "(2)报修电话24小时有人接听") in paths
    last = path_of(chunks, "二、保障措施")
    assert len(last) == 2 and all(len(c.text) <= 60 for c in last)
    assert squash("".join(c.text for c in chunks)) == squash(text)


def test_decimal_numbers_are_not_headings():
    assert heading_of("1.5亿元用于老旧小区改造。") is None
    assert heading_of("2019年全市完成投资。") is None
    assert heading_of("一、") is None
    assert heading_of("(十一)按照稳中求进工作总基调。要求如下") == (2, "(十一)按照稳中求进工作总基调")


# --------------------------------------------------------------------------- readers


def test_read_text_encodings(tmp_path):
    text = "关于做好供暖工作的通知\n一、供暖期为11月15日至次年3月15日。"
    (tmp_path / "gbk.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "bom.md").write_bytes(text.encode("utf-8-sig"))
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))
    for name in ("gbk.txt", "bom.md", "utf16.txt"):
        assert read_document(tmp_path / name) == text


def test_read_html(tmp_path):
    html = """<html><head><meta charset="gbk"><title>页面标题</title>
    <style>p { color: red }</style><script>var hotline = "4006-0531-77";</script></head>
    <body><header>市政府门户网站</header><nav>首页 | 政务公开</nav>
    <div class="content"><h1>关于做好供暖工作的通知</h1>
    <p>一、供暖期为11月15日
       至次年3月15日。</p><p>二、投诉电话：12345<br>全天受理。</p>
    <table><tr><td>区域</td><td>开始时间</td></tr></table></div>
    <aside>相关文章</aside><footer>版权所有 联系我们</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_bytes(html.encode("gb18030"))
    assert read_document(path).split("\n") == [
        "关于做好供暖工作的通知",
        "一、供暖期为11月15日 至次年3月15日。",
        "二、投诉电话：12345",
        "全天受理。",
        "区域 开始时间",
    ]


def test_read_docx_paragraphs_and_tables_in_order(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("关于做好供暖工作的通知", level=1)
    document.add_paragraph("一、供暖期为11月15日至次年3月15日。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "区域", "开始时间"
    table.cell(1, 0).text, table.cell(1, 1).text = "思明区", "11月15日"
    document.add_paragraph("二、投诉电话：12345。")
    path = tmp_path / "notice.docx"
    document.save(path)
    assert read_document(path).split("\n") == [
        "关于做好供暖工作的通知",
        "一、供暖期为11月15日至次年3月15日。",
        "区域 | 开始时间",
        "思明区 | 11月15日",
        "二、投诉电话：12345。",
    ]


def _cjk_font() -> str | None:
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = [line.split(":")[0].strip() for line in out.splitlines()]
    return next((f for f in files if f.lower().endswith((".ttf", ".otf", ".ttc"))), None)


def test_read_pdf_text_per_page(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    font = _cjk_font()
    if font:
        pages = ["关于做好供暖工作的通知", "投诉电话12345全天受理"]
    else:  # no CJK font on this machine: latin text still exercises the reader
        pages = ["Heating notice for the city", "Complaints hotline 12345"]
    pdf = fpdf.FPDF()
    if font:
        pdf.add_font("cjk", fname=font)
        pdf.set_font("cjk", size=14)
    else:
        pdf.set_font("Helvetica", size=14)
    for page in pages:
        pdf.add_page()
        pdf.cell(text=page)
    path = tmp_path / "notice.pdf"
    pdf.output(str(path))
    text = read_document(path)
    assert [squash(line) for line in text.split("\n")] == [squash(p) for p in pages]


def _assert_ingest_error(path: Path, *words: str) -> None:
    with pytest.raises(IngestError) as info:
        read_document(path)
    reason = info.value.reason
    assert reason and re.search(r"[\u4e00-\u9fa5]", reason) and str(info.value) == reason
    for word in words:
        assert word in reason


def test_corrupt_and_empty_files_raise_ingest_error(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage")
    _assert_ingest_error(tmp_path / "broken.pdf", "PDF")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not a zip archive")
    _assert_ingest_error(tmp_path / "broken.docx", "docx")
    with zipfile.ZipFile(tmp_path / "notword.docx", "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    _assert_ingest_error(tmp_path / "notword.docx", "docx")
    for name in ("empty.txt", "empty.pdf", "empty.docx", "blank.html"):
        (tmp_path / name).write_bytes(b"" if name != "blank.html" else b"  \n\t ")
        _assert_ingest_error(tmp_path / name, "空")
    (tmp_path / "furniture.html").write_text("<html><body><nav>首页</nav><script>x=1</script></body></html>")
    _assert_ingest_error(tmp_path / "furniture.html", "没有可提取的文字")


def test_pdf_without_text_raises_ingest_error(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.output(str(tmp_path / "scan.pdf"))
    _assert_ingest_error(tmp_path / "scan.pdf", "没有可提取的文字")


def test_unsupported_and_missing_files_raise_ingest_error(tmp_path):
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy word")
    _assert_ingest_error(tmp_path / "old.doc", "不支持", ".docx")
    (tmp_path / "table.xlsx").write_bytes(b"PK")
    _assert_ingest_error(tmp_path / "table.xlsx", "不支持")
    _assert_ingest_error(tmp_path / "missing.txt", "不存在")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    _assert_ingest_error(tmp_path / "binary.txt", "不是文本文件")


def test_reading_then_cleaning_a_seed_end_to_end():
    text = seed_raw("001_8a1ce8f3cd3cb75f.txt")
    meta = extract_metadata(clean_document(text), "001_8a1ce8f3cd3cb75f.txt")
    assert meta.doc_number == "筑高新办函〔2019〕23号"
    # the number cited in the body (黔府办函〔2019〕68号) is in the text but is not the answer
    assert "黔府办函〔2019〕68号" in text
