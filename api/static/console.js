/* govbot hotline operator console. No build step, no dependencies.
 * Session: the login sets an HttpOnly cookie; the CSRF token lives only in this page's memory and
 * goes out as X-CSRF-Token on every POST (a reload means logging in again).
 * Everything the server or a citizen says is rendered as text (textContent), never as markup. */
(function () {
  "use strict";
  var QUEUE_MS = 2000;
  var HISTORY_MS = 1000;
  var ASSIST_DELAY_MS = 700;
  var STATUS = { waiting: "排队中", human: "服务中", bot: "智能助手服务中" };
  var CHANNEL = { web: "网页", wechat: "微信" };
  var ROLE = { citizen: "市民", bot: "智能助手", operator: "坐席" };
  var WO_TYPE = { complain: "投诉", report: "举报", request: "求助" };
  var PAYLOAD = { request_human: "转人工", feedback_positive: "有用", feedback_negative: "没用", affirm: "是",
                  deny: "否", cancel: "取消登记", greet: "问候", goodbye: "再见", thank: "感谢", choose_service: "选择事项" };
  var FIELD = { text: "内容", content: "工单内容", department: "部门", type: "工单类型", username: "用户名",
                password: "密码", address: "地址", phone: "电话" };

  var state = {
    csrf: null, user: null, gen: 0,          // gen: bumps on every login/logout, stops stale pollers
    queueTimer: null, historyTimer: null,
    conv: null, info: null, epoch: 0,        // the open conversation; epoch bumps when another one opens
    lastSeq: 0, seen: {}, missing: false,
    assistSeq: 0, assistTimer: null
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function show(node, on) { node.hidden = !on; }

  function button(text, cls) {
    var b = el("button", cls, text);
    b.type = "button";
    return b;
  }

  /* ---------------------------------------------------------------- HTTP ------------------- */
  function ApiError(status, message) { this.status = status; this.message = message; }

  function detailText(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      var fields = detail.map(function (d) {
        var loc = (d && d.loc) || [];
        var name = loc[loc.length - 1];
        return FIELD[name] || "";
      }).filter(Boolean);
      return fields.length ? "请检查：" + fields.join("、") : "";
    }
    return "";
  }

  function describe(status, data) {
    var detail = detailText(data && data.detail);
    if (status === 401) return detail || "登录已失效，请重新登录。";
    if (status === 403) return "无权执行此操作" + (detail ? "：" + detail : "。");
    if (status === 404) return detail || "要找的内容不存在。";
    if (status === 409) return detail || "操作冲突，该会话的状态已变化。";
    if (status === 422) return "输入内容不符合要求" + (detail ? "（" + detail + "）" : "，请检查后重试。");
    if (status === 429) return "操作过于频繁，请稍后再试。";
    if (status >= 500) return "服务暂时不可用（" + status + "），请稍后再试。";
    return detail || "请求失败（" + status + "）。";
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
    var gen = state.gen;
    return fetch(path, { method: method, headers: headers, credentials: "same-origin", cache: "no-store",
                         body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
          if (r.ok) return data;
          throw new ApiError(r.status, describe(r.status, data));
        });
      }, function () {
        throw new ApiError(0, "网络连接失败，请检查网络后重试。");
      })
      .catch(function (err) {
        if (err instanceof ApiError && err.status === 401 && path !== "/api/operator/login" && gen === state.gen) {
          loggedOut("登录已失效，请重新登录。");
        }
        throw err;
      });
  }

  function path(id, tail) { return "/api/operator/conversations/" + encodeURIComponent(id) + (tail || ""); }

  /* ---------------------------------------------------------------- formatting -------------- */
  function note(node, message, kind) {
    node.textContent = message || "";
    node.classList.toggle("is-error", kind === "error");
    node.classList.toggle("is-ok", kind === "ok");
    show(node, !!message);
  }

  function duration(seconds) {
    var s = Math.max(0, Math.round(Number(seconds) || 0));
    if (s < 60) return s + "秒";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "分" + (s % 60 < 10 ? "0" : "") + (s % 60) + "秒";
    return Math.floor(m / 60) + "小时" + (m % 60) + "分";
  }

  function clock(iso) {
    var d = new Date(iso && !/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso + "Z" : iso);
    if (isNaN(d.getTime())) return "";
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function percent(confidence) {
    if (confidence === null || confidence === undefined || confidence === "") return "";
    var n = Number(confidence);
    if (isNaN(n)) return "";
    return "置信度 " + Math.round(n * 100) + "%";
  }

  function sourceLine(s) {
    return ["《" + (s.title || "未命名") + "》", s.doc_number, s.department, s.date].filter(Boolean).join(" ");
  }

  function renderSources(box, sources, open) {
    if (!sources || !sources.length) return;
    var details = el("details", "gc-sources");
    if (open) details.open = true;
    details.appendChild(el("summary", null, "来源（" + sources.length + "）"));
    var list = el("ul");
    sources.forEach(function (s) {
      var item = el("li", null, sourceLine(s));
      if (s.snippet) item.title = s.snippet;
      list.appendChild(item);
    });
    details.appendChild(list);
    box.appendChild(details);
  }

  /* ---------------------------------------------------------------- login / logout ---------- */
  function showView(name) {
    var loggedIn = name !== "login";
    show($("login-view"), !loggedIn);
    show($("tabs"), loggedIn);
    show($("user-box"), loggedIn);
    show($("chat-view"), name === "chat");
    show($("phone-view"), name === "phone");
    $("tab-chat").setAttribute("aria-selected", String(name === "chat"));
    $("tab-phone").setAttribute("aria-selected", String(name === "phone"));
    var assist = $("assist");
    var slot = name === "phone" ? $("assist-slot-phone") : $("assist-slot-chat");
    if (assist.parentNode !== slot) slot.appendChild(assist);
  }

  function stopTimers() {
    clearTimeout(state.queueTimer);
    clearTimeout(state.historyTimer);
    clearTimeout(state.assistTimer);
  }

  function loggedOut(message) {
    state.gen += 1;
    state.csrf = null;
    state.user = null;
    show($("metrics"), false);
    stopTimers();
    closeConversation();
    clear($("queue-list"));
    resetAssist();
    showView("login");
    note($("login-error"), message || "", message ? "error" : null);
    $("login-pass").value = "";
    $("login-user").focus();
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var username = $("login-user").value.trim();
    var password = $("login-pass").value;
    if (!username || !password) { note($("login-error"), "请输入用户名和密码。", "error"); return; }
    $("login-submit").disabled = true;
    note($("login-error"), "");
    api("POST", "/api/operator/login", { username: username, password: password })
      .then(function (data) {
        var role = data.user && data.user.role;
        if (role !== "operator" && role !== "supervisor") {
          throw new ApiError(403, "该账号不是坐席或班长账号，不能使用坐席工作台。");
        }
        state.gen += 1;
        state.csrf = data.csrf_token;
        state.user = data.user;
        $("login-pass").value = "";
        $("who").textContent = data.user.username + "（" + (role === "supervisor" ? "班长" : "坐席") +
          (data.user.department ? " · " + data.user.department : "") + "）";
        showView("chat");
        pollQueue(state.gen);
      })
      .catch(function (err) { note($("login-error"), err.message, "error"); })
      .then(function () { $("login-submit").disabled = false; });
  });

  $("logout").addEventListener("click", function () { loggedOut("已退出登录。"); });

  $("tab-chat").addEventListener("click", function () { showView("chat"); });
  $("tab-phone").addEventListener("click", function () { showView("phone"); $("assist-text").focus(); });

  /* ---------------------------------------------------------------- queue ------------------- */
  var queueItems = {};

  function queueItem(id) {
    if (queueItems[id]) return queueItems[id];
    var li = el("li");
    var b = button(null, "gc-queue-item");
    b.addEventListener("click", function () { openConversation(id); });
    var top = el("div", "gc-qi-top");
    var name = el("span", "gc-qi-id", id);
    var badge = el("span", "gc-badge");
    top.appendChild(name); top.appendChild(badge);
    var meta = el("div", "gc-qi-meta");
    var wait = el("div", "gc-qi-wait");
    b.appendChild(top); b.appendChild(meta); b.appendChild(wait);
    li.appendChild(b);
    queueItems[id] = { li: li, button: b, badge: badge, meta: meta, wait: wait };
    return queueItems[id];
  }

  function renderQueue(list) {
    var node = $("queue-list");
    var keep = {};
    var waiting = 0;
    list.forEach(function (c, index) {
      keep[c.id] = true;
      if (c.status === "waiting") waiting += 1;
      var item = queueItem(c.id);
      item.badge.textContent = STATUS[c.status] || c.status;
      item.badge.className = "gc-badge is-" + c.status;
      item.meta.textContent = [c.department || "未分配部门", CHANNEL[c.channel] || c.channel].join(" · ");
      item.wait.textContent = (c.status === "waiting" ? "已等待 " : "转人工后 ") + duration(c.waiting_seconds) +
        (c.status === "human" && c.operator ? " · 坐席 " + c.operator : "");
      var selected = c.id === state.conv;
      item.button.classList.toggle("is-selected", selected);
      if (selected) item.button.setAttribute("aria-current", "true"); else item.button.removeAttribute("aria-current");
      if (node.children[index] !== item.li) node.insertBefore(item.li, node.children[index] || null);
      if (selected) syncFromQueue(c);
    });
    Object.keys(queueItems).forEach(function (id) {
      if (!keep[id]) { queueItems[id].li.remove(); delete queueItems[id]; }
    });
    $("queue-count").textContent = list.length ? "排队 " + waiting + " · 服务中 " + (list.length - waiting) : "";
    show($("queue-empty"), !list.length);
    if (state.conv && !keep[state.conv]) conversationLeftQueue();
  }

  /* Supervisors: live numbers over every queue. */
  function renderMetrics(m) {
    var box = $("metrics");
    if (!m) return;
    clear(box);
    [["排队", m.waiting], ["最长等待", duration(m.longest_wait_seconds)], ["服务中", m.human],
     ["今日已接待", m.handled_today]].forEach(function (pair) {
      var cell = el("div", "gc-metric");
      cell.appendChild(el("span", "gc-metric-value", String(pair[1])));
      cell.appendChild(el("span", "gc-muted", pair[0]));
      box.appendChild(cell);
    });
    show(box, true);
  }

  function pollQueue(gen) {
    if (gen !== state.gen) return;
    clearTimeout(state.queueTimer);
    api("GET", "/api/operator/queue")
      .then(function (list) {
        if (gen !== state.gen) return;
        note($("queue-error"), "");
        renderQueue(list || []);
        if (state.user && state.user.role === "supervisor") return api("GET", "/api/operator/metrics").then(renderMetrics);
      }, function (err) {
        if (gen === state.gen) note($("queue-error"), "队列刷新失败：" + err.message, "error");
      })
      .then(function () {
        if (gen === state.gen) state.queueTimer = setTimeout(function () { pollQueue(gen); }, QUEUE_MS);
      });
  }

  /* ---------------------------------------------------------------- conversation ------------ */
  function mine() {
    return !!(state.info && state.user && state.info.status === "human" && state.info.operator === state.user.username);
  }

  function renderHead() {
    var info = state.info;
    if (!info) return;
    $("conv-id").textContent = state.conv;
    var badge = $("conv-status");
    badge.textContent = STATUS[info.status] || info.status;
    badge.className = "gc-badge is-" + info.status;
    var meta = [CHANNEL[info.channel] || info.channel || "", info.department ? "部门：" + info.department : "未分配部门"];
    if (info.status === "human" && info.operator) meta.push(mine() ? "由我接手" : "接手坐席：" + info.operator);
    $("conv-meta").textContent = meta.filter(Boolean).join(" · ");
    $("btn-claim").disabled = mine();
    $("btn-release").disabled = !mine();
    $("send-btn").disabled = !mine();
    $("send-text").placeholder = mine() ? "输入回复，Enter 发送，Shift+Enter 换行"
                                        : "接手会话后可向市民发送消息（可先在此编辑）";
  }

  function syncFromQueue(c) {
    if (!state.info) return;
    state.missing = false;
    if (state.info.status !== c.status || state.info.operator !== c.operator || state.info.department !== c.department) {
      state.info.status = c.status; state.info.operator = c.operator; state.info.department = c.department;
      renderHead();
    }
  }

  function conversationLeftQueue() {
    // released to the bot, or transferred to another department: ask once what it is now
    if (!state.info || state.missing || state.info.status === "bot") return;
    state.missing = true;
    loadPacket(state.epoch, true);
  }

  function renderPacket(p) {
    $("pk-summary").textContent = p.summary || "";
    var slots = $("pk-slots");
    clear(slots);
    var s = p.slots || {};
    [["咨询事项", s.service], ["联系电话", s.phone], ["工单类型", WO_TYPE[s.work_order_type] || s.work_order_type]]
      .forEach(function (pair) {
        slots.appendChild(el("dt", null, pair[0]));
        slots.appendChild(el("dd", null, pair[1] || "—"));
      });
    var dept = $("pk-dept");
    clear(dept);
    dept.appendChild(el("strong", null, "建议部门："));
    if (p.suggested_department) {
      dept.appendChild(el("span", "gc-dept-name", p.suggested_department.name));
      if (p.suggested_department.reason) dept.appendChild(el("span", "gc-muted", "（" + p.suggested_department.reason + "）"));
      $("transfer-dept").placeholder = p.suggested_department.name;
    } else {
      dept.appendChild(el("span", "gc-muted", "暂无"));
    }
    var answers = $("pk-answers");
    clear(answers);
    answers.appendChild(el("h3", null, "机器人已给出的答案（" + (p.answers || []).length + "）"));
    if (!p.answers || !p.answers.length) answers.appendChild(el("p", "gc-muted", "机器人尚未给出带来源的答案。"));
    (p.answers || []).forEach(function (a) {
      var box = el("div", "gc-answer");
      var head = el("div", "gc-answer-head");
      head.appendChild(el("span", null, clock(a.time)));
      var conf = percent(a.confidence);
      if (conf) head.appendChild(el("span", "gc-conf", conf));
      box.appendChild(head);
      box.appendChild(el("div", "gc-answer-text", a.text));
      renderSources(box, a.sources);
      answers.appendChild(box);
    });
    // prefill the work order from what the citizen gave
    if (!$("wo-phone").value && s.phone) $("wo-phone").value = s.phone;
    if (s.work_order_type && WO_TYPE[s.work_order_type]) $("wo-type").value = s.work_order_type;
  }

  function loadPacket(epoch, quiet) {
    var id = state.conv;
    return api("GET", path(id)).then(function (p) {
      if (epoch !== state.epoch) return;
      state.info = { status: p.status, operator: p.operator || "", department: p.department || "", channel: p.channel };
      renderHead();
      renderPacket(p);
      (p.transcript || []).forEach(addMessage);
      if (quiet && p.status === "bot") note($("conv-msg"), "该会话已结束人工服务，由智能助手继续服务。");
    }, function (err) {
      if (epoch !== state.epoch) return;
      note($("conv-msg"), (quiet ? "该会话已不在您的队列中：" : "资料包加载失败：") + err.message, "error");
    });
  }

  function closeConversation() {
    state.epoch += 1;
    state.conv = null; state.info = null; state.lastSeq = 0; state.seen = {}; state.missing = false;
    clearTimeout(state.historyTimer);
    show($("conv"), false);
    show($("conv-empty"), true);
  }

  function openConversation(id) {
    if (state.conv === id) return;
    closeConversation();
    var epoch = state.epoch;
    state.conv = id;
    Object.keys(queueItems).forEach(function (key) {
      queueItems[key].button.classList.toggle("is-selected", key === id);
      if (key === id) queueItems[key].button.setAttribute("aria-current", "true");
      else queueItems[key].button.removeAttribute("aria-current");
    });
    clear($("chat-log"));
    ["pk-summary", "pk-dept"].forEach(function (k) { $(k).textContent = ""; });
    clear($("pk-slots")); clear($("pk-answers"));
    note($("conv-msg"), "");
    show($("transfer-form"), false);
    show($("wo-form"), false);
    $("wo-form").reset();
    note($("wo-result"), "");
    $("send-text").value = "";
    $("conv-id").textContent = id;
    $("conv-status").textContent = "加载中……";
    $("conv-status").className = "gc-badge";
    $("conv-meta").textContent = "";
    show($("conv-empty"), false);
    show($("conv"), true);
    loadPacket(epoch).then(function () { pollHistory(epoch); });
  }

  function shownText(m) {
    var match = m.role === "citizen" && /^\/([a-z_]+)/.exec(m.text || "");
    if (match) return "［点击按钮：" + (PAYLOAD[match[1]] || match[1]) + "］";
    return m.text;
  }

  function addMessage(m) {
    if (!m || state.seen[m.seq]) return;
    state.seen[m.seq] = true;
    state.lastSeq = Math.max(state.lastSeq, m.seq);
    var log = $("chat-log");
    var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    var box = el("div", "gc-msg is-" + m.role);
    box.setAttribute("data-seq", String(m.seq));
    var head = el("div", "gc-msg-head");
    head.appendChild(el("span", "gc-who", ROLE[m.role] || m.role));
    head.appendChild(el("span", "gc-time", clock(m.time)));
    var conf = m.role === "bot" ? percent(m.confidence) : "";
    if (conf) head.appendChild(el("span", "gc-conf", conf));
    box.appendChild(head);
    box.appendChild(el("div", "gc-msg-text", shownText(m)));
    renderSources(box, m.sources);
    if (m.role === "citizen" && m.text && m.text.charAt(0) !== "/") {
      var help = button("辅助", "gc-link");
      help.title = "用这句话查询坐席辅助建议";
      help.addEventListener("click", function () { $("assist-text").value = m.text; runAssist(); });
      head.appendChild(help);
    }
    var after = null;
    for (var i = 0; i < log.children.length; i++) {
      if (Number(log.children[i].getAttribute("data-seq")) > m.seq) { after = log.children[i]; break; }
    }
    log.insertBefore(box, after);
    if (atBottom || m.role === "operator") log.scrollTop = log.scrollHeight;
  }

  function pollHistory(epoch) {
    if (epoch !== state.epoch) return;
    clearTimeout(state.historyTimer);
    var id = state.conv;
    api("GET", "/api/chat/" + encodeURIComponent(id) + "/history?after=" + state.lastSeq)
      .then(function (data) {
        if (epoch === state.epoch) ((data && data.messages) || []).forEach(addMessage);
      }, function () { /* a missed poll: the next one catches up */ })
      .then(function () {
        if (epoch === state.epoch) state.historyTimer = setTimeout(function () { pollHistory(epoch); }, HISTORY_MS);
      });
  }

  function act(buttonNode, request, done) {
    var epoch = state.epoch;
    buttonNode.disabled = true;
    return request().then(function (data) {
      if (epoch === state.epoch) done(data);
    }, function (err) {
      if (epoch !== state.epoch) return;
      note($("conv-msg"), err.message, "error");
      if (err.status === 409 || err.status === 403) loadPacket(epoch, false);
    }).then(function () { buttonNode.disabled = false; renderHead(); });  // renderHead re-decides 接手/结束人工
  }

  $("btn-claim").addEventListener("click", function () {
    var id = state.conv;
    act($("btn-claim"), function () { return api("POST", path(id, "/claim")); }, function (data) {
      state.info.status = "human"; state.info.operator = data.operator;
      note($("conv-msg"), "已接手该会话，现在可以与市民对话。", "ok");
      renderHead();
      $("send-text").focus();
      kickHistory();
    });
  });

  $("btn-release").addEventListener("click", function () {
    var id = state.conv;
    // seen_seq: a message the citizen sent that this page has not shown yet stops the release (409)
    act($("btn-release"), function () { return api("POST", path(id, "/release"), { seen_seq: state.lastSeq }); },
      function () {
        state.info.status = "bot"; state.info.operator = "";
        note($("conv-msg"), "已结束人工服务，会话交还智能助手。", "ok");
        kickHistory();
      });
  });

  $("btn-transfer").addEventListener("click", function () {
    var form = $("transfer-form");
    show(form, form.hidden);
    if (!form.hidden) $("transfer-dept").focus();
  });
  $("transfer-cancel").addEventListener("click", function () { show($("transfer-form"), false); });
  $("transfer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = state.conv;
    var department = $("transfer-dept").value.trim() || $("transfer-dept").placeholder;
    if (!department || department.indexOf("如：") === 0) { note($("conv-msg"), "请填写要转交的部门。", "error"); return; }
    act($("btn-transfer"), function () { return api("POST", path(id, "/transfer"), { department: department }); },
      function (data) {
        state.info.status = "waiting"; state.info.operator = ""; state.info.department = data.department;
        show($("transfer-form"), false);
        $("transfer-dept").value = "";
        note($("conv-msg"), "已转交至" + data.department + "，会话重新排队。", "ok");
      });
  });

  $("btn-workorder").addEventListener("click", function () {
    var form = $("wo-form");
    show(form, form.hidden);
    if (!form.hidden) {
      if (!$("wo-content").value) {
        var asked = [];
        Array.prototype.forEach.call($("chat-log").querySelectorAll(".gc-msg.is-citizen .gc-msg-text"), function (n) {
          if (n.textContent.charAt(0) !== "［") asked.push(n.textContent);
        });
        $("wo-content").value = asked.join("\n").slice(0, 4000);
      }
      $("wo-content").focus();
    }
  });
  $("wo-cancel").addEventListener("click", function () { show($("wo-form"), false); });
  $("wo-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = state.conv;
    var body = { type: $("wo-type").value, content: $("wo-content").value.trim(), address: $("wo-address").value.trim(),
                 phone: $("wo-phone").value.trim(), callback: $("wo-callback").checked };
    if (body.content.length < 2) { note($("wo-result"), "请填写工单内容（至少2个字）。", "error"); return; }
    var epoch = state.epoch;
    $("wo-submit").disabled = true;
    note($("wo-result"), "");
    api("POST", "/api/operator/workorders?conversation_id=" + encodeURIComponent(id || ""), body)
      .then(function (data) {
        if (epoch !== state.epoch) return;
        note($("wo-result"), "工单已创建，编号 " + data.tracking_number + "，派往 " + data.department + "。", "ok");
        $("wo-result").setAttribute("data-tracking", data.tracking_number);
      }, function (err) {
        if (epoch === state.epoch) note($("wo-result"), "工单创建失败：" + err.message, "error");
      })
      .then(function () { $("wo-submit").disabled = false; });
  });

  function kickHistory() { pollHistory(state.epoch); }

  $("send-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("send-text").value.trim();
    if (!text || !state.conv) return;
    if (!mine()) { note($("conv-msg"), "请先接手该会话，再向市民发送消息。", "error"); return; }
    var id = state.conv;
    var epoch = state.epoch;
    $("send-btn").disabled = true;
    api("POST", path(id, "/messages"), { text: text })
      .then(function () {
        if (epoch !== state.epoch) return;
        if ($("send-text").value.trim() === text) $("send-text").value = "";
        kickHistory();
      }, function (err) {
        if (epoch !== state.epoch) return;
        note($("conv-msg"), "发送失败：" + err.message, "error");
        if (err.status === 409) loadPacket(epoch, false);
      })
      .then(function () { renderHead(); });
  });
  $("send-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); $("send-form").requestSubmit(); }
  });

  /* ---------------------------------------------------------------- agent assist ------------ */
  function resetAssist() {
    state.assistSeq += 1;
    $("assist-text").value = "";
    clear($("assist-list"));
    clear($("assist-dept"));
    show($("assist-dept"), false);
    note($("assist-msg"), "");
  }

  function insert(text) {
    var box = $("send-text");
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" + text : text;
    var where = $("chat-view").hidden ? "（切换到“在线会话”即可发送）" : "";
    note($("assist-msg"), state.conv ? "已插入回复框" + where + "，请核对后发送。"
                                     : "已插入回复框；打开一个会话后即可发送。", "ok");
    if (!$("chat-view").hidden) box.focus();
  }

  function renderAssist(data) {
    var list = $("assist-list");
    clear(list);
    var dept = $("assist-dept");
    clear(dept);
    if (data.department && data.department.name) {
      dept.appendChild(el("strong", null, "建议派单："));
      dept.appendChild(el("span", "gc-dept-name", data.department.name));
      if (data.department.reason) dept.appendChild(el("div", "gc-muted", data.department.reason));
      show(dept, true);
    } else {
      show(dept, false);
    }
    var suggestions = (data.suggestions || []).slice(0, 3);
    note($("assist-msg"), suggestions.length ? "" : "知识库中没有找到合适的答案，请按规范答复或转交相关部门。");
    var missing = button("报告知识缺失", "gc-flag");
    missing.setAttribute("data-testid", "flag-missing");
    missing.addEventListener("click", function () { flag("missing", null, missing); });
    var row = el("li", "gc-flag-row");
    row.appendChild(missing);
    list.appendChild(row);
    suggestions.forEach(function (s, i) {
      var li = el("li", "gc-suggestion");
      var head = el("div", "gc-suggestion-head");
      head.appendChild(el("span", "gc-rank", "建议 " + (i + 1)));
      var conf = percent(s.confidence);
      if (conf) head.appendChild(el("span", "gc-conf", conf));
      var use = button("插入", "gc-insert");
      use.setAttribute("aria-label", "把建议 " + (i + 1) + " 插入回复框");
      use.addEventListener("click", function () { insert(s.answer); });
      head.appendChild(use);
      var wrong = button("答案有误", "gc-flag");
      wrong.setAttribute("data-testid", "flag-wrong-" + (i + 1));
      wrong.addEventListener("click", function () {
        flag("wrong", s.sources && s.sources.length ? s.sources[0].id : null, wrong);
      });
      head.appendChild(wrong);
      li.appendChild(head);
      li.appendChild(el("div", "gc-suggestion-text", s.answer));
      renderSources(li, s.sources, true);
      list.appendChild(li);
    });
  }

  /* An operator's "wrong / missing" report lands in the policy owners' knowledge-gaps inbox. */
  function flag(kind, itemId, btn) {
    var question = state.assistAsked || "";
    if (!question) return;
    btn.disabled = true;
    api("POST", "/api/operator/flags", { question: question, kind: kind, item_id: itemId, note: "" })
      .then(function () { btn.textContent = "已报告"; note($("assist-msg"), "已报告给知识管理部门，谢谢。", "ok"); },
            function (err) { btn.disabled = false; note($("assist-msg"), "报告失败：" + err.message, "error"); });
  }

  function runAssist() {
    clearTimeout(state.assistTimer);
    var text = $("assist-text").value.trim();
    if (!text) { note($("assist-msg"), "请先输入市民说的话。", "error"); return; }
    var seq = ++state.assistSeq;
    state.assistAsked = text.slice(0, 1000);
    $("assist-submit").disabled = true;
    note($("assist-msg"), "正在查询……");
    api("POST", "/api/assist", { text: text.slice(0, 1000) })
      .then(function (data) { if (seq === state.assistSeq) renderAssist(data || {}); },
            function (err) { if (seq === state.assistSeq) note($("assist-msg"), "查询失败：" + err.message, "error"); })
      .then(function () { $("assist-submit").disabled = false; });
  }

  $("assist-form").addEventListener("submit", function (event) { event.preventDefault(); runAssist(); });
  $("assist-text").addEventListener("input", function () {
    clearTimeout(state.assistTimer);
    if ($("assist-text").value.trim().length >= 2) state.assistTimer = setTimeout(runAssist, ASSIST_DELAY_MS);
  });
  $("assist-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); runAssist(); }
  });
  $("assist-clear").addEventListener("click", function () { resetAssist(); $("assist-text").focus(); });

  showView("login");
  $("login-user").focus();
})();
