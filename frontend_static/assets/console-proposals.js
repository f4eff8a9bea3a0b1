// 出方案单: proposals, their status, the cost plan with each party's confirmation (签协议) and
// the money paid in, and the editor for a new plan.
import { mutate } from "./api.js";
import { date, dateTime, fromLocalInput, label, yuan } from "./format.js";
import { fundingBar } from "./charts.js";
import { field, h, onSubmit, section } from "./ui.js";
import { actButton, allow, fill, fold, msgBox, nowLocal, orNull, plainNumber, submitRow, syncList } from "./console-kit.js";
import { costPlanEditor } from "./console-costplan.js";
import { adoptedShares, checkPayments, PAYMENT_COLUMNS, paymentRow, tableForm } from "./console-tables.js";

export function proposalsSection(ctx) {
  const title = "出方案单与出资分担";
  const [el, body] = section(title, "proposals",
    h("p", { class: "muted" }, `方案和预算、各方怎么分摊费用、各方确认（${label("Stage", "AGREED")}）和资金到位。在“${label("Stage", "DELIBERATING")}”和“${label("Stage", "VOTING")}”阶段填写。`));
  const funding = h("div", { class: "card funding-box" });
  const list = h("ul", { class: "plain", id: "proposal-list" });
  const form = h("form", { class: "card write", id: "proposal-form", novalidate: true },
    field("方案名称", h("input", { name: "title", required: true, autocomplete: "off" }), "例如：菜园巷道路改造方案"),
    field("方案内容", h("textarea", { name: "body", required: true, rows: 4 }), "做什么、怎么做、多长时间"),
    field("预算（元）", h("input", { name: "budget", required: true, inputmode: "decimal", autocomplete: "off" }), "只写数字，最多两位小数，例如 240000 或 240000.50"),
    ...submitRow("提出方案"));
  onSubmit(form, async ({ title: t, body: text, budget }) => {
    const payload = await mutate("createProposal", { consultationId: ctx.id, title: t, body: text, budget: plainNumber(budget) }, "proposal { title }");
    form.reset();
    await ctx.refresh();
    return `已提出方案：${payload.proposal.title}。下一步请在方案下面编辑出资分担方案。`;
  }, (text) => text);
  // Money received, as a table (a bank statement's rows): checked against the adopted plan's shares.
  const payments = tableForm({
    id: "payment-table-form",
    title: "粘贴到账表格",
    columns: PAYMENT_COLUMNS,
    path: "contributions",
    hint: "记入已采纳方案里这一方的份额；同一方同一天同样金额的两笔，请在备注里写上流水号。",
    example: "五川村委会, 1400, 2025-06-01, 转账 0001",
    button: "确认登记到账",
    check: (rows) => checkPayments(rows, ctx.data),
    submit: async (rows) => {
      await mutate("recordContributions", { consultationId: ctx.id, contributions: rows.map(paymentRow) }, "shares { id }");
      await ctx.refresh();
      return rows.length;
    },
    done: (n) => `已登记 ${n} 笔到账。`,
  });
  const paymentsFold = fold("＋ 登记到账（粘贴表格，一次多笔）", payments.el);
  let opened = false;
  body.append(funding, paymentsFold, list, fold("＋ 提出新方案", form, false, "createProposal"));
  return {
    el, title,
    update(c) {
      const shares = adoptedShares(c);
      allow(paymentsFold, shares.some((s) => s.viewerCan.recordContribution));
      if (!opened && shares.length) {
        paymentsFold.open = !shares.some((s) => s.contributions.length);
        opened = true;
      }
      payments.recheck();
      const adopted = c.proposals.find((p) => p.id === c.adoptedProposal?.id);
      fill(funding, h("h3", {}, "资金到位情况"),
        adopted ? h("p", {}, `${label("ProposalStatus", "ADOPTED")}的方案：${adopted.title}`) : null, fundingBar(c.funding));
      syncList(list, c.proposals, (p) => p.id, () => proposalItem(ctx), "还没有方案。");
    },
  };
}

function proposalItem(ctx) {
  const info = h("div", {});
  const actions = h("div", { class: "actions write" });
  const box = msgBox();
  const plan = h("div", { class: "plan" });
  const shares = h("ul", { class: "plain shares" });
  const editorSlot = h("details", { class: "write cp-details" }, h("summary", {}, "编辑出资分担方案"));
  let editor = null;
  let shown = null;
  let proposalId = null;

  const run = (fn) => async () => {
    await fn();
    await ctx.refresh();
  };
  const move = (status) => run(() => mutate("updateProposal", { proposalId, status }, "proposal { status }"));
  const adopt = run(() => mutate("adoptProposal", { proposalId }, "proposal { status }"));

  /** The moves the proposal's status offers, each only when the server's viewerCan allows it. */
  function drawActions(status, can) {
    const buttons = {
      DRAFT: [
        can.update && actButton("提交协商", move("TABLED"), { box, cls: "" }),
        can.adopt && actButton("采纳这个方案", adopt, { box }),
        can.update && actButton("撤回", move("WITHDRAWN"), { box, ask: "撤回后这个方案不再参加讨论。确定撤回吗？" }),
      ],
      TABLED: [
        can.adopt && actButton("采纳这个方案", adopt, { box, cls: "" }),
        can.update && actButton("退回草稿", move("DRAFT"), { box }),
        can.reject && actButton("否决", move("REJECTED"), { box, ask: "确定否决这个方案吗？" }),
        can.update && actButton("撤回", move("WITHDRAWN"), { box, ask: "撤回后这个方案不再参加讨论。确定撤回吗？" }),
      ],
      ADOPTED: [h("p", { class: "muted" }, `这是${label("ProposalStatus", "ADOPTED")}的方案。采纳另一个方案时，它会回到“${label("ProposalStatus", "TABLED")}”。`)],
    }[status] ?? [];
    fill(actions, ...buttons);
  }

  const el = h("li", { class: "card proposal" }, info, actions, box, plan, editorSlot);
  return {
    el,
    update(p) {
      proposalId = p.id;
      fill(info,
        h("h3", {}, p.title), h("span", { class: `badge badge-${p.status.toLowerCase()}` }, label("ProposalStatus", p.status)),
        h("p", {}, h("strong", {}, `预算 ${yuan(p.budget)}`),
          h("span", { class: "muted" }, `；${p.author ? `${p.author.shownName} ` : ""}提出于 ${date(p.createdAt)}`)),
        h("p", { class: "proposal-body" }, p.body));
      const signature = JSON.stringify([p.status, p.viewerCan]);
      if (signature !== shown) drawActions(p.status, p.viewerCan);
      shown = signature;
      allow(actions, p.viewerCan.update || p.viewerCan.adopt);
      allow(editorSlot, p.viewerCan.setCostPlan);
      const cp = p.costPlan;
      if (cp) {
        fill(plan,
          h("h4", {}, "已保存的分摊方案"),
          h("p", {}, `${label("SplitMethod", cp.method)}，总额 ${yuan(cp.total)}。`,
            cp.fullyConfirmed ? h("strong", { class: "ok-text" }, "各方都已确认。")
              : `已确认 ${cp.shares.filter((s) => s.confirmedAt).length} / ${cp.shares.length} 方。`),
          shares);
        syncList(shares, cp.shares, (s) => s.id, () => shareItem(ctx));
      } else {
        fill(plan, h("p", { class: "muted" }, "还没有分摊方案。"));
      }
      if (!editor) {
        editor = costPlanEditor(ctx, p);
        editorSlot.append(editor.el);
        editorSlot.open = !cp && (p.status === "DRAFT" || p.status === "TABLED" || p.status === "ADOPTED");
      }
      editor.update(ctx.data.parties);
    },
  };
}

function shareItem(ctx) {
  const info = h("div", {});
  const actions = h("div", { class: "actions write" });
  const box = msgBox();
  let shareId = null;
  let shownConfirmable = null;
  const amount = h("input", { name: "amount", inputmode: "decimal", required: true, autocomplete: "off" });
  const receivedAt = h("input", { name: "receivedAt", type: "datetime-local", required: true, value: nowLocal() });
  const note = h("input", { name: "note", autocomplete: "off" });
  const pay = h("form", { class: "pay", novalidate: true },
    h("div", { class: "grid2" }, field("到账金额（元）", amount), field("到账时间", receivedAt)),
    field("备注（选填）", note, "例如银行转账的流水号"),
    ...submitRow("登记到账", { class: "secondary" }));
  onSubmit(pay, async () => {
    await mutate("recordContribution", {
      shareId, amount: plainNumber(amount.value), receivedAt: fromLocalInput(receivedAt.value), note: orNull(note.value.trim()),
    }, "share { paid }");
    amount.value = "";
    note.value = "";
    await ctx.refresh();
    return "已登记到账。";
  }, (text) => text);
  const confirm = actButton(`代为确认（${label("Stage", "AGREED")}）`, async () => {
    await mutate("confirmShare", { shareId }, "share { confirmedAt }");
    await ctx.refresh();
  }, { box, ask: "确认表示这一方同意出这笔钱。确定代为确认吗？" });
  const payFold = h("details", { class: "write" }, h("summary", {}, "登记到账的钱"), pay);
  const el = h("li", { class: "share" }, info, actions, box, payFold);
  return {
    el,
    update(s) {
      shareId = s.id;
      fill(info,
        h("strong", {}, s.party.name), `：${yuan(s.amount)}`,
        s.percent ? `（${s.percent}%）` : "", s.weight ? `（权重 ${s.weight}）` : "", " ",
        s.confirmedAt
          ? h("span", { class: "badge badge-done" }, "已确认")
          : h("span", { class: "badge badge-overdue" }, "未确认"),
        s.confirmedAt ? h("span", { class: "muted" }, ` ${dateTime(s.confirmedAt)}${s.confirmedBy ? `，${s.confirmedBy.shownName}` : ""}${s.confirmedOnBehalf ? "（由组织方代为确认）" : ""}`) : "",
        h("br"),
        h("span", {}, `已到位 ${yuan(s.paid)}，还差 ${yuan(s.outstanding)}`),
        s.contributions.length
          ? h("ul", { class: "contributions" }, s.contributions.map((c) =>
            h("li", {}, `${dateTime(c.receivedAt)} 到账 ${yuan(c.amount)}`, c.note ? `（${c.note}）` : "")))
          : null);
      const confirmable = !s.confirmedAt && s.viewerCan.confirm;
      if (confirmable !== shownConfirmable) fill(actions, confirmable ? confirm : "");
      shownConfirmable = confirmable;
      allow(payFold, s.viewerCan.recordContribution);
    },
  };
}
