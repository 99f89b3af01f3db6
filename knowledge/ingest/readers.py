"""Read a source file (.txt .md .html .htm .docx .pdf) into plain text, one paragraph a line.

Every failure becomes an `IngestError` with a Chinese reason; no library exception escapes.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import IngestError
from .limits import ImportLimits, archive_problem

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}

# HTML elements that are page furniture, never document text.
HTML_DROP = ["script", "style", "nav", "header", "footer", "aside", "noscript", "template"]
# HTML elements that start a new line.
HTML_BLOCKS = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "pre",
    "address",
    "figure",
    "figcaption",
    "hr",
    "form",
    "fieldset",
    "center",
]


def read_document(path: Path) -> str:
    """Plain text of a document, line breaks preserved. Raises IngestError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        hint = "（请另存为 .docx）" if suffix == ".doc" else ""
        raise IngestError(f"不支持的文件类型：{suffix or '无扩展名'}{hint}，支持 .txt .md .html .htm .docx .pdf")
    if not path.is_file():
        raise IngestError("文件不存在或不是普通文件")
    try:
        data = path.read_bytes()
    except OSError:
        raise IngestError("无法读取文件（没有权限或磁盘错误）") from None
    if not data.strip():
        raise IngestError("文件内容为空")

    if suffix in TEXT_SUFFIXES:
        text = _decode(data)
    elif suffix in HTML_SUFFIXES:
        text = _html_to_text(_decode(data))
    elif suffix == ".docx":
        text = _read_docx(path)
    else:
        text = _read_pdf(path)

    if not text.strip():
        raise IngestError("文件中没有可提取的文字")
    return text


def _decode(data: bytes) -> str:
    """Decode text bytes: UTF-16 (by BOM), UTF-8 (with or without BOM), else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise IngestError("无法识别文件编码") from None
    if b"\x00" in data:
        raise IngestError("不是文本文件（包含二进制内容）")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError("无法识别文件编码（支持 UTF-8 和 GBK/GB18030）")


def _html_to_text(html: str) -> str:
    try:
        from bs4 import BeautifulSoup, NavigableString

        soup = BeautifulSoup(html, "lxml")
        for tag in soup.find_all(HTML_DROP):
            tag.decompose()
        # Source line breaks inside an element are just spaces in HTML (except in <pre>).
        for node in soup.find_all(string=True):
            if isinstance(node, NavigableString) and not node.find_parent("pre"):
                node.replace_with(re.sub(r"\s+", " ", str(node)))
        for br in soup.find_all("br"):
            br.replace_with("\n")
        for cell in soup.find_all(["td", "th"]):
            cell.insert_after(" ")
        for block in soup.find_all(HTML_BLOCKS):
            block.insert_before("\n")
            block.insert_after("\n")
        body = soup.body or soup
        text = body.get_text()
    except Exception:  # noqa: BLE001 - any parser failure is a bad file for the user
        raise IngestError("网页文件无法解析") from None
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _read_docx(path: Path) -> str:
    reason = archive_problem(path.read_bytes(), ImportLimits())
    if reason:
        raise IngestError(reason)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                lines.extend(_docx_table_lines(block))
    except IngestError:
        raise
    except Exception:  # noqa: BLE001
        raise IngestError("文件已损坏或不是有效的 Word（.docx）文档") from None
    return "\n".join(lines)


def _docx_table_lines(table) -> list[str]:
    """One line per table row, cells in order, separated by " | "."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # merged cells repeat
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines


def _read_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("PDF 已加密，无法读取")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception:  # noqa: BLE001
        raise IngestError("文件已损坏或不是有效的 PDF") from None
    text = "\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise IngestError("PDF 中没有可提取的文字（可能是扫描件，需要先做文字识别）")
    return text
