// Money, dates and names as residents read them. Money stays a decimal string: no floats.

const ZONE = "Asia/Shanghai";

/** "80000.00" -> "80,000 元"; "1234.5" -> "1,234.50 元". */
export function yuan(money) {
  if (money === null || money === undefined || money === "") return "—";
  const [whole, frac = ""] = String(money).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = frac.padEnd(2, "0").slice(0, 2);
  return cents === "00" ? `${grouped} 元` : `${grouped}.${cents} 元`;
}

/** A decimal money string as integer fen (BigInt), for sums and ratios without floats. */
export function fen(money) {
  const [whole, frac = ""] = String(money ?? "0").split(".");
  return BigInt(whole || "0") * 100n + BigInt((frac + "00").slice(0, 2));
}

/** part/whole as a whole percent for bar widths (display only). */
export function percentOf(part, whole) {
  const w = fen(whole);
  if (w === 0n) return 0;
  return Number((fen(part) * 1000n) / w) / 10;
}

/** "0.6667" -> "66.7%" */
export function ratioText(ratio) {
  if (ratio === null || ratio === undefined) return "—";
  return `${(Number(ratio) * 100).toFixed(1).replace(/\.0$/, "")}%`;
}

const dateFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, year: "numeric", month: "long", day: "numeric" });
const timeFmt = new Intl.DateTimeFormat("zh-CN", {
  timeZone: ZONE, year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});

export const date = (iso) => (iso ? dateFmt.format(new Date(iso)) : "—");
export const dateTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : "—");

/** An ISO time as the value of an <input type="datetime-local">, in Beijing time. */
export function toLocalInput(iso) {
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return d.toISOString().slice(0, 16);
}

/** Now, as the value of an <input type="datetime-local">, in Beijing time. */
export const nowLocal = () => toLocalInput(new Date().toISOString());

/** The value of an <input type="datetime-local"> (Beijing time) as ISO 8601 with +08:00. */
export function fromLocalInput(value) {
  if (!value) return null;
  return `${value.length === 16 ? value + ":00" : value}+08:00`;
}

/** The value of an <input type="date"> as the end of that day, Beijing time. */
export function endOfDay(value) {
  return value ? `${value}T23:59:00+08:00` : null;
}

export const STAGES = [
  ["DRAFT", "草稿", "还在准备，尚未公开"],
  ["COLLECTING", "提诉求", "居民和各方提出问题和想法"],
  ["DELIBERATING", "协商方案", "列出各方责任，拿出方案，商量谁出多少钱"],
  ["VOTING", "居民表决", "居民对方案投票"],
  ["AGREED", "签协议", "出钱的各方确认自己的份额"],
  ["IMPLEMENTING", "施工监督", "按时间节点施工，政协委员监督"],
  ["EVALUATING", "评价回访", "居民给结果打分"],
  ["ARCHIVED", "存档", "全过程存入档案，不再改动"],
];
export const STAGE_NAME = Object.fromEntries(STAGES.map(([k, name]) => [k, name]));
STAGE_NAME.CANCELLED = "已取消";

export const PARTY_KIND = {
  CPPCC: "政协", RESIDENTS: "居民", MERCHANT: "商户、市场", UNIT: "辖区单位", STREET_OFFICE: "街道办事处",
  DEPARTMENT: "政府职能部门", ENTERPRISE: "企业", OTHER: "其他",
};
export const ROLE = {
  ADMIN: "系统管理员", ORGANIZER: "组织方", CPPCC_MEMBER: "政协委员", PARTY_REP: "出资方代表", RESIDENT: "居民",
};
export const DEMAND_CHANNEL = {
  RESIDENT: "居民本人", GRID_WORKER: "网格员、楼栋长", COURIER: "民情收集员", HOTLINE: "热线",
  CPPCC_MEMBER: "政协委员", OTHER: "其他",
};
export const DEMAND_STATUS = { OPEN: "待处理", ACCEPTED: "已采纳", MERGED: "已合并", REJECTED: "未采纳" };
export const PROPOSAL_STATUS = { DRAFT: "草稿", TABLED: "已提交讨论", ADOPTED: "已采用", REJECTED: "未采用", WITHDRAWN: "已撤回" };
export const SPLIT_METHOD = { EQUAL: "平均分摊", FIXED: "按金额", PERCENT: "按比例（%）", WEIGHTED: "按权重（户数、门面长度等）" };
export const POLL_STATUS = { SCHEDULED: "未开始", OPEN: "正在投票", CLOSED: "已结束" };
export const POLL_KIND = { YES_NO_ABSTAIN: "赞成/反对/弃权", SINGLE_CHOICE: "单选", MULTIPLE_CHOICE: "多选", RANKED: "排序" };
export const OUTCOME = { PENDING: "尚未出结果", PASSED: "通过", FAILED: "未通过", DECIDED: "已选出", UNDECIDED: "未能决定" };
export const PRESET = {
  SIMPLE_MAJORITY: "过半数通过", TWO_THIRDS: "三分之二通过", CIVIL_CODE_278_ORDINARY: "民法典第278条（一般事项）",
  CIVIL_CODE_278_MAJOR: "民法典第278条（重大事项）", CUSTOM: "自定义",
};
export const MILESTONE_KIND = { FUNDING: "资金筹集", TENDER: "工程招标", CONSTRUCTION: "施工", ACCEPTANCE: "竣工验收", OTHER: "其他" };
export const MILESTONE_STATUS = { PLANNED: "未开始", IN_PROGRESS: "进行中", DONE: "已完成", OVERDUE: "已超期" };
export const FINDING_CATEGORY = {
  FUNDING_SHORTFALL: "资金不到位", SLOW_PROGRESS: "进度缓慢", QUALITY: "工程质量", NOISE: "噪声扰民", SAFETY: "安全隐患", OTHER: "其他",
};
export const FINDING_STATUS = { OPEN: "待整改", RESOLVED: "已整改，待核实", VERIFIED: "已核实办结", REOPENED: "重新整改" };
export const ORIGIN = { ONLINE: "手机投票", PAPER: "纸质选票", ASSISTED: "代投" };
