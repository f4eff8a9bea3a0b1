// 居民名册 and invitation slips: paste or upload the roll (household and area), then print one
// slip per household with its QR code and invitation code.
import { gql, mutate, UserErrors } from "./api.js";
import { dateTime } from "./format.js";
import { h, debounce, field, message, onSubmit, section } from "./ui.js";
import { actButton, fill, msgBox, plainNumber, submitRow } from "./console-kit.js";

const SEPARATORS = new Set([",", "\t", "，"]);

/** One CSV line as cells; double quotes may wrap a cell that holds a separator. */
export function cells(line) {
  const out = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === "") { quoted = true; cell = ""; }
    else if (SEPARATORS.has(ch)) { out.push(cell.trim()); cell = ""; }
    else cell += ch;
  }
  out.push(cell.trim());
  return out;
}

/** What a header cell names: "label" (户、门牌), "area" (面积) or null. */
function headerKind(cell) {
  const c = cell.replace(/[（(][^）)]*[）)]/g, "").replace(/\s/g, "").toLowerCase();
  if (!c) return null;
  if (c.includes("面积") || ["area", "weight", "权重"].includes(c)) return "area";
  if (c.includes("门牌") || c.startsWith("户") || c.includes("住户") || c.includes("房号")
    || ["label", "household", "name", "名称", "姓名"].includes(c)) return "label";
  return null;
}

const NUMBER = /^\d+(\.\d+)?$/;

/**
 * The roll from CSV text: rows of {label, weight, line}, with or without a header row, columns
 * separated by commas, tabs or Chinese commas. `problems` name the line of anything unreadable.
 */
export function parseRoll(text) {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const rows = [];
  const problems = [];
  let labelCol = 0;
  let areaCol = 1;
  let header = false;
  let firstSeen = false;
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    const row = cells(raw);
    if (!firstSeen) {
      firstSeen = true;
      const kinds = row.map(headerKind);
      if (kinds.some(Boolean) && !row.some((c) => NUMBER.test(plainNumber(c)))) {
        header = true;
        labelCol = Math.max(0, kinds.indexOf("label"));
        areaCol = kinds.indexOf("area");
        return;
      }
    }
    const label = (row[labelCol] ?? "").trim();
    const area = areaCol >= 0 ? plainNumber(row[areaCol] ?? "") : "";
    if (!label) {
      problems.push(`第 ${i + 1} 行没有户名（门牌）。`);
      return;
    }
    if (area && !NUMBER.test(area)) {
      problems.push(`第 ${i + 1} 行的面积“${row[areaCol]}”不是数字。`);
      return;
    }
    rows.push({ label, weight: area || null, line: i + 1 });
  });
  return { rows, problems, header };
}

/** A file's text: UTF-8, or GB18030 as saved by Chinese spreadsheet programs. */
export async function readText(file) {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("gb18030").decode(bytes);
  }
}

// Rows with no area add nothing here: the preview says how many there are instead.
const sumArea = (rows) => rows.reduce((sum, r) => sum + Number(r.weight ?? 0), 0);
const areaText = (n) => `${Math.round(n * 100) / 100}`;
const SHOWN = 5; // rows the preview table shows from the top
const MORE_MISSING = 20; // further rows without an area it shows after those

/** Line numbers as “第 3、5、8 行”, the first ten of them. */
function lineList(rows) {
  const lines = rows.slice(0, 10).map((r) => r.line).join("、");
  return `第 ${lines} 行${rows.length > 10 ? "等" : ""}`;
}

/** A row of the preview table; a row with no area is marked in words, not only in colour. */
function previewRow(r) {
  return h("tr", { class: r.weight === null ? "roll-no-area" : null },
    h("td", {}, String(r.line)), h("td", {}, r.label),
    h("td", {}, r.weight ?? h("strong", { class: "roll-no-area-mark" }, "未填面积")));
}

export function rollSection(ctx) {
  const title = "居民名册与邀请条";
  const [el, body] = section(title, "roll",
    h("p", { class: "muted" }, "名册里的每一户可以投票和打分。每户一张邀请条，居民扫码或输入邀请码就能参与，不需要密码。"));
  const current = h("div", { class: "card", id: "roll-current" }, h("p", { class: "muted" }, "正在读取名册……"));

  // The roll: paste or upload, see what was read, then save.
  const csv = h("textarea", { name: "csv", rows: 6, spellcheck: "false" });
  const file = h("input", { type: "file", name: "file", accept: ".csv,.txt,text/csv,text/plain" });
  const parsed = h("div", { class: "roll-preview", "aria-live": "polite" });
  const form = h("form", { class: "card write", id: "roll-form", novalidate: true, dataset: { can: "setVoterRoll" } },
    h("h3", {}, "导入名册"),
    field("粘贴名册（每行一户：户名或门牌，面积）", csv,
      "例如“菜园巷 1 号, 86.5”。可以直接从表格里复制两列粘贴。面积单位是平方米，按面积表决时要用，请每户都填上。第一行可以是标题（户、门牌、面积）。"),
    field("或者选择 CSV 文件", file),
    parsed,
    ...submitRow("保存名册"));
  let result = { rows: [], problems: [] };
  function showParsed() {
    result = parseRoll(csv.value);
    if (!csv.value.trim()) {
      fill(parsed);
      return;
    }
    const { rows, problems } = result;
    const noArea = rows.filter((r) => r.weight === null);
    // The first rows, then rows further down that have no area, so that each of those is seen.
    const moreNoArea = noArea.filter((r) => rows.indexOf(r) >= SHOWN).slice(0, MORE_MISSING);
    const shown = [...rows.slice(0, SHOWN), ...moreNoArea];
    const caption = rows.length <= SHOWN ? "名册：" : moreNoArea.length ? `前 ${SHOWN} 户，以及后面没有填面积的户：` : `前 ${SHOWN} 户：`;
    fill(parsed,
      h("p", { class: "roll-count" }, h("strong", {}, `读到 ${rows.length} 户`),
        `，总面积 ${areaText(sumArea(rows))} 平方米`, noArea.length ? `（不含没有填面积的 ${noArea.length} 户）` : "", "。",
        result.header ? "第一行是标题，没有算在内。" : ""),
      noArea.length ? message(`${noArea.length} 户没有填面积（${lineList(noArea)}）：按面积表决时不能按实际面积计入（保存后每户只按 1 平方米计），请补上。只按户数表决时可以不填。`, "warn") : null,
      shown.length ? h("table", {}, h("caption", { class: "muted" }, caption),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "行"), h("th", { scope: "col" }, "户名（门牌）"), h("th", { scope: "col" }, "面积（平方米）"))),
        h("tbody", {}, shown.map(previewRow))) : null,
      problems.length ? message(`有 ${problems.length} 行读不懂，请改正：${problems.slice(0, 5).join(" ")}`, "error") : null);
  }
  csv.addEventListener("input", showParsed);
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    csv.value = await readText(chosen);
    showParsed();
  });
  onSubmit(form, async () => {
    showParsed();
    const { rows, problems } = result;
    if (problems.length) throw new Error(`名册有 ${problems.length} 行读不懂，请先改正。${problems[0]}`);
    if (!rows.length) throw new Error("没有读到任何一户，请先粘贴名册或选择文件。");
    const before = ctx.rollSummary?.households ?? 0;
    if (before && !window.confirm(`保存后会替换现有名册（${before} 户）。确定吗？`)) return null;
    try {
      await mutate("setVoterRoll", { consultationId: ctx.id, voters: rows.map(({ label, weight }) => ({ label, weight })) }, "entries { id }");
    } catch (error) {
      // voters.3.label -> the line of the pasted text it came from
      if (error instanceof UserErrors) {
        throw new UserErrors(error.errors.map((e) => {
          const at = /^voters\.(\d+)/.exec(e.field ?? "");
          return at && rows[Number(at[1])] ? { ...e, message: `第 ${rows[Number(at[1])].line} 行：${e.message}` } : e;
        }));
      }
      throw error;
    }
    await ctx.refreshRoll();
    return { saved: rows.length, noArea: rows.filter((r) => r.weight === null).length };
  }, (r) => (r ? `已保存名册，共 ${r.saved} 户。`
    + (r.noArea ? `其中 ${r.noArea} 户没有填面积，按 1 平方米计；按面积表决前请补上。` : "")
    + "如果要发邀请条，请在下面生成邀请码。" : null));

  // Invitations: fresh codes, shown once, printed as cut-out slips.
  const box = msgBox();
  const sheet = h("div", { class: "print-area slips-sheet hidden", id: "slips-sheet" });
  const issue = actButton("生成邀请码并排版邀请条", async () => {
    const payload = await mutate("issueInvitations", { consultationId: ctx.id }, "invitations { label code link qrSvg }");
    drawSlips(sheet, ctx.data.title, payload.invitations, slipFacts(ctx.data));
    const skipped = ctx.rollSummary?.signedIn ?? 0;
    fill(box, message(`已生成 ${payload.invitations.length} 张邀请条，请在下方查看并打印。`
      + (skipped ? `已经登录的 ${skipped} 户不重发；其中需要新邀请条的（例如手机丢了），请在上方名册里点“申请补发”，由政协委员批准。` : ""), "ok"));
    sheet.scrollIntoView({ block: "start" });
  }, { box, cls: "", ask: "生成新邀请码后，还没使用的旧邀请码都会作废。已经登录的住户不会拿到新码，也不受影响。确定要生成吗？" });
  // The help phone printed on every slip: residents who are stuck call it.
  const phone = h("input", { name: "helpPhone", type: "tel", autocomplete: "off", value: ctx.data.helpPhone ?? "" });
  const phoneForm = h("form", { class: "help-phone", novalidate: true },
    field("邀请条上的求助电话", phone, "例如社区居委会的电话；印在每张邀请条上。"),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "保存电话")));
  onSubmit(phoneForm, async ({ helpPhone }) => {
    const payload = await mutate("setHelpPhone", { consultationId: ctx.id, helpPhone: helpPhone || null }, "consultation { helpPhone }");
    ctx.data.helpPhone = payload.consultation.helpPhone;
    return payload.consultation.helpPhone;
  }, (saved) => (saved ? `已保存：邀请条上会印“${saved}”。` : "已去掉求助电话。"));
  const invite = h("div", { class: "card write", id: "invite-box", dataset: { can: "issueInvitations" } },
    h("h3", {}, "邀请条"),
    h("p", {}, "按名册每户生成一个邀请码，排成 A4 纸的邀请条，打印后剪开发到各户。每张邀请条印有表决的问题、截止时间和求助电话。"),
    phoneForm,
    h("p", { class: "muted" }, "邀请码只在生成时显示这一次，请生成后马上打印。"),
    h("div", { class: "actions" }, issue), box);

  body.append(current, form, invite);
  const browser = rollBrowser(ctx);
  return {
    el, title, sheet,
    roll(summary) {
      const { households, weight, signedIn: redeemed } = summary;
      const pending = new Set((ctx.reissues ?? []).filter((r) => r.status === "PENDING").map((r) => r.voterEntry?.id));
      const reissueBox = msgBox();
      const askReissue = (entry) => actButton("申请补发", async () => {
        const reason = window.prompt(`为“${entry.label}”申请补发邀请条。请写明原因（例如：手机丢失、换了手机号）。批准后这户原来的手机会退出登录。`);
        if (!reason || !reason.trim()) return;
        await mutate("requestReissue", { voterEntryId: entry.id, reason: reason.trim() }, "request { id }");
        fill(reissueBox, message(`已为“${entry.label}”提出补发申请，等待政协委员批准。`, "ok"));
        await ctx.refreshRoll();
      }, { box: reissueBox, "aria-label": `为${entry.label}申请补发邀请条` });
      const rowOf = (e) => h("li", {}, `${e.label}（${e.weight} 平方米）`, e.account ? " · 已进入" : "",
        e.account && pending.has(e.id) ? " · 补发待批准" : "",
        e.account && ctx.mayReissue && !pending.has(e.id) ? [" ", askReissue(e)] : null);
      browser.show(rowOf);
      fill(current,
        h("h3", {}, "现有名册"),
        h("p", { id: "roll-count" }, h("strong", {}, `${households} 户`),
          households ? `，总面积 ${areaText(Number(weight))} 平方米，已有 ${redeemed} 户用邀请码进入。` : "。还没有导入名册。"),
        households ? browser.el : null,
        reissueBox,
        (ctx.reissues ?? []).length ? h("div", { id: "reissue-requests" }, h("h4", {}, "补发邀请条申请"),
          h("ul", {}, ctx.reissues.map((r) => h("li", {},
            `${r.voterEntry?.label ?? "（已移出名册）"}：${r.reason}。${r.requestedBy?.shownName ?? ""}申请`,
            r.status === "APPROVED" ? `，${r.approvedBy?.shownName ?? ""}已批准。` : "，等待政协委员批准。")))) : null);
    },
  };
}

export const ROLL_PAGE = 50;
const ROLL_QUERY = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $search: String) {
  consultation(id: $id) { roll(first: $first, after: $after, last: $last, before: $before, search: $search) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id label weight account { id } } } } } }`;

/**
 * The roll a page of 50 at a time, with a search box: a district's roll runs to thousands of
 * households, so the page never draws all of them (Consultation.roll pages on the server).
 */
function rollBrowser(ctx) {
  const search = h("input", { type: "search", name: "rollSearch", id: "roll-search", autocomplete: "off",
    placeholder: "例如 401、2单元 401" });
  const status = h("p", { id: "roll-page-status", "aria-live": "polite" });
  const list = h("ol", { id: "roll-list" });
  const back = h("button", { type: "button", class: "secondary", id: "roll-prev" }, "上一页");
  const next = h("button", { type: "button", class: "secondary", id: "roll-next" }, "下一页");
  const box = msgBox();
  let rowOf = (e) => h("li", {}, e.label);
  let page = null;
  let start = 0; // how many entries come before this page
  let seq = 0;
  let asked = [{ first: ROLL_PAGE }, 0]; // the page on show, reloaded in place when the roll changes
  async function load(args, offset) {
    const mine = ++seq;
    asked = [args, offset];
    let data;
    try {
      data = await gql(ROLL_QUERY, { id: ctx.id, search: search.value.trim() || null, ...args });
    } catch (error) {
      if (mine === seq) fill(box, message(`名册没有读出来：${error.message}`, "error"));
      return;
    }
    if (mine !== seq || !data.consultation) return;
    fill(box);
    page = data.consultation.roll;
    start = Math.max(0, offset);
    draw();
  }
  function draw() {
    const { totalCount, pageInfo, edges } = page;
    const from = edges.length ? start + 1 : 0;
    const to = start + edges.length;
    const asked = search.value.trim();
    fill(status, edges.length
      ? `第 ${from}–${to} 条，共 ${totalCount} 条${asked ? `（查找“${asked}”）` : ""}`
      : asked ? `没有找到含“${asked}”的户。` : "名册是空的。");
    fill(list, edges.map((e) => rowOf(e.node)));
    list.start = from || 1;
    back.disabled = !pageInfo.hasPreviousPage;
    next.disabled = !pageInfo.hasNextPage;
  }
  back.addEventListener("click", () => page && load({ last: ROLL_PAGE, before: page.pageInfo.startCursor }, start - ROLL_PAGE));
  next.addEventListener("click", () => page && load({ first: ROLL_PAGE, after: page.pageInfo.endCursor }, start + page.edges.length));
  search.addEventListener("input", debounce(() => load({ first: ROLL_PAGE }, 0), 300));
  const el = h("div", { id: "roll-browser" },
    field("查找住户（门牌里的字或数字）", search),
    status, list,
    h("div", { class: "actions" }, back, next), box);
  return {
    el,
    show(row) {
      rowOf = row;
      load(...asked);
    },
  };
}

/** A link only this computer can open (a server run without CONSULT_PUBLIC_URL, seen from itself). */
function loopback(link) {
  try {
    const host = new URL(link).hostname;
    return host === "localhost" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}

/** What a household's slip says beyond its code: what is asked, until when, and whom to call. */
function slipFacts(c) {
  const poll = (c.polls ?? []).find((p) => p.status === "OPEN") ?? (c.polls ?? []).find((p) => p.status === "SCHEDULED");
  return {
    subject: poll ? `表决：${poll.question}` : `协商事项：${c.title}`,
    closes: poll?.closesAt ? `${dateTime(poll.closesAt)} 截止` : null,
    phone: c.helpPhone,
  };
}

/** The A4 sheet of slips, six to a page; qrSvg is the server's own SVG markup, the one place HTML is inserted. */
export function drawSlips(sheet, title, invitations, facts = {}) {
  sheet.classList.remove("hidden");
  fill(sheet,
    h("h2", { class: "no-print" }, `邀请条（共 ${invitations.length} 张）`),
    h("p", { class: "no-print" }, "打印时只打印邀请条，每张 A4 纸 6 张，沿虚线剪开。邀请码离开本页后就看不到了。"),
    facts.subject && !facts.phone
      ? Object.assign(message("邀请条上还没有求助电话：请在上方“邀请条上的求助电话”里填上社区的电话，再重新生成邀请条。", "error"), { className: "msg msg-warn no-print" })
      : null,
    loopback(invitations[0]?.link)
      ? Object.assign(message("注意：邀请条上的网址是本机地址，居民的手机打不开。请管理员把 CONSULT_PUBLIC_URL 设为居民能访问的网址后，重新生成邀请条。", "error"), { className: "msg msg-error no-print" })
      : null,
    h("div", { class: "actions no-print" }, h("button", { type: "button", onclick: () => window.print() }, "打印")),
    h("div", { class: "slips" }, invitations.map((inv) => {
      const qr = h("span", { class: "qr" });
      qr.innerHTML = inv.qrSvg; // a viewBox and no fixed size: CSS sizes it on the slip
      return h("div", { class: "slip" },
        h("div", { class: "slip-head" }, qr,
          h("div", { class: "slip-text" },
            h("p", { class: "slip-title" }, h("strong", {}, title)),
            facts.subject ? h("p", { class: "slip-subject" }, facts.subject) : null,
            facts.closes ? h("p", { class: "slip-closes" }, h("strong", {}, facts.closes)) : null,
            h("p", { class: "slip-label" }, inv.label))),
        h("p", { class: "code" }, h("span", { class: "code-name" }, "邀请码 "), inv.code),
        h("p", { class: "slip-how" }, "用手机扫描二维码，或打开下面的网址，输入邀请码。"),
        h("p", { class: "slip-link" }, inv.link),
        facts.phone ? h("p", { class: "slip-help" }, `不会用或有疑问，请打电话：${facts.phone}`) : null);
    })));
}
