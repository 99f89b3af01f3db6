/* The staff pages' HTTP client: JSON over fetch, the session cookie, the CSRF token on unsafe
 * requests, and the server's refusals turned into one Chinese sentence.
 *
 * Session: the login sets an HttpOnly cookie; the CSRF token lives only in the page's memory (the
 * client's `csrf`) and goes out as X-CSRF-Token on every request that is not a GET. `generation`
 * bumps on every login and logout, so that answers to requests of an earlier session are dropped. */

export class ApiError extends Error {
  constructor(status, message, data) {
    super(message);
    this.status = status;
    this.data = data || {};
  }
}

const CHINESE = /[\u4e00-\u9fa5]/;

/** The reason the server gave, in Chinese: its own sentence, or the fields a 422 names. */
function detailText(detail, fields) {
  if (typeof detail === "string") return CHINESE.test(detail) ? detail : "";
  if (Array.isArray(detail)) {
    const named = detail.map((d) => {
      const loc = (d && d.loc) || [];
      let name = loc[loc.length - 1];
      if (typeof name === "number") name = loc[loc.length - 2];
      return fields[name] ? "「" + fields[name] + "」" : "";
    }).filter(Boolean);
    return named.length ? "请检查" + named.join("、") + "的填写格式" : "";
  }
  return "";
}

/** One sentence for a failed request. `conflict`: what a 409 without a reason means on this page. */
export function describe(status, data, fields, conflict) {
  const detail = detailText(data && data.detail, fields || {});
  if (status === 401) return detail || "登录已失效，请重新登录。";
  if (status === 403) return detail ? "无权执行此操作：" + detail : "无权执行此操作。";
  if (status === 404) return detail || "要找的内容不存在。";
  if (status === 409) return detail || conflict || "操作冲突：内容已被他人修改，请刷新后重试。";
  if (status === 413) return "文件太大，请拆分后再上传。";
  if (status === 422) return detail || "输入内容不符合要求，请检查后重试。";
  if (status === 429) return "操作过于频繁，请稍后再试。";
  if (status >= 500) return "服务暂时不可用（" + status + "），请稍后再试。";
  return detail || "请求失败（" + status + "）。";
}

/**
 * A client for one page. Options: `loginPath` (a 401 there is a wrong password, not an expired
 * session), `fields` (request field -> Chinese name, for 422s), `conflict` (the page's 409
 * sentence), `onExpired(message)` (called once when a logged-in session's request gets 401).
 */
export function createClient(options) {
  const client = {
    csrf: null,
    generation: 0,
    loggedIn: false,

    /** Start a session (after login or a reload that found one) or end it (csrf null). */
    begin(csrf) { client.generation += 1; client.csrf = csrf; client.loggedIn = true; },
    end() { client.generation += 1; client.csrf = null; client.loggedIn = false; },

    api(method, path, body) { return send(method, path, body, false); },
    upload(path, form) { return send("POST", path, form, true); },
  };

  async function send(method, path, body, isForm) {
    const headers = { Accept: "application/json" };
    if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
    if (method !== "GET" && client.csrf) headers["X-CSRF-Token"] = client.csrf;
    const generation = client.generation;
    const payload = body === undefined ? undefined : isForm ? body : JSON.stringify(body);
    let response;
    try {
      response = await fetch(path, { method, headers, credentials: "same-origin", cache: "no-store", body: payload });
    } catch (e) {
      throw new ApiError(0, "网络连接失败，请检查网络后重试。");
    }
    const raw = await response.text();
    let data = null;
    try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
    if (response.ok) return data;
    const error = new ApiError(response.status, describe(response.status, data, options.fields, options.conflict), data);
    if (response.status === 401 && path !== options.loginPath && generation === client.generation && client.loggedIn) {
      client.end();
      if (options.onExpired) options.onExpired("登录已失效，请重新登录。");
    }
    throw error;
  }

  return client;
}

/** "?a=1&b=x" from the parameters that have a value (true -> 1; empty, null and false are left out). */
export function query(params) {
  const parts = [];
  Object.keys(params).forEach((key) => {
    const value = params[key];
    if (value === undefined || value === null || value === "" || value === false) return;
    parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value === true ? "1" : value));
  });
  return parts.length ? "?" + parts.join("&") : "";
}
