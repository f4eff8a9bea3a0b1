// Tables pasted or uploaded in the console: parties, duties (列责任单) and payments. Each table is
// read as it is pasted, every row checked beside it in a preview, and nothing is written until
// the organizer confirms; then the whole table goes in one call, all or nothing.
import { UserErrors } from "./api.js";
import { fen, words, yuan } from "./format.js";
import { field, h, message, onSubmit } from "./ui.js";
import { fill, plainNumber, submitRow } from "./console-kit.js";
import { cells, readText } from "./console-roll.js";

/** A header cell without brackets, spaces or case: "代表电话（选填）" -> "代表电话". */
const headerWord = (cell) => cell.replace(/[（(][^）)]*[）)]/g, "").replace(/\s/g, "").toLowerCase();

/** The column a header cell names, by the column's own words; the longest word that fits wins. */
function columnOf(cell, columns) {
  const word = headerWord(cell);
  if (!word) return null;
  let best = null;
  let bestLength = 0;
  for (const column of columns) {
    for (const name of column.names) {
      if ((word === name || word.includes(name)) && name.length > bestLength) {
        best = column.key;
        bestLength = name.length;
      }
    }
  }
  return best;
}

/**
 * A pasted or uploaded table as rows of {line, values: {key: text}}: cells separated by tabs
 * (as a spreadsheet copies them), commas or Chinese commas; with a header row naming the
 * columns in any order, or without one, the columns then in the order `columns` lists.
 */
export function parseTable(text, columns) {
  const rows = [];
  let order = columns.map((c) => c.key);
  let header = false;
  let first = true;
  String(text ?? "").replace(/^\uFEFF/, "").split(/\r\n|\r|\n/).forEach((raw, i) => {
    if (!raw.trim()) return;
    const row = cells(raw);
    if (first) {
      first = false;
      const named = row.map((cell) => columnOf(cell, columns));
      if (named.filter(Boolean).length >= Math.min(2, columns.length)) {
        header = true;
        order = named;
        return;
      }
    }
    const values = Object.fromEntries(columns.map((c) => [c.key, ""]));
    row.forEach((cell, at) => {
      if (order[at]) values[order[at]] = cell.trim();
    });
    rows.push({ line: i + 1, values, problems: [], note: "" });
  });
  return { rows, header };
}

/** "2025-07-01", "2025/7/1", "2025.7.1" or "2025年7月1日" as "2025-07-01"; null when it is not a date. */
export function plainDate(text) {
  const plain = String(text ?? "").replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).trim();
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(plain);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  return `${m[1]}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** The row's name for a line number, as the messages beside the table say it. */
const lineOf = (row) => `第 ${row.line} 行`;

/**
 * A form to paste or upload one table: a textarea, a file picker, the checked preview and the
 * confirm button. `check(rows)` fills each row's `problems` (words for people) and `note`;
 * `submit(rows)` writes them (one mutation) and returns what `done` turns into the success text.
 * A refusal naming `${path}.N.…` is shown as the line it came from, beside the textarea.
 */
export function tableForm({ id, title, columns, example, hint, check, submit, done, path, button = "确认导入" }) {
  const text = h("textarea", { name: "table", rows: 6, spellcheck: "false" });
  const file = h("input", { type: "file", name: "file", accept: ".csv,.txt,.tsv,text/csv,text/plain" });
  const preview = h("div", { class: "table-preview", "aria-live": "polite" });
  const form = h("form", { class: "card write table-form", id, novalidate: true },
    h("h3", {}, title),
    field(`粘贴表格（每行一条：${columns.map((c) => c.title).join("、")}）`, text,
      `${hint ?? ""}可以从电子表格里直接复制粘贴，第一行可以是标题。例如：${example}`),
    field("或者选择 CSV 文件", file),
    preview,
    ...submitRow(button));

  let read = { rows: [] };
  function show() {
    read = parseTable(text.value, columns);
    check(read.rows);
    if (!text.value.trim()) {
      fill(preview);
      return;
    }
    const bad = read.rows.filter((r) => r.problems.length);
    fill(preview,
      h("p", {}, h("strong", {}, `读到 ${read.rows.length} 行`), read.header ? "（第一行是标题，没有算在内）" : "",
        bad.length ? `，其中 ${bad.length} 行要改正。` : "，都可以导入。", "确认之前什么都不会保存。"),
      bad.length ? message(`要改正的行：${bad.slice(0, 10).map(lineOf).join("、")}${bad.length > 10 ? "等" : ""}。`, "error") : null,
      read.rows.length ? h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": `${title}：预览` },
        h("table", {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "行"), columns.map((c) => h("th", { scope: "col" }, c.title)),
            h("th", { scope: "col" }, "检查"))),
          h("tbody", {}, read.rows.slice(0, 200).map((r) => h("tr", { class: r.problems.length ? "row-bad" : null },
            h("td", {}, String(r.line)), columns.map((c) => h("td", {}, r.values[c.key])),
            h("td", {}, r.problems.length
              ? h("strong", { class: "row-bad-mark" }, r.problems.join("；"))
              : r.note || "可以导入")))))) : null);
  }
  text.addEventListener("input", show);
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    text.value = await readText(chosen);
    show();
  });

  onSubmit(form, async () => {
    show();
    const { rows } = read;
    if (!rows.length) throw new UserErrors([{ message: "没有读到任何一行，请先粘贴表格或选择文件。", element: text }]);
    const bad = rows.filter((r) => r.problems.length);
    if (bad.length) {
      throw new UserErrors(bad.slice(0, 20).map((r) => ({ message: `${lineOf(r)}：${r.problems.join("；")}`, element: text })));
    }
    let result;
    try {
      result = await submit(rows);
    } catch (error) {
      if (!(error instanceof UserErrors)) throw error;
      // parties.3.name -> the line of the pasted table it came from, shown beside the table
      throw new UserErrors(error.errors.map((e) => {
        const at = new RegExp(`^${path}\\.(\\d+)`).exec(e.field ?? "");
        const row = at ? rows[Number(at[1])] : null;
        return { ...e, message: row ? `${lineOf(row)}：${e.message}` : e.message, element: text };
      }));
    }
    text.value = "";
    file.value = "";
    show();
    return result;
  }, done);
  return { el: form, recheck: () => { if (text.value.trim()) show(); } };
}

/** Rows repeating an earlier row of the table (by `keyOf`) are flagged with the line they repeat. */
function flagRepeats(rows, keyOf) {
  const seen = new Map();
  for (const r of rows) {
    const key = keyOf(r);
    if (key === null) continue;
    if (seen.has(key)) r.problems.push(`与第 ${seen.get(key)} 行重复`);
    else seen.set(key, r.line);
  }
}

// ---------------------------------------------------------------- parties

const KIND_WORDS = (() => {
  const out = new Map();
  for (const [kind, word] of Object.entries(words("PartyKind"))) {
    out.set(kind.toLowerCase(), kind);
    out.set(word, kind);
    word.split("、").forEach((part) => out.set(part, kind));
  }
  for (const [word, kind] of [["单位", "UNIT"], ["街道", "STREET_OFFICE"], ["街道办", "STREET_OFFICE"], ["乡镇", "STREET_OFFICE"],
    ["部门", "DEPARTMENT"], ["商户", "MERCHANT"], ["市场", "MERCHANT"], ["公司", "ENTERPRISE"], ["村民", "RESIDENTS"]]) {
    if (!out.has(word)) out.set(word, kind);
  }
  return out;
})();

/** A kind as people write it ("辖区单位", "单位", "UNIT") -> the API's value, or null. */
export const partyKind = (text) => KIND_WORDS.get(String(text ?? "").replace(/\s/g, "").toLowerCase()) ?? KIND_WORDS.get(String(text ?? "").trim()) ?? null;

const PHONE = /^\+?[0-9][0-9 ()-]{4,28}$/;

export const PARTY_COLUMNS = [
  { key: "name", title: "名称", names: ["名称", "参与方", "单位名称", "name"] },
  { key: "kind", title: "类别", names: ["类别", "类型", "kind"] },
  { key: "contact", title: "联系方式", names: ["联系方式", "地址", "contact"] },
  { key: "rep", title: "代表姓名", names: ["代表", "代表姓名", "联系人", "负责人"] },
  { key: "phone", title: "代表电话", names: ["电话", "代表电话", "手机", "phone"] },
];

/** Each row's problems, against the consultation's parties (`taking`) and every party listed (`known`). */
export function checkParties(rows, taking, known) {
  const takingNames = new Set(taking.map((p) => p.name));
  const knownNames = new Set(known.map((p) => p.name));
  const kinds = Object.values(words("PartyKind")).join("、");
  for (const r of rows) {
    const v = r.values;
    r.problems = [];
    if (!v.name) r.problems.push("没有填名称");
    if (!v.kind) r.problems.push("没有填类别");
    else if (!partyKind(v.kind)) r.problems.push(`类别“${v.kind}”不认识（可以写：${kinds}）`);
    if (v.phone && !v.rep) r.problems.push("填了代表电话，没有填代表姓名");
    if (v.phone && !PHONE.test(v.phone)) r.problems.push(`代表电话“${v.phone}”不像电话号码`);
    if (takingNames.has(v.name)) r.problems.push("已经是本次协商的参与方");
    r.note = knownNames.has(v.name) ? "名单里已有这一方，直接加入" : "新的一方";
    if (v.rep) r.note += `，并生成代表 ${v.rep} 的邀请条`;
  }
  flagRepeats(rows, (r) => r.values.name || null);
}

export const partyRow = (r) => ({
  name: r.values.name,
  kind: partyKind(r.values.kind),
  contact: r.values.contact || null,
  representative: r.values.rep ? { displayName: r.values.rep, phone: r.values.phone || null } : null,
});

// ---------------------------------------------------------------- duties

export const DUTY_COLUMNS = [
  { key: "party", title: "参与方", names: ["参与方", "负责方", "单位", "名称", "party"] },
  { key: "duty", title: "负责什么", names: ["负责什么", "责任", "事项", "内容", "duty"] },
  { key: "due", title: "完成期限", names: ["期限", "完成期限", "截止", "日期", "due"] },
];

export function checkDuties(rows, c) {
  const byName = new Map(c.parties.map((p) => [p.name, p]));
  const listed = new Set(c.responsibilities.map((d) => `${d.party.id}\n${d.duty}`));
  for (const r of rows) {
    const v = r.values;
    r.problems = [];
    const party = byName.get(v.party);
    if (!v.party) r.problems.push("没有填参与方");
    else if (!party) r.problems.push(`“${v.party}”不是本次协商的参与方`);
    if (!v.duty) r.problems.push("没有填负责什么");
    if (v.due && !plainDate(v.due)) r.problems.push(`期限“${v.due}”看不懂，请写成 2025-07-01`);
    if (party && v.duty && listed.has(`${party.id}\n${v.duty}`)) r.problems.push("这一项已经列过了");
    r.partyId = party?.id ?? null;
    r.note = v.due ? "" : "未定期限";
  }
  flagRepeats(rows, (r) => (r.partyId && r.values.duty ? `${r.partyId}\n${r.values.duty}` : null));
}

// ---------------------------------------------------------------- payments

export const PAYMENT_COLUMNS = [
  { key: "party", title: "参与方", names: ["参与方", "付款方", "出资方", "单位", "名称", "party"] },
  { key: "amount", title: "金额（元）", names: ["金额", "到账金额", "出资", "amount"] },
  { key: "date", title: "到账日期", names: ["日期", "到账日期", "到账时间", "时间", "date"] },
  { key: "note", title: "备注", names: ["备注", "流水号", "说明", "note"] },
];

const MONEY = /^\d{1,13}(\.\d{1,2})?$/;
/** The Beijing day of an ISO time, as "2025-06-01". */
const beijingDay = (iso) => new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().slice(0, 10);

/** The adopted proposal's shares, or [] while there is none. */
export function adoptedShares(c) {
  const adopted = c.proposals.find((p) => p.id === c.adoptedProposal?.id);
  return adopted?.costPlan?.shares ?? [];
}

export function checkPayments(rows, c) {
  const shares = new Map(adoptedShares(c).map((s) => [s.party.name, s]));
  const recorded = new Set();
  for (const s of shares.values()) {
    for (const p of s.contributions) recorded.add(`${s.id}\n${fen(p.amount)}\n${beijingDay(p.receivedAt)}\n${p.note ?? ""}`);
  }
  const owed = new Map([...shares.values()].map((s) => [s.id, fen(s.outstanding)]));
  for (const r of rows) {
    const v = r.values;
    r.problems = [];
    const share = shares.get(v.party);
    const amount = plainNumber(v.amount);
    const day = plainDate(v.date);
    if (!v.party) r.problems.push("没有填参与方");
    else if (!share) r.problems.push(`“${v.party}”在已采纳方案的分担里没有份额`);
    if (!amount) r.problems.push("没有填金额");
    else if (!MONEY.test(amount) || fen(amount) <= 0n) r.problems.push(`金额“${v.amount}”不对，请写成 1400 或 1400.50`);
    if (!v.date) r.problems.push("没有填到账日期");
    else if (!day) r.problems.push(`日期“${v.date}”看不懂，请写成 2025-06-01`);
    r.partyId = share?.party.id ?? null;
    r.day = day;
    r.amount = amount;
    r.key = share && day && MONEY.test(amount) ? `${share.id}\n${fen(amount)}\n${day}\n${v.note}` : null;
    if (r.key && recorded.has(r.key)) r.problems.push("这笔已经登记过了（同一方、同一金额、同一天、同样备注）");
    if (share && MONEY.test(amount) && !r.problems.length) {
      const left = owed.get(share.id) - fen(amount);
      if (left < 0n) r.problems.push(`超出应付：${share.party.name}还差 ${yuan(fenText(owed.get(share.id)))}`);
      else owed.set(share.id, left);
    }
    r.note = share ? `记入 ${share.party.name} 的份额（应出 ${yuan(share.amount)}）` : "";
  }
  flagRepeats(rows, (r) => r.key);
}

/** Integer fen (BigInt) as a decimal money string. */
const fenText = (n) => `${n / 100n}.${String(n % 100n).padStart(2, "0")}`;

export const paymentRow = (r) => ({
  partyId: r.partyId,
  amount: r.amount,
  receivedAt: `${r.day}T12:00:00+08:00`,
  note: r.values.note || null,
});
