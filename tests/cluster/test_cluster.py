"""Two API replicas, two Rasa replicas, one action server, PostgreSQL and Redis, all real (issue 17).

Timings are measured by `bench/cluster.py`; these tests assert behaviour only. The last test kills
a replica: keep it last."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from defusedxml.ElementTree import fromstring

from bench.cluster import listen_for_messages
from tests.cluster.conftest import WECHAT_TOKEN
from tests.conftest import GOVBOT, Chat, password

# ten services of the sample knowledge base, five follow-ups each: 50 follow-up turns
FIRST_TURNS = [
    "居住证怎么办理",
    "低保怎么申请",
    "失业金怎么申领",
    "公租房怎么申请",
    "生育津贴怎么申领",
    "残疾人两项补贴怎么申请",
    "灵活就业人员怎么参保",
    "退休了养老金怎么申领",
    "新生儿怎么落户",
    "高龄津贴怎么申请",
]
FOLLOW_UPS = ["要带什么材料", "在哪里办", "多长时间能办好", "要交钱吗", "需要什么条件"]


def _rasa_turn(rasa: str, token: str, sender: str, text: str) -> list[str]:
    response = httpx.post(f"{rasa}/webhooks/rest/webhook", params={"token": token}, json={"sender": sender, "message": text}, timeout=60)
    assert response.status_code == 200, response.text
    return [str((m.get("custom") or {}).get("text") or m.get("text") or "") for m in response.json()]


def test_a_follow_up_keeps_its_context_whichever_rasa_replica_reads_it(cluster):
    """Every follow-up goes to the other Rasa replica than the turn before it (one tracker store in
    PostgreSQL, Redis's lock store) and gets exactly the answer a single replica gives."""
    token, (one, other) = cluster.settings["GOVBOT_RASA_TOKEN"], cluster.rasas
    same, total, in_context = 0, 0, 0
    for first in FIRST_TURNS:
        alone, spread = f"web-{uuid.uuid4().hex[:22]}", f"web-{uuid.uuid4().hex[:22]}"
        _rasa_turn(one, token, alone, first)
        _rasa_turn(one, token, spread, first)
        for n, follow_up in enumerate(FOLLOW_UPS):
            expected = _rasa_turn(one, token, alone, follow_up)
            got = _rasa_turn(other if n % 2 == 0 else one, token, spread, follow_up)
            total += 1
            same += got == expected
            in_context += not any("请问您想问" in t or "没有找到" in t for t in expected)
    assert total == 50 and same == total
    assert in_context >= 40  # the comparison is about follow-ups that use the context


def test_an_operator_message_reaches_the_citizen_stream_held_by_the_other_replica(cluster):
    first, second = cluster.apis
    cluster.add_user("op_cluster", password("op_cluster"), "operator")
    citizen = Chat(first)
    citizen.say("人民路的路灯坏了好几天了，归哪个部门管？")
    assert citizen.say("转人工")["status"] == "waiting"

    heard: list[dict] = []
    listening = threading.Event()

    def hear(message: dict) -> bool:
        if message["role"] == "operator":
            heard.append(message)
        return bool(heard)

    listener = listen_for_messages(first, citizen.session_id, citizen.headers, listening, hear)  # the citizen's page, on replica 1
    assert listening.wait(30)
    login = httpx.post(f"{second}/api/operator/login", json={"username": "op_cluster", "password": password("op_cluster")}, timeout=30)
    operator = httpx.Client(base_url=second, headers={"Authorization": f"Bearer {login.json()['token']}"}, timeout=30)
    assert operator.post(f"/api/operator/conversations/{citizen.session_id}/claim").status_code == 200
    sent = operator.post(f"/api/operator/conversations/{citizen.session_id}/messages", json={"text": "您好，请问具体是人民路哪一段？"})
    assert sent.status_code == 200
    listener.join(30)
    assert heard and heard[0]["text"] == "您好，请问具体是人民路哪一段？"


def test_fifty_concurrent_first_messages_to_fresh_sessions_across_replicas(cluster):
    apis = cluster.apis

    def first_message(n: int) -> tuple[int, int, str]:
        base = apis[n % 2]
        opened = httpx.post(f"{base}/api/chat/sessions", timeout=60)
        if opened.status_code != 201:
            return opened.status_code, 0, ""
        body = opened.json()
        turn = httpx.post(
            f"{apis[(n + 1) % 2]}/api/chat",  # the first message on the other replica than the session's
            json={"session_id": body["session_id"], "text": "居住证怎么办理"},
            headers={"X-Session-Token": body["token"]},
            timeout=120,
        )
        text = turn.json()["replies"][0]["text"] if turn.status_code == 200 else turn.text
        return 201, turn.status_code, text

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(first_message, range(50)))
    assert [r for r in results if r[:2] != (201, 200)] == []
    assert all("居住证" in text for *_, text in results)


def _wechat_post(base: str, openid: str, msg_id: int, text: str) -> httpx.Response:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signature = hashlib.sha1("".join(sorted([WECHAT_TOKEN, timestamp, nonce])).encode()).hexdigest()
    xml = (
        f"<xml><ToUserName><![CDATA[gh_cluster]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )
    params = {"signature": signature, "timestamp": timestamp, "nonce": nonce}
    return httpx.post(f"{base}/wechat", params=params, content=xml.encode(), timeout=30)


def test_a_wechat_message_retried_on_each_replica_is_answered_once(cluster, records):
    """WeChat retries a message it got no reply to; here each of three tries lands on another
    replica than the one before. Processed once (one turn in the transcript); every passive reply
    is the same answer (WeChat shows a retry's reply only when the earlier one did not arrive)."""
    apis = cluster.apis
    for n in range(20):
        openid, msg_id = f"o-cluster-{uuid.uuid4().hex[:12]}", 7_000_000_000 + n
        with ThreadPoolExecutor(3) as pool:  # the retries come while the first try is still being answered
            tries = []
            for i in range(3):
                tries.append(pool.submit(_wechat_post, apis[i % 2], openid, msg_id, "居住证怎么办理"))
                time.sleep(0.15)
            replies = [t.result() for t in tries]
        assert all(r.status_code == 200 for r in replies)
        answers = {fromstring(r.text).findtext("Content") for r in replies if r.text != "success"}  # the reply's time differs
        assert len(answers) == 1 and "居住证" in next(iter(answers))
        transcript = records.history(f"wx:{openid}")
        asked = [m for m in transcript if m.role == "citizen"]
        assert len(asked) == 1, [m.text for m in transcript]
        assert len([m for m in transcript if m.role == "bot"]) == 1


def test_a_wechat_message_whose_replica_died_is_taken_over_by_a_retry(cluster, records):
    """A replica claimed a message and died before answering it (its claim, as it left it in
    Redis, lapses since nobody renews it): WeChat's retry on the other replica waits for the claim
    to lapse, takes the message over and answers it, instead of saying "success" for an answer
    that will never come. Processed once."""
    import redis

    from api.channels.wechat.channel import LEASE_S, OWNER, WORKING
    from govbot.shared.redis_store import PREFIX

    client = redis.Redis.from_url(cluster.settings["GOVBOT_REDIS_URL"], decode_responses=True)
    for n in range(3):
        openid, msg_id = f"o-cluster-{uuid.uuid4().hex[:12]}", 7_100_000_000 + n
        client.set(f"{PREFIX}{OWNER}{openid}:{msg_id}", WORKING + "dead-replica", px=int(LEASE_S * 1000 / 3))
        reply = _wechat_post(cluster.apis[n % 2], openid, msg_id, "居住证怎么办理")
        assert reply.status_code == 200 and reply.text != "success"
        assert "居住证" in fromstring(reply.text).findtext("Content")
        transcript = records.history(f"wx:{openid}")
        assert [m.role for m in transcript].count("citizen") == 1, [m.text for m in transcript]
        assert client.get(f"{PREFIX}{OWNER}{openid}:{msg_id}").startswith("done:")  # kept for later retries


def test_the_redis_backend_keeps_the_shared_state_contract(cluster):
    from govbot.shared.redis_store import RedisState
    from tests.unit.test_shared_state import check_claims_race, check_contract

    state = RedisState(cluster.settings["GOVBOT_REDIS_URL"])
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    check_contract(state, prefix)
    check_claims_race(state, prefix)
    state.close()


def _psql(cluster, sql: str) -> None:
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    command = [str(pg_bin / "psql"), "-h", "127.0.0.1", "-p", str(cluster.pg_port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def test_four_replicas_migrating_an_empty_database_at_once_never_fail(cluster):
    """What every replica does first (`serve` migrates before it starts anything): 4 at once, 5 times."""
    url = cluster.settings["GOVBOT_DATABASE_URL"].rsplit("/", 1)[0]
    failures = []
    for round_ in range(5):
        name = f"govbot_race_{round_}"
        _psql(cluster, f"DROP DATABASE IF EXISTS {name}")
        _psql(cluster, f"CREATE DATABASE {name}")
        env = {**cluster.env, **cluster.settings, "GOVBOT_DATABASE_URL": f"{url}/{name}"}
        runs = [
            subprocess.Popen([GOVBOT, "migrate"], env={**env, "GOVBOT_HOME": str(cluster.dir / f"race{i}")}, stderr=subprocess.PIPE)
            for i in range(4)
        ]
        for run in runs:
            _, err = run.communicate(timeout=300)
            if run.returncode != 0:
                failures.append(err.decode()[-500:])
    assert failures == []


def test_a_change_that_commits_after_a_later_one_is_applied(cluster):
    """PostgreSQL numbers changes when written: the index's cursor must not skip an earlier number
    that commits after a later one (`knowledge.index.cursor`)."""
    from knowledge.content import ItemDraft, Kind, Status
    from knowledge.index.cursor import ChangeCursor
    from knowledge.store.base import SaveResult
    from knowledge.store.sql import SqlStore

    store = SqlStore(cluster.settings["GOVBOT_DATABASE_URL"])
    cursor = ChangeCursor()
    cursor.advance([seq for seq, _ in store.changes_after(0)])

    def draft(key: str) -> ItemDraft:
        return ItemDraft(
            kind=Kind.QA, title=key, key=key, department="示例市民政局", fields={"question": key, "answer": "。"}, status=Status.PUBLISHED
        )

    slow = store.engine.connect()
    transaction = slow.begin()
    store._save_one(slow, draft(f"late-{uuid.uuid4().hex[:8]}"), "test", SaveResult())  # numbered first, not committed
    early = store.save_items([draft(f"early-{uuid.uuid4().hex[:8]}")])  # numbered second, committed first
    seen = cursor.new(store.changes_after(cursor.low))
    assert [item for _, item in seen] == early.item_ids
    cursor.advance([seq for seq, _ in seen])
    assert not cursor.settled(store.last_change())  # a number below the newest is missing
    transaction.commit()
    slow.close()
    late = cursor.new(store.changes_after(cursor.low))
    assert len(late) == 1 and late[0][1] not in early.item_ids
    cursor.advance([seq for seq, _ in late])
    assert cursor.settled(store.last_change())
    store.close()


def test_an_import_on_one_replica_is_answered_by_the_other_and_its_progress_read_there(cluster):
    import io

    from openpyxl import Workbook

    first, second = cluster.apis
    cluster.add_user("admin_cluster", password("admin_cluster"), "admin")
    login = httpx.post(f"{first}/api/admin/login", json={"username": "admin_cluster", "password": password("admin_cluster")}, timeout=30)
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    book = Workbook()
    sheet = book.active
    sheet.append(["问题", "答案", "部门"])
    sheet.append(
        ["集群测试示例宠物狗登记证怎么补办？", "宠物狗登记证遗失的，携带身份证到辖区派出所犬类管理窗口补办，工本费20元。", "示例市公安局"]
    )
    data = io.BytesIO()
    book.save(data)
    progress_id = uuid.uuid4().hex
    imported = httpx.post(
        f"{first}/api/admin/import",
        params={"publish": 1, "progress_id": progress_id},
        headers=headers,
        files={"file": ("dogs.xlsx", data.getvalue())},
        timeout=120,
    )
    assert imported.status_code == 200 and imported.json()["added"] == 1, imported.text
    progress = httpx.get(f"{second}/api/admin/import/progress/{progress_id}", headers=headers, timeout=30)
    assert progress.status_code == 200 and progress.json()["phase"] == "done"
    citizen = Chat(second)
    deadline = time.monotonic() + 30
    while "宠物狗登记证" not in (answer := citizen.say("宠物狗登记证丢了怎么补办")["replies"][0]["text"]):
        assert time.monotonic() < deadline, answer
        time.sleep(0.5)
    assert "20元" in answer


def test_a_killed_api_replica_loses_no_accepted_message(cluster, records):
    """100 conversations at once; one replica is killed (SIGKILL, no drain) in the middle. Every
    message the API accepted (200) is in the transcript; a client whose request failed sends it
    again to the other replica and goes on."""
    first, second = cluster.apis
    run = cluster.dir / "home" / "api1" / "run"
    supervisor = int((cluster.dir / "pids" / "api1.pid").read_text())
    accepted: dict[str, list[str]] = {}
    killed = threading.Event()
    questions = ["居住证怎么办理", "要带什么材料", "在哪里办"]

    def conversation(n: int) -> None:
        """Half the clients talk to the replica that will die, half to the other. A client whose
        request fails on the way goes to the other replica; a busy answer (503) is retried after
        its Retry-After, as the chat page does."""
        citizen = Chat(second)
        citizen.base = first if n % 2 == 0 else second
        accepted[citizen.session_id] = []
        for turn, text in enumerate(questions):
            if turn == 1:
                time.sleep(n % 5)  # the turns spread over the moment of the kill
            for _attempt in range(30):
                try:
                    response = citizen.send(text)
                except httpx.HTTPError:
                    citizen.base = second  # the replica is gone: the same message to the other one
                    continue
                if response.status_code == 200:
                    accepted[citizen.session_id].append(text)
                    break
                assert response.status_code == 503, response.text  # busy: nothing else is acceptable
                time.sleep(float(response.headers.get("Retry-After", "1")))

    def kill() -> None:
        time.sleep(3)
        os.kill(supervisor, signal.SIGKILL)  # the supervisor first, or it would start the API again
        for pid_file in run.glob("api*.pid"):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        killed.set()

    killer = threading.Thread(target=kill)
    killer.start()
    with ThreadPoolExecutor(100) as pool:
        list(pool.map(conversation, range(100)))
    killer.join()
    assert killed.is_set()
    for session_id, texts in accepted.items():
        assert texts == questions, (session_id, texts)  # every client got through in the end
        citizen_texts = [m.text for m in records.history(session_id) if m.role == "citizen"]
        for text in texts:
            assert text in citizen_texts, (session_id, text, citizen_texts)
