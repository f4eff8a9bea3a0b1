// 工作人员登录: organizers, CPPCC members and party representatives sign in with a password.
import { mutate, viewer } from "./api.js";
import { label } from "./format.js";
import { field, fill, h, mountPage, onSubmit } from "./ui.js";

/** Only a path on this site, never another site: ?next=//evil.example stays home. */
function nextPath(me) {
  const next = new URLSearchParams(location.search).get("next") || "";
  // Resolve it as the browser would (tabs and backslashes included); only this site's own pages count.
  try {
    const url = new URL(next, location.origin);
    if (next && url.origin === location.origin) return url.pathname + url.search + url.hash;
  } catch {
    // not a URL at all: go to the default page
  }
  if (me?.can.openConsole) return "/console";
  if (me?.can.openBoard) return "/board";
  return "/";
}

const me = await viewer().catch(() => null);
const main = mountPage(me);
document.title = "工作人员登录 · 基层协商";
const form = h("form", { class: "card", novalidate: true },
  me ? h("h2", {}, "用其他账号登录") : null,
  field("用户名", h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "off" })),
  field("密码", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
  h("div", { class: "actions" }, h("button", { type: "submit" }, "登录")));
fill(main,
  h("h1", {}, "工作人员登录"),
  h("p", { class: "muted" }, `${label("Role", "ORGANIZER")}、${label("Role", "CPPCC_MEMBER")}和${label("Role", "PARTY_REP")}在这里登录。${label("Role", "RESIDENT")}请用邀请条上的二维码或邀请码进入，不需要密码。`),
  me ? h("p", { class: "msg msg-info" }, `您已登录为 ${me.displayName}。`, h("a", { href: nextPath(me) }, "继续")) : null,
  me && me.ownPassword !== null ? passwordCard(me) : null,
  form);
/** 修改密码: a password only its holder knows. A rep's signature counts as their party's own only after this. */
function passwordCard(me) {
  const card = h("form", { class: "card", id: "password", novalidate: true, "aria-labelledby": "password-title" },
    h("h2", { id: "password-title" }, "修改密码"),
    me.ownPassword ? null : h("p", { class: "msg msg-warn", role: "note" },
      me.roles.includes("PARTY_REP")
        ? "您现在的密码是工作人员建账号时设定的。请改成只有您知道的密码：改之前，您确认的费用分担会标明“由组织方代为确认”。"
        : "您现在的密码是别人设定的，请改成只有您知道的密码。"),
    field("当前密码", h("input", { name: "currentPassword", type: "password", autocomplete: "current-password", required: true })),
    field("新密码", h("input", { name: "newPassword", type: "password", autocomplete: "new-password", required: true, minlength: 8 }),
      "至少 8 位，不要用姓名、生日、常见词或键盘顺序。改好后，其他手机和电脑上的登录会退出。"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "保存新密码")));
  onSubmit(card, async ({ currentPassword, newPassword }) => {
    await mutate("changePassword", { currentPassword, newPassword }, "account { id }");
    card.reset();
    card.querySelector(".msg-warn")?.remove();
  }, () => "新密码已保存。只有您知道它，其他设备上的登录已经退出。");
  return card;
}

onSubmit(form, async ({ username, password }) => {
  await mutate("login", { username, password }, "viewer { id }");
  location.assign(nextPath(await viewer()));
});
