// Money, dates and names as residents read them. Money stays a decimal string: no floats.

import { LABELS } from "./labels.js";

const LANG = globalThis.document?.documentElement?.lang === "en" ? "en" : "zh-CN";

/** "80000.00" -> "80,000 元"; "1234.5" -> "1,234.50 元". */
export function yuan(money) {
  if (money === null || money === undefined || money === "") return "—";
  const [whole, frac = ""] = String(money).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = frac.padEnd(2, "0").slice(0, 2);
  return cents === "00" ? `${grouped} 元` : `${grouped}.${cents} 元`;
}

/** A decimal money string as integer fen (BigInt), for sums and ratios without floats. */
export function fen(money) {
  const [whole, frac = ""] = String(money ?? "0").split(".");
  return BigInt(whole || "0") * 100n + BigInt((frac + "00").slice(0, 2));
}

/** part/whole as a percent with one decimal, rounded half up (1/6 -> 16.7), from integer fen. */
export function percentOf(part, whole) {
  const w = fen(whole);
  if (w === 0n) return 0;
  return Number((fen(part) * 2000n + w) / (2n * w)) / 10;
}

/** count/total (whole numbers, e.g. votes of ballots) as a percent, rounded half up like percentOf. */
export function shareOf(count, total) {
  if (!total) return 0;
  return Math.floor((count * 2000 + total) / (2 * total)) / 10;
}

/** "0.6667" -> "66.7%": the same digits and the same half-up rounding as percentOf. */
export function ratioText(ratio) {
  if (ratio === null || ratio === undefined) return "—";
  const [whole, frac = ""] = String(ratio).split(".");
  const tenThousandths = Number(whole) * 10000 + Number((frac + "0000").slice(0, 4));
  const tenths = Math.floor((tenThousandths + 5) / 10);
  return `${tenths / 10}%`;
}

// Beijing time is UTC+8 all year (China has kept no summer time since 1991), so dates are worked
// out by hand: building an Intl.DateTimeFormat costs an old phone a tenth of a second or more
// before the page can draw. The words are what Intl's zh-CN gives: 2026年12月6日 08:05.
const BEIJING = 8 * 3600_000;
const two = (n) => String(n).padStart(2, "0");

function beijing(iso) {
  const at = new Date(new Date(iso).getTime() + BEIJING);
  return Number.isNaN(at.getTime()) ? null : at;
}

export function date(iso) {
  const at = iso ? beijing(iso) : null;
  return at ? `${at.getUTCFullYear()}年${at.getUTCMonth() + 1}月${at.getUTCDate()}日` : "—";
}

export function dateTime(iso) {
  const at = iso ? beijing(iso) : null;
  return at ? `${date(iso)} ${two(at.getUTCHours())}:${two(at.getUTCMinutes())}` : "—";
}

/** An ISO time as the value of an <input type="datetime-local">, in Beijing time. */
export function toLocalInput(iso) {
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return d.toISOString().slice(0, 16);
}

/** Now, as the value of an <input type="datetime-local">, in Beijing time. */
export const nowLocal = () => toLocalInput(new Date().toISOString());

/** The value of an <input type="datetime-local"> (Beijing time) as ISO 8601 with +08:00. */
export function fromLocalInput(value) {
  if (!value) return null;
  return `${value.length === 16 ? value + ":00" : value}+08:00`;
}

/** The value of an <input type="date"> as the end of that day, Beijing time. */
export function endOfDay(value) {
  return value ? `${value}T23:59:00+08:00` : null;
}

// ---------------------------------------------------------------- words

// The words for stages, statuses, kinds and roles are the server's (consult/domain/labels.py),
// served as /assets/labels.js: pages keep no copies, so a value reads the same on every page, in
// the error messages and in the archived dossier.

/** The word for one value of a vocabulary: label("Stage", "AGREED") -> "签协议". Unknown values show as they are. */
export function label(vocabulary, value) {
  return LABELS[vocabulary]?.[value]?.[LANG] ?? value;
}

/** A short explanation of a value, or "" when the word says enough. */
export function hint(vocabulary, value) {
  return LABELS[vocabulary]?.[value]?.hint?.[LANG] ?? "";
}

/** Every value of a vocabulary with its word, in the server's order: { VALUE: word }, e.g. for a <select>. */
export function words(vocabulary, only = null) {
  const values = only ?? Object.keys(LABELS[vocabulary] ?? {});
  return Object.fromEntries(values.map((value) => [value, label(vocabulary, value)]));
}

/** The stages a consultation passes through, in order (without CANCELLED, which can come at any time). */
export const STAGE_ORDER = Object.keys(LABELS.Stage).filter((stage) => stage !== "CANCELLED");
