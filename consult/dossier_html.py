"""The printable dossier: the sealed document laid out as the seven forms, for A4 paper.

The document keeps the stored values (codes); the words are the label catalogue's, so the dossier
reads the same as the pages and the messages.
"""

from __future__ import annotations

from html import escape
from typing import Any

from consult.domain.labels import label_of
from consult.domain.vocabulary import (
    DecisionPreset,
    DemandChannel,
    DemandStatus,
    FindingCategory,
    FindingStatus,
    MilestoneStatus,
    PollOutcome,
    ProposalStatus,
    SplitMethod,
    Stage,
)

VERIFY_NOTE = "任何人可用同一份 JSON 文档（键排序、无空格、保留中文）重新计算核对。"


def _e(value: Any) -> str:
    return "—" if value in (None, "") else escape(str(value))


def _day(iso: str | None) -> str:
    return "—" if not iso else escape(iso[:16].replace("T", " "))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return '<p class="none">（无）</p>'
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(document: dict, sha256: str) -> str:
    c = document["consultation"]
    forms = {f["name"]: f for f in document["forms"]}
    parts: list[str] = []

    f1 = forms["提诉求单"]
    parts.append(
        _section(
            "一、提诉求单",
            _table(
                ["诉求", "内容", "渠道", "状态", "支持"],
                [
                    [
                        _e(d["title"]),
                        _e(d["body"]),
                        _e(label_of(DemandChannel, d["channel"])),
                        _e(label_of(DemandStatus, d["status"])),
                        _e(d["supportCount"]),
                    ]
                    for d in f1["demands"]
                ],
            ),
        )
    )
    f2 = forms["列责任单"]
    parts.append(
        _section(
            "二、列责任单",
            _table(
                ["责任方", "责任内容", "时限"],
                [[_e(r["party"]), _e(r["duty"]), _day(r["dueAt"])] for r in f2["responsibilities"]],
            ),
        )
    )
    f3 = forms["出方案单"]
    rows = [
        [_e(p["title"]), _e(p["body"]), _e(p["budget"]) + " 元", _e(label_of(ProposalStatus, p["status"]))]
        for p in f3["proposals"]
    ]
    votes = "".join(_vote(v) for v in document.get("votes", []))
    parts.append(_section("三、出方案单", _table(["方案", "内容", "预算", "状态"], rows) + votes))
    f4 = forms["定时限单"]
    milestones = _table(
        ["节点", "责任方", "计划完成", "实际完成", "进度", "状态"],
        [
            [
                _e(m["title"]),
                _e(m["responsibleParty"]),
                _day(m["plannedEnd"]),
                _day(m["actualEnd"]),
                f"{m['progress']}%",
                _e(label_of(MilestoneStatus, m["status"])),
            ]
            for m in f4["milestones"]
        ],
    )
    findings = [
        [
            _e(label_of(FindingCategory, f["category"])),
            _e(f["description"]),
            _e(f["assignee"]),
            _e(f["responsibleParty"]),
            _day(f["dueAt"]),
            _e(f["expectedOutcome"]),
            _e(label_of(FindingStatus, f["status"])),
            _e(f["resolution"]),
        ]
        for i in f4["inspections"]
        for f in i["findings"]
    ]
    inspections = _table(
        ["视察时间", "政协委员", "节点", "情况"],
        [[_day(i["visitedAt"]), _e(i["inspector"]), _e(i["milestone"]), _e(i["notes"])] for i in f4["inspections"]],
    )
    parts.append(
        _section(
            "四、定时限单",
            "<h3>工程节点</h3>"
            + milestones
            + "<h3>监督视察</h3>"
            + inspections
            + "<h3>问题整改（五定闭环）</h3>"
            + _table(["类别", "定事项", "定人员", "定责任", "定时限", "定效果", "状态", "整改情况"], findings),
        )
    )
    f5 = forms["给反馈单"]
    ev = f5["evaluation"]
    dist = " ".join(f"{i + 1}分:{n}" for i, n in enumerate(ev["distribution"]))
    rate = "—" if ev["satisfactionRate"] is None else f"{float(ev['satisfactionRate']) * 100:.2f}%"
    summary = f"<p>评价 {ev['count']} 份，平均 {_e(ev['average'])} 分，满意率（4 分及以上）{rate}；分布：{dist}</p>"
    follow = _table(
        ["回访时间", "回访人", "情况"], [[_day(f["at"]), _e(f["by"]), _e(f["notes"])] for f in f5["followUps"]]
    )
    parts.append(_section("五、给反馈单", summary + "<h3>跟踪回访</h3>" + follow))
    f6 = forms["签协议单"]
    plan = f6.get("costPlan")
    money = '<p class="none">（无出资分担）</p>'
    if plan:
        money = (
            f"<p>采纳方案：{_e(f6['adoptedProposal'])}；总额 {_e(plan['total'])} 元，"
            f"{_e(label_of(SplitMethod, plan['method']))}</p>"
            + _table(
                ["出资方", "分担金额", "确认时间", "确认人", "已到位", "未到位"],
                [
                    [
                        _e(s["party"]),
                        _e(s["amount"]),
                        _day(s["confirmedAt"]),
                        _e(s["confirmedBy"]) + ("（由组织方代为确认）" if s.get("confirmedOnBehalf") else ""),
                        _e(s["paid"]),
                        _e(s["outstanding"]),
                    ]
                    for s in plan["shares"]
                ],
            )
        )
    parts.append(_section("六、签协议单", money))
    f7 = forms["存入档案单"]
    trail = f7["auditTrail"]
    parts.append(
        _section(
            "七、存入档案单",
            (
                f"<p>归档时间：{_day(f7['sealedAt'])}</p>"
                f"<p>审计链：共 {trail['length']} 条记录，末条哈希 <code>{_e(trail['headHash'])}</code></p>"
                f"<p>档案 SHA-256：<code>{escape(sha256)}</code></p>"
            ),
        )
    )
    parties = _e("、".join(p["name"] for p in c["parties"]))
    history = " → ".join(f"{escape(label_of(Stage, h['to']))}（{_day(h['at'])[:10]}）" for h in c["stageHistory"])
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>协商档案：{_e(c["title"])}</title>
<style>
  @page {{ size: A4; margin: 16mm 14mm; }}
  body {{ font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
         color: #000; background: #fff; font-size: 11pt; line-height: 1.55; max-width: 190mm; margin: 0 auto;
         padding: 8mm 0; }}
  h1 {{ font-size: 18pt; text-align: center; margin: 0 0 2mm; }}
  .meta {{ text-align: center; margin-bottom: 6mm; }}
  h2 {{ font-size: 13pt; border-bottom: 1.5pt solid #000; padding-bottom: 1mm; margin: 7mm 0 3mm; break-after: avoid; }}
  h3 {{ font-size: 11.5pt; margin: 4mm 0 2mm; }}
  table {{ width: 100%; border-collapse: collapse; margin: 2mm 0; font-size: 9.5pt; }}
  th, td {{ border: 0.6pt solid #444; padding: 1.2mm 1.6mm; vertical-align: top; text-align: left; }}
  th {{ background: #eee; }}
  tr {{ break-inside: avoid; }}
  code {{ font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; word-break: break-all; }}
  .none {{ color: #555; }}
  .hash {{ border: 1pt solid #000; padding: 2mm 3mm; margin-top: 6mm; font-size: 9pt; }}
  section {{ break-inside: auto; }}
</style>
</head>
<body>
<h1>{_e(c["title"])}</h1>
<p class="meta">{_e(c["location"])} · 召集人：{_e(c["convener"])} · 参与方：{parties}</p>
<p>{_e(c["summary"])}</p>
<p>历程：{history}</p>
{"".join(parts)}
{_photos(document.get("photos", []))}
<p class="hash">本档案的 SHA-256 为 <code>{escape(sha256)}</code>。{VERIFY_NOTE}</p>
</body>
</html>
"""


PHOTO_SUBJECTS = {
    "SITE": "现场照片",
    "DEMAND": "诉求",
    "FINDING": "督查问题",
    "FIX": "整改情况",
    "PROGRESS": "进度报告",
}


def _photos(photos: list[dict]) -> str:
    """照片证据: each photo's hashes, so a copy of a photo can be checked against the sealed record."""
    if not photos:
        return ""
    rows = [
        [
            _e(i + 1),
            _e(PHOTO_SUBJECTS.get(p.get("subject") or "", p.get("subject"))),
            f"{_e(p['width'])}×{_e(p['height'])} {_e(p['format'])}",
            f"<code>{escape(p['sha256'])}</code>",
        ]
        for i, p in enumerate(photos)
    ]
    note = "<p>每张照片的 SHA-256 已随档案封存；/photos/编号 提供的原图应与下列值一致。</p>"
    return _section("照片证据", note + _table(["序号", "附于", "尺寸", "SHA-256"], rows))


def _section(title: str, body: str) -> str:
    return f"<section><h2>{title}</h2>{body}</section>"


def _vote(v: dict) -> str:
    t = v["tally"]
    options = "、".join(f"{escape(o['label'])} {o['votes']} 票" for o in t["options"])
    rule = label_of(DecisionPreset, v["rule"]["preset"])
    secret = "无记名" if v["secret"] else "记名"
    return (
        f"<h3>居民表决：{_e(v['question'])}</h3><p>{secret}投票，规则：{escape(rule)}；"
        f"应投 {t['electorateSize']} 户，实投 {t['ballotsCast']} 户（参与率 {float(t['turnout']) * 100:.2f}%）；"
        f"{options}；结果：<strong>{_e(label_of(PollOutcome, t['outcome']))}</strong>"
        + (f"，胜出：{_e(t['winner'])}" if t["winner"] else "")
        + "</p>"
    )
