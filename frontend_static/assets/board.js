// 政协委员监督看板: every consultation whose agreement is being signed or whose works are under
// way, one card each: the milestones planned against actual, the problems found and how far
// each is in the five-fixed loop (五定闭环), and the money. CPPCC members record inspections
// here and verify or send back what the responsible parties report as fixed.
//
// Each card has two kinds of parts: the data parts, drawn again whenever the consultation
// changes (pushed live), and the forms, built once and kept, so that a refresh never wipes
// what someone is typing.
import { gql, mutate, onReconnect, subscribe, UserErrors, viewer } from "./api.js";
import { mountBell } from "./bell.js";
import { fundingBar, milestoneTimeline } from "./charts.js";
import { date, dateTime, endOfDay, fromLocalInput, label, nowLocal, words } from "./format.js";
import { photoField, photoIdsOf, photoStrip } from "./photos.js";
import { debounce, field, fill, fillSelect, h, message, mountPage, onSubmit, syncChildren } from "./ui.js";

const BOARD_STAGES = ["IMPLEMENTING", "AGREED"];

const CARD_FIELDS = `
  id title location stage
  viewerCan { recordInspection }
  convener { id displayName shownName }
  parties { id name representatives { id displayName } }
  milestones {
    id title kind status progress plannedStart plannedEnd actualStart actualEnd
    responsibleParty { id name }
  }
  findings {
    id category description status resolution overdue dueAt expectedOutcome createdAt
    viewerCan { verify reopen }
    photos { url } fixPhotos { url }
    assignee { id displayName shownName }
    responsibleParty { id name }
  }
  inspections { id visitedAt inspector { shownName } }
  funding { total pledged paid outstanding ratio }
  auditTrail(first: 1) { totalCount }`;

const LIST_QUERY = `query($stage: Stage!, $after: String) {
  consultations(first: 50, stage: $stage, after: $after, inReach: true) {
    edges { node { ${CARD_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const CARD_QUERY = `query($id: ID!) { consultation(id: $id) { ${CARD_FIELDS} } }`;
const EVENTS = `subscription($id: ID!, $after: Int) {
  consultationEvents(consultationId: $id, afterSeq: $after) { seq kind }
}`;

/** The input fields of recordInspection, as the form names them to people. */
const INSPECTION_FIELD = { milestoneId: "视察的施工节点", visitedAt: "视察时间", notes: "视察情况" };
const FINDING_FIELD = {
  category: "问题类别", description: "定事项", assigneeId: "定人员", responsiblePartyId: "定责任",
  dueAt: "定时限", expectedOutcome: "定效果", photoIds: "问题照片",
};

// ---------------------------------------------------------------- page

const me = await viewer().catch(() => null);
const main = mountPage(me);
if (me?.can.openBoard) mountBell(me);
main.classList.add("wide");
// Who may watch, record a visit or verify a fix is the server's answer (viewerCan), not a guess from the roles.
const mayWatch = Boolean(me?.can.openBoard);
const watchOnly = h("p", { class: "msg msg-info hidden" }, "您以组织方身份查看。记录视察、核实整改结果由政协委员操作。");

const cards = new Map(); // consultation id -> card
const summaryLine = h("p", { class: "board-summary", id: "board-summary" }, "正在读取……");
const boardAlert = h("div", { class: "board-alert" });
const cardList = h("div", { class: "board-cards", id: "board-cards" });
let cardSeq = 0;

// ---------------------------------------------------------------- loading

let loading = null;
let loadAgain = false;

/** Fetch every consultation on the board; add, update and remove cards to match. */
async function loadAll() {
  if (loading) {
    loadAgain = true;
    return loading;
  }
  loading = (async () => {
    try {
      // A card re-read on its own while this runs has newer data than this read: it keeps it.
      const started = new Map([...cards].map(([id, card]) => [id, card.version]));
      const list = [];
      for (const stage of BOARD_STAGES) list.push(...await fetchStage(stage));
      showCards(list, started);
      boardAlert.replaceChildren();
    } catch (error) {
      boardAlert.replaceChildren(message(error.message || "看板没有读取成功，请稍后刷新页面。", "error"));
      if (!cards.size) summaryLine.replaceChildren("看板暂时没有读取到内容。");
    }
  })();
  try {
    await loading;
  } finally {
    loading = null;
  }
  if (loadAgain) {
    loadAgain = false;
    await loadAll();
  }
}

const reloadAllSoon = debounce(() => loadAll(), 300);

async function fetchStage(stage) {
  const nodes = [];
  let after = null;
  do {
    const { consultations } = await gql(LIST_QUERY, { stage, after });
    nodes.push(...consultations.edges.map((e) => e.node));
    after = consultations.pageInfo.hasNextPage ? consultations.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

function showCards(list, started = new Map()) {
  const wanted = new Set(list.map((c) => c.id));
  for (const [id, card] of cards) {
    if (!wanted.has(id)) {
      card.unsubscribe?.();
      card.el.remove();
      cards.delete(id);
    }
  }
  for (const c of list) {
    const card = cards.get(c.id);
    if (card) {
      if (started.has(c.id) && started.get(c.id) !== card.version) continue;
      card.version += 1;
      card.data = c;
      renderCard(card);
    } else {
      const created = makeCard(c);
      cards.set(c.id, created);
      listen(created);
    }
  }
  if (list.length) syncChildren(cardList, list.map((c) => cards.get(c.id).el));
  else cardList.replaceChildren(h("p", { class: "muted" }, "目前没有正在签协议或正在施工的协商。"));
  renderSummary();
}

/** Fetch one card's consultation again; a newer request wins over an older one. */
async function reloadCard(card) {
  const version = ++card.version;
  try {
    const { consultation } = await gql(CARD_QUERY, { id: card.id });
    if (version !== card.version) return;
    if (!consultation || !BOARD_STAGES.includes(consultation.stage)) {
      reloadAllSoon();
      return;
    }
    card.data = consultation;
    card.loadError.replaceChildren();
    renderCard(card);
    renderSummary();
  } catch (error) {
    card.loadError.replaceChildren(message(`最新情况没有读取成功：${error.message}`, "error"));
  }
}

/** Live: any change to the consultation re-reads its card; a stage change re-reads the board. */
function listen(card) {
  card.unsubscribe = subscribe(EVENTS, { id: card.id, after: card.data.auditTrail.totalCount }, (data) => {
    if (data.consultationEvents.kind === "STAGE_CHANGED") reloadAllSoon();
    else card.refresh();
  });
}

// ---------------------------------------------------------------- the summary line

function renderSummary() {
  const all = [...cards.values()].map((card) => counts(card.data));
  watchOnly.classList.toggle("hidden", !cards.size || [...cards.values()].some((card) => card.data.viewerCan.recordInspection));
  const total = (key) => all.reduce((sum, c) => sum + c[key], 0);
  const num = (n, bad = false) => h("strong", { class: bad && n > 0 ? "bad" : null }, String(n));
  summaryLine.replaceChildren(
    "正在监督 ", num(all.length), " 项协商：超期节点 ", num(total("overdueMilestones"), true), " 个，待整改问题 ",
    num(total("open")), " 项，其中超期 ", num(total("overdueFindings"), true), " 项，已整改待核实 ", num(total("resolved")), " 项。");
}

function counts(c) {
  const open = c.findings.filter(isOpen);
  return {
    milestones: c.milestones.length,
    overdueMilestones: c.milestones.filter((m) => m.status === "OVERDUE").length,
    doneMilestones: c.milestones.filter((m) => m.status === "DONE").length,
    open: open.length,
    overdueFindings: open.filter((f) => f.overdue).length,
    resolved: c.findings.filter((f) => f.status === "RESOLVED").length,
    verified: c.findings.filter((f) => f.status === "VERIFIED").length,
  };
}

const isOpen = (f) => f.status === "OPEN" || f.status === "REOPENED";

// ---------------------------------------------------------------- one card

function makeCard(c) {
  const n = ++cardSeq;
  const card = {
    id: c.id,
    data: c,
    version: 0,
    unsubscribe: null,
    headingId: `card-${n}-h`,
    head: h("div", { class: "card-head" }),
    loadError: h("div"),
    milestones: h("div", { class: "section-body" }),
    funding: h("div", { class: "section-body" }),
    openHeading: h("h3", { id: `card-${n}-open` }),
    openList: h("div"),
    resolvedHeading: h("h3", { id: `card-${n}-resolved` }),
    resolvedList: h("ul", { class: "findings resolved" }),
    resolvedNotice: h("div", { "aria-live": "polite" }),
    verifyForms: new Map(), // finding id -> { li, info } kept across refreshes
    verifiedSummary: h("summary", {}),
    verifiedNote: h("p", { class: "muted" }),
    verifiedList: h("ul", { class: "findings verified" }),
    verifiedItems: new Map(), // finding id -> { li, info, can } kept across refreshes
    inspection: null,
  };
  card.verified = h("details", { class: "verified-findings hidden" }, card.verifiedSummary, card.verifiedNote, card.verifiedList);
  card.refresh = debounce(() => reloadCard(card), 250);
  card.el = h("article", { class: "card board-card", "aria-labelledby": card.headingId },
    card.head,
    card.loadError,
    h("div", { class: "board-parts" },
      h("section", { "aria-labelledby": `card-${n}-ms` }, h("h3", { id: `card-${n}-ms` }, "施工节点：计划与实际"), card.milestones),
      h("section", { "aria-labelledby": `card-${n}-fund` }, h("h3", { id: `card-${n}-fund` }, "资金到位"), card.funding)),
    h("section", { "aria-labelledby": card.openHeading.id }, card.openHeading, card.openList),
    h("section", { "aria-labelledby": card.resolvedHeading.id }, card.resolvedHeading, card.resolvedNotice, card.resolvedList),
    card.verified);
  renderCard(card);
  return card;
}

/** Draw the card's data parts from card.data; the forms stay as they are. */
function renderCard(card) {
  const c = card.data;
  fill(card.head, cardHead(c, card.headingId));
  fill(card.milestones, milestonesPart(c));
  card.funding.replaceChildren(fundingBar(c.funding));
  openFindingsPart(card);
  resolvedFindingsPart(card);
  const mayInspect = c.viewerCan.recordInspection;
  if (mayInspect && !card.inspection) {
    card.inspection = inspectionForm(card);
    card.el.append(card.inspection.el);
  }
  card.inspection?.el.classList.toggle("hidden", !mayInspect);
  card.inspection?.sync(c);
  verifiedFindingsPart(card);
}

function cardHead(c, headingId) {
  const n = counts(c);
  const last = c.inspections.reduce((a, b) => (!a || new Date(b.visitedAt) > new Date(a.visitedAt) ? b : a), null);
  return [
    h("h2", { id: headingId }, h("a", { href: `/c/${encodeURIComponent(c.id)}` }, c.title)),
    h("p", { class: "card-where" },
      h("span", { class: "badge" }, label("Stage", c.stage)), " ", h("span", {}, c.location),
      c.convener ? h("span", { class: "muted" }, `，召集人：${c.convener.shownName}`) : null),
    h("p", { class: "card-counts" },
      countText(n.overdueMilestones, `超期节点 ${n.overdueMilestones} 个`, "没有超期节点"), "；",
      `待整改问题 ${n.open} 项`, n.overdueFindings ? [ "（", countText(n.overdueFindings, `超期 ${n.overdueFindings} 项`), "）"] : "", "；",
      `待核实 ${n.resolved} 项；${label("FindingStatus", "VERIFIED")} ${n.verified} 项。`),
    h("p", { class: "muted" },
      last ? `已视察 ${c.inspections.length} 次，最近一次：${dateTime(last.visitedAt)}（${last.inspector.shownName}）。` : "还没有视察记录。"),
  ];
}

function countText(n, text, none = text) {
  return n > 0 ? h("strong", { class: "bad" }, text) : none;
}

function milestonesPart(c) {
  const n = counts(c);
  const line = n.milestones === 0
    ? null
    : h("p", { class: "overdue-line" },
      n.overdueMilestones
        ? h("strong", { class: "bad" }, `${n.overdueMilestones} 个节点已超期`)
        : "没有超期的节点",
      `，共 ${n.milestones} 个节点，已完成 ${n.doneMilestones} 个。`);
  return [line, milestoneTimeline(c.milestones)];
}

function openFindingsPart(card) {
  const c = card.data;
  const open = c.findings.filter(isOpen).sort(byUrgency);
  const overdue = open.filter((f) => f.overdue).length;
  card.openHeading.replaceChildren(`待整改的问题（${open.length} 项${overdue ? `，其中超期 ${overdue} 项` : ""}）`);
  card.openList.replaceChildren(open.length
    ? h("ul", { class: "findings open" }, open.map((f) => h("li", { class: findingClass(f) }, findingDetails(f))))
    : h("p", { class: "muted" }, "没有待整改的问题。"));
}

/** Overdue first, then by deadline. */
function byUrgency(a, b) {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  return new Date(a.dueAt) - new Date(b.dueAt);
}

function findingClass(f) {
  return `finding finding-${f.status.toLowerCase()}${f.overdue ? " is-overdue" : ""}`;
}

/** A finding's status and its five fixed things (五定). */
function findingDetails(f) {
  const row = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value));
  return [
    h("p", { class: "finding-status" },
      h("span", { class: `badge badge-${f.status.toLowerCase()}` }, label("FindingStatus", f.status)),
      f.overdue ? [" ", h("span", { class: "badge badge-overdue" }, label("MilestoneStatus", "OVERDUE"))] : null,
      " ", h("span", { class: "muted" }, `${label("FindingCategory", f.category)}，${date(f.createdAt)} 发现`)),
    h("dl", { class: "five-fixed" },
      row("定事项（问题）", f.description),
      row("定人员（跟进人）", f.assignee?.shownName ?? "未指定"),
      row("定时限（整改期限）", f.overdue ? h("strong", { class: "bad" }, `${date(f.dueAt)}，${label("MilestoneStatus", "OVERDUE")}`) : date(f.dueAt)),
      row("定责任（责任方）", f.responsibleParty.name),
      row("定效果（预期效果）", f.expectedOutcome)),
    photoStrip(f.photos, "问题照片"),
    f.resolution
      ? h("p", { class: "finding-resolution" }, h("strong", {}, f.status === "REOPENED" ? "退回原因：" : "整改情况："), f.resolution)
      : null,
    photoStrip(f.fixPhotos, "整改照片"),
  ];
}

// ---------------------------------------------------------------- findings awaiting verification

function resolvedFindingsPart(card) {
  const resolved = card.data.findings.filter((f) => f.status === "RESOLVED").sort(byUrgency);
  card.resolvedHeading.replaceChildren(`已整改、等待核实的问题（${resolved.length} 项）`);
  const ids = new Set(resolved.map((f) => f.id));
  for (const id of card.verifyForms.keys()) if (!ids.has(id)) card.verifyForms.delete(id);
  const items = resolved.map((f) => {
    let entry = card.verifyForms.get(f.id);
    if (!entry || entry.can !== f.viewerCan.verify) {
      entry = { info: h("div"), li: null, can: f.viewerCan.verify };
      entry.li = h("li", { class: "finding finding-resolved" }, entry.info, entry.can ? verifyForm(card, f) : null);
      card.verifyForms.set(f.id, entry);
    }
    fill(entry.info, findingDetails(f));
    return entry.li;
  });
  if (items.length) syncChildren(card.resolvedList, items);
  else card.resolvedList.replaceChildren(h("li", { class: "muted" }, "没有等待核实的问题。"));
}

/** Verify (核实闭环) or send back for more work, with the reason for sending it back. */
function verifyForm(card, f) {
  const reason = h("textarea", { name: "resolution", rows: 2 });
  const form = h("form", { class: "verify-form", novalidate: true },
    field(`退回原因（${label("FindingStatus", "REOPENED")}时必须填写）`, reason, "写明还有哪些没有改好，责任方会看到。"),
    h("div", { class: "actions" },
      h("button", { type: "submit", dataset: { status: "VERIFIED" } }, "核实闭环"),
      h("button", { type: "submit", class: "secondary", dataset: { status: "REOPENED" } }, label("FindingStatus", "REOPENED"))));
  onSubmit(form, async (values, submitter) => {
    const status = submitter?.dataset.status === "REOPENED" ? "REOPENED" : "VERIFIED";
    if (status === "REOPENED" && !values.resolution) {
      throw new UserErrors([{ field: "resolution", code: "INVALID", message: "请写明退回的原因，告诉责任方还要怎样整改。", element: reason }]);
    }
    const input = { findingId: f.id, status, resolution: status === "REOPENED" ? values.resolution : null };
    await mutate("updateFinding", input, "finding { id status }");
    card.resolvedNotice.replaceChildren(message(`“${short(f.description)}”：${label("FindingStatus", status)}。`, "ok"));
    await reloadCard(card);
    return null;
  }, undefined, { focusFirst: true });
  return form;
}

// ---------------------------------------------------------------- verified findings, folded

/**
 * Findings verified (核实闭环) stay on the card, folded away. A CPPCC member may open one again
 * (重新打开, with the reason) when the fix did not hold; when the same problem comes back later,
 * they may instead record it again as a new finding, from the old one's five fixed things.
 */
/** 重新打开: a verified fix that did not hold goes back to the responsible party, with the reason. */
function reopenForm(card, f) {
  const reason = h("textarea", { name: "resolution", rows: 2, required: true });
  const form = h("form", { class: "reopen-form", novalidate: true },
    field("重新打开的原因", reason, "写明哪里又出了问题，责任方会看到。"),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "重新打开")));
  onSubmit(form, async (values) => {
    if (!values.resolution) {
      throw new UserErrors([{ field: "resolution", code: "INVALID", message: "请写明重新打开的原因。", element: reason }]);
    }
    await mutate("updateFinding", { findingId: f.id, status: "REOPENED", resolution: values.resolution }, "finding { id status }");
    card.resolvedNotice.replaceChildren(message(`“${short(f.description)}”：已重新打开。`, "ok"));
    await reloadCard(card);
    return null;
  }, undefined, { focusFirst: true });
  return form;
}

function verifiedFindingsPart(card) {
  const verified = card.data.findings.filter((f) => f.status === "VERIFIED");
  const mayInspect = Boolean(card.inspection && card.data.viewerCan.recordInspection);
  card.verified.classList.toggle("hidden", !verified.length);
  card.verifiedSummary.replaceChildren(`${label("FindingStatus", "VERIFIED")}的问题（${verified.length} 项）`);
  card.verifiedNote.replaceChildren(mayInspect
    ? "这些问题已经核实闭环。整改没有守住时，可以写明原因重新打开；过后又出现同样的问题时，也可以在视察记录里作为新问题再记一次。"
    : "这些问题已经核实闭环。");
  const ids = new Set(verified.map((f) => f.id));
  for (const id of card.verifiedItems.keys()) if (!ids.has(id)) card.verifiedItems.delete(id);
  const items = verified.map((f) => {
    let entry = card.verifiedItems.get(f.id);
    if (!entry || entry.can !== mayInspect || entry.reopen !== f.viewerCan.reopen) {
      entry = { info: h("div"), li: null, can: mayInspect, reopen: f.viewerCan.reopen };
      const again = mayInspect
        ? h("div", { class: "actions" }, h("button", {
            type: "button", class: "secondary record-again",
            onclick: () => card.inspection.addFinding(card.data.findings.find((x) => x.id === f.id) ?? f),
          }, "这个问题又出现了，再记一次"))
        : null;
      entry.li = h("li", { class: "finding finding-verified" }, entry.info, f.viewerCan.reopen ? reopenForm(card, f) : null, again);
      card.verifiedItems.set(f.id, entry);
    }
    fill(entry.info, findingDetails(f));
    return entry.li;
  });
  syncChildren(card.verifiedList, items);
}

const short = (text) => (text.length > 30 ? `${text.slice(0, 30)}…` : text);

// ---------------------------------------------------------------- recording an inspection

/** The 记录视察 form of one card: built once; `sync(c)` refreshes its choices without clearing it. */
function inspectionForm(card) {
  const milestoneSelect = h("select", { name: "milestoneId" });
  const visitedAt = h("input", { type: "datetime-local", name: "visitedAt", value: nowLocal(), required: true });
  const notes = h("textarea", { name: "notes", rows: 3, required: true });
  const blocks = h("div", { class: "finding-blocks" });
  const addButton = h("button", { type: "button", class: "secondary add-finding" }, "添加一个发现的问题");
  const form = h("form", { class: "inspection-form", novalidate: true },
    field("视察的施工节点（可以不选）", milestoneSelect),
    field("视察时间", visitedAt),
    field("视察情况", notes, "看到了什么，做得好的和存在的问题都可以写。"),
    h("p", { class: "muted" }, "发现问题的，每个问题都要按“五定”写清：问题是什么、谁来跟进、什么时候改好、哪一方负责、改好后的效果。"),
    blocks,
    h("div", { class: "actions" }, addButton),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "保存视察记录")));
  const el = h("details", { class: "inspect" }, h("summary", {}, "记录一次视察"), form);

  const findingBlocks = () => [...blocks.querySelectorAll("fieldset.finding-block")];
  const renumber = () => findingBlocks().forEach((block, i) => {
    block.querySelector("legend").textContent = `发现的问题 ${i + 1}`;
    block.querySelector(".remove-finding").textContent = `去掉问题 ${i + 1}`;
  });
  /** Add a finding to fill in; `from`, a verified finding whose problem came back, fills it in ahead. */
  const addFinding = (from = null) => {
    el.open = true;
    const block = findingBlock(card, me, () => {
      block.remove();
      renumber();
      addButton.focus();
    });
    blocks.append(block);
    renumber();
    if (from) copyFinding(block, from, card.data);
    block.querySelector(from ? "[name=dueAt]" : "select, textarea, input").focus();
  };
  addButton.addEventListener("click", () => addFinding());

  onSubmit(form, async (values) => {
    const missing = [...missingInspectionFields(form, values), ...findingBlocks().flatMap(missingFindingFields)];
    if (missing.length) throw new UserErrors(missing);
    const findings = findingBlocks().map(readFinding);
    const input = {
      consultationId: card.id,
      milestoneId: values.milestoneId || null,
      visitedAt: fromLocalInput(values.visitedAt) ?? "",
      notes: values.notes,
      findings,
    };
    let payload;
    try {
      payload = await mutate("recordInspection", input, "inspection { id findings { id } }");
    } catch (error) {
      throw explainErrors(error, form, findingBlocks());
    }
    notes.value = "";
    visitedAt.value = nowLocal();
    milestoneSelect.value = "";
    blocks.replaceChildren();
    card.refresh();
    return payload.inspection.findings.length;
  }, (n) => `视察记录已保存${n ? `，记下问题 ${n} 项，已列入“待整改的问题”` : ""}。`, { focusFirst: true });

  const sync = (c) => {
    fillSelect(milestoneSelect, [["", "不针对具体节点"],
      ...c.milestones.map((m) => [m.id, `${m.title}（${label("MilestoneStatus", m.status)}）`])]);
    for (const block of findingBlocks()) syncFindingChoices(block, c, me);
  };
  return { el, sync, addFinding };
}

/** One finding with its five fixed things. The category starts empty: the member picks it. */
function findingBlock(card, viewer, remove) {
  const photos = photoField({ label: "问题照片（可选）" });
  const category = h("select", { name: "category", required: true });
  fillSelect(category, Object.entries(words("FindingCategory")), "请选择问题类别");
  const party = h("select", { name: "responsiblePartyId", required: true });
  const block = h("fieldset", { class: "finding-block" },
    h("legend", {}, "发现的问题"),
    field("问题类别", category),
    field("定事项：问题是什么", h("textarea", { name: "description", rows: 2, required: true })),
    field("定责任：哪一方负责整改", party),
    field("定人员：谁来跟进", h("select", { name: "assigneeId" }), "可以不指定。选好负责整改的一方后，这里也列出该方的代表。"),
    field("定时限：最晚哪天改好", h("input", { type: "date", name: "dueAt", required: true })),
    field("定效果：改好后要达到什么效果", h("textarea", { name: "expectedOutcome", rows: 2, required: true })),
    photos.element,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary remove-finding", onclick: remove }, "去掉这个问题")));
  pickers.set(block, photos);
  // The people offered follow the party chosen: its representatives may follow up.
  party.addEventListener("change", () => syncFindingChoices(block, card.data, viewer));
  syncFindingChoices(block, card.data, viewer);
  return block;
}

/**
 * The people and parties a finding may name, from the consultation as it now stands: nobody,
 * the viewer, the convener, and the representatives of the party chosen to answer for it.
 */
function syncFindingChoices(block, c, viewer) {
  const partySelect = block.querySelector("[name=responsiblePartyId]");
  fillSelect(partySelect, [["", "请选择责任方"], ...c.parties.map((p) => [p.id, p.name])]);
  const people = [["", "不指定"], [viewer.id, `我自己（${viewer.displayName}）`]];
  if (c.convener && c.convener.id !== viewer.id) people.push([c.convener.id, `召集人（${c.convener.displayName}）`]);
  const chosen = c.parties.find((p) => p.id === partySelect.value);
  for (const rep of chosen?.representatives ?? []) {
    if (!people.some(([id]) => id === rep.id)) people.push([rep.id, `${label("Role", "PARTY_REP")}（${rep.displayName}）`]);
  }
  fillSelect(block.querySelector("[name=assigneeId]"), people);
}

/** Fill a new finding from a verified one whose problem came back; the deadline is left to set anew. */
function copyFinding(block, f, c) {
  const set = (name, value) => {
    const control = block.querySelector(`[name=${name}]`);
    control.value = value ?? "";
  };
  set("category", f.category);
  set("description", f.description);
  set("responsiblePartyId", f.responsibleParty.id);
  syncFindingChoices(block, c, me);
  set("assigneeId", f.assignee?.id);
  set("expectedOutcome", f.expectedOutcome);
}

// Each finding block's photo picker.
const pickers = new WeakMap();

function readFinding(block) {
  const value = (name) => block.querySelector(`[name=${name}]`).value.trim();
  return {
    photoIds: photoIdsOf(pickers.get(block)),
    category: value("category"),
    description: value("description"),
    assigneeId: value("assigneeId") || null,
    responsiblePartyId: value("responsiblePartyId"),
    dueAt: endOfDay(value("dueAt")) ?? "",
    expectedOutcome: value("expectedOutcome"),
  };
}

/**
 * What the form can tell is missing before sending, every one at once: the server stops at its
 * first refusal. Each error carries the control it is about, shown beside it by onSubmit.
 */
const REQUIRED_VISIT = { visitedAt: "请填写视察时间。", notes: "请写下视察情况。" };
const REQUIRED_FINDING = {
  category: "请选择问题类别。",
  description: "请写明问题是什么。",
  responsiblePartyId: "请选择哪一方负责整改。",
  dueAt: "请选择最晚哪天改好。",
  expectedOutcome: "请写明改好后要达到什么效果。",
};

function missingInspectionFields(form, values) {
  return Object.entries(REQUIRED_VISIT).filter(([name]) => !values[name]).map(([name, text]) => ({
    field: name, code: "INVALID", message: `${INSPECTION_FIELD[name]}：${text}`, fieldMessage: text,
    element: form.elements.namedItem(name),
  }));
}

function missingFindingFields(block, i) {
  return Object.entries(REQUIRED_FINDING).flatMap(([name, text]) => {
    const control = block.querySelector(`[name=${name}]`);
    if (control.value.trim()) return [];
    return [{
      field: `findings.${i}.${name}`, code: "INVALID", message: `第 ${i + 1} 个问题的“${FINDING_FIELD[name]}”：${text}`,
      fieldMessage: text, element: control,
    }];
  });
}

/**
 * The server's messages name their input by path (findings.1.dueAt): mark that control and say
 * which question it is about, keeping the server's own words.
 */
function explainErrors(error, form, blocks) {
  if (!(error instanceof UserErrors)) return error;
  const explained = error.errors.map((e) => {
    const path = (e.field ?? "").split(".");
    if (path[0] === "findings" && blocks[Number(path[1])]) {
      const i = Number(path[1]);
      const name = path[2];
      const element = blocks[i].querySelector(`[name=${name}]`);
      return { ...e, message: `第 ${i + 1} 个问题的“${FINDING_FIELD[name] ?? name}”：${e.message}`, fieldMessage: e.message, element };
    }
    if (INSPECTION_FIELD[path[0]]) {
      const element = form.elements.namedItem(path[0]);
      return { ...e, message: `${INSPECTION_FIELD[path[0]]}：${e.message}`, fieldMessage: e.message, element };
    }
    return e;
  });
  return new UserErrors(explained);
}

// ---------------------------------------------------------------- small DOM helpers


// ---------------------------------------------------------------- new slips to approve

const REISSUES = `{ pendingReissueRequests { id reason requestedAt consultation { id title }
  voterEntry { label } requestedBy { id shownName } } }`;
const reissuePanel = h("section", { class: "card hidden", id: "reissue-panel", "aria-labelledby": "reissue-title" });

/** Requests for new slips for households that already signed in: a second person approves each. */
async function loadReissues() {
  const data = await gql(REISSUES).catch(() => null);
  const pending = data?.pendingReissueRequests;
  if (!pending) {
    reissuePanel.classList.add("hidden");
    return;
  }
  const box = h("div", { class: "form-msg", "aria-live": "polite" });
  reissuePanel.classList.remove("hidden");
  fill(reissuePanel,
    h("h2", { id: "reissue-title" }, "补发邀请条待批准"),
    h("p", { class: "muted" }, "已经登录过的住户要换新邀请条（例如手机丢了），须由申请人以外的人批准。批准后这户原来的手机会退出登录；新邀请码只显示这一次，请交给该户本人。"),
    pending.length ? h("ul", {}, pending.map((r) => {
      const approve = h("button", { type: "button" }, "批准补发");
      approve.addEventListener("click", async () => {
        approve.disabled = true;
        box.replaceChildren();
        try {
          const payload = await mutate("approveReissue", { requestId: r.id }, "invitation { label code link }");
          fill(box, message(`已批准。“${payload.invitation.label}”的新邀请码：${payload.invitation.code}（${payload.invitation.link}）。只显示这一次，请抄下或打印后交给该户。`, "ok"));
          await loadReissues().then(() => reissuePanel.append(box));
        } catch (error) {
          fill(box, message(error.message, "error"));
          approve.disabled = false;
        }
      });
      return h("li", {},
        `${r.consultation?.title ?? ""}：${r.voterEntry?.label ?? ""}。原因：${r.reason}。${r.requestedBy?.shownName ?? ""}于 ${dateTime(r.requestedAt)} 申请。 `,
        r.requestedBy?.id === me?.id ? h("span", { class: "muted" }, "（您提出的申请须由他人批准）") : approve);
    })) : h("p", {}, "现在没有待批准的申请。"),
    box);
}

// ---------------------------------------------------------------- start

if (!mayWatch) {
  main.replaceChildren(
    h("h1", {}, "政协委员监督看板"),
    h("p", { class: "msg msg-info" },
      me ? "您现在的账号不能查看监督看板。监督看板供政协委员和组织方使用。" : "监督看板供政协委员和组织方使用，请先登录。",
      " ", h("a", { href: "/login?next=/board" }, me ? "换一个账号登录" : "登录")));
} else {
  main.replaceChildren(...[
    h("h1", {}, "政协委员监督看板"),
    h("p", {}, `这里列出处于“${label("Stage", "AGREED")}”和“${label("Stage", "IMPLEMENTING")}”阶段的协商：施工节点按计划和实际对比，监督中发现的问题按“五定”跟到闭环，资金到位情况一目了然。内容有变化时会自动更新。`),
    watchOnly,
    reissuePanel,
    summaryLine,
    boardAlert,
    cardList,
  ].filter(Boolean));
  await Promise.all([loadAll(), loadReissues()]);
  onReconnect(() => reloadAllSoon());
  // A slow safety net: consultations that reach AGREED elsewhere appear without a reload.
  setInterval(() => reloadAllSoon(), 120_000);
  setInterval(() => loadReissues(), 60_000);
}
