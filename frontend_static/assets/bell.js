// The bell (提醒): on every staff and rep page, the count of the viewer's unread reminders, kept
// live over the noticesChanged subscription; opening it lists them with a link to each
// consultation, and marks them read. Those the server gives no bell (unreadNotices null) see none.
import { gql, mutate, subscribe } from "./api.js";
import { dateTime, label } from "./format.js";
import { h } from "./ui.js";

const LIST = `{ notices(first: 30) { unreadCount edges { node {
  id kind text dueAt readAt consultation { id title } } } } }`;

function link(me, consultation) {
  if (!consultation) return null;
  const id = encodeURIComponent(consultation.id);
  return h("a", { href: me?.can?.openConsole ? `/console/${id}` : `/c/${id}` }, consultation.title);
}

function item(me, notice) {
  return h("li", { class: notice.readAt ? "notice read" : "notice unread" },
    h("strong", {}, label("ReminderKind", notice.kind)),
    h("p", {}, notice.text),
    h("p", { class: "muted" }, "期限：", dateTime(notice.dueAt), "　", link(me, notice.consultation)));
}

/** Put the bell into the page header (after mountPage). */
export async function mountBell(me) {
  if (!me) return;
  const first = await gql("{ unreadNotices }").catch(() => null);
  if (first?.unreadNotices === null || first?.unreadNotices === undefined) return;
  const count = h("span", { class: "bell-count", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "bell", id: "bell", "aria-expanded": "false" },
    "提醒 ", count, h("span", { class: "sr-only" }, " 条未读"));
  const panel = h("section", { class: "bell-panel", id: "bell-panel", hidden: true, "aria-label": "提醒" });
  const show = (unread) => {
    count.textContent = String(unread);
    count.classList.toggle("none", unread === 0);
  };
  show(first.unreadNotices);

  async function open() {
    const data = await gql(LIST);
    const edges = data.notices?.edges ?? [];
    const markAll = h("button", { type: "button", class: "link", onclick: async () => {
      const payload = await mutate("markNoticesRead", { all: true }, "unread");
      show(payload.unread ?? 0);
      await open();
    } }, "全部标为已读");
    panel.replaceChildren(
      h("h2", {}, "提醒"),
      edges.length ? h("ul", {}, edges.map((e) => item(me, e.node))) : h("p", {}, "还没有提醒。"),
      data.notices?.unreadCount ? h("p", {}, markAll) : null);
  }

  button.addEventListener("click", async () => {
    const opening = panel.hidden;
    panel.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    if (opening) await open();
  });
  subscribe("subscription { noticesChanged { unread } }", {}, (data) => {
    show(data.noticesChanged.unread);
    if (!panel.hidden) open();
  });
  const header = document.querySelector("body > header.top");
  (header?.querySelector(".account") ?? header ?? document.body).prepend(button);
  (header ?? document.body).after(panel);
}
