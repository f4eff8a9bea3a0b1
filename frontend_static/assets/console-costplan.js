// The cost-plan editor (出资分担方案): one row per party taking part. As the organizer types, the
// server previews the exact split (previewCostSplit, the same rules as setCostPlan), so what is
// shown is what will be saved, to the fen.
import { gql, mutate, UserErrors } from "./api.js";
import { hint, words, yuan } from "./format.js";
import { splitChart } from "./charts.js";
import { debounce, field, h, message, onSubmit, select } from "./ui.js";
import { fill, plainNumber, submitRow } from "./console-kit.js";

const PREVIEW = `query($total: Money!, $method: SplitMethod!, $shares: [SharePreviewInput!]!) {
  previewCostSplit(total: $total, method: $method, shares: $shares) { amounts sum errors { field code message } }
}`;

/** What each method asks per party: the input's key and its label. */
const ASKS = {
  FIXED: ["amount", "出资金额（元）", "例如 80000"],
  PERCENT: ["percent", "比例（%）", "各方加起来是 100，例如 33.3333"],
  WEIGHTED: ["weight", "权重", "例如户数、门面长度"],
};

/** "80000.00" -> "80000" for an input the user will edit. */
const editable = (money) => String(money ?? "").replace(/\.00$/, "");

/** One share line as the API takes it, for `method` and the typed value. */
function shareValue(method, value) {
  if (method === "EQUAL") return {};
  const v = plainNumber(value);
  return { [ASKS[method][0]]: v === "" ? null : v };
}

export function costPlanEditor(ctx, proposal) {
  const plan = proposal.costPlan;
  const method = select("method", words("SplitMethod"));
  method.value = plan?.method ?? "EQUAL";
  const methodHint = h("small", { class: "hint" });
  const total = h("input", { name: "total", inputmode: "decimal", autocomplete: "off", value: editable(plan?.total ?? proposal.budget) });
  const rowsBox = h("div", { class: "cp-rows" });
  const status = h("div", { class: "cp-status", "aria-live": "polite" });
  const chart = h("div", { class: "cp-chart" });
  const methodField = field("分摊方式", method);
  methodField.append(methodHint);
  const form = h("form", { class: "cost-plan write", novalidate: true },
    h("div", { class: "grid2" }, methodField,
      field("分摊总额（元）", total, "默认是方案预算；如有其他来源，可以只分摊其中一部分。")),
    h("fieldset", {}, h("legend", {}, "各方出资（勾选参与分摊的一方）"), rowsBox),
    h("div", { class: "cp-preview" }, h("h5", {}, "分摊结果预览"), status, chart),
    ...submitRow("保存分摊方案"));

  const rows = [];
  let current = method.value;
  let previewSeq = 0;

  function addRow(party) {
    const fromPlan = plan?.shares.find((s) => s.party.id === party.id);
    const values = { FIXED: "", PERCENT: "", WEIGHTED: "" };
    if (fromPlan) {
      values.FIXED = editable(fromPlan.amount);
      values.PERCENT = fromPlan.percent ?? "";
      values.WEIGHTED = fromPlan.weight ?? "";
    }
    const include = h("input", { type: "checkbox", checked: plan ? Boolean(fromPlan) : true, class: "cp-include" });
    const input = h("input", { inputmode: "decimal", autocomplete: "off", class: "cp-value" });
    if (ASKS[current]) input.value = values[current];
    const valueField = field(party.name, input);
    const label = valueField.querySelector("label");
    const out = h("output", { class: "cp-amount", for: input.id }, "—");
    const el = h("div", { class: "cp-row" },
      h("label", { class: "check cp-who" }, include, h("span", {}, `${party.name}（参与分摊）`)), valueField, out);
    const row = { party, include, input, label, valueField, out, values, el };
    include.addEventListener("change", () => showMethod(row));
    rows.push(row);
    rowsBox.append(el);
    showMethod(row);
  }

  /** Show the row's input for the current method, keeping what was typed for each method apart. */
  function showMethod(row) {
    const ask = ASKS[current];
    row.valueField.classList.toggle("hidden", !ask);
    row.input.disabled = !row.include.checked;
    if (ask) {
      row.label.textContent = `${row.party.name} ${ask[1]}`;
      row.input.placeholder = ask[2];
    }
  }

  method.addEventListener("change", () => {
    for (const row of rows) {
      if (ASKS[current]) row.values[current] = row.input.value;
      row.input.value = row.values[method.value] ?? "";
    }
    current = method.value;
    methodHint.textContent = hint("SplitMethod", current);
    rows.forEach(showMethod);
  });
  methodHint.textContent = hint("SplitMethod", current);

  const included = () => rows.filter((r) => r.include.checked);
  const shares = () => included().map((r) => shareValue(current, r.input.value));

  /** Mark the inputs the errors are about; returns the messages, each naming its party. */
  function markInvalid(errors) {
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const lines = included();
    return errors.map((e) => {
      const parts = (e.field ?? "").split(".");
      const row = parts[0] === "shares" && parts.length > 1 ? lines[Number(parts[1])] : null;
      (parts[0] === "total" ? total : row?.input)?.setAttribute("aria-invalid", "true");
      return row ? `${row.party.name}：${e.message}` : e.message;
    });
  }

  async function preview() {
    const mine = ++previewSeq;
    const lines = included();
    let result;
    try {
      result = (await gql(PREVIEW, { total: plainNumber(total.value), method: current, shares: shares() })).previewCostSplit;
    } catch (error) {
      if (mine === previewSeq) fill(status, message(error.message, "error"));
      return;
    }
    if (mine !== previewSeq) return; // a later keystroke has already asked again
    const problems = markInvalid(result.errors);
    rows.forEach((r) => { r.out.textContent = r.include.checked ? "—" : "不参与"; });
    if (problems.length) {
      fill(status, message(problems.join("；"), "error"));
      fill(chart);
      return;
    }
    lines.forEach((r, i) => { r.out.textContent = `应出 ${yuan(result.amounts[i])}`; });
    fill(status, message(`合计 ${yuan(result.sum)}，与分摊总额一致。`, "ok"));
    fill(chart, splitChart(lines.map((r, i) => ({ name: r.party.name, amount: result.amounts[i] })), result.sum));
  }
  const later = debounce(preview, 150);
  const changed = () => {
    previewSeq++; // an answer to the values before this change is stale from now on
    later();
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  onSubmit(form, async () => {
    const lines = included();
    try {
      await mutate("setCostPlan", {
        proposalId: proposal.id, total: plainNumber(total.value), method: current,
        shares: lines.map((r) => ({ partyId: r.party.id, ...shareValue(current, r.input.value) })),
      }, "costPlan { total }");
    } catch (error) {
      if (!(error instanceof UserErrors)) throw error;
      const named = markInvalid(error.errors);
      throw new UserErrors(error.errors.map((e, i) => ({ ...e, field: null, message: named[i] })));
    }
    await ctx.refresh();
    return true;
  }, () => "已保存分摊方案。各方需要重新确认自己的份额。");

  return {
    el: form,
    /** New parties joining the consultation get a row; nothing typed is touched. */
    update(parties) {
      let added = false;
      for (const party of parties) {
        if (!rows.some((r) => r.party.id === party.id)) {
          addRow(party);
          added = true;
        }
      }
      if (added) changed();
    },
  };
}
