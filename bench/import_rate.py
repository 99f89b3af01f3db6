"""Bulk-import rate of the policy-owner console (knowledge.bulk) on a 5,000-row Q&A workbook.

    preview     `preview_import` of the .xlsx bytes: row count check, workbook load, header mapping,
                every row check, comparison with the (empty) store
    commit      `commit_import(..., status=PUBLISHED)`: all rows in one store transaction (SQLite)
    index       `Knowledge.refresh()`: the new items into the index (BM25, e5 embedding, FAISS);
                the embedding model is loaded before the clock starts
    re-preview  `preview_import` of the same workbook under another name: every row "unchanged"

The workbook is synthetic (varied questions: subject x service x phrasing, shuffled) and written
with openpyxl into a fresh home in a temporary directory. Asserts that no row is lost.

    .venv/bin/python -m bench.import_rate [--rows 5000] [--out bench/results/import_rate.json]
"""

from __future__ import annotations

import argparse
import io
import itertools
import random
import tempfile
import time
from pathlib import Path

from bench.common import finish, fmt, load_avg, md_table, open_kb, peak_rss_mb

DEPARTMENT = "示例市医疗保障局"
SUBJECTS = [
    "新生儿",
    "在校学生",
    "退休人员",
    "灵活就业人员",
    "外地务工人员",
    "低保对象",
    "残疾人",
    "企业职工",
    "个体工商户",
    "现役军人家属",
    "港澳台居民",
    "外籍人员",
    "农村居民",
    "失业人员",
    "大学毕业生",
    "孕产妇",
    "老年人",
    "特困人员",
    "新就业形态劳动者",
    "随迁子女",
]
SERVICES = [
    "城乡居民医保参保",
    "医保关系转移",
    "异地就医备案",
    "门诊慢特病认定",
    "生育津贴申领",
    "医保卡补办",
    "医保个人账户查询",
    "住院费用报销",
    "大病保险理赔",
    "长期护理保险申请",
    "医疗救助申请",
    "参保信息变更",
    "医保缴费",
    "家庭共济绑定",
    "电子医保凭证激活",
    "特药备案",
    "转外就医备案",
    "医保待遇暂停恢复",
    "参保证明打印",
    "缴费基数核定",
    "医保断缴补缴",
    "门诊共济报销",
    "生育医疗费报销",
    "意外伤害报销",
    "医保定点变更",
]
PHRASES = [
    "{s}怎么办理{v}？",
    "{s}办理{v}需要哪些材料？",
    "{s}{v}在哪里办？",
    "{s}{v}可以网上办吗？",
    "{s}{v}要多长时间？",
    "{s}{v}收费吗？",
    "{s}{v}有什么条件？",
    "{s}{v}的流程是什么？",
    "{s}{v}找哪个部门？",
    "{s}{v}可以委托别人办吗？",
]
PLACES = ["区医保服务大厅", "街道便民服务中心", "社区医保窗口", "市政务服务中心医保专区"]
CHANNELS = ["“示例市医保”公众号", "国家医保服务平台App", "示例市政务服务网", "12345热线预约"]


def questions(n: int, seed: int = 2024) -> list[tuple[str, str, str]]:
    """`n` distinct (question, similar, answer) rows in a fixed random order."""
    combos = list(itertools.product(SUBJECTS, SERVICES, PHRASES))
    if n > len(combos):
        raise SystemExit(f"at most {len(combos)} distinct synthetic questions")
    rng = random.Random(seed)
    rng.shuffle(combos)
    rows = []
    for subject, service, phrase in combos[:n]:
        question = phrase.format(s=subject, v=service)
        similar = f"{subject}{service}怎么弄；{service}（{subject}）"
        answer = (
            f"{subject}办理{service}，可携带居民身份证等材料到{rng.choice(PLACES)}办理，"
            f"也可通过{rng.choice(CHANNELS)}在线办理。一般{rng.randint(1, 20)}个工作日内办结，不收取费用。"
            f"详情请咨询12345政务服务便民热线。"
        )
        rows.append((question, similar, answer))
    return rows


def workbook(n: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("政策问答")
    sheet.append(["问题", "相似问法", "答案", "部门", "地区", "生效日期"])
    for question, similar, answer in questions(n):
        sheet.append([question, similar, answer, "", "示例市", "2024-01-01"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(rows: int) -> dict:
    from knowledge.bulk import commit_import, preview_import
    from knowledge.content import Status

    start = time.perf_counter()
    data = workbook(rows)
    write_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="govbot-import-rate-") as tmp:
        home = Path(tmp) / "home"
        start = time.perf_counter()
        kb = open_kb(home)
        model_load_s = time.perf_counter() - start
        load_before = load_avg()

        start = time.perf_counter()
        preview = preview_import("政策问答.xlsx", data, store=kb.store, department=DEPARTMENT, region="示例市", max_rows=rows)
        preview_s = time.perf_counter() - start
        if not preview.ok:
            raise SystemExit("preview failed: " + "; ".join(p.message for p in preview.problems[:5]))
        if preview.summary()["new"] != rows:
            raise SystemExit(f"preview: {preview.summary()}")

        start = time.perf_counter()
        saved = commit_import(kb.store, preview, status=Status.PUBLISHED, actor="bench")
        commit_s = time.perf_counter() - start
        stored = len(kb.store.items())
        assert len(saved.added) == rows and stored == rows, f"rows lost: {rows} in the file, {stored} stored"

        start = time.perf_counter()
        indexed = kb.refresh()
        index_s = time.perf_counter() - start
        assert len(kb.index.meta) == rows, f"{len(kb.index.meta)} of {rows} items indexed"

        start = time.perf_counter()
        again = preview_import("政策问答-再次导入.xlsx", data, store=kb.store, department=DEPARTMENT, region="示例市", max_rows=rows)
        repreview_s = time.perf_counter() - start
        assert again.summary()["unchanged"] == rows, again.summary()
        passages = len(kb.index)
        kb.close()
    total_s = preview_s + commit_s + index_s
    return {
        "rows": rows,
        "xlsx_kb": round(len(data) / 1024),
        "workbook_write_s": round(write_s, 2),
        "model_load_s": round(model_load_s, 1),
        "stored": stored,
        "indexed_items": indexed,
        "passages": passages,
        "preview": {"seconds": round(preview_s, 2), "rows_per_s": round(rows / preview_s)},
        "commit": {"seconds": round(commit_s, 2), "rows_per_s": round(rows / commit_s)},
        "index": {"seconds": round(index_s, 1), "rows_per_s": round(rows / index_s, 1)},
        "reimport_preview": {"seconds": round(repreview_s, 2), "rows_per_s": round(rows / repreview_s)},
        "total": {"seconds": round(total_s, 1), "rows_per_s": round(rows / total_s, 1)},
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
        "peak_rss_mb": peak_rss_mb(),
    }


def markdown(result: dict) -> str:
    n = result["rows"]
    rows = [
        [name, fmt(n), fmt(result[key]["seconds"], 2), fmt(result[key]["rows_per_s"], 1), detail]
        for name, key, detail in [
            ("preview (`preview_import`, .xlsx)", "preview", f"{result['xlsx_kb']} KiB workbook, all rows new"),
            ("commit (`commit_import`, published)", "commit", "one SQLite transaction"),
            ("index (`Knowledge.refresh`)", "index", f"{result['passages']} passages, BM25 + e5 + FAISS"),
            ("preview → commit → index", "total", f"no row lost: {result['stored']} stored"),
            ("re-import preview (all unchanged)", "reimport_preview", "nothing to save"),
        ]
    ]
    return (
        md_table(["step", "rows", "seconds", "rows/s", "detail"], rows)
        + f"\n\nload avg {result['load_avg_before'][0]:.1f} before, peak RSS {result['peak_rss_mb']:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=5000, help="rows in the synthetic workbook (default 5000)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    result = run(args.rows)
    return finish(result, markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
