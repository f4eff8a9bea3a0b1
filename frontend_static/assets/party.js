// 参与方工作台 (/party): a party's representative sees, for every consultation their party is in,
// what it must do (its duties, the findings and milestones it answers for), what it owes (its share
// of the split, explained in words) and what it has paid, and signs its share (签协议) in one
// deliberate step. Organizers open it as any party (?party=<id>). Each card follows its
// consultation live.
import { gql, mutate, onReconnect, subscribe, VIEWER_CAN, withCan } from "./api.js";
import { mountBell } from "./bell.js";
import { splitChart } from "./charts.js";
import { date, dateTime, hint, label, percentOf, yuan } from "./format.js";
import { photoField, photoIdsOf, photoStrip } from "./photos.js";
import { debounce, field, fill, h, message, mountPage, onSubmit } from "./ui.js";

const ME = `{ viewer { id displayName roles ownPassword party { id name } } ${VIEWER_CAN} }`;
// inReach: an organizer looking as a party sees the consultations of their own areas; reps have none.
const LIST = "{ consultations(first: 100, inReach: true) { edges { node { id title stage parties { id } } } } }";
const CASE = `query($id: ID!) { consultation(id: $id) {
  id title location stage
  responsibilities { id party { id } duty dueAt }
  proposals { id title status costPlan { total method fullyConfirmed shares {
    id party { id name } amount percent weight confirmedAt confirmedOnBehalf confirmedBy { shownName }
    paid outstanding contributions { id amount receivedAt note } viewerCan { confirm } } } }
  milestones { id title responsibleParty { id } plannedEnd progress status viewerCan { update } }
  findings { id category description responsibleParty { id } dueAt expectedOutcome status resolution overdue viewerCan { resolve } photos { url phoneUrl } fixPhotos { url phoneUrl } }
} }`;
const EVENTS = "subscription($id: ID!, $after: Int) { consultationEvents(consultationId: $id, afterSeq: $after) { seq } }";

const main = document.querySelector("main");
const cards = new Map(); // consultation id -> { el, reload }

async function start() {
  const data = await gql(ME);
  const me = withCan(data);
  mountPage(me);
  if (me?.can.openParty) mountBell(me);
  if (!me || !me.can.openParty) {
    fill(main, h("h1", {}, "参与方工作台"),
      message("这里是出钱或负责的各方（商户、单位、街道）的页面。请用工作人员给您的邀请条上的邀请码登录。", "info"),
      h("p", {}, h("a", { class: "button", href: "/" }, "输入邀请码"), " ", h("a", { href: "/login" }, "用密码登录")));
    return;
  }
  const party = me.party ?? (await pickedParty());
  if (!party) return;
  document.title = `${party.name} · 参与方工作台`;
  const list = h("div", { id: "cases" }, h("p", { class: "muted" }, "正在读取……"));
  fill(main,
    h("h1", {}, `${party.name}：参与方工作台`),
    me.ownPassword === false
      ? h("p", { class: "msg msg-warn", role: "note" }, "您的密码是工作人员设定的。", h("a", { href: "/login#password" }, "改成只有您知道的密码"), "，之后您确认的分担才算贵方亲自确认。")
      : null,
    h("p", { class: "muted" }, "贵方参加的每一项协商：要做的事、要出的钱、已经付了多少，以及需要整改的问题。页面会随进展自动更新。"),
    list);
  const all = (await gql(LIST)).consultations.edges.map((e) => e.node);
  const mine = all.filter((c) => c.parties.some((p) => p.id === party.id));
  if (!mine.length) {
    fill(list, message("贵方目前没有参加任何协商。", "info"));
    return;
  }
  fill(list, ...mine.map((c) => caseCard(c.id, party)));
  onReconnect(() => cards.forEach((card) => card.reload()));
}

/** Organizers pick the party to look as; the choice lives in the address (?party=<id>). */
async function pickedParty() {
  const { parties } = await gql("{ parties { id name } }");
  const wanted = new URLSearchParams(location.search).get("party");
  const party = parties.find((p) => p.id === wanted);
  if (party) return party;
  const form = h("form", { class: "card", method: "get", action: "/party" },
    field("以哪一方的身份查看", h("select", { name: "party", required: true },
      h("option", { value: "" }, "请选择参与方"), ...parties.map((p) => h("option", { value: p.id }, p.name)))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "查看")));
  fill(main, h("h1", {}, "参与方工作台"), h("p", {}, "组织方可以按任何一方的身份查看这一方看到的内容。"), form);
  return null;
}

function caseCard(id, party) {
  const el = h("article", { class: "card case", dataset: { consultation: id } }, h("p", { class: "muted" }, "正在读取……"));
  let seen = null;
  // A form someone is filling in (a fix report with its photos uploading, say) is not wiped by
  // another party's news: the card is redrawn once that form is sent (which calls reload(true)).
  el.addEventListener("input", (event) => event.target.form?.setAttribute("data-dirty", ""));
  el.addEventListener("change", (event) => event.target.form?.setAttribute("data-dirty", ""));
  const redraw = debounce(async () => {
    const { consultation: c } = await gql(CASE, { id });
    if (!c) return el.remove();
    fill(el, ...caseParts(c, party, reload));
  }, 200);
  const reload = (sent = false) => {
    if (!sent && el.querySelector("form[data-dirty]")) return;
    redraw();
  };
  cards.set(id, { el, reload });
  reload();
  subscribe(EVENTS, { id, after: seen }, (data) => {
    seen = data.consultationEvents.seq;
    reload();
  });
  return el;
}

function caseParts(c, party, reload) {
  const ours = (thing) => thing.party?.id === party.id || thing.responsibleParty?.id === party.id;
  return [
    h("h2", {}, c.title, " ", h("span", { class: "badge" }, label("Stage", c.stage))),
    h("p", { class: "muted" }, c.location, "　", h("a", { href: `/c/${encodeURIComponent(c.id)}` }, "查看协商全过程")),
    duties(c.responsibilities.filter(ours)),
    ...c.proposals.filter((p) => p.costPlan && p.status !== "DRAFT" && p.status !== "WITHDRAWN")
      .map((p) => planPart(p, party, reload)),
    findingsPart(c.findings.filter(ours), reload),
    milestonesPart(c.milestones.filter(ours), reload),
  ];
}

function duties(list) {
  return h("section", { class: "part" }, h("h3", {}, "本方责任（列责任单）"),
    list.length
      ? h("ul", {}, list.map((r) => h("li", {}, r.duty, r.dueAt ? h("span", { class: "muted" }, `（${date(r.dueAt)} 前）`) : null)))
      : h("p", { class: "muted" }, "没有列给本方的责任。"));
}

function planPart(proposal, party, reload) {
  const plan = proposal.costPlan;
  const share = plan.shares.find((s) => s.party.id === party.id);
  if (!share) return null;
  const figure = splitChart(plan.shares.map((s) => ({ name: s.party.id === party.id ? `${s.party.name}（本方）` : s.party.name, amount: s.amount })), plan.total);
  figure.querySelectorAll(".legend li")[plan.shares.indexOf(share)]?.classList.add("mine");
  return h("section", { class: "part" },
    h("h3", {}, `费用分摊：${proposal.title}`, " ", h("span", { class: "badge" }, label("ProposalStatus", proposal.status))),
    h("p", {}, `总费用 ${yuan(plan.total)}，${label("SplitMethod", plan.method)}：${hint("SplitMethod", plan.method) || ""}`),
    h("p", { class: "own-share" }, "本方分担 ", h("strong", {}, yuan(share.amount)), `，占 ${percentOf(share.amount, plan.total)}%。`),
    figure,
    signing(share, party, reload),
    payments(share));
}

/** 签协议: confirmed (by whom, and whether on the party's behalf), or one deliberate step to confirm. */
function signing(share, party, reload) {
  if (share.confirmedAt) {
    return h("p", { class: "msg msg-ok" },
      `${dateTime(share.confirmedAt)} 已确认`, share.confirmedBy ? `，确认人：${share.confirmedBy.shownName}` : "",
      share.confirmedOnBehalf ? "（由组织方代为确认）" : "", "。");
  }
  if (!share.viewerCan.confirm) return h("p", { class: "muted" }, "本方分担还没有确认。");
  const box = h("div", { class: "confirm-share" });
  const ask = () => fill(box,
    h("p", { class: "msg msg-warn", role: "alert" }, `您将代表「${party.name}」确认分担 ${yuan(share.amount)}。确认后记入协商记录，不能撤回。`),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: sign }, `确认分担 ${yuan(share.amount)}`),
      h("button", { type: "button", class: "secondary", onclick: idle }, "取消")));
  const idle = () => fill(box, h("button", { type: "button", onclick: ask }, "确认本方分担（签协议）"));
  async function sign(event) {
    event.target.disabled = true;
    try {
      await mutate("confirmShare", { shareId: share.id }, "share { id }");
      reload(true);
    } catch (error) {
      fill(box, message(error.message, "error"));
    }
  }
  idle();
  return box;
}

function payments(share) {
  return h("div", { class: "payments" },
    h("p", {}, "已付 ", h("strong", {}, yuan(share.paid)), "，还欠 ", h("strong", {}, yuan(share.outstanding)), "。"),
    share.contributions.length
      ? h("table", {}, h("caption", {}, "每一笔到账"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "日期"), h("th", { scope: "col" }, "金额"), h("th", { scope: "col" }, "说明"))),
          h("tbody", {}, share.contributions.map((p) => h("tr", {}, h("td", {}, date(p.receivedAt)), h("td", {}, yuan(p.amount)), h("td", {}, p.note || "")))))
      : h("p", { class: "muted" }, "还没有到账记录。"));
}

function findingsPart(list, reload) {
  return h("section", { class: "part" }, h("h3", {}, "要本方整改的问题"),
    list.length
      ? h("ul", { class: "plain" }, list.map((f) => h("li", { class: `card finding${f.overdue ? " overdue" : ""}` },
          h("p", {}, h("span", { class: "badge" }, label("FindingCategory", f.category)), " ",
            h("span", { class: "badge" }, label("FindingStatus", f.status)),
            f.overdue ? [" ", h("span", { class: "badge badge-overdue" }, label("MilestoneStatus", "OVERDUE"))] : null),
          h("p", {}, f.description),
          photoStrip(f.photos, "问题照片"),
          h("p", { class: "muted" }, `期限 ${date(f.dueAt)}；要达到：${f.expectedOutcome}`),
          f.resolution ? h("p", {}, `整改情况：${f.resolution}`) : null,
          photoStrip(f.fixPhotos, "整改照片"),
          // A fix is reported on an open or reopened finding; a reported one waits for the check.
          f.viewerCan.resolve && (f.status === "OPEN" || f.status === "REOPENED") ? fixForm(f, reload) : null)))
      : h("p", { class: "muted" }, "没有要本方整改的问题。"));
}

/** 报告整改: what was done; the finding then waits for the CPPCC member's check. */
function fixForm(finding, reload) {
  const photos = photoField({ label: "整改照片（可选）" });
  const form = h("form", { class: "fix", novalidate: true },
    field("整改情况", h("textarea", { name: "resolution", required: true, rows: 3 }), "写清楚做了什么、什么时候做完的。报告后由政协委员核实。"),
    photos.element,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "报告整改完成")));
  onSubmit(form, async ({ resolution }) => {
    const photoIds = photoIdsOf(photos);
    await mutate("updateFinding", { findingId: finding.id, status: "RESOLVED", resolution, photoIds }, "finding { id }");
    reload(true);
  });
  return form;
}

function milestonesPart(list, reload) {
  return h("section", { class: "part" }, h("h3", {}, "本方负责的进度（定时限单）"),
    list.length
      ? h("ul", { class: "plain" }, list.map((m) => h("li", { class: "card" },
          h("p", {}, h("strong", {}, m.title), " ", h("span", { class: "badge" }, label("MilestoneStatus", m.status))),
          h("p", { class: "muted" }, `计划 ${date(m.plannedEnd)} 完成，现在 ${m.progress}%`),
          h("progress", { max: 100, value: m.progress, "aria-label": `${m.title} 进度` }),
          m.viewerCan.update ? progressForm(m, reload) : null)))
      : h("p", { class: "muted" }, "没有本方负责的进度。"));
}

/** 报告进度: a percentage and a note; every report is kept. */
function progressForm(milestone, reload) {
  const photos = photoField({ label: "现场照片（可选）" });
  const form = h("form", { class: "progress-report", novalidate: true },
    field("完成百分比", h("input", { name: "progress", type: "number", min: 0, max: 100, step: 1, required: true, value: milestone.progress, inputmode: "numeric" })),
    field("情况说明", h("input", { name: "note", autocomplete: "off" }), "例如：管网开挖完成"),
    photos.element,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "报告进度")));
  onSubmit(form, async ({ progress, note }) => {
    const photoIds = photoIdsOf(photos);
    await mutate("updateMilestone", { milestoneId: milestone.id, progress: Number(progress), note: note || null, photoIds }, "milestone { id }");
    reload(true);
  });
  return form;
}

start().catch((error) => fill(main, message(error.message, "error")));
