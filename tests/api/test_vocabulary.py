"""One vocabulary: every value of every enum the API names has one word, in zh-CN and en.

The server serves the words to the pages as /assets/labels.js; the error messages and the printable
dossier use the same words, and no page script keeps a copy of its own.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from tests.api.helpers import World, adopt_a_proposal, close_polls, create_consultation, create_poll
from tests.api.test_supervision import close_loop, milestone_id, open_finding, start

ROOT = Path(__file__).resolve().parents[2]
PAGE_SCRIPTS = sorted(p for p in (ROOT / "frontend_static").rglob("*.js") if "node_modules" not in p.parts)

# The words once used for one value in one place and another elsewhere; the one chosen for each
# is pinned below, and these must not come back anywhere the pages, messages or dossier show.
RETIRED = [
    "已采用",  # ProposalStatus.ADOPTED: 已采纳
    "未采用",  # ProposalStatus.REJECTED: 已否决
    "已核实办结",  # FindingStatus.VERIFIED: 已核实闭环
    "核实办结",
    "已逾期",  # MilestoneStatus.OVERDUE: 已超期
    "签订协议",  # Stage.AGREED: 签协议
    "资金不到位",  # FindingCategory.FUNDING_SHORTFALL: 资金筹集不到位
    "未采纳",  # DemandStatus.REJECTED: 不予受理
    "施工监督",  # Stage.IMPLEMENTING: 实施与监督
    "效果评价",  # Stage.EVALUATING: 评价回访
    "征集诉求",  # Stage.COLLECTING: 提诉求
    "出资方代表",  # Role.PARTY_REP: 参与方代表
    "简单多数",  # DecisionPreset.SIMPLE_MAJORITY: 过半数通过
]
# Shown only as a whole word or quoted, never inside longer prose, so only checked that way.
RETIRED_WORDS = ["存档", "归档", "协商", "热线", "民情收集员", "已决出", "手机投票", "已提交讨论"]

CHOSEN = {
    ("ProposalStatus", "ADOPTED"): "已采纳",
    ("FindingStatus", "VERIFIED"): "已核实闭环",
    ("MilestoneStatus", "OVERDUE"): "已超期",
    ("Stage", "DELIBERATING"): "协商方案",
    ("Stage", "AGREED"): "签协议",
    ("DemandStatus", "ACCEPTED"): "已受理",
    ("FindingCategory", "FUNDING_SHORTFALL"): "资金筹集不到位",
}


async def served_labels(http) -> dict:
    response = await http.get("/assets/labels.js")
    assert response.status_code == 200
    match = re.fullmatch(r"(?s)(?://[^\n]*\n)*export const LABELS = Object\.freeze\((.*)\);\n", response.text)
    assert match, response.text[:200]
    return json.loads(match.group(1))


# ---------------------------------------------------------------- (a) every value has its words


async def test_every_enum_value_of_the_api_has_a_chinese_and_an_english_word(anon, http):
    labels = await served_labels(http)
    data = await anon.query("{ __schema { types { name kind enumValues { name } } } }")
    enums = {
        t["name"]: [v["name"] for v in t["enumValues"]]
        for t in data["__schema"]["types"]
        if t["kind"] == "ENUM" and not t["name"].startswith("__")
    }
    # ErrorCode is for programs to branch on; people read the message, not the code.
    del enums["ErrorCode"]
    assert set(labels) == set(enums)
    for name, values in enums.items():
        assert list(labels[name]) == values, name
        for value in values:
            words = labels[name][value]
            for lang in ("zh-CN", "en"):
                assert isinstance(words[lang], str) and words[lang].strip(), (name, value, lang)
            if "hint" in words:
                assert words["hint"]["zh-CN"].strip() and words["hint"]["en"].strip(), (name, value)


async def test_one_word_per_value_within_each_enum(http):
    labels = await served_labels(http)
    for name, values in labels.items():
        for lang in ("zh-CN", "en"):
            words = [w[lang] for w in values.values()]
            assert len(words) == len(set(words)), (name, lang, words)


# ---------------------------------------------------------------- (b) pages keep no copies


def js_strings(src: str) -> list[tuple[int, str]]:
    """The string literals of a script and the fixed parts of its template literals, with line numbers.

    Comments and regular-expression literals are skipped: enough JavaScript for our own pages.
    """
    out: list[tuple[int, str]] = []
    i, n = 0, len(src)
    depths: list[int] = []  # for each open ${ } of a template, the braces opened inside it
    prev = ""  # the last significant character, to tell a regex from a division

    def line(at: int) -> int:
        return src.count("\n", 0, at) + 1

    def template(at: int) -> int:
        buf, begin = [], at
        while at < n:
            c = src[at]
            if c == "\\":
                buf.append(src[at : at + 2])
                at += 2
            elif c == "`":
                out.append((line(begin), "".join(buf)))
                return at + 1
            elif src.startswith("${", at):
                out.append((line(begin), "".join(buf)))
                depths.append(0)
                return at + 2
            else:
                buf.append(c)
                at += 1
        return at

    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif src.startswith("//", i):
            end = src.find("\n", i)
            i = n if end < 0 else end
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c in "\"'":
            j, buf = i + 1, []
            while j < n and src[j] != c:
                buf.append(src[j : j + 2] if src[j] == "\\" else src[j])
                j += 2 if src[j] == "\\" else 1
            out.append((line(i), "".join(buf)))
            i, prev = j + 1, "a"
        elif c == "`":
            i, prev = template(i + 1), "a"
        elif c == "/" and (prev in "(,=:[!&|?{};+-*%<>~^" or src[:i].rstrip().endswith("return")):
            j, in_class = i + 1, False
            while j < n and src[j] != "\n" and (in_class or src[j] != "/"):
                in_class = (in_class or src[j] == "[") and src[j] != "]"
                j += 2 if src[j] == "\\" else 1
            i, prev = j + 1, "a"
        elif depths and c == "}" and depths[-1] == 0:
            depths.pop()
            i, prev = template(i + 1), "a"
        else:
            if depths and c in "{}":
                depths[-1] += 1 if c == "{" else -1
            prev = "a" if (c.isalnum() or c in "_$") else c
            i += 1
    return out


PUNCTUATION = " \t\n：:，,。.（）()“”、；;·—-!！?？"


def copied_words(src: str, words: set[str], values: set[str]) -> list[str]:
    """What in a script copies the catalogue: a label as a whole string or quoted in prose, a word
    retired from the catalogue, or an object literal mapping enum values to strings."""
    found = []
    for line, text in js_strings(src):
        whole = text.strip(PUNCTUATION)
        quoted = set(re.findall(r"“([^”]+)”", text))
        for word in (words | set(RETIRED_WORDS)) & ({whole} | quoted):
            found.append(f"line {line}: {word!r} in {text[:60]!r}")
        for word in RETIRED:
            if word in text:
                found.append(f"line {line}: retired {word!r} in {text[:60]!r}")
    for m in re.finditer(r"[{,]\s*[\"']?([A-Z][A-Z0-9_]*)[\"']?\s*:\s*([\"'`])(?!\2)", src):
        if m.group(1) in values:
            found.append(f"line {src.count(chr(10), 0, m.start()) + 1}: a map from {m.group(1)} to a string")
    return found


async def test_no_page_script_keeps_its_own_copy_of_the_words(http):
    labels = await served_labels(http)
    words = {w["zh-CN"] for values in labels.values() for w in values.values()}
    values = {value for v in labels.values() for value in v}
    # the check itself catches each kind of copy
    assert copied_words('const S = { ADOPTED: "采纳", OPEN: `x` };', words, values) != []
    assert copied_words('h("span", {}, "已采纳")', words, values) != []
    assert copied_words("`进入“签协议”前 ${x}`", words, values) != []
    assert copied_words('"这是已采用的方案"', words, values) != []
    assert copied_words('const a = b ? "REOPENED" : "VERIFIED"; label("Stage", s) // 已采纳', words, values) == []
    assert len(PAGE_SCRIPTS) > 10
    copies = {
        str(path.relative_to(ROOT)): found
        for path in PAGE_SCRIPTS
        if (found := copied_words(path.read_text(encoding="utf-8"), words, values))
    }
    assert copies == {}


# ---------------------------------------------------------------- (c) the same word everywhere


async def test_each_disputed_value_reads_the_same_in_the_pages_the_messages_and_the_dossier(world: World, clock):
    t0 = start(clock)
    labels = await served_labels(world.anon.http)
    word = {key: labels[key[0]][key[1]]["zh-CN"] for key in CHOSEN}
    assert word == CHOSEN
    org = world.organizer
    messages: dict[tuple[str, str], str] = {}

    # a demand phoned in and accepted
    cid = await create_consultation(world, stage="COLLECTING")
    demand = await org.ok(
        "submitDemand",
        {"consultationId": cid, "title": "雨天积水", "body": "巷口积水", "channel": "HOTLINE"},
        "demand { id }",
    )
    await org.ok("setDemandStatus", {"demandId": demand["demand"]["id"], "status": "ACCEPTED"})
    await org.ok("advanceStage", {"consultationId": cid, "to": "DELIBERATING"})
    # a demand cannot be raised while the plan is deliberated
    refused = await org.mutate(
        "submitDemand",
        {"consultationId": cid, "title": "晚了", "body": "晚了", "channel": "HOTLINE"},
        "demand { id }",
    )
    messages["Stage", "DELIBERATING"] = refused["errors"][0]["message"]
    await create_poll(world, cid)
    await org.ok("advanceStage", {"consultationId": cid, "to": "VOTING"})
    await close_polls(world, cid)
    # the agreement needs an adopted plan first
    refused = await org.mutate("advanceStage", {"consultationId": cid, "to": "AGREED"}, "consultation { id }")
    messages["Stage", "AGREED"] = refused["errors"][0]["message"]
    pid = await adopt_a_proposal(world, cid)
    refused = await org.mutate("adoptProposal", {"proposalId": pid}, "proposal { id }")
    messages["ProposalStatus", "ADOPTED"] = refused["errors"][0]["message"]
    await org.ok("advanceStage", {"consultationId": cid, "to": "AGREED"})
    # a milestone that will be past its end when the dossier is sealed
    await milestone_id(world, cid, t0 + timedelta(hours=1), title="管网维修")
    await org.ok("advanceStage", {"consultationId": cid, "to": "IMPLEMENTING"})
    fid = await open_finding(world, cid, t0, category="FUNDING_SHORTFALL", description="辖区单位出资未到位")
    await close_loop(world, fid)
    refused = await world.cppcc.mutate("updateFinding", {"findingId": fid, "status": "VERIFIED"}, "finding { id }")
    messages["FindingStatus", "VERIFIED"] = refused["errors"][0]["message"]
    await org.ok("advanceStage", {"consultationId": cid, "to": "EVALUATING"})
    clock.advance(hours=2)
    sealed = await org.ok(
        "archiveConsultation", {"consultationId": cid, "note": "归档"}, "consultation { dossier { htmlUrl } }"
    )
    response = await world.anon.http.get(sealed["consultation"]["dossier"]["htmlUrl"])
    assert response.status_code == 200
    dossier = response.text

    # then the served word is the one the dossier prints and the messages quote
    for key, chosen in word.items():
        assert chosen in dossier, key
    for key, message in messages.items():
        assert f"“{word[key]}”" in message, (key, message)
    assert "协商方案" in messages["Stage", "DELIBERATING"] and "签协议" in messages["Stage", "AGREED"]
    # and none of the words it replaced is left in either
    shown = dossier + "".join(messages.values())
    for retired in RETIRED:
        assert retired not in shown, retired


async def test_english_messages_use_the_english_words(world: World):
    cid = await create_consultation(world, stage="DELIBERATING")
    english = world.organizer.as_(world.organizer.token, "en")
    refused = await english.mutate(
        "submitDemand", {"consultationId": cid, "title": "late", "body": "late", "channel": "HOTLINE"}, "demand { id }"
    )
    labels = await served_labels(world.anon.http)
    assert f"“{labels['Stage']['DELIBERATING']['en']}”" in refused["errors"][0]["message"]


# ---------------------------------------------------------------- (d) served like the pages' own scripts


async def test_the_labels_module_is_javascript_from_this_site_and_revalidated(http):
    response = await http.get("/assets/labels.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"
    # the pages' policy lets scripts come from this site only: the module is one, at the path format.js imports
    page = await http.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    format_js = (await http.get("/assets/format.js")).text
    assert 'from "./labels.js"' in format_js
    # unchanged, it is not sent again
    again = await http.get("/assets/labels.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_the_labels_module_answers_head(http):
    response = await http.head("/assets/labels.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
