/* govbot web chat widget. No build step, no dependencies.
 * Full page:  <div id="govbot"></div><script src="/widget.js" data-mode="page" data-target="govbot"></script>
 * Embedded:   <script src="https://govbot.example.gov.cn/widget.js"></script>  (a floating button)
 * Everything a citizen or the server says is rendered as text (textContent), never as markup. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src, location.href).origin;
  var mode = script.getAttribute("data-mode") || "floating";
  var HOTLINE = "{{hotline_number}}";
  var CITY = "{{city_name}}";
  var KEY = "govbot.chat";

  if (!document.querySelector('link[data-govbot]')) {
    var css = document.createElement("link");
    css.rel = "stylesheet"; css.href = base + "/widget.css"; css.setAttribute("data-govbot", "");
    document.head.appendChild(css);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* The session: an id and a token the server issues (POST /api/chat/sessions) on the first message;
   * every request shows the token in X-Session-Token. A session the server no longer knows (it lapsed
   * after a long pause) answers 404: a new one is opened and the message sent again. */
  var session = stored();

  function stored() {
    try {
      var s = JSON.parse(localStorage.getItem(KEY) || "null");
      if (s && s.id && s.token) return s;
    } catch (e) { /* private mode or an old value */ }
    return null;
  }

  function openSession() {
    return fetch(base + "/api/chat/sessions", { method: "POST" })
      .then(function (r) { if (!r.ok) throw new Error("session " + r.status); return r.json(); })
      .then(function (d) {
        session = { id: d.session_id, token: d.token };
        try { localStorage.setItem(KEY, JSON.stringify(session)); } catch (e) { /* kept in memory only */ }
        connect();
        return session;
      });
  }

  function forget() {
    session = null; lastSeq = 0; streamGen += 1; setStatus("bot");
    try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
  }

  function url(tail) { return base + "/api/chat/" + encodeURIComponent(session.id) + tail; }

  var root = el("div", "govbot");
  root.setAttribute("role", "region");
  root.setAttribute("aria-label", HOTLINE + "政务服务智能助手");
  var header = el("div", "govbot-header");
  header.appendChild(el("h1", null, HOTLINE + "政务服务智能助手"));
  var fresh = el("button", "govbot-new", "新对话");  // forget this conversation, start another
  fresh.type = "button";
  fresh.title = "清空记录，开始新的对话";
  header.appendChild(fresh);
  var human = el("button", "govbot-human", "转人工");
  human.type = "button";
  header.appendChild(human);
  var notice = el("div", "govbot-notice");
  notice.hidden = true;
  notice.setAttribute("role", "status");
  var log = el("div", "govbot-log");
  log.setAttribute("aria-live", "polite");
  var form = el("form", "govbot-form");
  var input = el("textarea");
  input.placeholder = "请输入您的问题，如：居住证怎么办理？";
  input.maxLength = 1000;
  input.setAttribute("aria-label", "输入问题");
  var send = el("button", null, "发送");
  send.type = "submit";
  var count = el("div", "govbot-count");  // empty below 800 characters; a live region, so it is always there
  count.setAttribute("aria-live", "polite");
  form.appendChild(input); form.appendChild(send); form.appendChild(count);
  root.appendChild(header); root.appendChild(notice); root.appendChild(log); root.appendChild(form);

  if (mode === "page") {
    var target = document.getElementById(script.getAttribute("data-target") || "govbot") || document.body;
    target.appendChild(root);
  } else {
    root.classList.add("govbot-floating");
    root.hidden = true;
    var launcher = el("button", "govbot-launcher", "在线咨询");
    launcher.type = "button";
    launcher.addEventListener("click", function () { root.hidden = !root.hidden; if (!root.hidden) input.focus(); });
    document.body.appendChild(launcher);
    document.body.appendChild(root);
  }

  var status = "bot";
  var lastSeq = 0;
  var streamGen = 0;  // bumps when the session changes: an older stream stops

  function scroll() { log.scrollTop = log.scrollHeight; }

  var place = null;  // {ahead, minutes}: the place in the queue, pushed by the server as it changes

  function waitingText() {
    if (!place) return "正在为您转接人工客服，请稍候……";
    return "正在为您转接人工客服：" + (place.ahead ? "您前面还有 " + place.ahead + " 位市民，" : "您是下一位，") +
      "预计等待约 " + place.minutes + " 分钟。";
  }

  function setStatus(next) {
    status = next;
    if (status !== "waiting") place = null;
    if (status !== "human") agent = "";
    if (status === "waiting") { notice.textContent = waitingText(); notice.hidden = false; }
    else if (status === "human") {
      notice.textContent = agent || "人工客服已接入，正在为您服务。"; notice.hidden = false;
    }
    else { notice.hidden = true; }
    human.disabled = fresh.disabled = status !== "bot";
    fresh.title = fresh.disabled ? "您正在排队或由人工客服服务，开始新对话会让您离开排队，请先结束当前服务" : "清空记录，开始新的对话";
  }

  /* The claim names the operator ("人工客服（工号 …）已接入…"): the notice shows it while that service lasts. */
  var agent = "";
  function noteAgent(m) { if (m.event === "claimed") agent = m.text; else if (m.event) agent = ""; }

  /* The first source is always in view (an answer you can check); the others one click away. */
  function sourceLine(s) { return ["《" + s.title + "》", s.doc_number, s.department, s.date].filter(Boolean).join(" "); }

  function renderSources(box, sources) {
    if (!sources || !sources.length) return;
    var wrap = el("div", "govbot-sources");
    var first = el("div", "govbot-source", "来源：" + sourceLine(sources[0]));
    if (sources[0].snippet) first.title = sources[0].snippet;
    wrap.appendChild(first);
    if (sources.length > 1) {
      var details = el("details");
      details.appendChild(el("summary", null, "其他来源（" + (sources.length - 1) + "）"));
      var list = el("ul");
      sources.slice(1).forEach(function (s) {
        var item = el("li", null, sourceLine(s));
        if (s.snippet) item.title = s.snippet;
        list.appendChild(item);
      });
      details.appendChild(list);
      wrap.appendChild(details);
    }
    box.appendChild(wrap);
  }

  function renderFeedback(box) {
    var bar = el("div", "govbot-feedback");
    bar.appendChild(el("span", null, "这个回答有帮助吗？"));
    [["有用", "/feedback_positive"], ["没用", "/feedback_negative"]].forEach(function (pair) {
      var b = el("button", null, pair[0]);
      b.type = "button";
      b.addEventListener("click", function () { bar.remove(); post({ payload: pair[1] }, pair[0]); });
      bar.appendChild(b);
    });
    box.appendChild(bar);
  }

  /* answer: the answer pipeline's status of a bot reply; a clarifying question says so at its top. */
  function render(role, text, sources, buttons, answer) {
    var clarify = role === "bot" && answer === "clarify";
    var box = el("div", "govbot-msg " + role + (clarify ? " clarify" : ""));
    if (role === "operator") box.appendChild(el("div", "govbot-who", "人工客服"));
    if (clarify) box.appendChild(el("div", "govbot-label", "需要您确认"));
    box.appendChild(document.createTextNode(text));
    renderSources(box, sources);
    if (buttons && buttons.length) {
      var row = el("div", "govbot-buttons");
      buttons.forEach(function (btn) {
        var b = el("button", null, btn.title);
        b.type = "button";
        b.addEventListener("click", function () { post({ payload: btn.payload }, btn.title); });
        row.appendChild(b);
      });
      box.appendChild(row);
    }
    if (role === "bot" && ((sources && sources.length) || answer === "answered")) renderFeedback(box);
    log.appendChild(box);
    scroll();
    return box;
  }

  var typing = null;
  function showTyping(on) {
    if (on && !typing) { typing = el("div", "govbot-typing", "正在输入……"); log.appendChild(typing); scroll(); }
    if (!on && typing) { typing.remove(); typing = null; }
  }

  function send_(body, retried) {
    return (session ? Promise.resolve(session) : openSession()).then(function (current) {
      var payload = {}; Object.keys(body).forEach(function (k) { payload[k] = body[k]; });
      payload.session_id = current.id;
      return fetch(base + "/api/chat", { method: "POST", body: JSON.stringify(payload),
                                         headers: { "Content-Type": "application/json", "X-Session-Token": current.token } })
        .then(function (r) {
          if (r.status === 404 && !retried) { forget(); return send_(body, true); }  // the session lapsed
          return r.json().then(function (data) { return { ok: r.ok, data: data }; });
        });
    });
  }

  function post(body, shown) {
    // the choices offered so far are used or stale once the citizen says something else
    Array.prototype.forEach.call(log.querySelectorAll(".govbot-buttons button"), function (b) { b.disabled = true; });
    if (shown) render("citizen", shown);
    send.disabled = fresh.disabled = true;
    if (status === "bot") showTyping(true);
    return send_(body, false)
      .then(function (res) {
        showTyping(false);
        if (!res.ok) {
          render("bot", (res.data && res.data.detail) || ("服务暂时不可用，请拨打" + HOTLINE + "。"));
          return;
        }
        res.data.replies.forEach(function (r) { render("bot", r.text, r.sources, r.buttons, r.answer_status); });
        setStatus(res.data.status);
      })
      .catch(function () {
        showTyping(false);
        render("bot", "网络连接失败，请检查网络后重试，或拨打" + HOTLINE + "热线。");
      })
      .then(function () { send.disabled = false; fresh.disabled = status !== "bot"; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    counted();
    post({ text: text }, text);
  });
  function counted() {  // from 800 characters: how many of the 1000 allowed
    var n = input.value.length, full = n >= input.maxLength;
    count.textContent = n < 800 ? "" : n + "/" + input.maxLength + (full ? " 已达字数上限" : "");
    count.classList.toggle("full", full);
  }
  input.addEventListener("input", counted);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  human.addEventListener("click", function () { post({ payload: "/request_human" }, "转人工"); });
  fresh.addEventListener("click", function () {  // the next message opens a new session
    if (status !== "bot" || send.disabled) return;  // leaving a queue this way would lose the citizen's place
    forget();
    log.textContent = ""; typing = null;
    greet();
    input.focus();
  });

  /* Server-sent events read through fetch (EventSource cannot send the token): an operator's replies
   * and status changes arrive as they happen; a dropped stream is opened again after a pause. */
  function connect() {
    if (!session) return;
    var gen = ++streamGen;
    fetch(url("/events?after=" + lastSeq), { headers: { "X-Session-Token": session.token, "Accept": "text/event-stream" },
                                             cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) { if (gen === streamGen) forget(); return; }
        if (!r.ok || !r.body) throw new Error("events " + r.status);
        if (status === "bot") notice.hidden = true;
        var reader = r.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (gen !== streamGen) { reader.cancel(); return; }
            if (chunk.done) throw new Error("ended");
            buffer += decoder.decode(chunk.value, { stream: true });
            var blocks = buffer.split("\n\n");
            buffer = blocks.pop();
            blocks.forEach(handle);
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        if (gen !== streamGen) return;
        notice.textContent = "连接中断，正在重新连接……"; notice.hidden = false;
        setTimeout(function () { if (gen === streamGen) connect(); }, 3000);
      });
  }

  function handle(block) {
    var event = "message", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) event = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
    });
    if (!data) return;  // a keepalive
    var m = JSON.parse(data);
    if (event === "status") setStatus(m.status);
    else if (event === "queue") {  // the place in the queue, as it changes
      place = m;
      if (status === "waiting") notice.textContent = waitingText();
    }
    else if (event === "message" && m.seq > lastSeq) {
      lastSeq = m.seq; render(m.role, m.text); noteAgent(m);
      if (status === "human" && agent) notice.textContent = agent;
    }
  }

  function greet() {
    render("bot", "您好！我是" + CITY + HOTLINE + "政务服务智能助手。请直接输入您的问题，例如“居住证怎么办理”“公积金怎么提取”。");
  }

  if (!session) {
    greet();  // a session is opened with the first message
  } else {
    fetch(url("/history"), { headers: { "X-Session-Token": session.token }, cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) { forget(); return { messages: [] }; }
        return r.ok ? r.json() : { messages: [] };
      })
      .then(function (data) {
        data.messages.forEach(function (m) {
          render(m.role, m.text, m.sources, null, m.answer_status); noteAgent(m); lastSeq = Math.max(lastSeq, m.seq);
        });
        if (!data.messages.length) greet();
      })
      .catch(function () { /* offline: the first send will say so */ })
      .then(connect);
  }
})();
