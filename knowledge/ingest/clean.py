"""Clean the text of a government web page down to the document itself.

The rules below are plain data so that a non-developer can review them: each has a Chinese
name saying what it removes. They are applied in this order:

1. whitespace: line breaks kept, indentation dropped, runs of blank lines collapsed to one;
2. tail cut: after the last real sentence, the first footer marker line and everything after it
   is page furniture (share buttons, widgets, the portal's contact block ...);
3. INLINE_RULES: fragments removed wherever they occur inside a line;
4. LINE_RULES: lines removed when the whole line matches;
5. BLOCK_RULES: a start line together with the lines that follow it and match its continuation;
6. a dangling "附件：" label left at the very end is removed.
"""

from __future__ import annotations

import re

# Fragments removed wherever they occur inside a line: (name, pattern).
INLINE_RULES: list[tuple[str, str]] = [
    ("字体大小切换【字体：大 中 小】", r"【\s*字体\s*[:：]?\s*大\s*中\s*小\s*】"),
    ("打印/关闭/收藏按钮", r"【\s*(?:打印本页|打印此页|关闭窗口|收藏本页)\s*】"),
    ("浏览量计数", r"(?:浏览量|浏览次数|阅读量|阅读次数|访问量|访问次数|点击量|点击数)\s*[:：]\s*\d+\s*次?"),
    ("公开属性标注（此件公开发布）", r"[(（]\s*此件(?:公开发布|主动公开)\s*[)）]"),
]

# Lines removed when the whole line (spaces trimmed) matches: (name, pattern).
LINE_RULES: list[tuple[str, str]] = [
    ("面包屑导航（当前位置…）", r"(?:当前位置|您现在的位置|您的位置|你的位置|所在位置)\s*[:：].*"),
    ("朗读按钮", r"朗读(?:本文)?|语音播报"),
    ("分享按钮", r"分享到\s*[:：]?\s*(?:(?:微信|微博|朋友圈|QQ|QQ空间)\s*)*"),
    ("手机查看二维码", r"扫一扫在手机上?(?:查看|打开)当前页面?"),
    ("附件下载按钮", r"附件下载\s*[:：]?"),
    ("打印/关闭按钮", r"[【\[]?\s*(?:打印本页|打印此页|关闭窗口|打印|关闭)\s*[】\]]?"),
    ("解读栏目标签", r"(?:相关|文字|图片|视频|访谈)解读|媒体报道"),
    ("二维码与客户端入口", r"微信二维码|微信公众号|APP客户端|手机版"),
    ("门户标签（政策来源、关键词）", r"(?:政策来源|关键词)\s*[:：].*"),
]

# A start line plus the lines right after it that match the continuation: (name, start,
# continuation). The start line is only removed when at least one continuation line follows.
BLOCK_RULES: list[tuple[str, str, str]] = [
    (
        "门户网站的“联系我们”信息（网站运营方，不是政府部门）",
        r"联系我们\s*[:：]?",
        r"[•·●\-\s]*(?:服务热线|技术支持|监督举报邮箱|举报邮箱|电子邮箱|邮箱|注册地址|公司地址|地址"
        r"|联系电话|电话|传真|邮编)\s*[:：].*",
    ),
    (
        "门户小部件（项目日历、政策订阅、政策匹配等）及其计数",
        r"项目日历|政策订阅|政策匹配|政策解读|每日一听",
        r"\d+|\d+\s*家企业|已入库项目|成功匹配政策|第一时间为您推送.*|深入分析解读政策|每日推送.*",
    ),
]

# Footer markers for the tail cut.
FOOTER_MARKERS: list[tuple[str, str]] = [
    ("分享按钮", r"分享到.*"),
    ("手机查看二维码", r"扫一扫.*"),
    ("附件下载按钮", r"附件下载\s*[:：]?"),
    ("打印/关闭按钮", r"[【\[]?\s*(?:打印本页|关闭窗口)\s*[】\]]?"),
    ("解读栏目", r"相关解读|相关链接|相关文章"),
    ("联系我们", r"联系我们\s*[:：]?"),
    ("门户小部件", r"项目日历|政策订阅|政策匹配"),
    ("二维码与客户端入口", r"微信二维码|APP客户端"),
    ("翻页链接", r"(?:上一篇|下一篇)\s*[:：].*"),
    ("网站版权信息", r"(?:版权所有|主办单位|网站标识码|ICP备).*"),
]

# A label left alone at the very end of the document, with nothing after it.
DANGLING_LABEL = r"附件\s*[:：]?"

SENTENCE_END = re.compile(r"[。！？!?]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000\u202f\u205f]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


def _full(rules):
    return [(name, re.compile(pattern)) for name, pattern in rules]


_INLINE = _full(INLINE_RULES)
_LINES = _full(LINE_RULES)
_FOOTERS = _full(FOOTER_MARKERS)
_BLOCKS = [(name, re.compile(start), re.compile(cont)) for name, start, cont in BLOCK_RULES]
_DANGLING = re.compile(DANGLING_LABEL)


def clean_document(text: str) -> str:
    """Text with normalised whitespace and without the hosting site's boilerplate."""
    lines = normalize_whitespace(text).split("\n")
    lines = _tail_cut(lines)
    lines = [_strip_inline(line) for line in lines]
    lines = [line for line in lines if line is not None and not _matches(_LINES, line)]
    lines = _drop_blocks(lines)
    while lines and (not lines[-1] or _DANGLING.fullmatch(lines[-1])):
        lines.pop()
    return normalize_whitespace("\n".join(lines))


def normalize_whitespace(text: str) -> str:
    """Keep line breaks, trim every line, collapse spaces and runs of blank lines."""
    text = _ZERO_WIDTH.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for raw in text.split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _matches(rules, line: str) -> bool:
    return any(pattern.fullmatch(line) for _, pattern in rules)


def _strip_inline(line: str) -> str | None:
    """The line without inline furniture; None when nothing else was on it."""
    stripped = line
    for _, pattern in _INLINE:
        stripped = pattern.sub("", stripped)
    stripped = _SPACES.sub(" ", stripped).strip()
    return None if line and not stripped else stripped


def _tail_cut(lines: list[str]) -> list[str]:
    """Cut at the first footer marker that comes after the last real sentence."""
    last_sentence = -1
    for i, line in enumerate(lines):
        if SENTENCE_END.search(line) and not _matches(_FOOTERS, line):
            last_sentence = i
    for i in range(last_sentence + 1, len(lines)):
        if _matches(_FOOTERS, lines[i]):
            return lines[:i]
    return lines


def _drop_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        end = _block_end(lines, i)
        if end is None:
            out.append(lines[i])
            i += 1
        else:
            i = end
    return out


def _block_end(lines: list[str], start: int) -> int | None:
    """Index after the block starting at `start`, or None when no block starts there."""
    for _, start_re, cont_re in _BLOCKS:
        if not start_re.fullmatch(lines[start]):
            continue
        end, j = None, start + 1
        while j < len(lines) and (not lines[j] or cont_re.fullmatch(lines[j])):
            if lines[j]:
                end = j + 1
            j += 1
        if end is not None:
            return end
    return None
