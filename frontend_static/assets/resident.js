// The consultation page, made first for residents on their phones: where things stand,
// the vote (with its receipt), the money, the works and the rating. Opened from an
// invitation slip's QR code at /i/<code>, or at /c/<consultationId>.
import { forgetKeptPages, gql, KEPT_PAGE, mutate, onReconnect, subscribe, VIEWER_CAN, withCan } from "./api.js";
import { fundingBar, milestoneTimeline, splitChart, distributionChart } from "./charts.js";
import { date, dateTime, hint, label, ratioText, shareOf, STAGE_ORDER, yuan } from "./format.js";
import { photoField, photoIdsOf, photoStrip } from "./photos.js";
import { debounce, field, fill, h, message, mountPage, onSubmit, section, showError, syncChildren } from "./ui.js";

const TALLY_FIELDS = "version ballotsCast electorateSize turnout quorumMet outcome winner { id label } options { option { id label } votes }";
const EVENTS_SUBSCRIPTION = "subscription($id: ID!, $after: Int) { consultationEvents(consultationId: $id, afterSeq: $after) { seq kind } }";
const TALLY_SUBSCRIPTION = `subscription($id: ID!) { pollTally(pollId: $id) { ${TALLY_FIELDS} } }`;
// What castVote answers with: the receipt to keep, and the tally as this vote left it.
const CAST_VOTE_SELECT = `ballot { receipt castAt choices { id label } } tally { ${TALLY_FIELDS} }`;
const CONSULTATION_FIELDS = `
    id title summary location stage
    viewerCan { submitDemand supportDemand rate }
    demands(first: 100) { totalCount edges { node { id title body channel status supportCount supportedByViewer createdAt photos { url phoneUrl } } } }
    responsibilities { id party { name } duty dueAt }
    proposals { id title body status budget costPlan { total method fullyConfirmed shares { id party { name } amount confirmedAt } } }
    adoptedProposal { id title }
    polls {
      id question kind status maxChoices opensAt closesAt secret allowRevote liveResults tallyBatch electorateSize viewerCanVote
      options { id label proposal { id title } }
      rule { preset quorumPercent threshold byArea }
      myBallot { receipt castAt origin choices { id label } }
      tally { ${TALLY_FIELDS} }
    }
    funding { total pledged paid outstanding ratio }
    milestones { id title kind responsibleParty { name } plannedStart plannedEnd actualStart actualEnd progress status }
    findings { id category description responsibleParty { name } dueAt expectedOutcome status resolution overdue }
    evaluation { count average distribution satisfactionRate myRating { score comment at } }
    dossier { htmlUrl }
    auditTrail(first: 1) { totalCount headHash }`;
const QUERY = `query($id: ID!) {
  viewer { id displayName roles }
  viewerSession { slipUsedBefore }
  ${VIEWER_CAN}
  consultation(id: $id) { ${CONSULTATION_FIELDS} }
}`;
// Redeeming a slip answers with the whole page as the household now signed in sees it: on a slow
// network the vote is drawn from this one answer, without a second round trip.
const REDEEM_SELECT = `consultation { ${CONSULTATION_FIELDS} } viewer { id displayName roles } session { slipUsedBefore }`;
const NOTHING_YET = { openConsole: false, openBoard: false, openParty: false, createConsultation: false, createParty: false, createAccount: false, grantRoles: false, openOverview: false };

// What each choice of a yes/no/abstain vote means, in plain words.
const MEANING = {
  赞成: ["yes", "同意这个方案：按方案施工，各方按方案出钱。"],
  反对: ["no", "不同意这个方案：方案需要重新商量。"],
  弃权: ["abstain", "不表态：算您参加了投票，但不算赞成也不算反对。"],
};
function signedText(shares) {
  const signed = shares.filter((s) => s.confirmedAt).length;
  return signed
    ? `${signed} 方已签字认下自己要出的钱，还有 ${shares.length - signed} 方没签。`
    : `${shares.length} 方都还没签字认下自己要出的钱。`;
}
const SCORE_WORDS = ["很不满意", "不满意", "一般", "满意", "很满意"];

const state = { id: null, data: null, me: null, tallies: new Map(), confirming: null, revoting: new Set(), unsubs: new Map() };
const main = document.querySelector("main");

// ---------------------------------------------------------------- start

/**
 * The server may have drawn the slip's open votes before this script arrived (a plain form).
 * From now on a tap there is kept here instead of sent, and opens the confirmation once the page
 * is drawn: the slip is redeemed once, by this script.
 */
function takeOverFirstScreen() {
  for (const form of document.querySelectorAll("form.first-screen-form")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const ticked = [...form.querySelectorAll("input[name=option]:checked")].map((box) => box.value);
      state.pendingChoice = { poll: form.elements.poll.value, options: event.submitter?.value ? [event.submitter.value] : ticked };
      if (state.data) openPendingChoice();
    });
  }
}

/** A choice tapped before the page was drawn (here, or on the server's first screen): confirm it now. */
function openPendingChoice() {
  const wanted = state.pendingChoice;
  state.pendingChoice = null;
  const poll = wanted && state.data?.polls.find((p) => p.id === wanted.poll);
  const chosen = poll ? poll.options.filter((o) => wanted.options.includes(o.id)) : [];
  const card = poll && document.querySelector(`[data-poll="${poll.id}"]`);
  if (!chosen.length || !card || !card.querySelector(".ballot")) return;
  confirmChoice(poll, card, chosen, null);
}

async function start() {
  takeOverFirstScreen();
  keepWorker();
  // A choice tapped on the server's first screen arrives in the address: #choose=<poll>.<option>[,<option>…].
  const chosen = location.hash.match(/^#choose=([^.]+)\.(.+)$/);
  if (chosen) {
    state.pendingChoice = { poll: decodeURIComponent(chosen[1]), options: chosen[2].split(",").map(decodeURIComponent) };
    history.replaceState(null, "", location.pathname);
  }
  const inviteMatch = location.pathname.match(/^\/i\/([^/]+)/);
  if (inviteMatch) {
    const code = decodeURIComponent(inviteMatch[1]);
    try {
      const payload = await mutate("redeemInvitation", { code }, REDEEM_SELECT);
      if (payload.viewer?.roles.includes("PARTY_REP")) {
        // A party representative's slip: their party's workspace, the code out of the history.
        location.replace("/party");
        return;
      }
      if (!payload.consultation) {
        history.replaceState(null, "", "/");
        mountPage(null);
        main.replaceChildren(h("h1", {}, "邀请码有效"),
          message("这项协商还没有开始。开始以后，再扫一次邀请条上的二维码就能进入。", "info"));
        return;
      }
      state.id = payload.consultation.id;
      forgetKeptPages(); // a new household on this phone: nothing kept for the one before is drawn
      // The code leaves the address bar and the history: the page is now the consultation's.
      history.replaceState(null, "", `/c/${encodeURIComponent(state.id)}`);
      show({ viewer: payload.viewer, viewerSession: payload.session, viewerCan: NOTHING_YET, consultation: payload.consultation });
    } catch (error) {
      mountPage(null);
      main.replaceChildren(
        h("h1", {}, "邀请码用不了"),
        message(error.message, "error"),
        h("p", {}, "请回到首页，输入邀请条上的 12 位邀请码再试一次；如果邀请条丢了或用不了，请联系社区工作人员补发。"),
        h("p", {}, h("a", { class: "button", href: "/" }, "手动输入邀请码")));
      return;
    }
    // What the page does not draw from the slip's answer (the header's links) comes with the next read.
    load();
  } else {
    state.id = decodeURIComponent(location.pathname.split("/")[2] || "");
    if (!state.id) {
      location.replace("/");
      return;
    }
    // Back on a phone that has been here: what it showed last time, at once, until the server answers.
    const kept = keptCopy(state.id);
    if (kept) show(kept.answer, kept.at);
    await load();
  }
  if (!state.fresh && state.data) {
    // Not reached the server (yet): the page comes back by itself once the phone is online again.
    addEventListener("online", () => location.reload(), { once: true });
  }
}

/**
 * Follow the consultation live, from the first answer read from the server (not a kept copy):
 * that may be the first read, or a later one when the first was dropped (afterOwnVote).
 */
function goLive() {
  if (state.live) return;
  state.live = true;
  // Without afterSeq the server replays the whole history first; start after what was just read.
  subscribe(EVENTS_SUBSCRIPTION, { id: state.id, after: state.seen },
    // Tallies arrive on their own subscription: a vote elsewhere need not re-read the whole page.
    (data) => data.consultationEvents.kind === "TALLY_CHANGED" || reload());
  onReconnect(() => reload());
}

const reload = debounce(() => load(), 300);

let loadSeq = 0;
let readsOut = 0;

async function load() {
  const mine = ++loadSeq;
  let data;
  readsOut += 1;
  try {
    data = await gql(QUERY, { id: state.id });
    if (mine !== loadSeq) return; // a newer read is on its way: never draw older data over it
  } catch (error) {
    if (!state.data) {
      mountPage(null);
      main.replaceChildren(message(error.message, "error"));
    } else if (state.keptAt) {
      state.offline = true;
      drawKeptNotice();
    }
    return;
  } finally {
    readsOut -= 1;
  }
  show(data);
}

/**
 * This phone's vote was just counted: a read that set out before it would draw the page without
 * it (and the vote's own event, a tally change, asks for no new read). Such a read is dropped and
 * a new one asked for.
 */
function afterOwnVote(poll) {
  const current = state.data?.polls.find((p) => p.id === poll.id);
  if (current) current.myBallot = poll.myBallot;
  if (readsOut) {
    loadSeq += 1;
    reload();
  }
}

// ---------------------------------------------------------------- kept on this phone

// What the page showed last, kept on the phone for the session that saw it (its consult_tag
// cookie): a return visit on a weak network draws it at once, says so, and then reads what is new.
// Another sign-in or a sign-out changes the tag, and copies of other sessions are thrown away.
const KEEP_AT_MOST = 5;

function sessionTag() {
  return document.cookie.split("; ").find((c) => c.startsWith("consult_tag="))?.slice("consult_tag=".length) ?? "";
}

function keptCopy(id) {
  try {
    const kept = JSON.parse(localStorage.getItem(KEPT_PAGE + id) || "null");
    if (kept?.tag === sessionTag() && kept.answer?.consultation?.id === id) return kept;
    if (kept) forgetKeptPages();
  } catch {
    // storage switched off or a broken copy: the page waits for the server, as on a first visit
  }
  return null;
}

const keepCopy = debounce(() => {
  if (!state.fresh || !state.answer) return;
  try {
    const keys = Object.keys(localStorage).filter((k) => k.startsWith(KEPT_PAGE) && k !== KEPT_PAGE + state.id);
    const ages = keys.map((k) => [k, JSON.parse(localStorage.getItem(k) || "{}").at ?? 0]).sort((a, b) => b[1] - a[1]);
    for (const [key] of ages.slice(KEEP_AT_MOST - 1)) localStorage.removeItem(key);
    localStorage.setItem(KEPT_PAGE + state.id, JSON.stringify({ tag: sessionTag(), at: Date.now(), answer: state.answer }));
  } catch {
    // a full or switched-off storage only costs the next visit its head start
  }
}, 500);

function drawKeptNotice() {
  if (!parts.kept) return;
  const when = state.keptAt ? dateTime(new Date(state.keptAt).toISOString()) : "";
  parts.kept.replaceChildren(...(!state.keptAt ? [] : state.offline
    ? [message(`现在连不上网络。下面是您 ${when} 打开时看到的内容，可能不是最新的；连上网络后页面会自己更新。`, "warn")]
    : [message(`下面先显示您 ${when} 打开时看到的内容，正在读取最新情况……`, "info")]));
}

/**
 * The phone keeps this page and its scripts (/sw.js). Asked for as soon as this script runs: its
 * files have just arrived and sit in the browser's cache, so keeping them costs the network only
 * the worker itself and the page's HTML, about 3 KB.
 */
function keepWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/c/" }).catch(() => null);
}

/**
 * Draw the page from one answer: the first one builds it, later ones update it in place.
 * `keptAt` marks an answer kept on the phone from an earlier visit rather than read just now.
 */
function show(data, keptAt = null) {
  if (!data.consultation) {
    forgetKeptPages();
    mountPage(withCan(data));
    main.replaceChildren(h("h1", {}, "没有找到这项协商"), h("p", {}, h("a", { href: "/" }, "回到首页")));
    state.data = null;
    return;
  }
  const first = !state.data;
  state.data = data.consultation;
  state.answer = data;
  state.fresh = !keptAt;
  state.keptAt = keptAt;
  if (state.fresh) {
    state.seen ??= data.consultation.auditTrail.totalCount;
    goLive();
  }
  state.me = withCan(data);
  state.slipUsedBefore = data.viewerSession?.slipUsedBefore ?? null;
  // The header follows who is signed in: drawn once, and again when the server says otherwise.
  const who = JSON.stringify(state.me);
  if (who !== state.headerFor) {
    mountPage(state.me);
    state.headerFor = who;
  }
  if (first) {
    document.title = `${state.data.title} · 基层协商`;
    build();
  }
  render();
  drawKeptNotice();
  keepCopy();
  if (state.pendingChoice) openPendingChoice();
}

// ---------------------------------------------------------------- layout

const parts = {};

function build() {
  const c = state.data;
  parts.action = h("div", { id: "main-action" });
  parts.kept = h("div", { id: "kept-notice", "aria-live": "polite" });
  parts.stepper = h("div", { id: "stage" });
  [parts.pollsSection, parts.polls] = section(label("Stage", "VOTING"), "polls");
  [parts.demandsSection, parts.demands] = section("居民诉求", "demands");
  parts.demandForm = demandForm();
  [parts.proposalsSection, parts.proposals] = section("方案和各方出多少钱", "proposals");
  [parts.fundingSection, parts.funding] = section("资金到位情况", "funding");
  [parts.worksSection, parts.works] = section("施工进度", "works");
  [parts.findingsSection, parts.findings] = section("监督发现的问题", "findings",
    h("p", { class: "muted" }, "政协委员来检查时发现的问题。每一件都写明：是什么问题、谁来跟进、最晚哪天改好、由哪一方负责、改好后要达到什么样。改好后，委员再来看过才算完。"));
  [parts.ratingSection, parts.rating] = section("满意度评价", "rating");
  parts.ratingForm = ratingForm();
  parts.archive = h("div", { id: "archive" });
  parts.trail = h("p", { class: "muted", id: "trail-head" });
  parts.demandsSection.append(parts.demandForm);
  parts.ratingSection.append(parts.ratingForm);
  fill(main,
    h("h1", {}, c.title),
    h("p", { class: "muted" }, c.location),
    parts.kept,
    slipWarning(),
    parts.action,
    parts.stepper,
    h("p", {}, c.summary),
    parts.pollsSection, parts.demandsSection, parts.proposalsSection, parts.fundingSection, parts.worksSection,
    parts.findingsSection, parts.ratingSection, parts.archive, parts.trail);
}

/** The slip that signed this phone in had been used before: the household should know, and check its vote. */
function slipWarning() {
  if (!state.slipUsedBefore) return null;
  return h("div", { class: "msg msg-warn", role: "note", id: "slip-used" },
    h("strong", {}, `这张邀请条在 ${dateTime(state.slipUsedBefore)} 已经用过。`),
    " 如果那是您或家人用别的手机登录的，可以不管。如果不是，说明有人用过您的邀请码：请看下面的表决是不是已经显示“已投票”，并告诉政协委员或社区，申请补发新的邀请条。表决允许改投的，您现在投的票会替换之前那一票。");
}

/** Redraw, keeping the focus on the same control when it is drawn again (data-focus-key). */
function render() {
  const focusKey = document.activeElement?.dataset?.focusKey;
  draw();
  if (focusKey && !document.activeElement?.dataset?.focusKey) {
    document.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }
}

// What comes after the vote: drawn in a task of its own the first time, so a slow phone shows
// (and can tap) the vote before it works out the rest of the page.
const LATER = ["demandsSection", "proposalsSection", "fundingSection", "worksSection", "findingsSection", "ratingSection"];

function draw() {
  const c = state.data;
  renderStepper(c);
  renderPolls(c);
  renderMainAction(c);
  if (state.drawn) {
    drawRest(c);
  } else {
    state.drawn = true;
    for (const name of LATER) parts[name].classList.add("hidden");
    setTimeout(() => drawRest(state.data), 0);
  }
}

function drawRest(c) {
  for (const name of LATER) parts[name].classList.remove("hidden");
  renderDemands(c);
  renderProposals(c);
  parts.funding.replaceChildren(fundingBar(c.funding));
  parts.fundingSection.classList.toggle("hidden", !c.funding);
  parts.works.replaceChildren(milestoneTimeline(c.milestones));
  parts.worksSection.classList.toggle("hidden", !c.milestones.length);
  renderFindings(c);
  renderRating(c);
  parts.archive.replaceChildren(...(c.dossier
    ? [h("h2", {}, "档案"), h("p", {}, `这项协商已${label("Stage", "ARCHIVED")}，全过程记录不再改动。`), h("a", { class: "button", href: c.dossier.htmlUrl }, "查看可打印的档案")]
    : []));
  const trail = c.auditTrail;
  parts.trail.replaceChildren(trail.headHash
    ? `全过程共 ${trail.totalCount} 条记录，每条都接在上一条之后，改动任何一条都会被发现。最新一条的存证哈希：${trail.headHash.slice(0, 16)}…`
    : "");
}

/** One main action per screen: what this viewer can do now, at the top. */
function renderMainAction(c) {
  const votable = c.polls.find((p) => p.status === "OPEN" && (p.viewerCanVote || myReceipt(p)));
  // While a vote is open, the vote comes first; otherwise it sits in its place in the story.
  // Moved only when its place changes: moving a node takes the focus off whatever is in it.
  if (votable && parts.action.nextElementSibling !== parts.pollsSection) parts.action.after(parts.pollsSection);
  if (!votable && parts.fundingSection.previousElementSibling !== parts.pollsSection) parts.fundingSection.before(parts.pollsSection);
  if (votable) {
    parts.action.replaceChildren();
    return;
  }
  if (c.viewerCan.rate && !c.evaluation.myRating) {
    parts.action.replaceChildren(h("p", { class: "msg msg-info" }, "工程已经完工，请给结果打个分。", " ", h("a", { href: "#rating" }, "去评价")));
    return;
  }
  if (!state.me) {
    parts.action.replaceChildren(h("p", { class: "msg msg-info" }, "居民投票和评价需要邀请条。", " ",
      h("a", { href: "/" }, "输入邀请码")));
    return;
  }
  parts.action.replaceChildren();
}

// ---------------------------------------------------------------- stepper

function renderStepper(c) {
  const steps = STAGE_ORDER.filter((stage) => stage !== "DRAFT");
  const current = steps.indexOf(c.stage);
  const explain = hint("Stage", c.stage);
  parts.stepper.replaceChildren(
    h("ol", { class: "stepper", "aria-label": "协商进度" }, steps.map((stage, i) => h("li", {
      class: i < current ? "done" : i === current ? "current" : "",
      "aria-current": i === current ? "step" : null,
    }, `${i + 1}. ${label("Stage", stage)}`, i < current ? h("span", { class: "sr-only" }, `（${label("MilestoneStatus", "DONE")}）`) : null))),
    h("p", { class: "stage-explain" }, h("strong", {}, `现在：${label("Stage", c.stage)}。`), explain ? `${explain}。` : ""));
}

// ---------------------------------------------------------------- polls

/** Receipts are kept per household and poll: a phone shared by two households never mixes them up. */
function receiptKey(poll) {
  return `consult.receipt.${state.me?.id ?? "anonymous"}.${poll.id}`;
}

function myReceipt(poll) {
  return poll.myBallot?.receipt ?? (state.me ? localStorage.getItem(receiptKey(poll)) : null);
}

function renderPolls(c) {
  const polls = c.polls.filter((p) => p.status !== "SCHEDULED" || c.stage === "VOTING");
  parts.pollsSection.classList.toggle("hidden", !polls.length);
  // A card is redrawn only when what it offers changed, so a refresh underneath never takes
  // a button from under a finger, and a half-made choice stays on screen.
  const cards = polls.map((poll) => {
    const old = parts.polls.querySelector(`[data-poll="${poll.id}"]`);
    if (old && (state.confirming === poll.id || old.dataset.key === pollKey(poll))) {
      old.querySelector(".tally")?.replaceChildren(tallyView(poll, newestTally(poll)));
      return old;
    }
    return pollCard(poll);
  });
  syncChildren(parts.polls, cards);
  for (const poll of polls) watchTally(poll);
}

function pollKey(poll) {
  return JSON.stringify([poll.status, poll.viewerCanVote, myReceipt(poll), state.revoting.has(poll.id), !!poll.tally,
    poll.myBallot?.choices?.map((o) => o.id)]);
}

function pollCard(poll) {
  const card = h("article", { class: "card poll", dataset: { poll: poll.id, key: pollKey(poll) } });
  const tally = newestTally(poll);
  const receipt = myReceipt(poll);
  const canVote = poll.status === "OPEN" && poll.viewerCanVote;
  const choosing = canVote && (!receipt || state.revoting.has(poll.id));
  // The question, then at once the choices: what a resident reads before voting (secrecy, who
  // they vote as, the plan) comes right after them, so the buttons are on the first screen.
  card.append(h("h3", {}, poll.question), readAloudButton(poll));
  if (poll.status === "SCHEDULED") card.append(h("p", {}, poll.opensAt ? `${dateTime(poll.opensAt)} 开始投票。` : "投票还没有开始。"));
  card.append(h("p", { class: "muted poll-facts" }, pollFacts(poll)));
  if (choosing) card.insertBefore(ballotForm(poll, card), card.querySelector(".poll-facts"));
  else if (receipt) card.append(receiptBox(poll, receipt));
  else if (poll.status === "OPEN" && !state.me) card.append(h("p", {}, "投票需要邀请条上的邀请码。", " ", h("a", { href: "/" }, "输入邀请码")));
  else if (poll.status === "OPEN" && state.me?.roles.includes("RESIDENT")) card.append(h("p", {}, "您不在这次投票的名册上。如有疑问请联系社区。"));
  card.append(h("div", { class: "tally" }, tallyView(poll, tally)));
  return card;
}

// ---------------------------------------------------------------- 朗读: read the poll aloud

/** A Chinese voice the phone offers, or null: the button shows only where one speaks. */
function chineseVoice() {
  const voices = globalThis.speechSynthesis?.getVoices?.() ?? [];
  return voices.find((v) => /^zh(-|_|$)/i.test(v.lang) && /CN|Hans/i.test(v.lang)) ?? voices.find((v) => /^zh/i.test(v.lang)) ?? null;
}

/** What 朗读 says: the question, what each choice means, and the count as the page shows it. */
export function spokenText(poll, tally) {
  const parts = [`表决的问题：${poll.question}`];
  for (const option of poll.options) {
    const meaning = MEANING[option.label]?.[1];
    parts.push(meaning ? `选“${option.label}”，就是${meaning}` : `可以选：${option.label}。`);
  }
  if (tally) {
    const counts = tally.options.map((row) => `${row.option.label} ${row.votes} 票`).join("，");
    parts.push(`${poll.status === "CLOSED" ? "最终结果" : "目前的票数"}：已投 ${tally.ballotsCast} 户，共 ${tally.electorateSize} 户；${counts}。`);
  } else {
    parts.push(poll.status === "CLOSED" ? "结果暂不公开。" : "投票结束后公布结果。");
  }
  return parts.join("");
}

function readAloudButton(poll) {
  if (!globalThis.speechSynthesis || !globalThis.SpeechSynthesisUtterance) return null;
  const button = h("button", { type: "button", class: "secondary read-aloud", hidden: true }, "🔊 朗读");
  const show = () => { button.hidden = !chineseVoice(); };
  show();
  speechSynthesis.addEventListener?.("voiceschanged", show);
  button.addEventListener("click", () => {
    speechSynthesis.cancel();
    const utterance = new SpeechSynthesisUtterance(spokenText(poll, newestTally(poll)));
    utterance.lang = "zh-CN";
    utterance.voice = chineseVoice();
    utterance.rate = 0.9; // a little slower than usual, for older ears
    speechSynthesis.speak(utterance);
  });
  return button;
}

function pollFacts(poll) {
  const bits = [];
  if (poll.closesAt && poll.status !== "CLOSED") bits.push(`${dateTime(poll.closesAt)} 截止`);
  bits.push(poll.secret ? "无记名投票，谁投了什么谁也看不到" : "记名投票：组织方和政协委员能看到每户投了什么");
  if (poll.allowRevote && poll.status === "OPEN") bits.push("截止前可以改票");
  return bits.join("；") + "。";
}

/** The big buttons: tap a choice, then confirm it. Two taps from the page to a counted vote. */
function ballotForm(poll, card) {
  const box = h("div", { class: "ballot" });
  const status = h("div", { "aria-live": "polite" });
  if (state.revoting.has(poll.id)) {
    box.append(h("p", { class: "msg msg-warn", role: "note" }, `您正在改投：投出后会给您一个新的回执码，之前的回执码就不再用了（核对时会显示“${label("ReceiptStatus", "REPLACED")}”），算数的是这一次的票。`));
  }
  if (poll.kind === "YES_NO_ABSTAIN" || poll.kind === "SINGLE_CHOICE") {
    box.append(h("div", { class: "vote-buttons" }, poll.options.map((option) => {
      const [tone, meaning] = MEANING[option.label] ?? ["", ""];
      return h("button", {
        type: "button", class: tone, onclick: () => confirmChoice(poll, card, [option], status),
      }, h("span", {}, option.label), meaning ? h("span", { class: "explain" }, meaning) : null);
    })));
  } else if (poll.kind === "MULTIPLE_CHOICE") {
    const boxes = poll.options.map((o) => h("label", { class: "check" }, h("input", { type: "checkbox", value: o.id }), o.label));
    box.append(h("fieldset", {}, h("legend", {}, `最多选 ${poll.maxChoices ?? poll.options.length} 项`), boxes),
      h("button", {
        type: "button", onclick: () => {
          const chosen = poll.options.filter((o) => boxes.some((b) => b.firstChild.checked && b.firstChild.value === o.id));
          confirmChoice(poll, card, chosen, status);
        },
      }, "下一步"));
  } else {
    // RANKED: tap the options in order of preference.
    const order = [];
    const list = h("ol", {});
    const buttons = h("div", { class: "vote-buttons" }, poll.options.map((o) => h("button", {
      type: "button", class: "secondary", onclick: (event) => {
        if (order.includes(o)) return;
        order.push(o);
        event.currentTarget.disabled = true;
        list.append(h("li", {}, o.label));
        if (order.length === poll.options.length) confirmChoice(poll, card, order, status);
      },
    }, o.label)));
    box.append(h("p", {}, "请按您的喜好依次点选，最想要的先点。"), buttons, list);
  }
  box.append(status);
  // Below the choices: who is voting, and the plan the vote is about.
  const proposal = poll.options.find((o) => o.proposal)?.proposal;
  if (proposal) box.append(h("p", {}, "表决的方案：", h("a", { href: "#proposals" }, proposal.title), "。"));
  if (state.me?.roles.includes("RESIDENT")) box.append(h("p", { class: "muted" }, `您以“${state.me.displayName}”的身份投票。`));
  return box;
}

function confirmChoice(poll, card, chosen, status) {
  state.confirming = poll.id;
  const box = card.querySelector(".ballot");
  const words = chosen.map((o) => o.label).join(poll.kind === "RANKED" ? " > " : "、");
  const confirm = h("button", { type: "button", class: "yes", id: "confirm-vote" }, "确认投票");
  const back = h("button", { type: "button", class: "secondary" }, "重新选择");
  const err = h("div", { "aria-live": "assertive" });
  const panel = h("div", { class: "confirm" },
    h("p", { class: "stage-explain" }, "您选择了：", h("strong", {}, words)),
    h("div", { class: "vote-buttons" }, confirm, back), err);
  box.replaceWith(panel);
  confirm.focus();
  back.addEventListener("click", () => {
    state.confirming = null;
    panel.replaceWith(ballotForm(poll, card));
  });
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      const payload = await mutate("castVote", { pollId: poll.id, choices: chosen.map((o) => o.id) }, CAST_VOTE_SELECT);
      localStorage.setItem(receiptKey(poll), payload.ballot.receipt);
      state.revoting.delete(poll.id);
      if (payload.tally) updateTally(poll.id, payload.tally);
      poll.myBallot = { ...payload.ballot, origin: "ONLINE" };
      afterOwnVote(poll);
      state.confirming = null;
      const fresh = pollCard(poll);
      card.replaceWith(fresh);
      fresh.querySelector(".receipt-box")?.focus();
      renderMainAction(state.data);
      keepCopy();
    } catch (error) {
      confirm.disabled = false;
      showError(err, error);
    }
  });
}

/** What checking a receipt says, in plain words; never which choice any ballot made. */
const RECEIPT_ANSWERS = {
  COUNTED: ["核对无误：这张回执对应的票已经计入。", "ok"],
  REPLACED: ["这张回执对应的票，已被您家后来投的一票替换了，现在算数的是后来那一票。旧回执码不再用，请以最新的回执码为准。", "info"],
  UNKNOWN: ["没有找到这个回执码对应的票。请看看有没有抄错，或联系社区。", "error"],
};

async function checkReceipt(poll, code, result) {
  try {
    const data = await gql("query($p: ID!, $r: String!) { receiptStatus(pollId: $p, receipt: $r) }", { p: poll.id, r: code.trim() });
    const [text, kind] = RECEIPT_ANSWERS[data.receiptStatus] ?? RECEIPT_ANSWERS.UNKNOWN;
    result.replaceChildren(message(text, kind));
  } catch (error) {
    showError(result, error);
  }
}

/** A receipt code in its groups of five; a line may break between groups, never inside one. */
function receiptCode(receipt) {
  const groups = receipt.split("-");
  return h("p", { class: "receipt", "aria-label": `回执码 ${groups.join(" ")}` },
    groups.flatMap((g, i) => (i ? ["-", h("wbr"), h("span", {}, g)] : [h("span", {}, g)])));
}

function receiptBox(poll, receipt) {
  const result = h("div", { "aria-live": "polite" });
  const checkMine = h("button", { type: "button", class: "secondary" }, "核对这张票是否计入");
  checkMine.addEventListener("click", () => checkReceipt(poll, receipt, result));
  // An older code (from before 改投, or written down on paper) is checked here.
  const other = h("form", { class: "check-receipt" },
    field("别的回执码", h("input", { name: "receipt", autocomplete: "off", spellcheck: "false", inputmode: "latin" }), "例如改票前记下的旧回执码"),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "核对")));
  other.addEventListener("submit", (event) => {
    event.preventDefault();
    checkReceipt(poll, other.elements.receipt.value, result);
  });
  const chosen = poll.myBallot?.choices?.map((o) => o.label).join("、");
  const revote = poll.status === "OPEN" && poll.allowRevote && poll.viewerCanVote;
  return h("div", { class: "receipt-box", tabindex: "-1" },
    message(chosen ? `您的票已经记录：${chosen}。` : "您的票已经记录。", "ok"),
    h("p", {}, "您的回执码：", h("small", { class: "hint" }, "回执码是投票后给您的一串号码，凭它可以核对这张票有没有计入；别人凭它看不出您投了什么。请抄下或截图保存。")),
    receiptCode(receipt),
    h("div", { class: "actions spaced" },
      checkMine,
      revote
        ? h("button", {
            type: "button", class: "secondary", onclick: () => {
              state.revoting.add(poll.id);
              const card = document.querySelector(`[data-poll="${poll.id}"]`);
              card.replaceWith(pollCard(poll));
            },
          }, "改投（截止前可以改）")
        : null),
    revote ? h("p", { class: "hint" }, `改投后会给您一个新的回执码，这个回执码就不再用了；核对旧码时会显示“${label("ReceiptStatus", "REPLACED")}”。`) : null,
    result,
    h("details", { class: "other-receipt" }, h("summary", {}, "核对别的回执码"), other));
}

function tallyView(poll, tally) {
  if (!tally) {
    return h("p", { class: "muted" }, poll.status === "CLOSED" ? "结果暂不公开。" : "投票结束后公布结果。");
  }
  const total = tally.ballotsCast || 0;
  return h("div", { dataset: { version: String(tally.version) } },
    h("p", {}, h("strong", {}, poll.status === "CLOSED" ? "最终结果" : "实时票数"),
      `：${tally.electorateSize} 户里已经有 ${tally.ballotsCast} 户投了票（${ratioText(tally.turnout)}）。`),
    poll.status !== "CLOSED" && poll.tallyBatch
      ? h("p", { class: "muted tally-batch" }, `为保护投票秘密，票数每满 ${poll.tallyBatch} 票更新一次，您的票可能要等一会儿才计入显示。投票结束后公布全部结果。`)
      : null,
    tally.options.map((row) => {
      const share = shareOf(row.votes, total);
      return h("div", { class: "tally-row" },
        h("span", {}, `${row.option.label}：${row.votes} 票（${share}%）`),
        h("div", { class: "tally-bar", "aria-hidden": "true" }, h("span", { style: `width:${share}%` })));
    }),
    poll.status === "CLOSED" || tally.outcome !== "PENDING"
      ? h("p", {}, h("strong", {}, `结果：${label("PollOutcome", tally.outcome)}`), tally.winner && poll.kind !== "YES_NO_ABSTAIN" ? `（${tally.winner.label}）` : "")
      : null);
}

/** The pushed tally or the fetched one, whichever is newer; null while hidden. */
function newestTally(poll) {
  const pushed = state.tallies.get(poll.id);
  if (!poll.tally) return poll.status === "CLOSED" ? null : pushed ?? null;
  return pushed && pushed.version > poll.tally.version ? pushed : poll.tally;
}

function updateTally(pollId, tally) {
  const known = state.tallies.get(pollId);
  if (known && known.version >= tally.version) return; // a stale push
  state.tallies.set(pollId, tally);
  const poll = state.data.polls.find((p) => p.id === pollId);
  const box = document.querySelector(`[data-poll="${pollId}"] .tally`);
  if (poll && box) box.replaceChildren(tallyView(poll, tally));
}

function watchTally(poll) {
  if (poll.status !== "OPEN" || state.unsubs.has(poll.id)) return;
  state.unsubs.set(poll.id, subscribe(TALLY_SUBSCRIPTION, { id: poll.id },
    (data) => updateTally(poll.id, data.pollTally)));
}

// ---------------------------------------------------------------- demands

function renderDemands(c) {
  const edges = c.demands.edges;
  // What this viewer may do is the server's answer (viewerCan), not a guess from the stage or the roles.
  parts.demandForm.classList.toggle("hidden", !c.viewerCan.submitDemand);
  parts.demands.replaceChildren(edges.length
    ? h("ul", { class: "plain" }, edges.map(({ node: d }) => h("li", { class: "card" },
        h("h3", {}, d.title),
        h("p", {}, d.body),
        photoStrip(d.photos, "诉求照片"),
        h("p", { class: "muted" }, `${label("DemandStatus", d.status)} · ${d.supportCount} 户支持 · ${date(d.createdAt)}`),
        c.viewerCan.supportDemand && d.status !== "REJECTED" && d.status !== "MERGED"
          ? h("button", {
              // Not `disabled` once supported: a disabled button cannot keep the focus.
              type: "button", class: "secondary", "aria-pressed": String(d.supportedByViewer),
              "aria-disabled": d.supportedByViewer ? "true" : null, dataset: { focusKey: `support-${d.id}` },
              onclick: (event) => d.supportedByViewer || support(d, event.currentTarget),
            }, d.supportedByViewer ? "已支持" : "我也有这个问题（支持）")
          : null)))
    : h("p", { class: "muted" }, "还没有诉求。"));
}

async function support(demand, button) {
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  try {
    await mutate("supportDemand", { demandId: demand.id }, "demand { id supportCount supportedByViewer }");
    await load();
  } catch (error) {
    button.removeAttribute("aria-busy");
    button.after(message(error.message, "error"));
  }
}

function demandForm() {
  const photos = photoField({ label: "随手拍（可选）" });
  const form = h("form", { class: "card" },
    h("h3", {}, "提一个诉求"),
    field("问题是什么", h("input", { name: "title", maxlength: "100", required: true }), "一句话，例如：巷子里下雨积水"),
    field("具体说说", h("textarea", { name: "body", required: true })),
    photos.element,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "提交诉求")));
  onSubmit(form, async ({ title, body }) => {
    const photoIds = photoIdsOf(photos);
    await mutate("submitDemand", { consultationId: state.id, title, body, photoIds }, "demand { id }");
    form.reset();
    photos.clear();
    await load();
  }, () => "已提交，谢谢您。");
  return form;
}

// ---------------------------------------------------------------- proposals, findings, rating

function renderProposals(c) {
  const shown = c.proposals.filter((p) => p.status !== "DRAFT" && p.status !== "WITHDRAWN");
  parts.proposalsSection.classList.toggle("hidden", !shown.length && !c.responsibilities.length);
  parts.proposals.replaceChildren(...[
    c.responsibilities.length
      ? h("div", {}, h("h3", {}, "各方责任"), h("ul", {}, c.responsibilities.map((r) => h("li", {},
          h("strong", {}, r.party.name), `：${r.duty}`, r.dueAt ? `（${date(r.dueAt)} 前）` : ""))))
      : null,
    ...shown.map((p) => h("article", { class: "card" },
      h("h3", {}, p.title, " ", h("span", { class: `badge badge-${p.status === "ADOPTED" ? "passed" : p.status.toLowerCase()}` }, label("ProposalStatus", p.status))),
      h("p", {}, p.body),
      h("p", {}, "总费用：", h("strong", {}, yuan(p.budget))),
      p.costPlan
        ? h("div", {},
            h("p", {}, `谁出多少钱：${label("SplitMethod", p.costPlan.method)}。`, h("small", { class: "hint" }, hint("SplitMethod", p.costPlan.method))),
            splitChart(p.costPlan.shares.map((s) => ({ name: s.party.name, amount: s.amount })), p.costPlan.total),
            p.status === "ADOPTED"
              ? h("p", { class: "muted" }, p.costPlan.fullyConfirmed ? "各方都已签字，认下了自己要出的钱。"
                : signedText(p.costPlan.shares))
              : null)
        : h("p", { class: "muted" }, "各方出多少钱还在商量。")))].filter(Boolean));
}

function renderFindings(c) {
  parts.findingsSection.classList.toggle("hidden", !c.findings.length);
  parts.findings.replaceChildren(h("ul", { class: "plain" }, c.findings.map((f) => h("li", { class: "card" },
    h("p", {}, h("span", { class: `badge badge-${f.overdue ? "overdue" : f.status.toLowerCase()}` }, f.overdue ? label("MilestoneStatus", "OVERDUE") : label("FindingStatus", f.status)),
      " ", h("strong", {}, label("FindingCategory", f.category))),
    h("p", {}, f.description),
    h("p", { class: "muted" }, `由 ${f.responsibleParty.name} 负责，${date(f.dueAt)} 前做到：${f.expectedOutcome}`),
    f.resolution ? h("p", {}, `整改情况：${f.resolution}`) : null))));
}

function renderRating(c) {
  const e = c.evaluation;
  const show = c.stage === "EVALUATING" || c.stage === "ARCHIVED" || e.count > 0;
  parts.ratingSection.classList.toggle("hidden", !show);
  parts.ratingForm.classList.toggle("hidden", !(c.viewerCan.rate && !e.myRating));
  parts.rating.replaceChildren(...[
    e.myRating ? Object.assign(message(`您已评价：${e.myRating.score} 分（${SCORE_WORDS[e.myRating.score - 1]}）。谢谢！`, "ok"), { tabIndex: -1 }) : null,
    e.count
      ? h("div", {},
          h("p", {}, `${e.count} 户已评价，平均 `, h("strong", {}, `${e.average} 分`), `，满意率 ${ratioText(e.satisfactionRate)}。`),
          distributionChart(e.distribution))
      : h("p", { class: "muted" }, "还没有评价。")].filter(Boolean));
}

function ratingForm() {
  const form = h("form", { class: "card" },
    h("fieldset", {}, h("legend", {}, "您对这次改造满意吗？"),
      h("div", { class: "stars-input" }, SCORE_WORDS.map((word, i) => h("label", {},
        h("input", { type: "radio", name: "score", value: String(i + 1), required: true }), `${i + 1} 分 ${word}`)))),
    field("还想说的话（可以不填）", h("textarea", { name: "comment", maxlength: "500" })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "提交评价")));
  onSubmit(form, async ({ score, comment }) => {
    await mutate("rateOutcome", { consultationId: state.id, score: Number(score), comment: comment || null }, "rating { score }");
    await load();
    parts.rating.querySelector(".msg")?.focus();
  });
  return form;
}

start();
