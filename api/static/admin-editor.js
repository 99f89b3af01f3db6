/* govbot policy-owner console: the item editor (new draft or a new version of an item).
 * Saves carry the version the editor started from; someone else's save in between gets a 409,
 * which is shown with a button to load the latest version. */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var $ = A.$;
  var ed = { id: null, kind: "qa", version: null, item: null, seq: 0 };
  var ITEM_INPUTS = { title: "ed-title", department: "ed-department", region: "ed-region", source: "ed-source",
                      doc_number: "ed-doc-number", doc_date: "ed-doc-date", effective_date: "ed-effective",
                      expiry_date: "ed-expiry" };

  function msg(message, kind) { A.note($("ed-msg"), message, kind); }

  function fieldInput(kind, spec) {
    var name = spec[0];
    var label = A.el("label", "ga-field ga-field-" + spec[2]);
    var required = (A.REQUIRED[kind] || []).indexOf(name) >= 0;
    var caption = A.el("span", null, spec[1]);
    if (required) caption.appendChild(A.el("span", "ga-required", "（提交审核时必填）"));
    if (spec[2] === "list") caption.appendChild(A.el("span", "ga-muted", "（每行一个）"));
    label.appendChild(caption);
    var input;
    if (spec[2] === "line") {
      input = A.el("input");
      input.maxLength = 1000;
    } else {
      input = A.el("textarea");
      input.rows = spec[2] === "list" ? 3 : name === "text" ? 12 : name === "answer" ? 6 : 3;
    }
    input.id = "ed-f-" + name;
    input.setAttribute("data-field", name);
    input.setAttribute("data-testid", "ed-f-" + name);
    label.appendChild(input);
    return label;
  }

  function buildFields(kind) {
    var box = $("ed-fields");
    A.clear(box);
    box.appendChild(A.el("h3", null, A.KIND_LABEL[kind] + "内容"));
    (A.FIELDS[kind] || []).forEach(function (spec) { box.appendChild(fieldInput(kind, spec)); });
  }

  function reset(kind) {
    ed.kind = kind;
    buildFields(kind);
    Object.keys(ITEM_INPUTS).forEach(function (key) { $(ITEM_INPUTS[key]).value = ""; });
    var dept = $("ed-department");
    dept.readOnly = !A.isAdmin();
    dept.required = A.isAdmin();
    dept.placeholder = A.isAdmin() ? "管理员新建时必须填写部门" : "";
    if (!A.isAdmin()) dept.value = (A.state.user && A.state.user.department) || "";
    msg("");
    A.show($("ed-reload"), false);
    $("ed-save").disabled = false;
  }

  function fill(item) {
    ed.item = item;
    ed.version = item.version;
    Object.keys(ITEM_INPUTS).forEach(function (key) {
      var value = item[key];
      $(ITEM_INPUTS[key]).value = value === null || value === undefined ? "" : String(value);
    });
    var fields = item.fields || {};
    if (item.title && (item.title === fields.question || item.title === fields.name)) {
      $("ed-title").value = "";  // derived from the question / name: follows it when that is edited
    }
    (A.FIELDS[item.kind] || []).forEach(function (spec) {
      var value = (item.fields || {})[spec[0]];
      $("ed-f-" + spec[0]).value = Array.isArray(value) ? value.join("\n")
        : value === undefined || value === null ? "" : String(value);
    });
    $("editor-title").textContent = "编辑 #" + item.id + " " + (item.title || "") + "（基于 v" + item.version + "）";
    var hint = item.status === "published" || item.live_version
      ? "保存后成为新的草稿版本；须提交审核并发布后才会生效，在此之前市民端仍使用线上版本。"
      : item.status === "submitted" ? "该条目正在等待审核；保存修改后会回到草稿状态，需要重新提交审核。"
      : "保存后仍为草稿，确认无误后请在条目页点“提交审核”。";
    $("editor-hint").textContent = hint;
    $("editor-back").href = "#item/" + item.id;
    if (item.status === "abolished") {
      msg("该条目已废止，不能再编辑。", "error");
      $("ed-save").disabled = true;
    }
  }

  function loadItem(id, message) {
    var seq = ++ed.seq;
    $("ed-save").disabled = true;
    $("ed-fieldset").disabled = true;  // nothing typed now would survive the load
    return A.api("GET", "/api/admin/items/" + encodeURIComponent(id)).then(function (item) {
      if (seq !== ed.seq) return;
      $("ed-fieldset").disabled = false;
      reset(item.kind);
      fill(item);
      if (message) msg(message, "ok");
      if (item.status !== "abolished") $("ed-save").disabled = false;
    }, function (err) {
      if (seq === ed.seq) msg("条目加载失败：" + err.message, "error");
    });
  }

  function enterNew(arg) {
    var kind = A.FIELDS[arg] ? arg : "qa";
    ed.seq += 1;
    ed.id = null; ed.version = null; ed.item = null;
    $("ed-fieldset").disabled = false;
    reset(kind);
    $("editor-title").textContent = "新建" + A.KIND_LABEL[kind];
    $("editor-hint").textContent = "保存后为草稿，不会用于答复市民；提交审核并由审核人发布后才会生效。";
    $("editor-back").href = "#items";
    var first = $("ed-fields").querySelector("input, textarea");
    if (first) first.focus();
  }

  function enterEdit(arg) {
    var id = parseInt(arg, 10);
    if (!id) { A.go("#items"); return; }
    ed.id = id;
    $("editor-title").textContent = "编辑 #" + id;
    $("editor-hint").textContent = "";
    msg("正在加载……");
    var pending = A.takePending(id);
    loadItem(id, pending && pending.message);
  }

  function collect() {
    var fields = {};
    (A.FIELDS[ed.kind] || []).forEach(function (spec) {
      var raw = $("ed-f-" + spec[0]).value;
      if (spec[2] === "list") {
        fields[spec[0]] = raw.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      } else {
        fields[spec[0]] = raw.trim();
      }
    });
    var body = { kind: ed.kind, fields: fields };
    Object.keys(ITEM_INPUTS).forEach(function (key) {
      var value = $(ITEM_INPUTS[key]).value.trim();
      body[key] = /date$/.test(key) ? (value || null) : value;
    });
    if (ed.id) body.version = ed.version;
    return body;
  }

  function check(body) {
    var f = body.fields;
    if (!body.title && !f.question && !f.name) {
      return ed.kind === "qa" ? "请填写问题。" : ed.kind === "guide" ? "请填写事项名称。" : "请填写标题。";
    }
    if (A.isAdmin() && !body.department) return "请填写所属部门。";
    if (body.effective_date && body.expiry_date && body.expiry_date <= body.effective_date) {
      return "失效日期必须晚于生效日期。";
    }
    return "";
  }

  $("editor-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = collect();
    var problem = check(body);
    if (problem) { msg(problem, "error"); return; }
    var id = ed.id;
    var seq = ed.seq;
    $("ed-save").disabled = true;
    msg("正在保存……");
    var saving = id ? A.api("PUT", "/api/admin/items/" + encodeURIComponent(id), body)
                    : A.api("POST", "/api/admin/items", body);
    saving.then(function (item) {
      if (seq !== ed.seq) return;
      var next = item.live_version ? "须提交审核并发布后才会替换线上的 v" + item.live_version + "。"
                                   : "确认无误后请点“提交审核”。";
      A.setPending(item.id, "已保存为草稿 v" + item.version + "，" + next, "ok");
      A.go("#item/" + item.id);
    }, function (err) {
      if (seq !== ed.seq) return;
      if (err.status === 409 && id) {
        msg(err.message + "。您本次的修改尚未保存：可先复制需要保留的内容，再点“加载最新版本”。", "error");
        A.show($("ed-reload"), true);
      } else {
        msg("保存失败：" + err.message, "error");
      }
    }).then(function () { if (seq === ed.seq) $("ed-save").disabled = false; });
  });

  $("ed-reload").addEventListener("click", function () {
    if (!ed.id) return;
    A.show($("ed-reload"), false);
    loadItem(ed.id).then(function () {
      if (ed.item) msg("已加载最新版本 v" + ed.item.version + "，请在此基础上修改后保存。", "ok");
    });
  });

  $("ed-cancel").addEventListener("click", function () { A.go(ed.id ? "#item/" + ed.id : "#items"); });

  A.route("new", { tab: "items", view: "view-editor", enter: enterNew });
  A.route("edit", { tab: "items", view: "view-editor", enter: enterEdit });
})();
