// 辖区: the district's streets and communities in the console. Which community a consultation
// belongs to, the list's filter by street or community, and the admins' panel that adds places
// and says where each staff account works. What a viewer may act on comes from the server.
import { gql, mutate } from "./api.js";
import { label } from "./format.js";
import { field, h, onSubmit, section, select } from "./ui.js";
import { checkbox, fill, fillSelect, submitRow } from "./console-kit.js";

const AREAS = "{ areas { id kind name inViewerReach parent { id name } } }";

/** Every place, top down, with whether the viewer's areas take it in. */
export async function loadAreas() {
  return (await gql(AREAS)).areas;
}

/** How a place is written for people: 本街道 · 本社区 for a community, the name for the others. */
export function placeName(area) {
  return area.kind === "COMMUNITY" && area.parent ? `${area.parent.name} · ${area.name}` : area.name;
}

/**
 * The community picker of the new-consultation form: only when the viewer reaches more than one
 * community (with one, the server puts it there by itself).
 */
export function communityPicker(areas) {
  const mine = areas.filter((a) => a.kind === "COMMUNITY" && a.inViewerReach);
  if (mine.length < 2) return null;
  const picker = select("communityId", Object.fromEntries(mine.map((a) => [a.id, placeName(a)])));
  return field(`属于哪个${label("AreaKind", "COMMUNITY")}`, picker, `这件协商由哪个${label("AreaKind", "COMMUNITY")}来办`);
}

/** The list's filter: every place the viewer reaches, streets and their communities. */
export function placeFilter(areas) {
  const options = { "": "我负责的全部地方" };
  for (const a of areas) {
    if (a.kind === "DISTRICT" || !a.inViewerReach) continue;
    options[`${a.kind}:${a.id}`] = a.kind === "STREET" ? `${a.name}（整个${label("AreaKind", "STREET")}）` : `　${placeName(a)}`;
  }
  return select("place", options);
}

/** The filter's value as the consultations query's arguments. */
export function placeArguments(value) {
  const [kind, id] = (value || "").split(":");
  return { communityId: kind === "COMMUNITY" ? id : null, streetId: kind === "STREET" ? id : null };
}

/** 辖区和工作范围: for admins, add streets and communities, and set where a staff account works. */
export function areasSection(reload) {
  const [el, body] = section("辖区和工作范围", "areas",
    h("p", { class: "muted" }, `${label("AreaKind", "DISTRICT")}下面有${label("AreaKind", "STREET")}，${label("AreaKind", "STREET")}下面有${label("AreaKind", "COMMUNITY")}。` +
      `工作人员只能办理自己工作范围内的协商：定在${label("AreaKind", "DISTRICT")}，就是全区；定在${label("AreaKind", "STREET")}，就是它下面的各个${label("AreaKind", "COMMUNITY")}。`));
  const tree = h("ul", { class: "plain", id: "area-tree" });
  const parent = h("select", { name: "parentId", required: true });
  const kind = select("kind", { COMMUNITY: label("AreaKind", "COMMUNITY"), STREET: label("AreaKind", "STREET") });
  const addForm = h("form", { class: "card", id: "area-form", novalidate: true },
    h("h3", {}, "添加街道或社区"),
    field("添加什么", kind),
    field("放在哪里下面", parent,
      `${label("AreaKind", "STREET")}放在${label("AreaKind", "DISTRICT")}下面，${label("AreaKind", "COMMUNITY")}放在${label("AreaKind", "STREET")}下面`),
    field("名称", h("input", { name: "name", required: true, autocomplete: "off" }), "例如：五川镇、东风社区"),
    ...submitRow("添加"));
  const account = h("select", { name: "accountId", required: true });
  const places = h("fieldset", { id: "staff-area-choices" }, h("legend", {}, "工作范围（可多选）"));
  const staffForm = h("form", { class: "card", id: "staff-areas-form", novalidate: true },
    h("h3", {}, "设定工作人员的工作范围"),
    field("工作人员", account),
    places,
    ...submitRow("保存工作范围"));
  let staff = [];

  async function refresh() {
    const data = await gql(`{ areas { id kind name inViewerReach parent { id name } }
      staffAccounts { id shownName areas { id } } }`);
    staff = data.staffAccounts ?? [];
    const mine = data.areas.filter((a) => a.inViewerReach);
    fill(tree, ...data.areas.map((a) => h("li", { style: `margin-left:${a.kind === "DISTRICT" ? 0 : a.kind === "STREET" ? 1.5 : 3}em` },
      h("strong", {}, a.name), " ", h("span", { class: "badge" }, label("AreaKind", a.kind)))));
    fillSelect(parent, mine.filter((a) => a.kind !== "COMMUNITY").map((a) => [a.id, `${a.name}（${label("AreaKind", a.kind)}）`]), "请选择");
    fillSelect(account, staff.map((s) => [s.id, s.shownName]), "请选择");
    fill(places, h("legend", {}, "工作范围（可多选）"),
      ...mine.map((a) => checkbox("areaIds", `${placeName(a)}（${label("AreaKind", a.kind)}）`, false, { value: a.id })));
    showChosen();
  }
  function showChosen() {
    const held = new Set((staff.find((s) => s.id === account.value)?.areas ?? []).map((a) => a.id));
    for (const box of places.querySelectorAll("input")) box.checked = held.has(box.value);
  }
  account.addEventListener("change", showChosen);

  onSubmit(addForm, async ({ kind: k, parentId, name }) => {
    const payload = await mutate("createArea", { kind: k, parentId, name }, "area { name kind }");
    addForm.querySelector("[name=name]").value = "";
    await refresh();
    await reload();
    return payload.area;
  }, (area) => `已添加：${area.name}（${label("AreaKind", area.kind)}）`);
  onSubmit(staffForm, async ({ accountId }) => {
    const areaIds = [...places.querySelectorAll("input:checked")].map((i) => i.value);
    const payload = await mutate("setStaffAreas", { accountId, areaIds }, "account { shownName areas { name } }");
    await refresh();
    return payload.account;
  }, (a) => `已保存：${a.shownName}的工作范围是 ${a.areas.map((x) => x.name).join("、")}`);

  body.append(h("details", { open: true }, h("summary", {}, "全区的街道和社区"), tree), addForm, staffForm);
  refresh();
  return el;
}
