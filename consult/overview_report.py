"""协商成效 on paper: the overview as a table for CSV and spreadsheets, and the printable monthly
report with its charts drawn as SVG. The figures are the service's (consult.services.overview);
the words are the label catalogue's."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from consult.domain.labels import label
from consult.domain.vocabulary import AreaKind, PartyKind, Stage
from consult.money import format_fen
from consult.services.overview import CommunityRow, Figures, Overview

# The stages a table shows a column for; CANCELLED ones count in the total only.
TABLE_STAGES = [s for s in Stage if s != Stage.CANCELLED]
PALETTE = ["#0b4f9c", "#b35900", "#1b6e20", "#7b1fa2", "#9e1c1c", "#00695c", "#5d4037", "#37474f", "#888"]


def _yuan(fen: int) -> Decimal:
    return Decimal(format_fen(fen))


def _num(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


Column = tuple[str, Callable[[Figures], Any]]


def _stage_count(stage: Stage) -> Callable[[Figures], Any]:
    return lambda f: f.stages.get(stage, 0)


def _kind_money(kind: str, which: str) -> Callable[[Figures], Any]:
    return lambda f: _yuan(getattr(f, which).get(kind, 0))


def columns(result: Overview) -> list[Column]:
    """The table's figure columns: a title and how to read it from one row's figures."""
    cols: list[Column] = [("协商事项", lambda f: f.consultations)]
    cols += [(label(s), _stage_count(s)) for s in TABLE_STAGES]
    cols += [
        ("诉求受理", lambda f: f.demands_received),
        ("已解决", lambda f: f.demands_resolved),
        ("解决率(%)", lambda f: _num(f.resolution_rate)),
        ("认缴(元)", lambda f: _yuan(f.pledged_total_fen)),
        ("实缴(元)", lambda f: _yuan(f.paid_total_fen)),
    ]
    for kind in result.party_kinds:
        word = label(PartyKind(kind))
        cols += [
            (f"{word}认缴(元)", _kind_money(kind, "pledged_fen")),
            (f"{word}实缴(元)", _kind_money(kind, "paid_fen")),
        ]
    cols += [
        ("超期节点", lambda f: f.milestones_overdue),
        ("超期问题", lambda f: f.findings_overdue),
        ("已闭环问题", lambda f: f.findings_verified),
        ("平均闭环天数", lambda f: _num(f.average_close_days)),
        ("表决次数", lambda f: f.polls_closed),
        ("平均参与率(%)", lambda f: _num(f.average_turnout)),
        ("评价数", lambda f: f.ratings),
        ("平均满意度(5分制)", lambda f: _num(f.average_satisfaction)),
        ("满意率(%)", lambda f: _num(f.satisfaction_rate)),
    ]
    return cols


def table(result: Overview) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows: one per community, then the total (合计)."""
    cols = columns(result)
    header = [label(AreaKind.STREET), label(AreaKind.COMMUNITY), *(title for title, _ in cols)]
    rows = [[row.street_name or "", row.name, *(read(row.figures) for _, read in cols)] for row in result.communities]
    rows.append(["", "合计", *(read(result.total) for _, read in cols)])
    return header, rows


def period_text(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "全部时间"
    return f"{start.isoformat() if start else '最早'} 至 {end.isoformat() if end else '今天'}"


# A spreadsheet reads a cell that starts with one of these as a formula. The names in the table are
# typed by admins; a name such as =HYPERLINK(…) must open as the text it is, never run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would take for a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(result: Overview) -> bytes:
    """UTF-8 with a byte order mark, which is how Excel knows the Chinese is UTF-8."""
    header, rows = table(result)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(result: Overview) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = table(result)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "协商成效"
    sheet.append(["协商成效"])
    sheet.append(["统计期间", period_text(result.start, result.end)])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a name is text, even one that starts with "=" (see FORMULA_STARTS)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C5"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The monthly report ------------------------------------------------------------------------


def _e(value: Any) -> str:
    return "—" if value in (None, "") else escape(str(value))


def stage_chart(rows: list[CommunityRow]) -> str:
    """A stacked bar per community: its consultations by stage, each part labelled in the legend."""
    if not rows:
        return ""
    most = max((r.figures.consultations for r in rows), default=0) or 1
    bar_h, name_w, width = 26, 110, 560
    parts = []
    for i, row in enumerate(rows):
        y, x = i * (bar_h + 8), float(name_w)
        parts.append(f'<text x="0" y="{y + 18}" font-size="14">{escape(row.name[:8])}</text>')
        for j, stage in enumerate(Stage):
            n = row.figures.stages.get(stage, 0)
            if n:
                w = (width - name_w - 40) * n / most
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[j]}">'
                    f"<title>{escape(label(stage))} {n}</title></rect>"
                )
                x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 18}" font-size="14">{row.figures.consultations}</text>')
    height = len(rows) * (bar_h + 8)
    legend = "".join(
        f'<li><span class="sw" style="background:{PALETTE[j]}"></span>{escape(label(s))}</li>'
        for j, s in enumerate(Stage)
    )
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="各社区协商事项阶段">'
        f'{"".join(parts)}</svg><ul class="legend">{legend}</ul>'
    )


def money_chart(result: Overview) -> str:
    """Pledged against paid, a pair of bars per kind of party."""
    kinds = result.party_kinds
    if not kinds:
        return '<p class="none">本期没有通过的出资方案。</p>'
    total = result.total
    most = max(max(total.pledged_fen.get(k, 0), total.paid_fen.get(k, 0)) for k in kinds) or 1
    parts, width, name_w = [], 560, 110
    for i, kind in enumerate(kinds):
        y = i * 64
        parts.append(f'<text x="0" y="{y + 30}" font-size="14">{escape(label(PartyKind(kind)))}</text>')
        for j, (word, fen, color) in enumerate(
            [("认缴", total.pledged_fen.get(kind, 0), "#9bb7d8"), ("实缴", total.paid_fen.get(kind, 0), "#0b4f9c")]
        ):
            w = max(1.0, (width - name_w - 150) * fen / most)
            parts.append(
                f'<rect x="{name_w}" y="{y + j * 26}" width="{w:.1f}" height="22" fill="{color}"/>'
                f'<text x="{name_w + w + 6:.1f}" y="{y + j * 26 + 16}" font-size="13">'
                f"{word} {format_fen(fen)} 元</text>"
            )
    return (
        f'<svg viewBox="0 0 {width} {len(kinds) * 64}" width="100%" role="img" '
        'aria-label="按出资方类别的认缴与实缴">'
        f"{''.join(parts)}</svg>"
    )


def satisfaction_chart(rows: list[CommunityRow]) -> str:
    """The satisfaction rate of each community with ratings, as a bar out of 100%."""
    rated = [r for r in rows if r.figures.ratings]
    if not rated:
        return '<p class="none">本期还没有居民评价。</p>'
    parts, width, name_w = [], 560, 110
    for i, row in enumerate(rated):
        y = i * 34
        rate = Decimal(row.figures.satisfaction_rate or "0")
        w = float((width - name_w - 120) * rate / 100)
        parts.append(
            f'<text x="0" y="{y + 18}" font-size="14">{escape(row.name[:8])}</text>'
            f'<rect x="{name_w}" y="{y}" width="{width - name_w - 120}" height="24" fill="#e8edf3"/>'
            f'<rect x="{name_w}" y="{y}" width="{w:.1f}" height="24" fill="#1b6e20"/>'
            f'<text x="{width - 112}" y="{y + 18}" font-size="13">{rate}%（{row.figures.ratings}户）</text>'
        )
    return (
        f'<svg viewBox="0 0 {width} {len(rated) * 34}" width="100%" role="img" aria-label="各社区满意率">'
        f"{''.join(parts)}</svg>"
    )


REPORT_STYLE = """
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #111;
  max-width: 1000px; margin: 1.5rem auto; padding: 0 1rem; font-size: 16px; line-height: 1.5; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; } h2 { font-size: 1.3rem; margin: 1.5rem 0 .5rem; }
.big { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; padding: 0; list-style: none; }
.big li { border: 2px solid #0b4f9c; border-radius: 8px; padding: .5rem 1rem; min-width: 9rem; }
.big strong { display: block; font-size: 1.8rem; color: #0b4f9c; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #999; padding: 3px 5px; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
tr.total td { font-weight: 700; background: #eef3f9; }
.legend { display: flex; flex-wrap: wrap; gap: .75rem; list-style: none; padding: 0; font-size: 13px; }
.sw { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
.none, .muted { color: #555; }
.street { page-break-before: always; break-before: page; }
.noprint a { font-size: 1.1rem; }
svg { display: block; max-width: 640px; }
@page { size: A4 landscape; margin: 12mm; }
@media print { .noprint { display: none; } body { margin: 0; max-width: none; }
  .street { page-break-before: always; } }
"""


def _big(figures: Figures) -> str:
    rate = f"{figures.resolution_rate}%" if figures.resolution_rate is not None else "—"
    sat = f"{figures.satisfaction_rate}%" if figures.satisfaction_rate is not None else "—"
    items = [
        ("诉求解决率", rate, f"受理 {figures.demands_received} 件，解决 {figures.demands_resolved} 件"),
        ("协商事项", str(figures.consultations), ""),
        ("认缴 / 实缴", f"{format_fen(figures.paid_total_fen)}", f"认缴 {format_fen(figures.pledged_total_fen)} 元"),
        ("超期节点 / 问题", f"{figures.milestones_overdue} / {figures.findings_overdue}", ""),
        ("表决 / 平均参与率", f"{figures.polls_closed}", f"参与率 {_e(figures.average_turnout)}%"),
        ("满意率", sat, f"平均 {_e(figures.average_satisfaction)} 分"),
    ]
    return (
        '<ul class="big">'
        + "".join(
            f"<li>{escape(t)}<strong>{escape(v)}</strong><span class=muted>{escape(n)}</span></li>" for t, v, n in items
        )
        + "</ul>"
    )


def _table_html(result: Overview, rows: list[CommunityRow], total: Figures) -> str:
    cols = columns(result)
    places = [label(AreaKind.STREET), label(AreaKind.COMMUNITY)]
    head = "".join(f"<th>{escape(t)}</th>" for t in [*places, *(t for t, _ in cols)])
    body = "".join(
        "<tr>"
        + f"<td>{_e(r.street_name)}</td><td>{_e(r.name)}</td>"
        + "".join(f"<td>{_e(read(r.figures))}</td>" for _, read in cols)
        + "</tr>"
        for r in rows
    )
    body += '<tr class="total"><td></td><td>合计</td>' + "".join(f"<td>{_e(read(total))}</td>" for _, read in cols)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tr></tbody></table>"


def report_html(result: Overview, month: date, back: str) -> str:
    """The month's report: totals and charts for all, then a page per street."""
    title = f"{month.year}年{month.month}月"
    streets: dict[str, list[CommunityRow]] = {}
    for row in result.communities:
        streets.setdefault(row.street_name or "其他", []).append(row)
    pages = []
    for name, rows in streets.items():
        figures = Figures()
        for row in rows:
            figures.add(row.figures)
        pages.append(
            f'<section class="street"><h2>{escape(name)}</h2>{_big(figures)}'
            f"<h3>各社区协商事项</h3>{stage_chart(rows)}{_table_html(result, rows, figures)}</section>"
        )
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>协商成效月报 {title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{REPORT_STYLE}</style></head><body>"
        f'<p class="noprint"><a href="{escape(back)}">← 返回协商成效</a>　请用浏览器的“打印”保存或打印本报告。</p>'
        f"<h1>协商成效月报</h1><p>统计期间：{title}（{period_text(result.start, result.end)}，"
        f"按协商事项的创建日期）</p>{_big(result.total)}"
        f"<h2>各社区协商事项的阶段</h2>{stage_chart(result.communities)}"
        f"<h2>按出资方类别的认缴与实缴</h2>{money_chart(result)}"
        f"<h2>居民满意率</h2>{satisfaction_chart(result.communities)}"
        f"<h2>各社区明细</h2>{_table_html(result, result.communities, result.total)}"
        f"{''.join(pages)}</body></html>"
    )


# Query parameters of the exports ------------------------------------------------------------


def _date(value: str | None, field: str) -> date | None:
    from consult.errors import Invalid

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("bad_date", field) from None


def _area(value: str | None, field: str) -> int | None:
    from consult.errors import NotFound
    from consult.ids import expect_id

    if not value:
        return None
    pk = expect_id(value, "Area")
    if pk is None:
        raise NotFound(field)
    return pk


def filters(params: Any) -> dict[str, Any]:
    """The overview's filters from an export's query string: from, to (YYYY-MM-DD), streetId,
    communityId (global IDs), as the GraphQL query takes them."""
    return {
        "start": _date(params.get("from"), "from"),
        "end": _date(params.get("to"), "to"),
        "street_id": _area(params.get("streetId"), "streetId"),
        "community_id": _area(params.get("communityId"), "communityId"),
    }


def month_filters(params: Any) -> tuple[date, dict[str, Any]]:
    """The report's month (YYYY-MM, this month when absent is the caller's business) as a period."""
    from consult.errors import Invalid

    text = params.get("month") or ""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise Invalid("bad_date", "month") from None
    if not 1970 <= year <= 2200:
        raise Invalid("date_out_of_range", "month")
    following = date(year + month // 12, month % 12 + 1, 1)
    from datetime import timedelta

    found = filters(params)
    found.update(start=first, end=following - timedelta(days=1))
    return first, found
