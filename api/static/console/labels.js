/* The console's vocabulary: what the server's codes are called on screen. */

export const STATUS = { waiting: "排队中", human: "服务中", bot: "智能助手服务中" };
export const CHANNEL = { web: "网页", wechat: "微信" };
export const ROLE = { citizen: "市民", bot: "智能助手", operator: "坐席" };
export const WO_TYPE = { complain: "投诉", report: "举报", request: "求助" };

/** What a citizen's button press (a "/payload" message) meant. */
export const PAYLOAD = {
  request_human: "转人工", feedback_positive: "有用", feedback_negative: "没用", affirm: "是", deny: "否",
  cancel: "取消登记", greet: "问候", goodbye: "再见", thank: "感谢", choose_service: "选择事项",
};

/** Request fields by their Chinese names, for the server's 422s. */
export const FIELD = {
  text: "内容", content: "工单内容", department: "部门", type: "工单类型", username: "用户名",
  password: "密码", address: "地址", phone: "电话",
};

/** What a 409 without a reason means here. */
export const CONFLICT = "操作冲突，该会话的状态已变化。";

/** "置信度 87%", or "" when the server gave no confidence. */
export function confidence(value) {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  if (isNaN(n)) return "";
  return "置信度 " + Math.round(n * 100) + "%";
}
