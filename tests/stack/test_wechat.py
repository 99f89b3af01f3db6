"""The WeChat official-account connector (/wechat) against the real stack: the API app runs
in-process (create_app with WeChat settings) on a loopback port, talking to the `stack` fixture's
Rasa and action server over the sample knowledge base; WeChat's own API is a small fake on
loopback that records what it receives. Signatures are checked against the values published in
WeChat's sample code; in compatible and secure modes requests are encrypted and replies decrypted
with wechatpy, an implementation independent of ours.

wechatpy (and our crypto.py) need the `cryptography` package for AES; without it wechatpy cannot
even be imported, so the tests that need it are skipped with that reason, and the rest still run.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import threading
import time
import uuid
from urllib.parse import urlparse

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient

from api.app import create_app
from api.channels.wechat.channel import WeChatChannel
from api.channels.wechat import verification
from api.channels.wechat.client import CustomerServiceClient, ServiceWindows, WindowClosed
from api.channels.wechat.content import BadMessage, parse_message
from api.channels.wechat.render import compose_text
from govbot.records import Records
from govbot.settings import Settings
from tests.conftest import _free_port

TOKEN = "govbot-wechat-test"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")  # 43 characters
APP_ID = "wx5f2b8c3d4e6a7b90"
SECRET = "fake-app-secret"
ACCOUNT = "gh_1a2b3c4d5e6f"

# published in WeChat's message-encryption sample code (WXBizMsgCrypt, Python and Java samples)
SAMPLE = {
    "token": "spamtest",
    "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "app_id": "wx2c2769f8efd9abc2",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "encrypt": "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQ"
    "HFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsV"
    "ticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0Vx"
    "pAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCu"
    "mEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=",
}
JAVA_SAMPLE = {
    "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "app_id": "wxb11529c136998cb6",
    "random": b"aaaabbbbccccdddd",
    "message": "我是中文abcd123",
    "encrypted": "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==",
}


def _needs_aes():
    return pytest.importorskip(
        "cryptography", reason="AES (compatible/secure modes, and wechatpy itself) needs the `cryptography` package, which is not installed"
    )


def _wechatpy_crypto(app_id: str = APP_ID):
    _needs_aes()
    from wechatpy.crypto import WeChatCrypto

    return WeChatCrypto(TOKEN, AES_KEY, app_id)


def _sign(*parts: str) -> str:
    """WeChat's signature, written out here again so requests are not signed by the code under test."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


# --- loopback servers ----------------------------------------------------------------------
class Served:
    """An ASGI app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, app):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 300
        while not self.server.started:
            assert self.thread.is_alive(), "the server failed to start"
            assert time.time() < deadline, "the server did not start in time"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=60)


class FakeWeChat:
    """/cgi-bin/token and /cgi-bin/message/custom/send, recording every call."""

    def __init__(self):
        self.token_calls: list[dict] = []
        self.sends: list[dict] = []  # every attempt, with the errcode it got
        self.closed: set[str] = set()  # openids whose 48-hour window is closed
        self.revoked: set[str] = set()
        self.busy = 0  # this many sends get errcode -1 ("system busy") first
        self.expires_in = 7200
        self.app = FastAPI()

        @self.app.get("/cgi-bin/token")
        def token(grant_type: str = "", appid: str = "", secret: str = ""):
            self.token_calls.append({"grant_type": grant_type, "appid": appid})
            if grant_type != "client_credential" or appid != APP_ID or secret != SECRET:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            return {"access_token": f"ACCESS-{len(self.token_calls)}", "expires_in": self.expires_in}

        @self.app.post("/cgi-bin/message/custom/send")
        async def send(request: Request, access_token: str = ""):
            body = await request.json()
            issued = {f"ACCESS-{i}" for i in range(1, len(self.token_calls) + 1)}
            if access_token not in issued or access_token in self.revoked:
                code = 40001
            elif body.get("touser") in self.closed:
                code = 45015
            elif self.busy > 0:
                self.busy -= 1
                code = -1
            else:
                code = 0
            self.sends.append(
                {
                    "touser": body.get("touser"),
                    "msgtype": body.get("msgtype"),
                    "content": (body.get("text") or {}).get("content"),
                    "token": access_token,
                    "errcode": code,
                }
            )
            return {"errcode": code, "errmsg": "ok" if code == 0 else "refused"}

    def delivered(self, openid: str) -> list[str]:
        return [s["content"] for s in self.sends if s["touser"] == openid and s["errcode"] == 0]

    def wait_for(self, condition, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while not condition():
            assert time.time() < deadline, f"timed out; sends so far: {self.sends}"
            time.sleep(0.1)


def _settings(stack, api_base: str = "http://127.0.0.1:9", **overrides) -> Settings:
    values = dict(
        home=stack["home"],
        rasa_port=urlparse(stack["rasa"]).port,
        rasa_token=stack["rasa_token"],
        wechat_token=TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_app_id=APP_ID,
        wechat_app_secret=SECRET,
        wechat_api_base=api_base,
    )
    return Settings(**{**values, **overrides})


# --- a citizen's WeChat client ------------------------------------------------------------------
class Citizen:
    def __init__(self, base: str, mode: str = "plain", openid: str | None = None):
        self.base, self.mode = base, mode
        self.openid = openid or "o" + uuid.uuid4().hex[:27]
        self.session = "wx:" + self.openid

    def xml(self, msg_type: str = "text", msg_id: str | None = None, create_time: int | None = None, **fields) -> str:
        parts = [
            f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>",
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
        ]
        parts += [f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()]
        if msg_type != "event":
            parts.append(f"<MsgId>{msg_id or uuid.uuid4().int % 10**18}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def request(
        self, plain_xml: str, *, client: httpx.Client | None = None, token: str = TOKEN, timestamp: str | None = None, **query_overrides
    ) -> httpx.Response:
        """POST as WeChat does in this citizen's mode (plain, compatible or secure)."""
        timestamp = timestamp or str(int(time.time()))
        nonce = str(uuid.uuid4().int % 10**9)
        query = {"signature": _sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": self.openid}
        body = plain_xml
        if self.mode in ("compatible", "secure"):
            import xmltodict

            envelope = xmltodict.parse(_wechatpy_crypto().encrypt_message(plain_xml, nonce, timestamp))["xml"]
            encrypted = f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt>"
            body = (
                plain_xml.replace("</xml>", encrypted + "</xml>")
                if self.mode == "compatible"
                else f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>{encrypted}</xml>"
            )
            query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        query.update(query_overrides)
        query = {k: v for k, v in query.items() if v is not None}
        poster = client or httpx
        return poster.post(
            f"{self.base}/wechat", params=query, content=body.encode("utf-8"), headers={"Content-Type": "text/xml"}, timeout=60
        )

    def reply(self, response: httpx.Response):
        """The text message in a passive reply (decrypted in compatible and secure modes), or None for
        "success"."""
        assert response.status_code == 200, response.text
        assert "json" not in response.headers.get("content-type", "")
        if response.text == "success":
            return None
        xml = response.text
        if self.mode in ("compatible", "secure"):
            import xmltodict

            envelope = xmltodict.parse(xml)["xml"]
            assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
            xml = _wechatpy_crypto().decrypt_message(xml, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        fields = {child.tag: child.text or "" for child in fromstring(xml)}
        assert fields["MsgType"] == "text" and fields["ToUserName"] == self.openid, fields
        assert fields["FromUserName"] == ACCOUNT and abs(int(fields["CreateTime"]) - time.time()) < 120
        return fields["Content"]

    def say(self, text: str, **kwargs) -> str | None:
        return self.reply(self.request(self.xml("text", Content=text), **kwargs))

    def history(self, stack) -> list[dict]:
        """The transcript, read from the store: the web API does not open WeChat conversations."""
        refused = httpx.get(f"{stack['base']}/api/chat/{self.session}/history", timeout=30)
        assert refused.status_code == 404
        rows = Records(Settings(home=stack["home"]).db_url).history(self.session)
        return [{"seq": m.seq, "role": m.role, "text": m.text, "sources": m.payload.get("sources", [])} for m in rows]


@pytest.fixture(scope="module")
def served_fake():
    fake = FakeWeChat()
    with Served(fake.app) as served:
        fake.base = served.base
        yield fake


# --- signatures and encryption: WeChat's published samples, wechatpy as the second opinion ---------------
def test_signatures_match_wechats_published_sample():
    assert verification.check_msg_signature(
        SAMPLE["token"], SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE["encrypt"]
    )
    assert not verification.check_msg_signature(
        SAMPLE["token"], SAMPLE["msg_signature"], SAMPLE["timestamp"], "1320562133", SAMPLE["encrypt"]
    )
    assert not verification.check_msg_signature("other", SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE["encrypt"])
    ours = verification.sha1_signature(SAMPLE["token"], SAMPLE["timestamp"], SAMPLE["nonce"])
    assert ours == _sign(SAMPLE["token"], SAMPLE["timestamp"], SAMPLE["nonce"])
    assert verification.check_signature(SAMPLE["token"], ours, SAMPLE["timestamp"], SAMPLE["nonce"])
    assert verification.check_signature(SAMPLE["token"], ours.upper(), SAMPLE["timestamp"], SAMPLE["nonce"])
    assert not verification.check_signature("other", ours, SAMPLE["timestamp"], SAMPLE["nonce"])
    assert not verification.check_signature(SAMPLE["token"], None, SAMPLE["timestamp"], SAMPLE["nonce"])
    assert verification.handshake(SAMPLE["token"], ours, SAMPLE["timestamp"], SAMPLE["nonce"], "shr5ch") == "shr5ch"
    assert verification.handshake(SAMPLE["token"], "0" * 40, SAMPLE["timestamp"], SAMPLE["nonce"], "shr5ch") is None


def test_signature_agrees_with_wechatpy():
    _needs_aes()
    from wechatpy.exceptions import InvalidSignatureException
    from wechatpy.utils import check_signature

    for token, timestamp, nonce in [
        (SAMPLE["token"], SAMPLE["timestamp"], SAMPLE["nonce"]),
        (TOKEN, "1700000000", "0"),
        ("中文令牌", "1", "abc"),
    ]:
        ours = verification.sha1_signature(token, timestamp, nonce)
        check_signature(token, ours, timestamp, nonce)  # raises if wechatpy disagrees
        with pytest.raises(InvalidSignatureException):
            check_signature(token + "x", ours, timestamp, nonce)


def test_crypto_matches_wechats_published_samples():
    _needs_aes()
    from api.channels.wechat.crypto import CryptoError, MessageCrypto

    plain = MessageCrypto(SAMPLE["aes_key"], SAMPLE["app_id"]).decrypt(SAMPLE["encrypt"])
    message = parse_message(plain)
    assert (message.from_user, message.content, message.msg_id) == ("oyORnuP8q7ou2gfYjqLzSIWZf0rs", "abcdteT", "6054768590064713728")
    with pytest.raises(CryptoError):  # the AppId inside must be ours
        MessageCrypto(SAMPLE["aes_key"], "wx0000000000000000").decrypt(SAMPLE["encrypt"])
    java = MessageCrypto(JAVA_SAMPLE["aes_key"], JAVA_SAMPLE["app_id"])
    assert java.encrypt(JAVA_SAMPLE["message"], JAVA_SAMPLE["random"]) == JAVA_SAMPLE["encrypted"]
    assert java.decrypt(JAVA_SAMPLE["encrypted"]) == JAVA_SAMPLE["message"]
    crypto = _wechatpy_crypto()  # and wechatpy reads what we write, and the other way round
    ours = MessageCrypto(AES_KEY, APP_ID)
    from wechatpy.crypto import PrpCrypto

    assert PrpCrypto(crypto.key).decrypt(ours.encrypt("市民来信"), APP_ID) == "市民来信"
    assert ours.decrypt(PrpCrypto(crypto.key).encrypt("回复内容", APP_ID).decode()) == "回复内容"


def test_url_verification_echoes_echostr_only_when_signed(wx_app):
    wx = wx_app
    timestamp, nonce = str(int(time.time())), "84823103"
    good = {"signature": _sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": "5839207584738923847"}
    response = httpx.get(f"{wx}/wechat", params=good)
    assert response.status_code == 200 and response.text == "5839207584738923847"
    assert httpx.get(f"{wx}/wechat", params={**good, "signature": "0" * 40}).status_code == 403
    assert httpx.get(f"{wx}/wechat", params={**good, "nonce": "84823104"}).status_code == 403
    assert httpx.get(f"{wx}/wechat", params={"echostr": "1"}).status_code == 403


# --- full round trips ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wx_app(stack, served_fake):
    """The API with the WeChat channel on, its customer-service API the fake. The passive-reply
    deadline is generous here, so these tests don't depend on this machine's speed; the deadline
    itself is tested with the `slow` app."""
    with Served(create_app(_settings(stack, served_fake.base, wechat_reply_timeout_s=60))) as served:
        yield served.base


@pytest.mark.parametrize("mode", ["plain", "compatible", "secure"])
def test_text_message_round_trip(stack, wx_app, mode):
    if mode != "plain":
        _needs_aes()
    citizen = Citizen(wx_app, mode)
    answer = citizen.say("居住证怎么办理？")
    assert answer and "居住证" in answer
    assert "来源：《" in answer and "》" in answer
    history = citizen.history(stack)
    assert [m["role"] for m in history] == ["citizen", "bot"] and history[0]["text"] == "居住证怎么办理？"
    assert any("居住证" in s["title"] for s in history[1]["sources"])


def test_source_lines_carry_title_number_department_and_date(stack, wx_app):
    citizen = Citizen(wx_app)
    answer = citizen.say("公积金怎么提取")
    source = citizen.history(stack)[-1]["sources"][0]
    details = " ".join(p for p in (source["doc_number"], source["department"], source["date"]) if p)
    assert f"来源：《{source['title']}》{details}" in answer


def test_secure_mode_checks_msg_signature_and_app_id(stack, wx_app):
    _needs_aes()
    citizen = Citizen(wx_app, "secure")
    forged = citizen.request(citizen.xml("text", Content="居住证怎么办理"), msg_signature="0" * 40)
    assert forged.status_code == 403
    import xmltodict

    timestamp, nonce = str(int(time.time())), "7719"
    other = _wechatpy_crypto("wx0000000000000000")  # the same key, another account
    envelope = xmltodict.parse(other.encrypt_message(citizen.xml("text", Content="居住证"), nonce, timestamp))["xml"]
    body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    query = {
        "signature": _sign(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": envelope["MsgSignature"],
    }
    assert httpx.post(f"{wx_app}/wechat", params=query, content=body).status_code == 400
    garbage = "QUJDREVGR0hJSktMTU5PUA=="  # 16 bytes that decrypt to nonsense
    query["msg_signature"] = _sign(TOKEN, timestamp, nonce, garbage)
    body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>{garbage}</Encrypt></xml>"
    assert httpx.post(f"{wx_app}/wechat", params=query, content=body).status_code == 400
    assert citizen.history(stack) == []


# --- retries --------------------------------------------------------------------------------------
def _concurrently(n: int, call) -> list:
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        with httpx.Client() as client:
            barrier.wait()
            results[i] = call(client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_the_same_msgid_three_times_at_once_is_answered_once(stack, wx_app):
    citizen = Citizen(wx_app)
    xml = citizen.xml("text", msg_id="7300000000000000001", Content="居住证怎么办理？")
    responses = _concurrently(3, lambda client: citizen.request(xml, client=client))
    replies = [citizen.reply(r) for r in responses]
    answers = [r for r in replies if r is not None]
    assert len(answers) == 1 and "居住证" in answers[0], replies
    assert replies.count(None) == 2
    history = citizen.history(stack)
    assert [m["role"] for m in history] == ["citizen", "bot"], history
    # a later retry means that passive reply never reached WeChat: the same reply again, nothing re-run
    assert citizen.reply(citizen.request(xml)) == answers[0]
    assert len(citizen.history(stack)) == 2


def test_a_retried_confirmation_files_one_work_order(stack, wx_app):
    from sqlalchemy import func, select

    from govbot.records import Records, work_orders

    citizen = Citizen(wx_app)
    start = citizen.say("我要投诉，小区门口天天有人占道摆摊")
    if "描述" in start:
        citizen.say("小区门口每天早上都有人占道卖菜，堵住消防通道")
    assert "电话" in citizen.say("城东区人民路18号幸福小区东门")
    confirm = citizen.say("我的手机是13812345678")
    assert "回访" in confirm and "数字选择" in confirm, confirm
    number = next(line.split(".")[0] for line in confirm.splitlines() if line[:1].isdigit() and ("是" in line or "需要" in line))
    xml = citizen.xml("text", msg_id="7300000000000000002", Content=number)
    replies = [citizen.reply(r) for r in _concurrently(3, lambda client: citizen.request(xml, client=client))]
    done = [r for r in replies if r]
    assert len(done) == 1 and "工单号：GD" in done[0], replies
    records = Records(Settings(home=stack["home"]).db_url)
    with records.engine.connect() as conn:
        filed = conn.execute(select(func.count()).select_from(work_orders).where(work_orders.c.conversation_id == citizen.session)).scalar()
    assert filed == 1


# --- events, other message types, hints, people -----------------------------------------------------
def test_follow_gets_a_welcome_and_its_retry_the_same_one(stack, wx_app):
    citizen = Citizen(wx_app)
    xml = citizen.xml("event", Event="subscribe", EventKey="")
    welcome = citizen.reply(citizen.request(xml))
    assert welcome and "欢迎" in welcome and "12345" in welcome
    # a retry (same FromUserName + CreateTime) means the reply was lost: the same welcome again
    assert citizen.reply(citizen.request(xml)) == welcome
    assert citizen.reply(citizen.request(citizen.xml("event", Event="unsubscribe"))) is None


def test_menu_clicks_ask_or_answer_fixed_text(stack, wx_app):
    citizen = Citizen(wx_app)
    asked = citizen.reply(citizen.request(citizen.xml("event", Event="CLICK", EventKey="ASK:居住证怎么办理")))
    assert asked and "来源：《" in asked and "居住证" in asked
    assert citizen.history(stack)[0]["text"] == "居住证怎么办理"
    hotline = citizen.reply(citizen.request(citizen.xml("event", Event="CLICK", EventKey="HOTLINE", create_time=int(time.time()) + 1)))
    assert hotline and "12345" in hotline
    unknown = citizen.reply(citizen.request(citizen.xml("event", Event="CLICK", EventKey="V1001_TODAY", create_time=int(time.time()) + 2)))
    assert unknown and "文字" in unknown
    assert citizen.reply(citizen.request(citizen.xml("event", Event="VIEW", EventKey="https://example.gov.cn"))) is None


@pytest.mark.parametrize(
    "msg_type, fields",
    [
        ("image", {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "m1"}),
        ("voice", {"MediaId": "m2", "Format": "amr"}),
        ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}),
        ("location", {"Location_X": "23.13", "Location_Y": "113.26", "Scale": "20", "Label": "示例市"}),
        ("link", {"Title": "链接", "Description": "d", "Url": "https://example.com"}),
    ],
)
def test_other_message_types_get_a_polite_request_for_text(stack, wx_app, msg_type, fields):
    citizen = Citizen(wx_app)
    reply = citizen.reply(citizen.request(citizen.xml(msg_type, **fields)))
    assert reply and "文字" in reply and "抱歉" in reply


def test_buttons_become_numbered_hints_answered_by_number(stack, wx_app):
    citizen = Citizen(wx_app)
    asked = citizen.say("小学一年级报名是什么时间？")
    assert "请回复" in asked and "数字选择" in asked and "\n1. " in asked and "\n2. " in asked, asked
    assert asked.count("\n1. ") == 1  # options the answer already numbers are not listed twice
    first = next(line[3:] for line in asked.splitlines() if line.startswith("1. "))
    chosen = citizen.say("1")
    assert "来源：《" in chosen
    assert first[:2] in chosen, (first, chosen)
    assert citizen.history(stack)[-2]["role"] == "citizen"


def test_waiting_for_a_person_the_bot_replies_success(stack, wx_app):
    citizen = Citizen(wx_app)
    handoff = citizen.say("转人工")
    assert handoff and "人工" in handoff
    assert citizen.say("你好，有人吗？") is None
    history = citizen.history(stack)
    assert history[-1] == {**history[-1], "role": "citizen", "text": "你好，有人吗？"}


# --- bad input ---------------------------------------------------------------------------------------
XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "hahahahahahahahahaha">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    + "]><xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&i;</Content><MsgId>1</MsgId></xml>"
)


@pytest.mark.parametrize(
    "name, body",
    [
        ("truncated", "<xml><ToUserName>gh</ToUserName><FromUserName>oX"),
        ("not xml", "居住证怎么办理"),
        ("json", '{"text": "居住证怎么办理"}'),
        ("wrong root", "<msg><FromUserName>oX</FromUserName></msg>"),
        (
            "no sender",
            "<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
        ),
        (
            "odd openid",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o/../x y</FromUserName><CreateTime>1</CreateTime>"
            "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
        ),
        ("xxe", XXE),
        ("billion laughs", LAUGHS),
        (
            "oversized",
            "<xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
            "<MsgType>text</MsgType><Content>" + "长" * 23000 + "</Content><MsgId>1</MsgId></xml>",
        ),
    ],
)
def test_bad_xml_is_refused_with_400(stack, wx_app, name, body):
    citizen = Citizen(wx_app)
    response = citizen.request(body)
    assert response.status_code == 400 and "json" not in response.headers["content-type"], (name, response.text)


def test_oversized_chunked_body_is_refused(wx_app):
    timestamp, nonce = str(int(time.time())), "1"
    query = {"signature": _sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}

    def chunks():
        for _ in range(80):
            yield b"<a>" + b"x" * 1024 + b"</a>"

    response = httpx.post(f"{wx_app}/wechat", params=query, content=chunks())
    assert response.status_code == 400


def test_bad_signature_is_refused_and_nothing_is_processed(stack, wx_app):
    citizen = Citizen(wx_app)
    xml = citizen.xml("text", Content="居住证怎么办理")
    assert citizen.request(xml, token="not-our-token").status_code == 403
    assert citizen.request(xml, signature=None).status_code == 403
    assert citizen.request(xml, timestamp=str(int(time.time()) - 3600)).status_code == 403  # a replayed URL
    assert citizen.request(xml, encrypt_type="rsa").status_code == 400
    assert citizen.history(stack) == []


def test_parser_refuses_entities_without_expanding_them():
    for body in (XXE, LAUGHS):
        with pytest.raises(BadMessage):
            parse_message(body)
    with pytest.raises(BadMessage):
        parse_message("<xml>" + "<a>b</a>" * 10000 + "</xml>")  # over 64 KB


def test_channel_off_without_a_token(sample_home):
    settings = Settings(home=sample_home, rasa_port=1, action_port=1, wechat_token="")
    with TestClient(create_app(settings)) as client:
        assert client.get("/wechat", params={"echostr": "1"}).status_code == 404
        response = client.post("/wechat", content="<xml/>")
        assert response.status_code == 404 and "json" not in response.headers["content-type"]


def test_rasa_down_gives_a_polite_passive_reply_with_the_hotline(stack, sample_home):
    settings = _settings(stack, rasa_port=1, action_port=1, rasa_timeout_s=2)
    with TestClient(create_app(settings)) as client:
        citizen = Citizen("", "plain")
        timestamp, nonce = str(int(time.time())), "99"
        query = {"signature": _sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        response = client.post("/wechat", params=query, content=citizen.xml("text", Content="居住证怎么办理"))
        reply = citizen.reply(response)
        assert reply and "12345" in reply and "暂时无法服务" in reply
        assert citizen.history(stack)[-1]["text"] == "居住证怎么办理"  # nothing the citizen said is lost


# --- late answers through the customer-service API ---------------------------------------------------
@pytest.fixture(scope="module")
def slow(stack):
    """A second app whose passive-reply deadline is tiny: every answer goes out asynchronously."""
    fake = FakeWeChat()
    with Served(fake.app) as served_fake:
        with Served(create_app(_settings(stack, served_fake.base, wechat_reply_timeout_s=0.001))) as served:
            yield served.base, fake, served_fake.base


def test_a_late_answer_arrives_through_the_customer_service_api(stack, slow):
    base, fake, _ = slow
    citizen = Citizen(base)
    xml = citizen.xml("text", Content="居住证怎么办理？")
    assert citizen.reply(citizen.request(xml)) is None  # "success" now
    fake.wait_for(lambda: fake.delivered(citizen.openid))
    [answer] = fake.delivered(citizen.openid)
    assert "居住证" in answer and "来源：《" in answer
    assert citizen.reply(citizen.request(xml)) is None  # the retry after the answer went async
    second = Citizen(base)
    assert second.say("公积金怎么提取") is None
    fake.wait_for(lambda: fake.delivered(second.openid))
    time.sleep(1)
    assert len(fake.delivered(citizen.openid)) == 1  # the retry sent nothing
    assert len(fake.token_calls) == 1  # one token, cached across messages
    assert all(s["msgtype"] == "text" for s in fake.sends)
    assert [m["role"] for m in citizen.history(stack)] == ["citizen", "bot"]


def test_late_answers_go_through_the_outbox_retried_and_kept_across_restarts(stack, slow):
    from sqlalchemy import select

    from govbot.records import outbox

    base, fake, fake_base = slow
    records = Records(Settings(home=stack["home"]).db_url)
    account = WeChatChannel(_settings(stack, fake_base)).outbox  # this account at this API
    left = records.enqueue(account, "oLeftByTheLastRun", {"parts": ["上一次运行没来得及送出的答复"]})  # a restart's leftovers
    fake.busy = 2  # WeChat is busy twice: the delivery is tried again
    citizen = Citizen(base)
    assert citizen.say("公积金怎么提取") is None
    fake.wait_for(lambda: fake.delivered(citizen.openid) and fake.delivered("oLeftByTheLastRun"))
    assert len(fake.delivered(citizen.openid)) == 1 and any(s["errcode"] == -1 for s in fake.sends)

    def states() -> dict:  # settled just after WeChat answered the send: read until it is (or 10 s)
        with records.engine.connect() as conn:
            return {r.recipient: r.state for r in conn.execute(select(outbox)) if r.recipient in (citizen.openid, "oLeftByTheLastRun")}

    deadline = time.time() + 10
    while set(states().values()) != {"sent"} and time.time() < deadline:
        time.sleep(0.1)
    assert states() == {citizen.openid: "sent", "oLeftByTheLastRun": "sent"} and left


def test_closed_window_45015_is_logged_not_reported_as_sent(stack, slow, caplog):
    caplog.set_level(logging.WARNING, logger="govbot.wechat")
    base, fake, _ = slow
    citizen = Citizen(base)
    fake.closed.add(citizen.openid)
    assert citizen.say("居住证怎么办理？") is None
    fake.wait_for(lambda: any(s["touser"] == citizen.openid for s in fake.sends))
    deadline = time.time() + 10
    while "cannot deliver" not in caplog.text and time.time() < deadline:
        time.sleep(0.1)
    attempts = [s for s in fake.sends if s["touser"] == citizen.openid]
    assert [a["errcode"] for a in attempts] == [45015]
    assert "cannot deliver" in caplog.text and "45015" in caplog.text


def test_long_answers_are_split_first_part_passive_rest_by_api(stack):
    fake = FakeWeChat()
    with (
        Served(fake.app) as served_fake,
        Served(create_app(_settings(stack, served_fake.base, wechat_max_chars=80, wechat_reply_timeout_s=60))) as served,
    ):
        citizen = Citizen(served.base)
        first = citizen.say("二手房过户需要什么材料")
        assert first.endswith("）") and "/" in first, first
        total = int(first.rsplit("/", 1)[1].rstrip("）"))
        assert first.endswith(f"（1/{total}）") and total > 1 and len(first) <= 80
        fake.wait_for(lambda: len(fake.delivered(citizen.openid)) == total - 1)
        rest = fake.delivered(citizen.openid)
        assert [p.rsplit("（", 1)[1] for p in rest] == [f"{i}/{total}）" for i in range(2, total + 1)]
        assert all(len(p) <= 80 for p in rest) and "来源：《" in rest[-1]
        whole = citizen.history(stack)[-1]["text"]
        assert whole[:20] in first
        assert (
            "".join(p.rsplit("\n（", 1)[0] for p in [first, *rest])
            .replace("\n", "")
            .replace(" ", "")
            .startswith(whole.replace("\n", "").replace(" ", ""))
        )


# --- the customer-service client, quota and token on their own (against the fake API) -----------------
def test_service_window_quota():
    now = [1_000_000.0]
    windows = ServiceWindows(clock=lambda: now[0])
    assert windows.remaining("o1") == 0 and not windows.reserve("o1")  # never wrote: no window
    windows.note_inbound("o1", "message")
    assert all(windows.reserve("o1") for _ in range(5)) and not windows.reserve("o1")
    windows.note_inbound("o1", "message")  # a new message opens a new window
    assert windows.reserve("o1", 5) and not windows.reserve("o1")
    windows.note_inbound("o1", "message")
    now[0] += 48 * 3600 + 1
    assert windows.remaining("o1") == 0
    windows.note_inbound("o2", "event")  # a menu click or a follow: 3 within a minute
    assert windows.reserve("o2", 3) and not windows.reserve("o2")
    windows.note_inbound("o3", "event")
    now[0] += 61
    assert not windows.reserve("o3")
    windows.note_inbound("o4", "message")
    windows.note_inbound("o4", "event")  # does not shorten an open 48-hour window
    now[0] += 3600
    assert windows.remaining("o4") == 5
    windows.close("o4")
    assert windows.remaining("o4") == 0


def test_client_caches_the_token_refreshes_it_and_reports_45015():
    fake = FakeWeChat()
    with Served(fake.app) as served:
        now = [0.0]

        async def scenario():
            client = CustomerServiceClient(served.base, APP_ID, SECRET, clock=lambda: now[0])
            try:
                for text in ("一", "二", "三"):
                    await client.send_text("oCitizen1", text)
                assert len(fake.token_calls) == 1
                now[0] = 7200 - 300 - 1
                await client.send_text("oCitizen1", "四")
                assert len(fake.token_calls) == 1
                now[0] = 7200 - 300 + 1  # within 5 minutes of expiry: refreshed
                await client.send_text("oCitizen1", "五")
                assert len(fake.token_calls) == 2
                fake.revoked.add("ACCESS-2")  # revoked early: one refetch, then the send succeeds
                await client.send_text("oCitizen1", "六")
                assert len(fake.token_calls) == 3
                await asyncio.gather(*(client.send_text("oCitizen1", str(i)) for i in range(5)))
                assert len(fake.token_calls) == 3
                fake.closed.add("oCitizen2")
                with pytest.raises(WindowClosed) as refused:
                    await client.send_text("oCitizen2", "七")
                assert refused.value.errcode == 45015
            finally:
                await client.close()

        asyncio.run(scenario())
    assert fake.delivered("oCitizen1")[:6] == ["一", "二", "三", "四", "五", "六"]


def test_split_parts_fit_the_limits():
    body = "\n\n".join(f"第{i}条：" + "需要携带居民身份证原件及复印件，" * 8 + "办理时限为五个工作日。" for i in range(6))
    tail = "来源：《居住证申领》示例市公安局 2024-01-01\n请回复数字选择：\n1. 居住证申领\n2. 居住证续签"
    outcome = compose_text(body, tail, 200, "12345")
    assert len(outcome.parts) > 2
    assert all(len(p) <= 200 and len(p.encode()) <= 2048 for p in outcome.parts)
    assert outcome.parts[-1].split("\n（")[0].endswith("2. 居住证续签")  # sources and hints together, at the end
    joined = "".join(p.rsplit("\n（", 1)[0] for p in outcome.parts)
    assert joined.replace("\n", "") == (body + tail).replace("\n", "")
    assert len(outcome.condensed) <= 200 and "12345" in outcome.condensed and tail in outcome.condensed
    wide = compose_text("𠀀" * 3000, "", 5000, "12345")  # 4-byte characters: the byte limit decides
    assert all(len(p.encode()) <= 2048 for p in wide.parts)


def test_buttons_are_numbered_once():
    from api.channels.wechat.render import compose
    from api.schemas import Button, Reply

    buttons = [
        Button(title="残疾人两项补贴", payload='/choose_service{"service_key": "a"}'),
        Button(title="高龄津贴", payload='/choose_service{"service_key": "b"}'),
    ]
    listed = compose([Reply(text="您想咨询的是以下哪一项？\n1. 残疾人两项补贴\n2. 高龄津贴", buttons=buttons)], 600, "12345")
    assert listed.parts[0].count("高龄津贴") == 1 and "数字" in listed.parts[0]
    asked = compose([Reply(text="是否需要回访？", buttons=buttons)], 600, "12345")
    assert asked.parts == ["是否需要回访？\n\n请回复数字选择：\n1. 残疾人两项补贴\n2. 高龄津贴"]


def test_dedupe_runs_the_work_once_and_answers_once():
    from api.channels.wechat.dedupe import Deduper

    async def scenario():
        deduper, runs, later = Deduper(), [], []

        async def work():
            runs.append(1)
            await asyncio.sleep(0.3)
            return "answer"

        async def deliver(value):
            later.append(value)

        # three tries of one message while it is processed: one run, the newest connection answers
        first = asyncio.create_task(deduper.run("m1", work, 5, deliver))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(deduper.run("m1", work, 5, deliver))
        await asyncio.sleep(0.05)
        third = asyncio.create_task(deduper.run("m1", work, 5, deliver))
        assert await first is None  # superseded: answered "success" at once
        assert await asyncio.gather(second, third) == [None, "answer"]
        assert await deduper.run("m1", work, 5, deliver) == "answer"  # the passive reply was lost: again
        # too slow for the passive reply: "success", then delivered once, later
        assert await deduper.run("m2", work, 0.05, deliver) is None
        assert await deduper.run("m2", work, 5, deliver) is None  # a retry once it went async
        await asyncio.sleep(0.5)
        assert later == ["answer"] and len(runs) == 2 and deduper.started == 2

    asyncio.run(scenario())


def test_without_room_for_the_rest_a_long_answer_is_shortened(tmp_path):

    def long_answer():
        return compose_text("需要携带居民身份证原件及复印件。" * 30, "来源：《居住证申领》示例市公安局 2024-01-01", 120, "12345")

    outcome = long_answer()
    assert len(outcome.parts) > 2
    passive_only = WeChatChannel(
        Settings(home=tmp_path, wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_app_secret="")
    )  # no customer-service API
    assert passive_only.plan_passive("oA", outcome) == (outcome.condensed, [])
    channel = WeChatChannel(Settings(home=tmp_path, wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_app_secret=SECRET))
    channel.windows.note_inbound("oA", "message")
    outcome = long_answer()
    assert channel.plan_passive("oA", outcome) == (outcome.parts[0], outcome.parts[1:])
    assert channel.windows.remaining("oA") == 5 - (len(outcome.parts) - 1)
    # a retry whose passive reply was lost: the same first part again, the rest is not sent twice
    assert channel.plan_passive("oA", outcome) == (outcome.parts[0], [])
    assert channel.windows.remaining("oA") == 5 - (len(outcome.parts) - 1)
    channel.windows.close("oA")  # the quota is used up: one shortened message, nothing more to send
    outcome = long_answer()
    text, rest = channel.plan_passive("oA", outcome)
    assert text == outcome.condensed and rest == [] and "节选" in text and "来源：《居住证申领》" in text
