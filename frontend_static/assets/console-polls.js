// 居民表决: create polls, open and close them, follow the count, and enter paper or assisted
// ballots for households that did not vote on a phone.
import { gql, mutate } from "./api.js";
import { dateTime, fromLocalInput, label, ratioText, words } from "./format.js";
import { debounce, field, h, onSubmit, section, select } from "./ui.js";
import { actButton, checkbox, fill, fillSelect, fold, msgBox, orNull, submitRow, syncList } from "./console-kit.js";

// A paper ballot's household is picked from at most this many matches of the search.
const VOTER_CHOICES = 100;
const VOTERS = `query($id: ID!, $search: String) { consultation(id: $id) {
  roll(first: ${VOTER_CHOICES}, search: $search) { totalCount edges { node { id label } } } } }`;

export function pollsSection(ctx) {
  const title = label("Stage", "VOTING");
  const [el, body] = section(title, "polls",
    h("p", { class: "muted" }, `表决在“${label("Stage", "DELIBERATING")}”或“${title}”阶段设立，只能在“${title}”阶段开始和结束。进入“${title}”阶段前至少要设立一项表决。`));
  const list = h("ul", { class: "plain", id: "poll-list" });
  const form = createPollForm(ctx);
  body.append(list, fold("＋ 设立表决", form.el, false, "createPoll"));
  return {
    el, title,
    update(c) {
      form.update(c);
      syncList(list, c.polls, (p) => p.id, () => pollItem(ctx), "还没有表决。");
    },
    roll() {
      for (const li of list.children) li.onRoll?.();
    },
  };
}

function createPollForm(ctx) {
  const kind = select("kind", words("PollKind"));
  const proposal = h("select", { name: "proposalId" });
  const options = h("textarea", { name: "options", rows: 4 });
  const maxChoices = h("input", { name: "maxChoices", type: "number", min: 1, inputmode: "numeric" });
  const preset = select("preset", words("DecisionPreset"));
  const proposalField = field("表决的方案", proposal,
    `“${label("PollKind", "YES_NO_ABSTAIN")}”的表决，一般是针对一个方案。默认选正在协商的方案（已采纳的，或各方正在商量的），可以改选。`);
  // Until the organizer picks a proposal themselves, the select follows the one under discussion.
  let picked = false;
  proposal.addEventListener("change", () => { picked = true; });
  const optionsField = field("选项（每行一个）", options, "例如每行写一个方案的名称");
  const maxField = field("最多可选几项", maxChoices);
  const custom = h("div", { class: "grid2 hidden" },
    field("最低参与率（%）", h("input", { name: "quorumPercent", type: "number", min: 0, max: 100, inputmode: "numeric" })),
    field("通过比例", h("input", { name: "threshold", autocomplete: "off", placeholder: "例如 3/5" }), "“1/2”表示超过一半，其他比例表示达到即可"),
    checkbox("byArea", "同时按面积计算"));
  const form = h("form", { class: "card write", id: "poll-form", novalidate: true },
    field("表决的问题", h("input", { name: "question", required: true, autocomplete: "off" }), "用大白话写，例如：是否同意《菜园巷道路改造方案》？"),
    field("表决方式", kind),
    proposalField, optionsField, maxField,
    field("通过规则", preset),
    custom,
    h("fieldset", {}, h("legend", {}, "设置"),
      checkbox("secret", "无记名投票（谁投了什么，任何人都看不到）", true),
      checkbox("allowRevote", "结束前可以改票", true),
      checkbox("liveResults", "投票过程中公开票数", true)),
    h("div", { class: "grid2" },
      field("自动开始时间（选填）", h("input", { name: "opensAt", type: "datetime-local" })),
      field("自动结束时间（选填）", h("input", { name: "closesAt", type: "datetime-local" }))),
    ...submitRow("设立表决"));
  const toggle = () => {
    const yesNo = kind.value === "YES_NO_ABSTAIN";
    proposalField.classList.toggle("hidden", !yesNo);
    optionsField.classList.toggle("hidden", yesNo);
    maxField.classList.toggle("hidden", kind.value !== "MULTIPLE_CHOICE");
    custom.classList.toggle("hidden", preset.value !== "CUSTOM");
  };
  kind.addEventListener("change", toggle);
  preset.addEventListener("change", toggle);
  toggle();
  onSubmit(form, async (v) => {
    const yesNo = v.kind === "YES_NO_ABSTAIN";
    const isCustom = v.preset === "CUSTOM";
    await mutate("createPoll", {
      consultationId: ctx.id, question: v.question, kind: v.kind,
      options: yesNo ? null : v.options.split("\n").map((s) => s.trim()).filter(Boolean),
      proposalIds: yesNo && v.proposalId ? [v.proposalId] : null,
      maxChoices: v.kind === "MULTIPLE_CHOICE" && v.maxChoices ? Number(v.maxChoices) : null,
      opensAt: fromLocalInput(v.opensAt), closesAt: fromLocalInput(v.closesAt),
      secret: v.secret, allowRevote: v.allowRevote, liveResults: v.liveResults, preset: v.preset,
      quorumPercent: isCustom && v.quorumPercent !== "" ? Number(v.quorumPercent) : null,
      threshold: isCustom ? orNull(v.threshold) : null,
      byArea: isCustom ? v.byArea : null,
    }, "poll { id }");
    form.querySelector("[name=question]").value = "";
    options.value = "";
    picked = false;
    await ctx.refresh();
    return `已设立表决。到“${label("Stage", "VOTING")}”阶段后，点“开始投票”。`;
  }, (text) => text);
  return {
    el: form,
    update(c) {
      fillSelect(proposal, c.proposals.filter((p) => p.status !== "WITHDRAWN" && p.status !== "REJECTED").map((p) => [p.id, p.title]), "不关联方案");
      if (!picked) proposal.value = proposalUnderDiscussion(c);
    },
  };
}

/**
 * The id of the proposal a new poll most likely decides: the adopted one, else the only TABLED
 * one, else the most recently tabled; "" when none is. The API publishes no tabling time, so
 * among several TABLED proposals the one put forward last stands for the one tabled last.
 */
export function proposalUnderDiscussion(c) {
  const adopted = c.adoptedProposal && c.proposals.find((p) => p.id === c.adoptedProposal.id);
  if (adopted) return adopted.id;
  let latest = null;
  for (const p of c.proposals) {
    if (p.status === "TABLED" && (!latest || Date.parse(p.createdAt) >= Date.parse(latest.createdAt))) latest = p;
  }
  return latest?.id ?? "";
}

function tallyView(poll) {
  const t = poll.tally;
  if (!t) return h("p", { class: "muted" }, poll.status === "CLOSED" ? "结果不公开。" : "投票过程中不公开票数，结束后公布结果。");
  const votes = new Map(t.options.map((o) => [o.option.id, o]));
  return h("div", { class: "tally" },
    h("p", {}, h("strong", {}, `已投 ${t.ballotsCast} 票`), `，可投 ${t.electorateSize} 户，参与率 ${ratioText(t.turnout)}`,
      poll.rule.quorumPercent ? (t.quorumMet ? "，已达到最低参与率。" : "，还没达到最低参与率。") : "。"),
    poll.status !== "CLOSED" && poll.tallyBatch
      ? h("p", { class: "muted tally-batch" }, `无记名投票的票数每满 ${poll.tallyBatch} 票更新一次（含纸质选票和代投），这样谁也无法从票数变化看出某一户怎么投。结束投票后显示全部结果。`)
      : null,
    h("ul", { class: "tally-list" }, poll.options.map((o) => {
      const row = votes.get(o.id);
      return h("li", {}, `${o.label}：${row?.votes ?? 0} 票`, poll.rule.byArea && row && row.weight !== "0" ? `（面积 ${row.weight} 平方米）` : "");
    })),
    poll.status === "CLOSED"
      ? h("p", {}, "结果：", h("strong", { class: `badge badge-${t.outcome.toLowerCase()}` }, label("PollOutcome", t.outcome)),
        t.winner ? `　选出：${t.winner.label}` : "")
      : null);
}

function pollItem(ctx) {
  const info = h("div", {});
  const tally = h("div", {});
  const actions = h("div", { class: "actions write" });
  const box = msgBox();
  const offline = h("div", {});
  let pollId = null;
  let shown = null;
  let ballot = null;
  const run = (name) => async () => {
    await mutate(name, { pollId }, "poll { status }");
    await ctx.refresh();
  };
  const open = actButton("开始投票", run("openPoll"), { box, cls: "" });
  const close = actButton("结束投票", run("closePoll"), { box, cls: "danger", ask: "结束后不能再投票，结果就此确定。确定结束吗？" });
  const el = h("li", { class: "card poll-item" }, info, tally, actions, box, offline);
  el.onRoll = () => ballot?.reload();
  return {
    el,
    update(p) {
      pollId = p.id;
      fill(info,
        h("h3", {}, p.question),
        h("span", { class: `badge badge-${p.status.toLowerCase()}` }, label("PollStatus", p.status)), " ",
        h("span", { class: "muted" }, [
          label("PollKind", p.kind), p.secret ? "无记名" : "记名", label("DecisionPreset", p.rule.preset),
          p.allowRevote ? "可改票" : "不可改票", p.liveResults ? "公开票数" : "结束前不公开票数",
        ].join("；")),
        p.opensAt || p.closesAt ? h("p", { class: "muted" },
          p.opensAt ? `${dateTime(p.opensAt)} 自动开始` : "", p.opensAt && p.closesAt ? "，" : "",
          p.closesAt ? `${dateTime(p.closesAt)} 自动结束` : "") : null,
        h("p", {}, "选项：", p.options.map((o) => o.label + (o.proposal ? `（${o.proposal.title}）` : "")).join("、")));
      fill(tally, tallyView(p));
      // What the poll's status offers, each only when the server's viewerCan allows it.
      const signature = JSON.stringify([p.status, p.viewerCan]);
      if (signature !== shown) {
        fill(actions, p.status === "SCHEDULED" && p.viewerCan.open ? open : p.status === "OPEN" && p.viewerCan.close ? close : "");
        const paper = p.status === "OPEN" && p.viewerCan.recordPaperBallot;
        if (paper && !ballot) {
          ballot = offlineBallotForm(ctx, p);
          offline.append(ballot.el);
          ballot.reload();
        }
        ballot?.el.classList.toggle("hidden", !paper);
      }
      shown = signature;
    },
  };
}

/** A paper or assisted ballot for one household; the options are fixed once a poll exists. */
function offlineBallotForm(ctx, poll) {
  const find = h("input", { type: "search", autocomplete: "off" });
  const voter = h("select", { name: "voterEntryId", required: true });
  const origin = select("origin", words("BallotOrigin", ["PAPER", "ASSISTED"]));
  const note = h("input", { name: "note", autocomplete: "off" });
  const more = h("p", { class: "muted", "aria-live": "polite" });
  let choiceBox;
  let choices;
  if (poll.kind === "RANKED") {
    const ranks = poll.options.map((_, i) => select(`rank${i}`, {
      "": "请选择", ...Object.fromEntries(poll.options.map((o) => [o.id, o.label])),
    }));
    choiceBox = h("fieldset", {}, h("legend", {}, "选票上的排序（第 1 位最想要）"), ranks.map((r, i) => field(`第 ${i + 1} 位`, r)));
    choices = () => ranks.map((r) => r.value).filter(Boolean);
  } else {
    const multiple = poll.kind === "MULTIPLE_CHOICE";
    const name = `choice-${poll.id}`;
    choiceBox = h("fieldset", {}, h("legend", {}, multiple ? "选票上选了（可多选）" : "选票上选了"),
      poll.options.map((o) => h("label", { class: "check" },
        h("input", { type: multiple ? "checkbox" : "radio", name, value: o.id }), h("span", {}, o.label))));
    choices = () => [...choiceBox.querySelectorAll("input:checked")].map((i) => i.value);
  }
  const form = h("form", { class: "offline-ballot write", novalidate: true },
    h("h4", {}, `录入${label("BallotOrigin", "PAPER")}或${label("BallotOrigin", "ASSISTED")}`),
    h("div", { class: "grid2" }, field("按户名查找", find, "输入门牌的一部分，缩小下面的名单"), field("哪一户", voter)),
    more,
    choiceBox,
    h("div", { class: "grid2" }, field("方式", origin), field("备注（选填）", note, "例如：由网格员协助，本人同意")),
    ...submitRow("录入选票"));
  // The households come from the server a search at a time (Consultation.roll), never the whole roll.
  let seq = 0;
  const reload = async () => {
    const mine = ++seq;
    const data = await gql(VOTERS, { id: ctx.id, search: find.value.trim() || null }).catch(() => null);
    if (mine !== seq || !data?.consultation?.roll) return;
    const { edges, totalCount } = data.consultation.roll;
    fillSelect(voter, edges.map((e) => [e.node.id, e.node.label]), edges.length ? "请选择" : "名册里没有找到");
    fill(more, totalCount > edges.length ? `共 ${totalCount} 户，这里列出前 ${edges.length} 户；请输入门牌缩小范围。` : "");
  };
  find.addEventListener("input", debounce(reload, 250));
  onSubmit(form, async () => {
    const payload = await mutate("recordOfflineBallot", {
      pollId: poll.id, voterEntryId: voter.value, choices: choices(), origin: origin.value, note: orNull(note.value.trim()),
    }, "ballot { receipt }");
    const household = voter.selectedOptions[0]?.textContent ?? "";
    choiceBox.querySelectorAll("input").forEach((i) => { i.checked = false; });
    choiceBox.querySelectorAll("select").forEach((s) => { s.value = ""; });
    voter.value = "";
    note.value = "";
    await ctx.refresh();
    return `已录入 ${household} 的选票。回执号：${payload.ballot.receipt}`;
  }, (text) => text);
  return {
    el: form,
    reload,
  };
}
