// Pictures drawn as plain SVG: who pays how much, how far the money has come in, and the
// milestones planned against actual. Each picture also carries its numbers as text.
import { h, svg } from "./ui.js";
import { date, fen, label, percentOf, yuan } from "./format.js";

const PALETTE = ["#0b4f9c", "#b35900", "#1b6e20", "#7b1fa2", "#9e1c1c", "#00695c", "#5d4037", "#37474f"];

/**
 * A horizontal bar per party, its length the party's share of the total. Every bar is labelled
 * with its party, amount and percent, so no colour has to be matched to a legend.
 */
export function splitChart(shares, total) {
  const rowH = 64;
  const height = shares.length * rowH + 4;
  const chart = svg("svg", {
    viewBox: `0 0 320 ${height}`, width: "100%", role: "img", class: "split-chart",
    "aria-label": "分摊图：" + shares.map((s) => `${s.name} ${yuan(s.amount)}，占 ${percentOf(s.amount, total)}%`).join("；"),
  });
  shares.forEach((s, i) => {
    const pct = percentOf(s.amount, total);
    const y = i * rowH + 2;
    // Each bar says whose it is and how much, on one line above it: no colour to match to a legend.
    chart.append(
      svg("text", { x: 0, y: y + 17, "font-size": 16, fill: "#111", class: "split-label" },
        svg("tspan", { "font-weight": 700 }, barName(s.name)), svg("tspan", { x: 320, "text-anchor": "end" }, `${yuan(s.amount)}（${pct}%）`)),
      svg("rect", { x: 0, y: y + 26, width: 320, height: 22, fill: "#e8edf3", rx: 4 }),
      svg("rect", { x: 0, y: y + 26, width: Math.max(2, (320 * pct) / 100), height: 22, fill: PALETTE[i % PALETTE.length], rx: 4 }),
    );
  });
  const legend = h("ul", { class: "legend" },
    shares.map((s, i) => h("li", {},
      h("span", { class: "swatch", style: `background:${PALETTE[i % PALETTE.length]}`, "aria-hidden": "true" }),
      h("span", { class: "legend-name" }, s.name),
      h("strong", { class: "legend-amount" }, yuan(s.amount)),
      h("span", { class: "muted" }, ` 占 ${percentOf(s.amount, total)}%`))));
  return h("figure", { class: "split" }, chart, legend);
}

/** A party's name on its bar: long names are cut so that the amount still fits; the viewer's own
 * party (named with （本方）) keeps that mark in front. */
function barName(name) {
  const own = name.endsWith("（本方）");
  const chars = [...(own ? name.slice(0, -4) : name)];
  const room = own ? 6 : 9;
  const cut = chars.length > room ? `${chars.slice(0, room - 1).join("")}…` : chars.join("");
  return own ? `本方·${cut}` : cut;
}

/** Funding: paid and pledged against the total, as one bar with words under it. */
export function fundingBar(funding) {
  if (!funding) return h("p", { class: "muted" }, "方案通过后，这里显示资金到位情况。");
  const paid = percentOf(funding.paid, funding.total);
  const pledged = percentOf(funding.pledged, funding.total);
  return h("div", { class: "funding" },
    h("div", {
      class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(paid)),
      "aria-label": `资金到位 ${paid}%`,
    },
      h("span", { class: "bar-pledged", style: `width:${pledged}%` }),
      h("span", { class: "bar-paid", style: `width:${paid}%` })),
    h("p", { class: "bar-text" },
      h("strong", {}, `已到位 ${yuan(funding.paid)}`), `，共需 ${yuan(funding.total)}（${paid}%）。`,
      fen(funding.outstanding) > 0n ? `还差 ${yuan(funding.outstanding)}。` : "资金已全部到位。"));
}

const DAY = 86_400_000;

/**
 * Milestones on one time axis (a Gantt chart): each row is named by its milestone, with a light
 * bar for the plan under the name and a solid bar for what actually happened, a red outline when
 * overdue. The axis spans the works, planned and actual (and today while a step is still under
 * way); today is marked only when it falls inside. A list under it says the same in words.
 */
export function milestoneTimeline(milestones, now = new Date()) {
  if (!milestones.length) return h("p", { class: "muted" }, "还没有安排施工节点。");
  const t = (iso) => (iso ? new Date(iso).getTime() : null);
  const points = milestones.flatMap((m) => [t(m.plannedStart), t(m.plannedEnd), t(m.actualStart), t(m.actualEnd)]).filter(Boolean);
  // A step started and not finished runs to today, so today belongs to the works then.
  if (milestones.some((m) => m.actualStart && !m.actualEnd)) points.push(now.getTime());
  const start = Math.min(...points) - DAY;
  const end = Math.max(...points) + DAY;
  const todayInside = now.getTime() >= start && now.getTime() <= end;
  const width = 320;
  const x = (ms) => ((ms - start) / (end - start)) * width;
  const rowH = 44;
  const bottom = milestones.length * rowH;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${bottom + 20}`, width: "100%", role: "img", class: "timeline-chart",
    "aria-label": "施工节点时间图，计划与实际对比，详见下方列表",
  });
  const today = x(now.getTime());
  if (todayInside) chart.append(svg("line", { x1: today, x2: today, y1: 0, y2: bottom, stroke: "#111", "stroke-dasharray": "3 3", class: "today" }));
  milestones.forEach((m, i) => {
    const y = i * rowH + 18;
    const ps = t(m.plannedStart) ?? t(m.plannedEnd) - DAY;
    // The row's name, on a white halo so that the today line does not cross the words.
    chart.append(svg("text", {
      x: 1, y: y - 4, "font-size": 13, "font-weight": 700, fill: "#111",
      stroke: "#fff", "stroke-width": 3, "paint-order": "stroke", class: "timeline-label",
    }, rowLabel(m.title)));
    chart.append(svg("rect", {
      x: x(ps), y, width: Math.max(3, x(t(m.plannedEnd)) - x(ps)), height: 10, fill: "#9fb7d3", rx: 2,
    }));
    if (m.actualStart) {
      const ae = t(m.actualEnd) ?? now.getTime();
      chart.append(svg("rect", {
        x: x(t(m.actualStart)), y: y + 12, width: Math.max(3, x(ae) - x(t(m.actualStart))), height: 10, rx: 2,
        fill: m.status === "OVERDUE" ? "#b00020" : m.status === "DONE" ? "#1b6e20" : "#0b4f9c",
      }));
    } else if (m.status === "OVERDUE") {
      chart.append(svg("rect", { x: x(ps), y: y + 12, width: Math.max(3, x(t(m.plannedEnd)) - x(ps)), height: 10, fill: "none", stroke: "#b00020", "stroke-width": 2 }));
    }
  });
  if (todayInside) chart.append(svg("text", { x: Math.min(today + 3, width - 30), y: bottom + 14, "font-size": 11, fill: "#111" }, "今天"));
  else chart.append(svg("text", { x: 0, y: bottom + 14, "font-size": 11, fill: "#111" }, `${date(new Date(start + DAY).toISOString())} 至 ${date(new Date(end - DAY).toISOString())}`));
  const list = h("ol", { class: "milestones" }, milestones.map((m) => h("li", { class: `ms ms-${m.status.toLowerCase()}` },
    h("span", { class: `badge badge-${m.status.toLowerCase()}` }, label("MilestoneStatus", m.status)),
    " ", h("strong", {}, m.title), m.responsibleParty ? `（${m.responsibleParty.name}）` : "",
    h("br"),
    h("span", { class: "muted" }, `计划 ${m.plannedStart ? date(m.plannedStart) + " 至 " : ""}${date(m.plannedEnd)}`),
    m.actualStart ? h("span", { class: "muted" }, `；实际 ${date(m.actualStart)} 至 ${m.actualEnd ? date(m.actualEnd) : "今"}`) : "",
    h("span", {}, `；完成 ${m.progress}%`))));
  const key = h("p", { class: "chart-key muted" },
    h("span", { class: "key key-plan", "aria-hidden": "true" }), "计划 ",
    h("span", { class: "key key-actual", "aria-hidden": "true" }), "实际 ",
    h("span", { class: "key key-overdue", "aria-hidden": "true" }), "超期");
  return h("div", { class: "timeline" }, chart, key, list);
}

/** A milestone's name as a chart row's label: long names are cut to fit the chart's width. */
function rowLabel(title) {
  const chars = [...title];
  return chars.length > 24 ? `${chars.slice(0, 23).join("")}…` : title;
}

/** Ratings 1..5 as bars. */
export function distributionChart(distribution) {
  const max = Math.max(1, ...distribution);
  return h("ul", { class: "distribution", "aria-label": "评分分布" }, distribution.map((n, i) => h("li", {},
    h("span", { class: "stars" }, `${i + 1} 分`),
    h("span", { class: "dist-bar", style: `width:${(n / max) * 60}%` }),
    h("span", {}, ` ${n} 户`))).reverse());
}
