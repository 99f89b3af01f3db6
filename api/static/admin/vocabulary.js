/* The policy owners' console: the words of the content model (kinds, statuses, fields, roles) and
 * the Chinese names the page gives them. */

export const KINDS = [["qa", "政策问答"], ["guide", "办事指南"], ["document", "政策文件"], ["hotline", "部门目录"]];
export const KIND_LABEL = Object.fromEntries(KINDS);

export const STATUSES = [["draft", "草稿"], ["submitted", "待审核"], ["published", "已发布"], ["abolished", "已废止"]];
export const STATUS_LABEL = Object.fromEntries(STATUSES);

export const ROLE_LABEL = { editor: "编辑", reviewer: "审核人", admin: "管理员", supervisor: "班长" };

// Each kind's fields, as in knowledge/content.py (English key, Chinese label, how it is edited:
// line = one line, text = several lines, list = one value per line).
export const FIELDS = {
  qa: [["question", "问题", "line"], ["similar", "相似问法", "list"], ["answer", "答案", "text"],
       ["source_document", "来源文件", "line"]],
  guide: [["name", "事项名称", "line"], ["target", "办理对象", "text"], ["conditions", "受理条件", "text"],
          ["materials", "所需材料", "text"], ["process", "办理流程", "text"], ["time_limit", "办理时限", "line"],
          ["fee", "收费标准", "line"], ["location", "办理地点", "text"], ["phone", "咨询电话", "line"],
          ["complaint_phone", "监督投诉电话", "line"], ["legal_basis", "法律依据", "text"]],
  document: [["text", "正文", "text"], ["issuing_body", "发文机关", "line"]],
  hotline: [["handles", "职责范围", "text"], ["keywords", "关键词", "list"], ["hours", "工作时间", "line"],
            ["phone", "联系电话", "line"], ["address", "地址", "line"]],
};
export const REQUIRED = { qa: ["question", "answer"], guide: ["name"], document: ["text"], hotline: ["handles"] };

// How the bot answered a question (publish check, gold questions) when no item answered it.
export const ANSWER = { answered: "已回答", no_answer: "未能回答", clarify: "需要追问", handoff: "转人工", refused: "不予回答" };

// Request fields named in validation errors (FastAPI's 422 lists), in Chinese.
export const REQUEST_FIELDS = {
  username: "用户名", password: "密码", kind: "类型", fields: "字段", title: "标题", department: "部门",
  region: "地区", effective_date: "生效日期", expiry_date: "失效日期", source: "来源", doc_number: "文号",
  doc_date: "发文日期", version: "版本号", comment: "修改意见", reason: "废止原因",
  successor_id: "替代条目编号", question: "问题", item_id: "应答条目编号", file: "文件",
  since: "起始日期", until: "截止日期", limit: "条数", offset: "起始位置", q: "关键词",
  page: "页码", size: "每页条数", a: "版本甲", b: "版本乙", days: "时间范围", weeks: "统计周数",
  expiring_days: "到期天数", status: "状态", confirm: "确认",
};
