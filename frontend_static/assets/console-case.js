// /console/<id>: one consultation, section by section along the seven forms (七单会商).
// Forms are built once; each refresh only redraws the data around them, so typing survives
// live updates from other organizers.
import { gql, onReconnect, subscribe } from "./api.js";
import { dateTime, label, STAGE_ORDER } from "./format.js";
import { debounce, h, message } from "./ui.js";
import { allow, fill } from "./console-kit.js";
import { demandsSection, dutiesSection, partiesSection, stageSection } from "./console-sections.js";
import { archiveSection, followUpsSection, milestonesSection } from "./console-supervision.js";
import { proposalsSection } from "./console-proposals.js";
import { rollSection } from "./console-roll.js";
import { pollsSection } from "./console-polls.js";

const CONSULTATION = `query($id: ID!) {
  consultation(id: $id) {
    id title summary location helpPhone stage createdAt
    stageHistory { from to at note by { shownName } }
    nextStages { stage skips allowed needsNote reason { message } }
    viewerCan { advance cancel archive addParty submitDemand triageDemands assignResponsibility createProposal
      createPoll setVoterRoll issueInvitations addMilestone recordFollowUp }
    parties { id name kind }
    demands(first: 100) { totalCount edges { node {
      id title body channel status supportCount createdAt submittedBy { shownName } mergedInto { id title } } } }
    responsibilities { id party { id name } duty dueAt }
    proposals { id title body status budget createdAt author { shownName }
      viewerCan { update adopt reject setCostPlan }
      costPlan { total method fullyConfirmed shares { id party { id name } amount percent weight confirmedAt
        confirmedBy { shownName } confirmedOnBehalf paid outstanding contributions { id amount receivedAt note }
        viewerCan { confirm recordContribution } } } }
    adoptedProposal { id }
    funding { total pledged paid outstanding ratio }
    polls { id question kind status secret allowRevote liveResults tallyBatch opensAt closesAt electorateSize maxChoices
      viewerCan { open close recordPaperBallot }
      rule { preset quorumPercent threshold byArea }
      options { id label proposal { id title } }
      tally { ballotsCast electorateSize turnout quorumMet outcome winner { label }
        options { option { id } votes weight } } }
    milestones { id title kind responsibleParty { id name } plannedStart plannedEnd actualStart actualEnd progress status
      updates { at progress note by { shownName } } viewerCan { update } }
    followUps { id at notes by { shownName } }
    dossier { sealedAt sha256 htmlUrl }
    auditTrail(first: 1) { totalCount }
  }
  parties { id name kind }
}`;

// The roll's size only, counted by the server: a district's roll runs to tens of thousands of
// households, so the page never loads the whole roll (the roll section and the ballot form page it).
const ROLL = `query($id: ID!) { consultation(id: $id) { rollSummary { households weight signedIn }
  reissueRequests { id status reason requestedAt voterEntry { id label } requestedBy { shownName } approvedBy { shownName } }
  viewerCan { requestReissue } } }`;

const EVENTS = `subscription($id: ID!, $after: Int) { consultationEvents(consultationId: $id, afterSeq: $after) { seq kind } }`;

export async function consultationPage(main, me, id) {
  const ctx = { id, me, data: null, parties: [], rollSummary: null };
  let sections = [];
  let loadSeq = 0;
  let rollSeq = 0;
  const status = h("div", { class: "live-status", "aria-live": "polite" });

  ctx.refresh = async () => {
    const mine = ++loadSeq;
    let data;
    try {
      data = await gql(CONSULTATION, { id });
    } catch (error) {
      if (mine === loadSeq) fill(status, message(`刷新没有成功：${error.message}`, "error"));
      return null;
    }
    if (mine !== loadSeq) return data;
    fill(status);
    if (data.consultation) {
      ctx.data = data.consultation;
      ctx.parties = data.parties;
      apply();
    }
    return data;
  };
  ctx.refreshRoll = async () => {
    const mine = ++rollSeq;
    const data = await gql(ROLL, { id }).catch(() => null);
    if (mine !== rollSeq || !data?.consultation) return;
    ctx.rollSummary = data.consultation.rollSummary ?? { households: 0, weight: "0", signedIn: 0 };
    ctx.reissues = data.consultation.reissueRequests ?? [];
    ctx.mayReissue = Boolean(data.consultation.viewerCan?.requestReissue);
    sections.forEach((s) => s.roll?.(ctx.rollSummary, ctx));
  };

  const first = await ctx.refresh();
  if (!first) {
    fill(main, h("h1", {}, "组织方工作台"), status, h("p", {}, h("a", { href: "/console" }, "返回工作台")));
    return;
  }
  if (!first.consultation) {
    fill(main, h("h1", {}, "找不到这个协商"),
      message("这个协商不存在，或者您没有查看它的权限。", "error"),
      h("p", {}, h("a", { href: "/console" }, "返回工作台")));
    return;
  }

  const head = headSection();
  const roll = rollSection(ctx);
  sections = [
    head,
    stageSection(ctx),
    partiesSection(ctx),
    demandsSection(ctx),
    dutiesSection(ctx),
    proposalsSection(ctx),
    roll,
    pollsSection(ctx),
    milestonesSection(ctx),
    followUpsSection(ctx),
    archiveSection(ctx),
  ];
  const toc = h("nav", { class: "toc", "aria-label": "本页内容" },
    sections.filter((s) => s.el.id && s.title).map((s) => h("a", { href: `#${s.el.id}` }, s.title)));
  fill(main, head.el, status, toc, ...sections.slice(1).flatMap((s) => (s === roll ? [s.el, roll.sheet] : [s.el])));

  function apply() {
    const c = ctx.data;
    document.title = `${c.title} · 组织方工作台`;
    sections.forEach((s) => s.update?.(c, ctx));
    // A form for the consultation shows only when the server says this viewer may use it now.
    for (const el of main.querySelectorAll("[data-can]")) allow(el, c.viewerCan[el.dataset.can]);
  }
  apply();
  ctx.refreshRoll();

  // Live: every audited write to this consultation, from anyone, brings a fresh read.
  let lastSeq = first.consultation.auditTrail.totalCount;
  const later = debounce(() => ctx.refresh(), 250);
  const rollLater = debounce(() => ctx.refreshRoll(), 250);
  subscribe(EVENTS, { id, after: lastSeq }, (data) => {
    const event = data.consultationEvents;
    if (event.seq <= lastSeq) return;
    lastSeq = event.seq;
    if (event.kind === "VOTER_ROLL_SET" || event.kind === "INVITATIONS_ISSUED") rollLater();
    later();
  });
  onReconnect(() => {
    later();
    rollLater();
  });
}

/** Title, stage and where the consultation is seen by the public. */
function headSection() {
  const title = h("h1", {});
  const badge = h("span", { class: "badge stage-badge" });
  const where = h("p", { class: "muted" });
  const summary = h("p", {});
  const stepper = h("ol", { class: "stepper", "aria-label": "协商进度" });
  const links = h("p", { class: "actions" });
  const readonly = h("div");
  const el = h("div", { class: "case-head" }, h("p", {}, h("a", { href: "/console" }, "← 返回工作台")),
    title, h("p", {}, "当前阶段：", badge), stepper, where, summary, links, readonly);
  return {
    el,
    update(c) {
      title.textContent = c.title;
      badge.textContent = label("Stage", c.stage);
      badge.dataset.stage = c.stage;
      where.textContent = `${c.location}；建立于 ${dateTime(c.createdAt)}`;
      summary.textContent = c.summary;
      const at = STAGE_ORDER.indexOf(c.stage);
      fill(stepper, ...STAGE_ORDER.map((stage, i) => h("li", {
        class: i < at ? "done" : i === at ? "current" : null, "aria-current": i === at ? "step" : null,
      }, label("Stage", stage))));
      stepper.classList.toggle("hidden", c.stage === "CANCELLED");
      const id = encodeURIComponent(c.id);
      fill(links,
        !c.stageHistory.some((s) => s.to !== "DRAFT" && s.to !== "CANCELLED")
          ? h("span", { class: "muted" }, "草稿尚未公开，居民还看不到。")
          : h("a", { class: "button secondary", href: `/c/${id}` }, "查看公开页面"),
        c.dossier ? h("a", { class: "button secondary", href: c.dossier.htmlUrl }, "打开档案（可打印）") : null);
      fill(readonly,
        c.stage === "CANCELLED" ? message(`这个协商${label("Stage", "CANCELLED")}，只能查看，不能再修改。`, "info")
          : c.stage === "ARCHIVED" ? message(`这个协商已${label("Stage", "ARCHIVED")}，只能查看，不能再修改。`, "info") : "");
    },
  };
}
