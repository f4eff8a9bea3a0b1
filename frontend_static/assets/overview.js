// 协商成效: the district's consultations at a glance, for staff and CPPCC members. Filters by
// period, street and community; the resolution rate first, as the newspaper printed it; charts
// where people would rather look than read; the table per community; and the exports.
import { gql, viewer } from "./api.js";
import { mountBell } from "./bell.js";
import { label, STAGE_ORDER, yuan } from "./format.js";
import { field, h, message, mountPage, svg } from "./ui.js";

const FIGURES = `consultations byStage { stage count } demandsReceived demandsResolved resolutionRate
  pledged paid moneyByPartyKind { kind pledged paid }
  overdueMilestones overdueFindings findingsClosed averageDaysToClose
  votesHeld averageTurnout ratings averageSatisfaction satisfactionRate`;
const QUERY = `query($from: Date, $to: Date, $streetId: ID, $communityId: ID) {
  overview(from: $from, to: $to, streetId: $streetId, communityId: $communityId) {
    from to
    total { ${FIGURES} }
    communities { id name streetId streetName figures { ${FIGURES} } }
    places { id name streetId streetName }
    errors { field code message }
  }
}`;
const PALETTE = ["#6b7785", "#0b4f9c", "#b35900", "#7b1fa2", "#00695c", "#1b6e20", "#9e1c1c", "#37474f", "#999"];

// ---------------------------------------------------------------- periods, in Beijing dates

const two = (n) => String(n).padStart(2, "0");
const ymd = (y, m, d) => `${y}-${two(m)}-${two(d)}`;
const lastDay = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();

function beijingToday() {
  const now = new Date(Date.now() + 8 * 3600_000);
  return { y: now.getUTCFullYear(), m: now.getUTCMonth() + 1, d: now.getUTCDate() };
}

const PERIODS = {
  month: "本月",
  lastMonth: "上月",
  year: "今年",
  all: "全部",
};

/** The [from, to] of a preset, and the month its printed report covers. */
function periodOf(preset) {
  const { y, m } = beijingToday();
  const prev = m === 1 ? { y: y - 1, m: 12 } : { y, m: m - 1 };
  if (preset === "month") return { from: ymd(y, m, 1), to: ymd(y, m, lastDay(y, m)), month: `${y}-${two(m)}` };
  if (preset === "lastMonth") {
    return { from: ymd(prev.y, prev.m, 1), to: ymd(prev.y, prev.m, lastDay(prev.y, prev.m)), month: `${prev.y}-${two(prev.m)}` };
  }
  if (preset === "year") return { from: ymd(y, 1, 1), to: ymd(y, 12, 31), month: `${y}-${two(m)}` };
  return { from: null, to: null, month: `${y}-${two(m)}` };
}

// ---------------------------------------------------------------- page

const me = await viewer().catch(() => null);
const main = mountPage(me);
mountBell(me);
main.classList.add("wide");

const state = Object.fromEntries(new URLSearchParams(location.search));
state.period = PERIODS[state.period] ? state.period : "all";

const periodSelect = h("select", { id: "period", name: "period" },
  Object.entries(PERIODS).map(([value, text]) => h("option", { value, selected: value === state.period }, text)));
const streetSelect = h("select", { id: "street", name: "street" });
const communitySelect = h("select", { id: "community", name: "community" });
const filters = h("form", { class: "overview-filters", "aria-label": "筛选" },
  field("统计期间", periodSelect), field(label("AreaKind", "STREET"), streetSelect), field(label("AreaKind", "COMMUNITY"), communitySelect));
const exports = h("p", { class: "overview-exports" });
const body = h("div", { id: "overview-body", "aria-live": "polite" });

function changed(control) {
  state.period = periodSelect.value;
  state.street = streetSelect.value || "";
  // A new street starts from all its communities.
  state.community = control === streetSelect ? "" : communitySelect.value || "";
  const params = new URLSearchParams(Object.entries(state).filter(([, v]) => v));
  history.replaceState(null, "", `/overview${params.size ? `?${params}` : ""}`);
  load();
}

async function load() {
  const period = periodOf(state.period);
  const variables = { from: period.from, to: period.to, streetId: state.street || null, communityId: state.community || null };
  body.replaceChildren(h("p", { class: "loading", role: "status" }, "正在读取……"));
  let data;
  try {
    data = (await gql(QUERY, variables)).overview;
  } catch (error) {
    body.replaceChildren(message(`读取失败：${error.message}`, "error"));
    return;
  }
  if (data.errors.length) {
    body.replaceChildren(...data.errors.map((e) => message(e.message, "error")));
    return;
  }
  fillChoices(data.places);
  showExports(variables, period.month);
  draw(data);
}

function fillChoices(places) {
  const streets = new Map();
  for (const p of places) if (p.streetId) streets.set(p.streetId, p.streetName);
  streetSelect.replaceChildren(h("option", { value: "" }, `全部${label("AreaKind", "STREET")}`),
    ...[...streets].map(([id, name]) => h("option", { value: id, selected: id === state.street }, name)));
  const shown = places.filter((p) => !state.street || p.streetId === state.street);
  communitySelect.replaceChildren(h("option", { value: "" }, `全部${label("AreaKind", "COMMUNITY")}`),
    ...shown.map((p) => h("option", { value: p.id, selected: p.id === state.community }, p.name)));
}

function showExports(variables, month) {
  const params = new URLSearchParams(Object.entries(variables).filter(([, v]) => v));
  const report = new URLSearchParams({ month });
  if (variables.streetId) report.set("streetId", variables.streetId);
  if (variables.communityId) report.set("communityId", variables.communityId);
  exports.replaceChildren(
    "导出：",
    h("a", { href: `/overview.csv?${params}`, download: "", id: "export-csv" }, "表格（CSV）"), "　",
    h("a", { href: `/overview.xlsx?${params}`, download: "", id: "export-xlsx" }, "电子表格（Excel）"), "　",
    h("a", { href: `/overview/report?${report}`, id: "report-link" }, `打印${month.replace("-", "年")}月月报`));
}

// ---------------------------------------------------------------- figures

const pct = (value) => (value === null || value === undefined ? "—" : `${value}%`);
const orDash = (value) => (value === null || value === undefined ? "—" : String(value));

function bigFigures(t) {
  const items = [
    ["诉求解决率", pct(t.resolutionRate), `受理 ${t.demandsReceived} 件，解决 ${t.demandsResolved} 件`, "rate"],
    ["协商事项", String(t.consultations), "件"],
    ["资金到位", yuan(t.paid), `认缴 ${yuan(t.pledged)}`],
    ["超期未完成", `${t.overdueMilestones} / ${t.overdueFindings}`, "施工节点 / 监督问题"],
    ["问题闭环", String(t.findingsClosed), `平均 ${orDash(t.averageDaysToClose)} 天`],
    ["表决次数", String(t.votesHeld), `平均参与率 ${pct(t.averageTurnout)}`],
    ["居民满意率", pct(t.satisfactionRate), `平均 ${orDash(t.averageSatisfaction)} 分（满分 5 分），${t.ratings} 户评价`],
  ];
  return h("ul", { class: "big-figures", id: "big-figures" },
    items.map(([title, value, note, id]) => h("li", { id: id ? `figure-${id}` : null },
      h("span", { class: "big-title" }, title), h("strong", { class: "big-value" }, value), h("span", { class: "muted" }, note))));
}

function draw(data) {
  const rows = data.communities;
  body.replaceChildren(
    bigFigures(data.total),
    h("section", { class: "overview-charts" },
      h("figure", { id: "chart-stages" }, h("figcaption", {}, "各社区协商事项的阶段"), stageChart(rows)),
      h("figure", { id: "chart-money" }, h("figcaption", {}, "认缴与实缴（按出资方类别）"), moneyChart(data.total.moneyByPartyKind)),
      h("figure", { id: "chart-satisfaction" }, h("figcaption", {}, "各社区居民满意率"), satisfactionChart(rows))),
    h("h2", {}, "各社区明细"),
    table(rows, data.total));
}

// ---------------------------------------------------------------- charts (inline SVG)

/** A stacked bar per community, its parts the stages; a legend names the colours, and each
 * bar's words say the same for whoever cannot tell the colours apart. */
function stageChart(rows) {
  if (!rows.length) return h("p", { class: "muted" }, "没有可显示的社区。");
  const stages = [...STAGE_ORDER, "CANCELLED"];
  const most = Math.max(1, ...rows.map((r) => r.figures.consultations));
  const rowH = 34;
  const nameW = 120;
  const width = 640;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${rows.length * rowH}`, width: "100%", role: "img", class: "stage-chart",
    "aria-label": rows.map((r) => `${r.name}：${stageWords(r.figures) || "没有协商事项"}`).join("；"),
  });
  rows.forEach((r, i) => {
    const y = i * rowH;
    let x = nameW;
    chart.append(svg("text", { x: 0, y: y + 20, "font-size": 18 }, r.name.length > 7 ? `${r.name.slice(0, 6)}…` : r.name));
    stages.forEach((stage, j) => {
      const n = r.figures.byStage.find((s) => s.stage === stage)?.count ?? 0;
      if (!n) return;
      const w = ((width - nameW - 40) * n) / most;
      chart.append(svg("rect", { x, y: y + 4, width: w, height: rowH - 10, fill: PALETTE[j % PALETTE.length] },
        svg("title", {}, `${label("Stage", stage)} ${n}`)));
      x += w;
    });
    chart.append(svg("text", { x: x + 6, y: y + 20, "font-size": 18, "font-weight": 700 }, String(r.figures.consultations)));
  });
  const legend = h("ul", { class: "legend" }, stages.map((stage, j) => h("li", {},
    h("span", { class: "swatch", style: `background:${PALETTE[j % PALETTE.length]}`, "aria-hidden": "true" }), label("Stage", stage))));
  return h("div", {}, chart, legend);
}

function stageWords(figures) {
  return figures.byStage.filter((s) => s.count).map((s) => `${label("Stage", s.stage)} ${s.count}`).join("、");
}

/** Pledged against paid, a pair of bars per kind of party, each with its amount in words. */
function moneyChart(kinds) {
  if (!kinds.length) return h("p", { class: "muted" }, "这段时间没有通过的出资方案。");
  const most = Math.max(1, ...kinds.flatMap((k) => [Number(k.pledged), Number(k.paid)]));
  const rowH = 66;
  const nameW = 120;
  const width = 640;
  const barRoom = width - nameW - 190;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${kinds.length * rowH}`, width: "100%", role: "img", class: "money-chart",
    "aria-label": kinds.map((k) => `${label("PartyKind", k.kind)}：认缴 ${yuan(k.pledged)}，实缴 ${yuan(k.paid)}`).join("；"),
  });
  kinds.forEach((k, i) => {
    const y = i * rowH;
    chart.append(svg("text", { x: 0, y: y + 32, "font-size": 18, "font-weight": 700 }, label("PartyKind", k.kind)));
    [["认缴", k.pledged, "#9bb7d8"], ["实缴", k.paid, "#0b4f9c"]].forEach(([word, amount, colour], j) => {
      const w = Math.max(2, (barRoom * Number(amount)) / most);
      chart.append(
        svg("rect", { x: nameW, y: y + j * 28 + 4, width: w, height: 22, fill: colour }),
        svg("text", { x: nameW + w + 6, y: y + j * 28 + 20, "font-size": 16 }, `${word} ${yuan(amount)}`));
    });
  });
  return chart;
}

/** The satisfaction rate of each community that has ratings, out of 100%. */
function satisfactionChart(rows) {
  const rated = rows.filter((r) => r.figures.ratings);
  if (!rated.length) return h("p", { class: "muted" }, "这段时间还没有居民评价。");
  const rowH = 36;
  const nameW = 120;
  const width = 640;
  const room = width - nameW - 170;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${rated.length * rowH}`, width: "100%", role: "img", class: "satisfaction-chart",
    "aria-label": rated.map((r) => `${r.name}：满意率 ${pct(r.figures.satisfactionRate)}`).join("；"),
  });
  rated.forEach((r, i) => {
    const y = i * rowH;
    const rate = Number(r.figures.satisfactionRate ?? 0);
    chart.append(
      svg("text", { x: 0, y: y + 21, "font-size": 18 }, r.name.length > 7 ? `${r.name.slice(0, 6)}…` : r.name),
      svg("rect", { x: nameW, y: y + 4, width: room, height: 24, fill: "#e8edf3" }),
      svg("rect", { x: nameW, y: y + 4, width: (room * rate) / 100, height: 24, fill: "#1b6e20" }),
      svg("text", { x: nameW + room + 8, y: y + 21, "font-size": 16 }, `${pct(r.figures.satisfactionRate)}（${r.figures.ratings} 户）`));
  });
  return chart;
}

// ---------------------------------------------------------------- table

const COLUMNS = [
  ["协商事项", (f) => f.consultations],
  ["各阶段", (f) => stageWords(f) || "—"],
  ["受理诉求", (f) => f.demandsReceived],
  ["已解决", (f) => f.demandsResolved],
  ["解决率", (f) => pct(f.resolutionRate)],
  ["认缴", (f) => yuan(f.pledged)],
  ["实缴", (f) => yuan(f.paid)],
  ["超期节点", (f) => f.overdueMilestones],
  ["超期问题", (f) => f.overdueFindings],
  ["问题平均闭环天数", (f) => orDash(f.averageDaysToClose)],
  ["表决", (f) => f.votesHeld],
  ["平均参与率", (f) => pct(f.averageTurnout)],
  ["平均满意度", (f) => orDash(f.averageSatisfaction)],
  ["满意率", (f) => pct(f.satisfactionRate)],
];

function table(rows, total) {
  const line = (street, name, f, cls) => h("tr", { class: cls },
    h("td", {}, street ?? ""), h("th", { scope: "row" }, name), COLUMNS.map(([, read]) => h("td", {}, String(read(f)))));
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "各社区明细表" },
    h("table", { class: "overview-table", id: "overview-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, label("AreaKind", "STREET")), h("th", { scope: "col" }, label("AreaKind", "COMMUNITY")),
        COLUMNS.map(([title]) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows.map((r) => line(r.streetName, r.name, r.figures, null)), line("", "合计", total, "total"))));
}

// ---------------------------------------------------------------- start, once everything above is defined

if (!me) {
  main.replaceChildren(h("h1", {}, "协商成效"), message("请先登录工作人员账号。", "info"), h("p", {}, h("a", { href: "/login" }, "登录")));
} else if (!me.can?.openOverview) {
  main.replaceChildren(h("h1", {}, "协商成效"), message("协商成效供区、街道、社区工作人员和政协委员查看。", "info"));
} else {
  main.replaceChildren(
    h("h1", {}, "协商成效"),
    h("p", { class: "muted" }, "按协商事项的创建日期统计。诉求解决率 = 已解决的诉求 ÷ 受理的诉求（合并的不算）。"),
    filters, exports, body);
  for (const control of [periodSelect, streetSelect, communitySelect]) control.addEventListener("change", () => changed(control));
  await load();
}
