// The start page: type the code from an invitation slip, or open a consultation from the list.
import { gql, mutate, viewer } from "./api.js";
import { label } from "./format.js";
import { field, fill, h, mountPage, onSubmit } from "./ui.js";

const me = await viewer().catch(() => null);
const main = mountPage(me);

const codeForm = h("form", { class: "card", id: "code-form" },
  h("h2", {}, me?.roles.includes("RESIDENT") ? "换一户？输入另一张邀请条的邀请码" : "收到邀请条了吗？"),
  field("邀请码", h("input", {
    name: "code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", required: true,
    placeholder: "例如 ABCD-EFGH-JKMN",
  }), "邀请条上印着 12 位邀请码，字母大小写都可以，短横线可以不输。用手机扫描邀请条上的二维码也能直接进入。"),
  h("div", { class: "actions" }, h("button", { type: "submit" }, "进入")));
onSubmit(codeForm, async ({ code }) => {
  const payload = await mutate("redeemInvitation", { code }, "consultation { id } viewer { roles }");
  // A party representative's slip opens their party's workspace; a household's, its consultation.
  if (payload.viewer?.roles.includes("PARTY_REP")) location.assign("/party");
  else location.assign(payload.consultation ? `/c/${encodeURIComponent(payload.consultation.id)}` : "/");
});

const list = h("ul", { class: "plain", id: "consultations" }, h("li", { class: "muted" }, "正在读取……"));
fill(main,
  h("h1", {}, "基层协商平台"),
  me?.ownPassword === false ? h("p", { class: "msg msg-warn", role: "note" },
    "您的密码是工作人员设定的，请先", h("a", { href: "/login#password" }, "改成只有您知道的密码"), "。") : null,
  h("p", {}, "街坊邻里的难事，大家一起商量着办：提出诉求、商量方案和费用分担、居民投票、政协委员全程监督、最后由居民打分评价。"),
  codeForm,
  h("h2", {}, "正在进行的协商"),
  list);

try {
  const data = await gql("{ consultations(first: 50) { edges { node { id title location stage } } } }");
  const edges = data.consultations.edges;
  list.replaceChildren(...(edges.length
    ? edges.map(({ node }) => h("li", { class: "card" },
        h("a", { href: `/c/${encodeURIComponent(node.id)}`, class: "title-link" }, h("strong", {}, node.title)),
        h("br"),
        h("span", { class: "badge" }, label("Stage", node.stage)), " ", h("span", { class: "muted" }, node.location)))
    : [h("li", { class: "muted" }, "暂无公开的协商。")]));
} catch (error) {
  list.replaceChildren(h("li", { class: "msg msg-error", role: "alert" }, error.message));
}
