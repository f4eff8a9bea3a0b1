// The consultation's stage, its parties, 提诉求单 (demands) and 列责任单 (responsibilities).
import { mutate } from "./api.js";
import { date, dateTime, endOfDay, hint, label, words } from "./format.js";
import { field, h, onSubmit, section, select } from "./ui.js";
import { allow, fill, fillSelect, fold, msgBox, orNull, submitRow, syncList } from "./console-kit.js";
import { drawSlips } from "./console-roll.js";
import { checkDuties, checkParties, DUTY_COLUMNS, PARTY_COLUMNS, partyRow, plainDate, tableForm } from "./console-tables.js";

export const partyChoices = (c) => c.parties.map((p) => [p.id, p.name]);

export function stageSection(ctx) {
  const title = "推进阶段";
  const [el, body] = section(title, "stage");
  const note = h("textarea", { name: "note", rows: 2 });
  const buttons = h("div", { class: "actions", id: "stage-buttons" });
  const form = h("form", { class: "card write", id: "stage-form", novalidate: true },
    h("p", { class: "stage-now" }),
    field("说明（选填；取消协商时必须写明原因）", note, "会记在阶段记录里，所有人都能看到。"),
    buttons, msgBox());
  onSubmit(form, async (values, submitter) => {
    const to = submitter?.value;
    if (!to) return null;
    if (to === "CANCELLED" && !window.confirm("取消后这个协商就不能再继续了。确定要取消吗？")) return null;
    await mutate("advanceStage", { consultationId: ctx.id, to, note: orNull(note.value.trim()) }, "consultation { stage }");
    note.value = "";
    await ctx.refresh();
    return to;
  }, (to) => (to ? `已进入“${label("Stage", to)}”阶段。` : null));
  const history = h("ol", { class: "history" });
  body.append(form, h("details", {}, h("summary", {}, "阶段记录"), history));
  let shown = null;
  return {
    el, title,
    update(c) {
      fill(history, ...c.stageHistory.map((s) => h("li", {},
        `${dateTime(s.at)}：${s.from ? `${label("Stage", s.from)} → ` : "建立为"}${label("Stage", s.to)}`,
        s.by ? `（${s.by.shownName}）` : "", s.note ? `。说明：${s.note}` : "")));
      // The moves and whether each may be made now are the server's (nextStages); archiving has its own section.
      const moves = c.nextStages.filter((m) => m.stage !== "ARCHIVED");
      const signature = JSON.stringify([c.stage, moves, c.viewerCan.archive]);
      if (signature === shown) return; // the buttons stay as they are, focus included
      shown = signature;
      allow(form, c.viewerCan.advance || c.viewerCan.cancel);
      fill(form.querySelector(".stage-now"),
        "现在是“", h("strong", {}, label("Stage", c.stage)), "”阶段",
        hint("Stage", c.stage) ? `：${hint("Stage", c.stage)}。` : "。",
        c.viewerCan.archive ? `评价结束后，请到下方“${label("Stage", "ARCHIVED")}”一节办理。` : "");
      const forward = moves.filter((m) => m.stage !== "CANCELLED");
      const cancel = moves.find((m) => m.stage === "CANCELLED" && m.allowed);
      fill(buttons,
        ...forward.map((m, i) => moveButton(m, i === 0)),
        cancel ? h("button", { type: "submit", name: "to", value: "CANCELLED", class: "danger" }, "取消这个协商") : null);
    },
  };
}

/** One move: a button when it may be made now; otherwise the button, unusable, with the server's reason. */
function moveButton(move, first) {
  const text = move.skips.length
    ? `跳过“${move.skips.map((s) => label("Stage", s)).join("、")}”，直接进入：${label("Stage", move.stage)}`
    : `进入下一阶段：${label("Stage", move.stage)}`;
  if (move.allowed) return h("button", { type: "submit", name: "to", value: move.stage, class: first ? null : "secondary" }, text);
  const why = `why-${move.stage.toLowerCase()}`;
  return h("div", { class: "blocked-move" },
    h("button", { type: "button", class: "secondary", "aria-disabled": "true", "aria-describedby": why, dataset: { to: move.stage } }, text),
    h("p", { class: "muted", id: why }, move.reason?.message ?? ""));
}

export function partiesSection(ctx) {
  const title = "参与各方";
  const [el, body] = section(title, "case-parties");
  const list = h("ul", { class: "plain chips" });
  const party = h("select", { name: "partyId", required: true });
  const form = h("form", { class: "card write", id: "add-party-form", novalidate: true, dataset: { can: "addParty" } },
    field("加入一方", party, "名单里没有的，请先到工作台首页“参与方”里添加。"),
    ...submitRow("加入协商"));
  onSubmit(form, async ({ partyId }) => {
    await mutate("addParty", { consultationId: ctx.id, partyId }, "consultation { id }");
    await ctx.refresh();
    return "已加入。";
  }, (text) => text);
  // A table of parties: new ones are created (with their representative's slip), known ones join.
  const sheet = h("div", { class: "print-area slips-sheet hidden", id: "party-table-slips" });
  const table = tableForm({
    id: "party-table-form",
    title: "粘贴参与方表格",
    columns: PARTY_COLUMNS,
    path: "parties",
    hint: "名单里没有的一方会新建；填了代表姓名的，一并生成代表的邀请条。",
    example: "五川村委会, 辖区单位, 村部, 李会计, 0478-8123456",
    check: (rows) => checkParties(rows, ctx.data.parties, ctx.parties),
    submit: async (rows) => {
      const payload = await mutate("addParties", { consultationId: ctx.id, parties: rows.map(partyRow) },
        "rows { created party { name } slip { code link qrSvg account { displayName } } }");
      const slips = payload.rows.filter((r) => r.slip);
      if (slips.length) {
        drawSlips(sheet, `${ctx.data.title} 参与方代表邀请条`,
          slips.map((r) => ({ label: r.slip.account.displayName, code: r.slip.code, link: r.slip.link, qrSvg: r.slip.qrSvg })));
      }
      await ctx.refresh();
      return { added: payload.rows.length, created: payload.rows.filter((r) => r.created).length, slips: slips.length };
    },
    done: (r) => `已加入 ${r.added} 方（其中新建 ${r.created} 方）。`
      + (r.slips ? `已生成 ${r.slips} 位代表的邀请条，请在下面打印交给本人；邀请码离开本页后就看不到了。` : ""),
  });
  const tableFold = fold("＋ 粘贴参与方表格（一次加入多方）", table.el, false, "addParty");
  let opened = false;
  body.append(list, tableFold, sheet, form, h("p", {}, h("a", { href: "/console#parties" }, "到工作台首页管理参与方名单")));
  return {
    el, title,
    update(c) {
      if (!opened) tableFold.open = !c.parties.length;
      opened = true;
      table.recheck();
      syncList(list, c.parties, (p) => p.id, () => {
        const li = h("li", {});
        return { el: li, update: (p) => fill(li, h("strong", {}, p.name), " ", h("span", { class: "badge" }, label("PartyKind", p.kind))) };
      }, "还没有参与方。");
      const taking = new Set(c.parties.map((p) => p.id));
      fillSelect(party, ctx.parties.filter((p) => !taking.has(p.id)).map((p) => [p.id, `${p.name}（${label("PartyKind", p.kind)}）`]), "请选择");
    },
  };
}

/** The channels an organizer enters demands for, and how a demand can be triaged. */
const ON_BEHALF = ["HOTLINE", "GRID_WORKER", "COURIER"];
const TRIAGE = words("DemandStatus", ["ACCEPTED", "REJECTED", "MERGED"]);
const onBehalfText = () => ON_BEHALF.map((c) => label("DemandChannel", c)).join("、");

export function demandsSection(ctx) {
  const title = "提诉求单";
  const [el, body] = section(title, "demands", h("p", { class: "muted" }, `居民和各方提出的问题。诉求在“${label("Stage", "COLLECTING")}”阶段提出，在“${label("Stage", "COLLECTING")}”和“${label("Stage", "DELIBERATING")}”阶段处理。`));
  const summary = h("p", {});
  const list = h("ul", { class: "plain", id: "demand-list" });
  const form = h("form", { class: "card write", id: "demand-form", novalidate: true },
    h("p", { class: "muted" }, `${onBehalfText()}收到的诉求，在这里登记。`),
    field("来源", select("channel", words("DemandChannel", ON_BEHALF))),
    field("标题", h("input", { name: "title", required: true, autocomplete: "off" }), "一句话说清楚，例如：路灯不亮"),
    field("具体内容", h("textarea", { name: "body", required: true, rows: 3 })),
    ...submitRow("登记诉求"));
  onSubmit(form, async ({ channel, title: t, body: text }) => {
    await mutate("submitDemand", { consultationId: ctx.id, title: t, body: text, channel }, "demand { id }");
    form.reset();
    await ctx.refresh();
    return "已登记。";
  }, (text) => text);
  body.append(summary, list, fold(`＋ 代为登记诉求（${onBehalfText()}）`, form, false, "submitDemand"));
  return {
    el, title,
    update(c) {
      const demands = c.demands.edges.map((e) => e.node);
      const counts = Object.entries(words("DemandStatus")).map(([k, name]) => `${name} ${demands.filter((d) => d.status === k).length}`);
      summary.textContent = `共 ${c.demands.totalCount} 条：${counts.join("，")}。${c.demands.totalCount > demands.length ? `下面列出前 ${demands.length} 条。` : ""}`;
      syncList(list, demands, (d) => d.id, () => demandItem(ctx), "还没有诉求。");
    },
  };
}

function demandItem(ctx) {
  const info = h("div", {});
  const status = select("status", TRIAGE);
  const into = h("select", { name: "mergedIntoId" });
  const intoField = field("合并到", into);
  const form = h("form", { class: "triage write", novalidate: true, dataset: { can: "triageDemands" } },
    h("div", { class: "grid2" }, field("处理结果", status), intoField), ...submitRow("保存处理结果", { class: "secondary" }));
  const toggle = () => {
    const merging = status.value === "MERGED";
    intoField.classList.toggle("hidden", !merging);
    into.disabled = !merging;
  };
  status.addEventListener("change", toggle);
  let demandId = null;
  let filled = false;
  onSubmit(form, async ({ status: s, mergedIntoId }) => {
    await mutate("setDemandStatus", { demandId, status: s, mergedIntoId: s === "MERGED" ? orNull(mergedIntoId) : null }, "demand { status }");
    await ctx.refresh();
    return `已保存：${label("DemandStatus", s)}。`;
  }, (text) => text);
  const el = h("li", { class: "card demand" }, info, form);
  return {
    el,
    update(d) {
      demandId = d.id;
      if (!filled && d.status in TRIAGE) status.value = d.status;
      filled = true;
      fill(info,
        h("h3", {}, d.title), h("span", { class: `badge badge-${d.status.toLowerCase()}` }, label("DemandStatus", d.status)), " ",
        h("span", { class: "muted" }, `来源：${label("DemandChannel", d.channel)}；${date(d.createdAt)}`,
          d.submittedBy ? `；登记人：${d.submittedBy.shownName}` : "", `；${d.supportCount} 人支持`),
        h("p", {}, d.body),
        d.mergedInto ? h("p", { class: "muted" }, `已合并到：${d.mergedInto.title}`) : null);
      const others = ctx.data.demands.edges.map((e) => e.node).filter((o) => o.id !== d.id && o.status !== "MERGED");
      fillSelect(into, others.map((o) => [o.id, o.title]), "请选择要合并到的诉求");
      toggle();
    },
  };
}

export function dutiesSection(ctx) {
  const title = "列责任单";
  const [el, body] = section(title, "duties", h("p", { class: "muted" }, `每一方负责什么、什么时候完成。在“${label("Stage", "DELIBERATING")}”和“${label("Stage", "VOTING")}”阶段填写。`));
  const list = h("ul", { class: "plain", id: "duty-list" });
  const party = h("select", { name: "partyId", required: true });
  const form = h("form", { class: "card write", id: "duty-form", novalidate: true },
    field("负责的一方", party),
    field("负责什么", h("textarea", { name: "duty", required: true, rows: 2 }), "例如：承担维修资金 8 万元"),
    field("完成期限（选填）", h("input", { name: "dueAt", type: "date" })),
    ...submitRow("添加责任"));
  onSubmit(form, async ({ partyId, duty, dueAt }) => {
    await mutate("assignResponsibility", { consultationId: ctx.id, partyId, duty, dueAt: endOfDay(dueAt) }, "responsibility { id }");
    form.querySelector("[name=duty]").value = "";
    await ctx.refresh();
    return "已添加。";
  }, (text) => text);
  const table = tableForm({
    id: "duty-table-form",
    title: "粘贴责任表格",
    columns: DUTY_COLUMNS,
    path: "responsibilities",
    hint: "参与方要写本次协商里的名称；期限可以不填。",
    example: "五川村委会, 组织清淤, 2025-07-01",
    check: (rows) => checkDuties(rows, ctx.data),
    submit: async (rows) => {
      const payload = await mutate("assignResponsibilities", {
        consultationId: ctx.id,
        responsibilities: rows.map((r) => ({ partyId: r.partyId, duty: r.values.duty, dueAt: endOfDay(plainDate(r.values.due)) })),
      }, "responsibilities { id }");
      await ctx.refresh();
      return payload.responsibilities.length;
    },
    done: (n) => `已列出 ${n} 项责任。`,
  });
  const tableFold = fold("＋ 粘贴责任表格（一次列出多项）", table.el, false, "assignResponsibility");
  let opened = false;
  body.append(list, tableFold, fold("＋ 添加一项责任", form, false, "assignResponsibility"));
  return {
    el, title,
    update(c) {
      if (!opened) tableFold.open = !c.responsibilities.length;
      opened = true;
      table.recheck();
      syncList(list, c.responsibilities, (r) => r.id, () => {
        const li = h("li", { class: "card" });
        return {
          el: li,
          update: (r) => fill(li, h("strong", {}, r.party.name), "：", r.duty,
            h("br"), h("span", { class: "muted" }, r.dueAt ? `期限：${date(r.dueAt)}` : "未定期限")),
        };
      }, "还没有列出责任。");
      fillSelect(party, partyChoices(c), "请选择");
    },
  };
}
