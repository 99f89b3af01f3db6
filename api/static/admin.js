/* govbot policy-owner console: the shared core (helpers, HTTP, login, tabs, the hash router).
 * No build step, no dependencies. The page areas live in admin-*.js and register themselves on
 * window.GovAdmin; everything starts on DOMContentLoaded, after all of them have loaded.
 * Session: the login sets an HttpOnly cookie; the CSRF token lives only in this page's memory
 * (GET /api/admin/me gives it back after a reload) and goes out as X-CSRF-Token on unsafe requests.
 * Everything from the server (content written by staff, citizens' questions) is rendered as text,
 * never as markup. */
(function () {
  "use strict";
  var A = window.GovAdmin = {};

  /* ---------------------------------------------------------------- vocabulary -------------- */
  A.KINDS = [["qa", "政策问答"], ["guide", "办事指南"], ["document", "政策文件"], ["hotline", "部门目录"]];
  A.KIND_LABEL = {};
  A.KINDS.forEach(function (k) { A.KIND_LABEL[k[0]] = k[1]; });
  A.STATUSES = [["draft", "草稿"], ["submitted", "待审核"], ["published", "已发布"], ["abolished", "已废止"]];
  A.STATUS_LABEL = {};
  A.STATUSES.forEach(function (s) { A.STATUS_LABEL[s[0]] = s[1]; });
  A.ROLE_LABEL = { editor: "编辑", reviewer: "审核人", admin: "管理员", supervisor: "班长" };

  // Each kind's fields, as in knowledge/content.py (English key, Chinese label, how it is edited:
  // line = one line, text = several lines, list = one value per line).
  A.FIELDS = {
    qa: [["question", "问题", "line"], ["similar", "相似问法", "list"], ["answer", "答案", "text"],
         ["source_document", "来源文件", "line"]],
    guide: [["name", "事项名称", "line"], ["target", "办理对象", "text"], ["conditions", "受理条件", "text"],
            ["materials", "所需材料", "text"], ["process", "办理流程", "text"], ["time_limit", "办理时限", "line"],
            ["fee", "收费标准", "line"], ["location", "办理地点", "text"], ["phone", "咨询电话", "line"],
            ["complaint_phone", "监督投诉电话", "line"], ["legal_basis", "法律依据", "text"]],
    document: [["text", "正文", "text"], ["issuing_body", "发文机关", "line"]],
    hotline: [["handles", "职责范围", "text"], ["keywords", "关键词", "list"], ["hours", "工作时间", "line"],
              ["phone", "联系电话", "line"], ["address", "地址", "line"]]
  };
  A.REQUIRED = { qa: ["question", "answer"], guide: ["name"], document: ["text"], hotline: ["handles"] };

  // Request fields named in validation errors (FastAPI's 422 lists), in Chinese.
  var FIELD = { username: "用户名", password: "密码", kind: "类型", fields: "字段", title: "标题", department: "部门",
                region: "地区", effective_date: "生效日期", expiry_date: "失效日期", source: "来源", doc_number: "文号",
                doc_date: "发文日期", version: "版本号", comment: "修改意见", reason: "废止原因",
                successor_id: "替代条目编号", question: "问题", item_id: "应答条目编号", file: "文件",
                since: "起始日期", until: "截止日期", limit: "条数", offset: "起始位置", q: "关键词",
                page: "页码", size: "每页条数", a: "版本甲", b: "版本乙", days: "时间范围", weeks: "统计周数",
                expiring_days: "到期天数", status: "状态", confirm: "确认" };

  A.state = { user: null, csrf: null, gen: 0 };

  /* ---------------------------------------------------------------- DOM helpers ------------- */
  function $(id) { return document.getElementById(id); }
  A.$ = $;

  A.el = function (tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  A.clear = function (node) { while (node.firstChild) node.removeChild(node.firstChild); };

  A.show = function (node, on) { node.hidden = !on; };

  A.button = function (text, cls, testid) {
    var b = A.el("button", cls, text);
    b.type = "button";
    if (testid) b.setAttribute("data-testid", testid);
    return b;
  };

  /** A message line: kind is "error", "ok" or nothing (information); an empty message hides it. */
  A.note = function (node, message, kind) {
    node.textContent = message || "";
    node.classList.toggle("is-error", kind === "error");
    node.classList.toggle("is-ok", kind === "ok");
    A.show(node, !!message);
  };

  /** A table cell; `label` names the column on narrow screens, where rows become cards. */
  A.cell = function (tr, label, content, cls) {
    var td = A.el("td", cls);
    td.setAttribute("data-label", label);
    if (content instanceof Node) td.appendChild(content);
    else if (content !== undefined && content !== null) td.textContent = String(content);
    tr.appendChild(td);
    return td;
  };

  A.emptyRow = function (tbody, columns, text) {
    var tr = A.el("tr", "ga-empty-row");
    var td = A.el("td", null, text);
    td.colSpan = columns;
    tr.appendChild(td);
    tbody.appendChild(tr);
  };

  A.badge = function (status, label) {
    return A.el("span", "ga-badge is-" + status, label || A.STATUS_LABEL[status] || status);
  };

  A.fillSelect = function (select, pairs) {
    pairs.forEach(function (p) {
      var option = A.el("option", null, p[1]);
      option.value = p[0];
      select.appendChild(option);
    });
  };

  /* ---------------------------------------------------------------- formatting -------------- */
  function two(n) { return (n < 10 ? "0" : "") + n; }

  function parseTime(iso) {
    if (!iso) return null;
    var text = String(iso);
    if (/^\d{4}-\d\d-\d\d[T ]\d/.test(text) && !/[zZ]|[+-]\d\d:?\d\d$/.test(text)) text = text.replace(" ", "T") + "Z";
    var d = new Date(text);
    return isNaN(d.getTime()) ? null : d;
  }

  /** "2024-05-01 14:03" in the browser's time zone (the server stores UTC). */
  A.time = function (iso) {
    var d = parseTime(iso);
    if (!d) return iso ? String(iso) : "";
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes());
  };

  A.percent = function (rate) {
    if (rate === null || rate === undefined || rate === "") return "—";
    var n = Number(rate);
    return isNaN(n) ? "—" : (Math.round(n * 1000) / 10) + "%";
  };

  /* A message for the next view of one item (e.g. "saved" after the editor goes back to it). */
  var pending = null;
  A.setPending = function (id, message, kind) { pending = { id: id, message: message, kind: kind }; };
  A.takePending = function (id) {
    var p = pending && pending.id === id ? pending : null;
    pending = null;
    return p;
  };

  A.count = function (value) { return Array.isArray(value) ? value.length : Number(value) || 0; };

  A.query = function (params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value === undefined || value === null || value === "" || value === false) return;
      parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value === true ? "1" : value));
    });
    return parts.length ? "?" + parts.join("&") : "";
  };

  /* ---------------------------------------------------------------- HTTP ------------------- */
  function ApiError(status, message, data) { this.status = status; this.message = message; this.data = data || {}; }
  A.ApiError = ApiError;

  function detailText(detail) {
    if (typeof detail === "string") return /[\u4e00-\u9fa5]/.test(detail) ? detail : "";  // only Chinese reasons
    if (Array.isArray(detail)) {
      var named = detail.map(function (d) {
        var loc = (d && d.loc) || [];
        var name = loc[loc.length - 1];
        if (typeof name === "number") name = loc[loc.length - 2];
        return FIELD[name] ? "「" + FIELD[name] + "」" : "";
      }).filter(Boolean);
      return named.length ? "请检查" + named.join("、") + "的填写格式" : "";
    }
    return "";
  }

  A.describe = function (status, data) {
    var detail = detailText(data && data.detail);
    if (status === 401) return detail || "登录已失效，请重新登录。";
    if (status === 403) return detail ? "无权执行此操作：" + detail : "无权执行此操作。";
    if (status === 404) return detail || "要找的内容不存在（或该功能尚未开放）。";
    if (status === 409) return detail || "操作冲突：内容已被他人修改，请刷新后重试。";
    if (status === 413) return "文件太大，请拆分后再上传。";
    if (status === 422) return detail || "输入内容不符合要求，请检查后重试。";
    if (status === 429) return "操作过于频繁，请稍后再试。";
    if (status >= 500) return "服务暂时不可用（" + status + "），请稍后再试。";
    return detail || "请求失败（" + status + "）。";
  };

  function request(method, path, body, isForm) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
    if (method !== "GET" && A.state.csrf) headers["X-CSRF-Token"] = A.state.csrf;
    var gen = A.state.gen;
    var payload = body === undefined ? undefined : isForm ? body : JSON.stringify(body);
    return fetch(path, { method: method, headers: headers, credentials: "same-origin", cache: "no-store",
                         body: payload })
      .then(function (r) {
        return r.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
          if (r.ok) return data;
          throw new ApiError(r.status, A.describe(r.status, data), data);
        });
      }, function () {
        throw new ApiError(0, "网络连接失败，请检查网络后重试。");
      })
      .catch(function (err) {
        if (err instanceof ApiError && err.status === 401 && path !== "/api/admin/login" && gen === A.state.gen &&
            A.state.user) {
          loggedOut("登录已失效，请重新登录。");
        }
        throw err;
      });
  }

  A.api = function (method, path, body) { return request(method, path, body, false); };
  A.upload = function (path, form) { return request("POST", path, form, true); };

  /* ---------------------------------------------------------------- roles ------------------- */
  var TAB_ROLES = {
    items: ["editor", "reviewer", "admin"],
    "import": ["editor", "reviewer", "admin"],
    gold: ["editor", "reviewer", "admin"],
    gaps: ["editor", "reviewer", "admin", "supervisor"],
    analytics: ["editor", "reviewer", "admin", "supervisor"],
    audit: ["reviewer", "admin", "supervisor"]
  };
  function role() { return A.state.user ? A.state.user.role : ""; }
  A.role = role;
  A.isAdmin = function () { return role() === "admin"; };
  A.canEdit = function () { return ["editor", "reviewer", "admin"].indexOf(role()) >= 0; };
  A.canReview = function () { return role() === "reviewer" || role() === "admin"; };
  /** Admins and supervisors see every department and may pick one; the others see their own. */
  A.seesAllDepartments = function () { return role() === "admin" || role() === "supervisor"; };
  A.mayUse = function (tab) { return (TAB_ROLES[tab] || []).indexOf(role()) >= 0; };

  /* ---------------------------------------------------------------- router ------------------ */
  // name -> {tab, view, enter(arg)}; registered by the page areas.
  var routes = {};
  var current = null;
  var flashKeep = false;

  A.route = function (name, spec) { routes[name] = spec; };

  /** A message at the top of the page; `keep`: it survives the next navigation. */
  A.flash = function (message, kind, keep) {
    A.note($("flash"), message, kind);
    flashKeep = !!keep;
  };

  A.go = function (hash) {
    if (location.hash === hash) dispatch();
    else location.hash = hash;
  };

  function firstTab() {
    return ["items", "gaps", "analytics", "audit"].filter(A.mayUse)[0] || "analytics";
  }

  function dispatch() {
    if (!A.state.user) return;
    var hash = (location.hash || "").replace(/^#/, "");
    var parts = hash.split("/");
    var spec = routes[parts[0]];
    if (!spec || !A.mayUse(spec.tab)) {
      var home = "#" + firstTab();
      if (location.hash !== home) { location.hash = home; return; }
      spec = routes[firstTab()];
      parts = [firstTab()];
    }
    if (!flashKeep) A.note($("flash"), "");
    flashKeep = false;
    if (current && current.leave && current !== spec) current.leave();
    current = spec;
    Array.prototype.forEach.call(document.querySelectorAll(".ga-view"), function (view) {
      A.show(view, view.id === spec.view);
    });
    Array.prototype.forEach.call(document.querySelectorAll("#tabs [data-tab]"), function (tab) {
      tab.setAttribute("aria-selected", String(tab.getAttribute("data-tab") === spec.tab));
    });
    spec.enter(decodeURIComponent(parts.slice(1).join("/")));
  }

  window.addEventListener("hashchange", dispatch);

  /* ---------------------------------------------------------------- login / logout ---------- */
  function showLogin(message, kind) {
    A.show($("boot-view"), false);
    A.show($("app"), false);
    A.show($("tabs"), false);
    A.show($("user-box"), false);
    A.show($("login-view"), true);
    A.note($("login-error"), message || "", kind || (message ? "error" : null));
    $("login-pass").value = "";
    $("login-user").focus();
  }

  function loggedOut(message, kind) {
    A.state.gen += 1;
    A.state.csrf = null;
    A.state.user = null;
    if (current && current.leave) current.leave();
    current = null;
    showLogin(message, kind);
  }

  function loggedIn(user, csrf) {
    A.state.gen += 1;
    A.state.user = user;
    A.state.csrf = csrf;
    $("who").textContent = user.username + "（" + (A.ROLE_LABEL[user.role] || user.role) +
      (user.department ? " · " + user.department : "") + "）";
    Array.prototype.forEach.call(document.querySelectorAll("#tabs [data-tab]"), function (tab) {
      A.show(tab, A.mayUse(tab.getAttribute("data-tab")));
    });
    (A.onLogin || []).forEach(function (fn) { fn(user); });
    A.show($("boot-view"), false);
    A.show($("login-view"), false);
    A.show($("tabs"), true);
    A.show($("user-box"), true);
    A.show($("app"), true);
    dispatch();
  }
  A.onLogin = [];  // page areas adapt to the role here

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var username = $("login-user").value.trim();
    var password = $("login-pass").value;
    if (!username || !password) { A.note($("login-error"), "请输入用户名和密码。", "error"); return; }
    $("login-submit").disabled = true;
    A.note($("login-error"), "");
    A.api("POST", "/api/admin/login", { username: username, password: password })
      .then(function (data) { loggedIn(data.user, data.csrf_token); },
            function (err) {
              var message = err.status === 401 ? (err.data && err.data.detail) || "用户名或密码错误。" : err.message;
              A.note($("login-error"), message, "error");
            })
      .then(function () { $("login-submit").disabled = false; });
  });

  $("logout").addEventListener("click", function () {
    A.api("POST", "/api/admin/logout").then(null, function () { /* gone already: fine */ })
      .then(function () { loggedOut("已退出登录。", "ok"); });
  });

  Array.prototype.forEach.call(document.querySelectorAll("#tabs [data-tab]"), function (tab) {
    tab.addEventListener("click", function () { A.go("#" + tab.getAttribute("data-tab")); });
  });

  function boot() {
    A.api("GET", "/api/admin/me").then(function (data) {
      if (data && data.user) loggedIn(data.user, data.csrf_token);
      else showLogin();
    }, function () { showLogin(); });
  }

  document.addEventListener("DOMContentLoaded", boot);
})();
