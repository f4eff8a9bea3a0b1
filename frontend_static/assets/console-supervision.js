// 定时限单 (milestones), 跟踪回访 (follow-up visits) and 存入档案单 (the sealed archive).
import { mutate } from "./api.js";
import { date, dateTime, endOfDay, fromLocalInput, label, toLocalInput, words } from "./format.js";
import { milestoneTimeline } from "./charts.js";
import { field, h, message, onSubmit, section, select } from "./ui.js";
import { allow, fill, fillSelect, fold, nowLocal, orNull, startOfDay, submitRow, syncList } from "./console-kit.js";
import { partyChoices } from "./console-sections.js";

export function milestonesSection(ctx) {
  const title = "定时限单";
  const [el, body] = section(title, "milestones",
    h("p", { class: "muted" }, `施工的每一步和完成期限。在“${label("Stage", "AGREED")}”和“${label("Stage", "IMPLEMENTING")}”阶段安排和更新。`));
  const timeline = h("div", { class: "timeline-box" });
  const list = h("ul", { class: "plain", id: "milestone-list" });
  const party = h("select", { name: "responsiblePartyId" });
  const form = h("form", { class: "card write", id: "milestone-form", novalidate: true },
    field("节点名称", h("input", { name: "title", required: true, autocomplete: "off" }), "例如：路面硬化"),
    h("div", { class: "grid2" }, field("类别", select("kind", words("MilestoneKind"))), field("负责的一方（选填）", party)),
    h("div", { class: "grid2" },
      field("计划开始日期（选填）", h("input", { name: "plannedStart", type: "date" })),
      field("计划完成日期", h("input", { name: "plannedEnd", type: "date", required: true }))),
    ...submitRow("添加节点"));
  onSubmit(form, async (v) => {
    await mutate("addMilestone", {
      consultationId: ctx.id, title: v.title, kind: v.kind, responsiblePartyId: orNull(v.responsiblePartyId),
      plannedStart: startOfDay(v.plannedStart), plannedEnd: endOfDay(v.plannedEnd),
    }, "milestone { id }");
    form.reset();
    await ctx.refresh();
    return "已添加。";
  }, (text) => text);
  body.append(timeline, list, fold("＋ 添加施工节点", form, false, "addMilestone"));
  return {
    el, title,
    update(c) {
      fill(timeline, milestoneTimeline(c.milestones));
      syncList(list, c.milestones, (m) => m.id, () => milestoneItem(ctx), null);
      fillSelect(party, partyChoices(c), "不指定");
    },
  };
}

function milestoneItem(ctx) {
  const heading = h("summary", {});
  const history = h("ul", { class: "updates" });
  const progress = h("input", { name: "progress", type: "number", min: 0, max: 100, inputmode: "numeric" });
  const actualStart = h("input", { name: "actualStart", type: "datetime-local" });
  const actualEnd = h("input", { name: "actualEnd", type: "datetime-local" });
  const note = h("input", { name: "note", autocomplete: "off" });
  let milestoneId = null;
  let filled = false;
  const form = h("form", { class: "write", novalidate: true },
    h("div", { class: "grid2" }, field("完成进度（0 到 100）", progress), field("情况说明（选填）", note)),
    h("div", { class: "grid2" }, field("实际开始时间（选填）", actualStart), field("实际完成时间（选填）", actualEnd, "进度到 100 时不填则按当时计")),
    ...submitRow("报告进度", { class: "secondary" }));
  onSubmit(form, async (v) => {
    await mutate("updateMilestone", {
      milestoneId, progress: v.progress === "" ? null : Number(v.progress),
      actualStart: fromLocalInput(v.actualStart), actualEnd: fromLocalInput(v.actualEnd), note: orNull(v.note),
    }, "milestone { progress }");
    note.value = "";
    await ctx.refresh();
    return "已报告。";
  }, (text) => text);
  const el = h("li", { class: "card" }, h("details", {}, heading, history, form));
  return {
    el,
    update(m) {
      milestoneId = m.id;
      allow(form, m.viewerCan.update);
      heading.textContent = `${m.viewerCan.update ? "报告进度" : "进度记录"}：${m.title}（${label("MilestoneStatus", m.status)}，${m.progress}%）`;
      fill(history, ...m.updates.map((u) => h("li", {},
        `${dateTime(u.at)}：${u.progress}%`, u.by ? `（${u.by.shownName}）` : "", u.note ? `　${u.note}` : "")));
      if (!filled) {
        progress.value = String(m.progress);
        if (m.actualStart) actualStart.value = toLocalInput(m.actualStart);
        if (m.actualEnd) actualEnd.value = toLocalInput(m.actualEnd);
        filled = true;
      }
    },
  };
}

export function followUpsSection(ctx) {
  const title = "跟踪回访";
  const [el, body] = section(title, "follow-ups", h("p", { class: "muted" }, `施工中和完工后上门回访的记录。在“${label("Stage", "IMPLEMENTING")}”和“${label("Stage", "EVALUATING")}”阶段填写。`));
  const list = h("ul", { class: "plain", id: "follow-up-list" });
  const at = h("input", { name: "at", type: "datetime-local", required: true, value: nowLocal() });
  const form = h("form", { class: "card write", id: "follow-up-form", novalidate: true },
    field("回访时间", at),
    field("回访情况", h("textarea", { name: "notes", required: true, rows: 3 }), "例如：走访 12 户，路面平整，雨后不再积水。"),
    ...submitRow("记录回访"));
  onSubmit(form, async (v) => {
    await mutate("recordFollowUp", { consultationId: ctx.id, at: fromLocalInput(v.at), notes: v.notes }, "followUp { id }");
    form.querySelector("[name=notes]").value = "";
    await ctx.refresh();
    return "已记录。";
  }, (text) => text);
  body.append(list, fold("＋ 记录一次回访", form, false, "recordFollowUp"));
  return {
    el, title,
    update(c) {
      syncList(list, c.followUps, (f) => f.id, () => {
        const li = h("li", { class: "card" });
        return { el: li, update: (f) => fill(li, h("strong", {}, date(f.at)), f.by ? `（${f.by.shownName}）` : "", "：", f.notes) };
      }, "还没有回访记录。");
    },
  };
}

export function archiveSection(ctx) {
  const title = label("Stage", "ARCHIVED");
  const [el, body] = section(title, "archive");
  const state = h("div", {});
  const form = h("form", { class: "card write", id: "archive-form", novalidate: true, dataset: { can: "archive" } },
    h("p", {}, `${title}后，整个协商过程（七张单、表决、资金、监督、评价）封存为一份档案，不能再修改。只有在“${label("Stage", "EVALUATING")}”阶段才能${title}。`),
    field(`${title}说明（选填）`, h("textarea", { name: "note", rows: 2 })),
    ...submitRow(title, { class: "danger" }));
  onSubmit(form, async ({ note }) => {
    if (!window.confirm(`${title}后不能再修改。确定${title}吗？`)) return null;
    await mutate("archiveConsultation", { consultationId: ctx.id, note: orNull(note) }, "consultation { stage }");
    await ctx.refresh();
    return `已${title}。`;
  }, (text) => text);
  body.append(state, form);
  return {
    el, title,
    update(c) {
      const d = c.dossier;
      fill(state, d
        ? h("div", { class: "card" },
          message(`已于 ${dateTime(d.sealedAt)} ${title}。`, "ok"),
          h("p", {}, h("a", { href: d.htmlUrl, class: "button", id: "dossier-link" }, "打开可打印的档案")),
          h("p", { class: "muted hash" }, `档案校验码（SHA-256）：${d.sha256}`))
        : c.stage === "CANCELLED" ? h("p", { class: "muted" }, `${label("Stage", "CANCELLED")}的协商不${title}。`)
          : c.viewerCan.archive ? "" : h("p", { class: "muted" }, `到了“${label("Stage", "EVALUATING")}”阶段，可以在这里${title}。`));
    },
  };
}
