"""The row checks every import format shares: tables in, preview rows and problems out.

Each problem names its row and column and says how to fix it. A row with an error is left out
of the preview rows (the commit is blocked anyway); warnings keep the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from knowledge.bulk.existing import StoreView, identity
from knowledge.bulk.problems import ERROR, WARNING, PreviewRow, Problem
from knowledge.bulk.table import (
    Table,
    canonical_header,
    cell_value,
    derived_key,
    identity_text,
    is_blank,
    normalized,
)
from knowledge.content import FIELDS, KIND_LABELS, REQUIRED, ItemDraft, Kind, Status
from knowledge.ingest.records import KIND_NAMES, parse_date, record_to_draft
from knowledge.ingest.records import infer_kind as infer_fields_kind

DATE_COLUMNS = ("effective_date", "expiry_date", "doc_date")
KEY_MAX = 200  # the store's key column
NOUN = {Kind.QA: "问题", Kind.GUIDE: "事项名称"}  # what identifies an item of the kind; others: 标题
# what a sheet needs besides REQUIRED: items whose title is not one of their fields
TITLE_REQUIRED = {Kind.HOTLINE: "部门名称", Kind.DOCUMENT: "标题"}


@dataclass
class ImportContext:
    filename: str
    department: str | None  # the importer's department; None for an administrator
    region: str
    kind: Kind | None
    view: StoreView


def infer_kind(names: set[str]) -> Kind | None:
    """A sheet's kind from its columns (canonical names): a question column alone makes it Q&A."""
    if names & {"question", "similar"}:
        return Kind.QA
    return infer_fields_kind(names)


@dataclass
class _Columns:
    by_index: dict[int, str] = field(default_factory=dict)  # column index -> canonical name
    labels: dict[str, str] = field(default_factory=dict)  # canonical name -> header label


class RowChecker:
    """Checks rows table after table, remembering earlier rows for the duplicate checks."""

    def __init__(self, context: ImportContext, multi_table: bool = False):
        self.ctx = context
        self.multi_table = multi_table  # several sheets: problems say which one
        self.rows: list[PreviewRow] = []
        self.problems: list[Problem] = []
        self._seen: dict[tuple[str, str, str], tuple[str, str]] = {}  # identity -> (sheet, row) first seen
        self._keys: dict[str, tuple[str, str]] = {}  # explicit key -> (sheet, row) first seen

    # --- tables ---------------------------------------------------------------------------------
    def check_table(self, table: Table, tick=None) -> None:
        prefix = self._prefix(table)
        columns = self._columns(table, prefix)
        kinds = self._kinds(table, columns)
        if not self._table_usable(table, columns, kinds, prefix):
            return
        fallback = next(iter(kinds)) if len(kinds) == 1 else infer_kind(set(columns.labels))
        unlabelled: set[int] = set()
        for number, values in table.rows:
            if tick:
                tick()
            if is_blank(values):
                self._add(number, "", f"{prefix}第{number}行为空行，已跳过", WARNING)
                continue
            record = {}
            for i, value in enumerate(values):
                if i in columns.by_index:
                    record[columns.by_index[i]] = cell_value(value)
                elif (i >= len(table.headers) or not table.headers[i]) and str(cell_value(value)):
                    unlabelled.add(i)
            self._row(table, number, record, columns, fallback, prefix)
        for i in sorted(unlabelled):
            self._add(
                None,
                "",
                f"{prefix}第 {get_column_letter(i + 1)} 列没有表头，该列内容不会导入。如需导入，请在表头填写列名（如“相似问法”）",
                WARNING,
            )

    def _prefix(self, table: Table) -> str:
        return f"工作表「{table.name}」：" if self.multi_table and table.name else ""

    def _columns(self, table: Table, prefix: str) -> _Columns:
        """The recognised columns; warnings for the others only when the sheet is a table of ours."""
        columns, notes = _Columns(), []
        for i, label in enumerate(table.headers):
            if not label:
                continue
            name = canonical_header(label)
            if name is None:
                notes.append((label, f"{prefix}无法识别的列「{label}」，该列内容不会导入。可对照导入模板修改列名"))
            elif name in columns.labels:
                first = columns.labels[name]
                notes.append((label, f"{prefix}「{label}」列与「{first}」列是同一项内容，只导入「{first}」列"))
            elif name == "status":
                notes.append((label, f"{prefix}「{label}」列不会生效：导入后的状态由提交时的选择（保存为草稿或直接发布）决定"))
            else:
                columns.by_index[i] = name
                columns.labels[name] = label
        if columns.labels:
            for label, message in notes:
                self._add(None, label, message, WARNING)
        return columns

    def _kinds(self, table: Table, columns: _Columns) -> set[Kind]:
        if self.ctx.kind:
            return {self.ctx.kind}
        named: set[Kind] = set()
        if "kind" in columns.labels:
            index = next(i for i, n in columns.by_index.items() if n == "kind")
            for _number, values in table.rows:
                value = str(cell_value(values[index])) if index < len(values) else ""
                if KIND_NAMES.get(value.lower()):
                    named.add(KIND_NAMES[value.lower()])
        inferred = infer_kind(set(columns.labels))
        return named or ({inferred} if inferred else set())

    def _table_usable(self, table: Table, columns: _Columns, kinds: set[Kind], prefix: str) -> bool:
        if not table.labelled:
            return True
        if not columns.labels and self.multi_table:  # e.g. a sheet of notes beside the data
            self._add(None, "", f"{prefix}第{table.header_row}行不是可识别的表头，已跳过这个工作表", WARNING)
            return False
        if not columns.labels:
            self._add(None, "", f"第{table.header_row}行的表头中没有可识别的列名。请使用导入模板的表头（如“问题”“答案”或“事项名称”）")
            return False
        if not kinds:
            self._add(
                None,
                "",
                f"{prefix}无法判断表格内容的类型：请添加「问题」「答案」列（政策问答）或「事项名称」列（办事指南），也可添加「类型」列",
            )
            return False
        missing = []
        for kind in sorted(kinds, key=lambda k: k.value):
            needed = [(name, FIELDS[kind][name]) for name in REQUIRED[kind]]
            if kind in TITLE_REQUIRED:
                needed.append(("title", TITLE_REQUIRED[kind]))
            missing += [label for name, label in needed if name not in columns.labels and label not in missing]
        if missing:
            self._add(
                None, "", f"{prefix}缺少必填列：{'、'.join(missing)}。请在表头（第{table.header_row}行）添加这些列，可下载导入模板对照"
            )
            return False
        if self.ctx.department is None and "department" not in columns.labels:
            self._add(None, "", f"{prefix}缺少部门：表格中没有「部门」列。请添加「部门」列并填写每一行的负责部门")
            return False
        return True

    # --- rows -----------------------------------------------------------------------------------
    def _row(self, table: Table, number: int, record: dict, columns: _Columns, fallback: Kind | None, prefix: str) -> None:
        errors: list[Problem] = []

        def label(name: str) -> str:
            return columns.labels.get(name, "") if table.labelled else ""

        def error(name: str, message: str) -> None:
            errors.append(Problem(number, label(name), prefix + message))

        kind = self.ctx.kind
        raw_kind = str(record.pop("kind", "") or "")
        if kind is None:
            kind = KIND_NAMES.get(raw_kind.lower()) if raw_kind else fallback
            if raw_kind and kind is None:
                error("kind", f"未知的类型“{raw_kind}”，请填写：{'、'.join(KIND_LABELS.values())}")
            elif kind is None:
                error("kind", "无法判断这一行是哪类条目，请在「类型」列填写")
        if kind is not None:
            needed = [(name, FIELDS[kind][name]) for name in REQUIRED[kind]]
            if kind in TITLE_REQUIRED:
                needed.append(("title", TITLE_REQUIRED[kind]))
            for name, field_label in needed:
                if record.get(name, "") == "":
                    error(name, f"「{label(name) or field_label}」不能为空，请填写")
        dates = {}
        for name in DATE_COLUMNS:
            if record.get(name, "") != "":
                try:
                    dates[name] = parse_date(record[name])
                except ValueError:
                    error(name, f"「{label(name)}」的日期“{record[name]}”无法识别，请填写为 2024-01-31 这样的日期")
        if dates.get("effective_date") and dates.get("expiry_date") and dates["expiry_date"] <= dates["effective_date"]:
            error("expiry_date", f"「{label('expiry_date')}」必须晚于「{label('effective_date')}」")
        given = str(record.get("department", ""))
        if self.ctx.department:
            if given and normalized(given) != normalized(self.ctx.department):
                error(
                    "department",
                    f"部门“{given}”不是您所属的部门“{self.ctx.department}”：只能导入本部门的条目。请改为“{self.ctx.department}”或留空",
                )
            record["department"] = self.ctx.department
        elif not given:
            error("department", "缺少部门：请填写负责该条目的部门")
        key = str(record.get("key", ""))
        if len(key) > KEY_MAX:
            error("key", f"编号太长（{len(key)} 个字符），最多 {KEY_MAX} 个字符")
        if errors:
            self.problems += errors
            return
        defaults = {"region": self.ctx.region} if self.ctx.region else None
        try:
            draft = record_to_draft(record, source=self.ctx.filename, kind=kind, defaults=defaults)
        except ValueError as exc:
            self._add(number, "", prefix + str(exc))
            return
        where = (table.name, f"第{number}{'行' if table.labelled else '组问答'}")
        self.add_draft(
            number,
            draft,
            where=where,
            explicit_key=bool(key),
            own_source=bool(record.get("source")),
            labels=columns.labels if table.labelled else {},
            prefix=prefix,
        )

    def add_draft(
        self,
        number: int | None,
        draft: ItemDraft,
        *,
        where: tuple[str, str] = ("", ""),
        explicit_key: bool = False,
        own_source: bool = False,
        labels: dict | None = None,
        prefix: str = "",
    ) -> None:
        """Key, duplicates (in the file, in the store), ownership and action of one well-formed draft.

        `where` = (sheet name, "第3行"): how later rows refer to this one."""
        labels = labels or {}

        def earlier(place: tuple[str, str]) -> str:
            return place[1] if place[0] == where[0] else f"工作表「{place[0]}」{place[1]}"

        text = identity_text(draft.kind, draft.title, draft.fields)
        text_column = labels.get({Kind.QA: "question", Kind.GUIDE: "name"}.get(draft.kind, "title"), "")
        noun = NOUN.get(draft.kind, "标题")
        if not explicit_key:
            draft.key = derived_key(draft.kind, draft.department, text)
        ident = identity(draft.kind, draft.department, text)
        errors: list[Problem] = []
        if ident in self._seen:
            errors.append(
                Problem(
                    number,
                    text_column,
                    f"{prefix}与{earlier(self._seen[ident])}的{noun}重复：同一部门的{noun}只能出现一次，请删除或合并其中一行",
                )
            )
        elif explicit_key and draft.key in self._keys:
            errors.append(
                Problem(
                    number, labels.get("key", ""), f"{prefix}编号“{draft.key}”与{earlier(self._keys[draft.key])}重复，每一行的编号必须不同"
                )
            )
        self._seen.setdefault(ident, where)
        if explicit_key:
            self._keys.setdefault(draft.key, where)
        same = self.ctx.view.same_item(ident, draft.kind)
        if same is not None and same.key != draft.key:
            hint = (
                f"如要更新该条目，请在「编号」列填写“{same.key}”；否则请删除这一行" if labels else "如要更新该条目，请在条目管理中直接修改"
            )
            errors.append(Problem(number, text_column, f"{prefix}与已有条目 #{same.id} 重复：本部门已有相同的{noun}“{same.title}”。{hint}"))
        existing = self.ctx.view.by_key(draft.key, draft.kind, any_kind=explicit_key)
        if existing is not None and existing.kind != draft.kind:
            errors.append(
                Problem(
                    number,
                    labels.get("key", ""),
                    f"{prefix}编号“{draft.key}”已被另一类条目（{KIND_LABELS[existing.kind]} #{existing.id}）使用，请换一个编号",
                )
            )
        elif existing is not None and self.ctx.department and normalized(existing.department) != normalized(self.ctx.department):
            errors.append(
                Problem(
                    number,
                    labels.get("key", ""),
                    f"{prefix}编号“{draft.key}”是{existing.department or '其他部门'}的条目 #{existing.id}，"
                    "不能修改其他部门的条目，请换一个编号",
                )
            )
        if errors:
            self.problems += errors
            return
        action, draft = self.ctx.view.compare(draft, existing, own_source=own_source)
        if existing is not None and existing.status == Status.ABOLISHED:
            self._add(
                number,
                text_column,
                f"{prefix}条目 #{existing.id} 已废止"
                + ("，导入后将重新启用" if action == "changed" else "，内容没有变化，导入后仍为废止状态"),
                WARNING,
            )
        self.rows.append(PreviewRow(number, draft, action, existing.id if existing else None))

    def _add(self, row: int | None, column: str, message: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(row, column, message, severity))
