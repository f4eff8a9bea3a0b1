// /console: every consultation, a new one, the parties and new staff accounts.
import { gql, mutate } from "./api.js";
import { date, label, STAGE_ORDER, words } from "./format.js";
import { debounce, field, h, message, onSubmit, section, select } from "./ui.js";
import { checkbox, fill, fillSelect, orNull, submitRow, syncList } from "./console-kit.js";
import { drawSlips } from "./console-roll.js";
import { areasSection, communityPicker, loadAreas, placeArguments, placeFilter, placeName } from "./console-areas.js";

// inReach: the console lists what the viewer's areas reach (district staff: everything).
const LIST = `query($first: Int, $after: String, $stage: Stage, $search: String, $communityId: ID, $streetId: ID) {
  consultations(first: $first, after: $after, stage: $stage, search: $search, inReach: true,
    communityId: $communityId, streetId: $streetId) {
    totalCount
    edges { node { id title location stage createdAt community { kind name parent { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export async function homePage(main, me) {
  document.title = "组织方工作台 · 基层协商";
  const state = { parties: [] };
  const partyHooks = [];
  const onParties = (fn) => partyHooks.push(fn);
  async function loadParties() {
    state.parties = (await gql("{ parties { id name kind contact } }")).parties;
    partyHooks.forEach((fn) => fn(state.parties));
  }

  // Each form shows when the server's viewerCan says this viewer may use it.
  const can = me.can;
  const areas = await loadAreas();
  const list = consultationsSection(areas);
  const sections = [
    list.el,
    can.createConsultation ? createConsultationSection(onParties, areas) : null,
    partiesSection(onParties, loadParties, can.createParty, can.createAccount),
    can.createAccount ? accountSection(me, onParties) : null,
    can.manageAreas ? areasSection(list.reload) : null,
  ];
  fill(main,
    h("h1", {}, "组织方工作台"),
    h("p", { class: "muted" }, `在这里建立和管理协商，一步步走完：${STAGE_ORDER.map((s) => label("Stage", s)).join(" → ")}。`),
    reachLine(areas),
    h("nav", { class: "toc", "aria-label": "本页内容" },
      h("a", { href: "#list" }, "全部协商"), can.createConsultation ? h("a", { href: "#create" }, "新建协商") : null,
      h("a", { href: "#parties" }, "参与方"), can.createAccount ? h("a", { href: "#accounts" }, "工作人员账号") : null,
      can.manageAreas ? h("a", { href: "#areas" }, "辖区和工作范围") : null),
    ...sections);
  await loadParties();
}

/** 您的工作范围: the highest places the viewer's areas take in (the district, streets, communities). */
function reachLine(areas) {
  const top = areas.filter((a) => a.inViewerReach && !areas.some((p) => p.id === a.parent?.id && p.inViewerReach));
  return top.length ? h("p", { id: "my-areas" }, `您的工作范围：${top.map(placeName).join("、")}`) : null;
}

function consultationsSection(areas) {
  const [el, body] = section("全部协商", "list");
  const stage = select("stage", { "": "全部阶段", ...words("Stage") });
  const search = h("input", { name: "search", type: "search", autocomplete: "off" });
  // The place filter only where there is more than one place to choose.
  const place = placeFilter(areas);
  const filters = h("form", { class: "grid2", role: "search", onsubmit: (e) => e.preventDefault() },
    field("按阶段筛选", stage), field("查找（标题、地点）", search),
    place.options.length > 2 ? field("按街道、社区筛选", place) : null);
  const list = h("ul", { class: "plain", id: "consultation-list" }, h("li", { class: "muted" }, "正在读取……"));
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary hidden" }, "显示更多");
  let after = null;
  let seq = 0;

  async function load(append = false) {
    const mine = ++seq;
    try {
      const data = await gql(LIST, { first: 50, after: append ? after : null, stage: orNull(stage.value),
        search: orNull(search.value.trim()), ...placeArguments(place.value) });
      if (mine !== seq) return;
      const { edges, pageInfo, totalCount } = data.consultations;
      after = pageInfo.endCursor;
      if (!append) fill(list);
      list.append(...edges.map(({ node }) => consultationItem(node)));
      if (!list.children.length) list.append(h("li", { class: "muted" }, "没有符合条件的协商。"));
      count.textContent = `共 ${totalCount} 项协商。`;
      more.classList.toggle("hidden", !pageInfo.hasNextPage);
    } catch (error) {
      fill(list, h("li", {}, message(error.message, "error")));
    }
  }
  stage.addEventListener("change", () => load());
  place.addEventListener("change", () => load());
  search.addEventListener("input", debounce(() => load(), 300));
  more.addEventListener("click", () => load(true));
  body.append(filters, count, list, more);
  load();
  return { el, reload: () => load() };
}

function consultationItem(node) {
  const id = encodeURIComponent(node.id);
  return h("li", { class: "card" },
    h("a", { href: `/console/${id}` }, h("strong", {}, node.title)),
    " ", h("span", { class: "badge" }, label("Stage", node.stage)),
    h("br"),
    h("span", { class: "muted" }, `${placeName(node.community)}；${node.location}；建立于 ${date(node.createdAt)}`),
    h("div", { class: "actions" },
      h("a", { class: "button", href: `/console/${id}` }, "管理"),
      node.stage === "DRAFT" ? h("span", { class: "muted" }, "草稿尚未公开")
        : h("a", { class: "button secondary", href: `/c/${id}` }, "查看公开页面")));
}

function createConsultationSection(onParties, areas) {
  const [el, body] = section("新建协商", "create", h("p", { class: "muted" }, `新建的协商先是${label("Stage", "DRAFT")}，只有组织方能看到；准备好后再进入“${label("Stage", "COLLECTING")}”阶段。`));
  const box = h("div", { class: "checks" });
  const convener = h("select", { name: "convenerId" });
  const form = h("form", { class: "card", id: "create-form", novalidate: true },
    field("标题", h("input", { name: "title", required: true, autocomplete: "off" }), "写清楚是什么事，例如：幸福里路灯维修"),
    field("简要说明", h("textarea", { name: "summary", required: true, rows: 3 })),
    field("地点", h("input", { name: "location", required: true, autocomplete: "off" }), "例如：临河区解放街道幸福里"),
    communityPicker(areas),
    field("召集的政协委员", convener, "召集人能看到草稿、推进阶段并归档；可以以后再定"),
    h("fieldset", {}, h("legend", {}, "参与各方（可以以后再加）"), box),
    ...submitRow("建立协商"));
  gql("{ cppccMembers { id shownName } }").then(({ cppccMembers }) =>
    fillSelect(convener, (cppccMembers ?? []).map((m) => [m.id, m.shownName]), "暂不指定"));
  onParties((parties) => {
    const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    fill(box, ...parties.map((p) => checkbox("partyIds", `${p.name}（${label("PartyKind", p.kind)}）`, checked.has(p.id), { value: p.id })));
  });
  onSubmit(form, async ({ title, summary, location: where, convenerId, communityId }) => {
    const partyIds = [...box.querySelectorAll("input:checked")].map((i) => i.value);
    const payload = await mutate("createConsultation", { title, summary, location: where, partyIds, convenerId: orNull(convenerId),
      communityId: orNull(communityId) }, "consultation { id }");
    window.location.assign(`/console/${encodeURIComponent(payload.consultation.id)}`);
  });
  body.append(form);
  return el;
}

function partiesSection(onParties, reload, mayCreate, mayAddReps) {
  const [el, body] = section("参与方", "parties", h("p", { class: "muted" }, `出钱或负责的各方：${["MERCHANT", "UNIT", "STREET_OFFICE", "DEPARTMENT", "ENTERPRISE"].map((k) => label("PartyKind", k)).join("、")}等。`));
  const list = h("ul", { class: "plain", id: "party-list" });
  onParties((parties) => syncList(list, parties, (p) => p.id, () => {
    const el = h("li", { class: "card" });
    return {
      el,
      update: (p) => fill(el, h("strong", {}, p.name), " ", h("span", { class: "badge" }, label("PartyKind", p.kind)),
        p.contact ? h("span", { class: "muted" }, `　联系方式：${p.contact}`) : null),
    };
  }, "还没有参与方。"));
  const form = h("form", { class: "card", id: "party-form", novalidate: true },
    h("h3", {}, "添加参与方"),
    field("名称", h("input", { name: "name", required: true, autocomplete: "off" })),
    field("类别", select("kind", words("PartyKind"))),
    field("联系方式（选填）", h("input", { name: "contact", autocomplete: "off" }), "只有组织方能看到"),
    mayAddReps
      ? h("fieldset", {}, h("legend", {}, "同时添加这一方的代表（选填）"),
          field("代表姓名", h("input", { name: "displayName", autocomplete: "off" }), "填了就一并生成代表的邀请条，代表凭邀请条登录，不用密码"),
          field("代表电话", h("input", { name: "phone", type: "tel", autocomplete: "off" }), "只有组织方能看到"))
      : null,
    ...submitRow("添加参与方"));
  const sheet = h("div", { class: "print-area slips-sheet hidden", id: "party-slip-sheet" });
  onSubmit(form, async ({ name, kind, contact, displayName, phone }) => {
    // the representative's fields are named as the API names them, so an error lands beside its field
    const representative = displayName ? { displayName, phone: orNull(phone) } : null;
    const payload = await mutate("createParty", { name, kind, contact: orNull(contact), representative },
      "party { id name } slip { code link qrSvg account { displayName } }");
    form.reset();
    await reload();
    if (payload.slip) {
      drawSlips(sheet, `${payload.party.name} 代表邀请条`, [{ label: payload.slip.account.displayName, code: payload.slip.code, link: payload.slip.link, qrSvg: payload.slip.qrSvg }]);
    }
    return payload;
  }, ({ party, slip }) => slip ? `已添加：${party.name}，以及代表 ${slip.account.displayName}。请打印下面的邀请条交给本人。` : `已添加：${party.name}`);
  body.append(...[h("details", { open: true }, h("summary", {}, "全部参与方"), list), mayCreate ? form : null,
    mayCreate ? sheet : null, mayAddReps ? representativeForm(onParties) : null].filter(Boolean));
  return el;
}

/** 添加参与方代表: a shopkeeper or unit contact who signs in with a printed slip, no password. */
function representativeForm(onParties) {
  const party = h("select", { name: "partyId", required: true });
  onParties((parties) => fillSelect(party, parties.map((p) => [p.id, p.name]), "请选择参与方"));
  const sheet = h("div", { class: "print-area slips-sheet hidden", id: "rep-slip-sheet" });
  const form = h("form", { class: "card", id: "representative-form", novalidate: true },
    h("h3", {}, "添加参与方代表（凭邀请条登录）"),
    h("p", { class: "muted" }, "代表不用密码：打印邀请条交给本人，扫码或输入邀请码就能以这一方代表的身份登录，确认分担、查看付款、报告整改和进度。"),
    field("参与方", party),
    field("代表姓名", h("input", { name: "displayName", required: true, autocomplete: "off" }), "别人看到的名字，例如 菜园市场 张经理"),
    field("电话（选填）", h("input", { name: "phone", type: "tel", autocomplete: "off" }), "只有组织方能看到"),
    ...submitRow("添加并生成邀请条"));
  onSubmit(form, async ({ partyId, displayName, phone }) => {
    const payload = await mutate("createRepresentative", { partyId: orNull(partyId), displayName, phone: orNull(phone) },
      "slip { code link qrSvg account { displayName } party { name } }");
    const slip = payload.slip;
    form.reset();
    drawSlips(sheet, `${slip.party.name} 代表邀请条`, [{ label: slip.account.displayName, code: slip.code, link: slip.link, qrSvg: slip.qrSvg }]);
    return slip;
  }, (slip) => `已添加 ${slip.account.displayName}，请打印下面的邀请条交给本人。邀请码离开本页后就看不到了。`);
  return h("div", {}, form, sheet);
}

function accountSection(me, onParties) {
  const [el, body] = section("工作人员账号", "accounts",
    h("p", { class: "muted" }, `为${label("Role", "CPPCC_MEMBER")}、${label("Role", "PARTY_REP")}建立登录账号。${label("Role", "RESIDENT")}不需要账号，用邀请条进入。`));
  // The roles the server accepts from this viewer; residents come in with a slip, not an account made here.
  const roles = me.can.grantRoles.filter((r) => r !== "RESIDENT");
  const party = h("select", { name: "partyId" });
  onParties((parties) => fillSelect(party, parties.map((p) => [p.id, p.name]), "不代表任何一方"));
  const roleBox = h("fieldset", {}, h("legend", {}, "身份（可多选）"), roles.map((r) => checkbox(`role-${r}`, label("Role", r), false, { value: r })));
  const form = h("form", { class: "card", id: "account-form", novalidate: true },
    field("用户名", h("input", { name: "username", required: true, autocomplete: "off", autocapitalize: "off", spellcheck: "false" }), "登录时用，字母或数字"),
    field("初始密码", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" }), "请当面告诉本人，并请对方妥善保管"),
    field("显示名称", h("input", { name: "displayName", required: true, autocomplete: "off" }), "例如：菜园市场 张经理"),
    roleBox,
    field("代表哪一方", party, `${label("Role", "PARTY_REP")}必须选择所代表的一方`),
    ...submitRow("建立账号"));
  onSubmit(form, async ({ username, password, displayName }) => {
    const chosen = [...roleBox.querySelectorAll("input:checked")].map((i) => i.value);
    const payload = await mutate("createAccount", { username, password, displayName, roles: chosen, partyId: orNull(party.value) },
      "account { displayName roles }");
    form.reset();
    return payload.account;
  }, (account) => `已建立账号：${account.displayName}（${account.roles.map((r) => label("Role", r)).join("、")}）`);
  body.append(form);
  return el;
}
