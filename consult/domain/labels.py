"""The one catalogue of words people read for the values of the vocabularies.

Every value of every vocabulary in `consult.domain.vocabulary` has exactly one zh-CN label and one
en label here, and some have a short hint (what the stage means, what the rule requires). The
error messages, the audit summaries, the printable dossier, the GraphQL descriptions and the web
pages (through the served `/assets/labels.js`) all read these, so a value reads the same wherever
it is shown.

Where the source material has a word, that word is used: the seven forms of 七单会商
(提诉求、列责任、出方案、签协议、定时限、给反馈、存入档案), the problems of the 菜园巷 report
(资金筹集不到位、施工进度缓慢、施工噪声扰民), 受理 from 受理登记, 闭环 from 五定闭环 and 接诉即办.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from consult.domain.vocabulary import (
    VOCABULARIES,
    AreaKind,
    BallotOrigin,
    DecisionPreset,
    DeliveryChannel,
    DeliveryStatus,
    DemandChannel,
    DemandStatus,
    EventKind,
    FindingCategory,
    FindingStatus,
    MilestoneKind,
    MilestoneStatus,
    PartyKind,
    PhotoFormat,
    PollKind,
    PollOutcome,
    PollStatus,
    ProposalStatus,
    ReceiptStatus,
    ReminderKind,
    Role,
    SplitMethod,
    Stage,
)

LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class Label:
    zh: str
    en: str
    hint_zh: str = ""
    hint_en: str = ""

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def hint(self, lang: str) -> str:
        return self.hint_en if lang == "en" else self.hint_zh


L = Label

# Keyed by vocabulary, then by value: members of different vocabularies can share a value
# (Role.RESIDENT and DemandChannel.RESIDENT are both "RESIDENT"), and a StrEnum member hashes
# as its string, so one flat dict would mix them up.
CATALOGUE: dict[type[StrEnum], dict[str, Label]] = {
    Role: {
        Role.ADMIN: L("系统管理员", "administrator", "管理账号和参与方", "manages accounts and parties"),
        Role.ORGANIZER: L(
            "组织方",
            "organizer",
            "街道办、社区工作人员：发起协商、管理名册、推进阶段",
            "street office or community staff: run consultations, keep the roll, move the stages on",
        ),
        Role.CPPCC_MEMBER: L(
            "政协委员", "CPPCC member", "召集协商，监督实施", "convenes consultations and supervises the works"
        ),
        Role.PARTY_REP: L(
            "参与方代表",
            "party representative",
            "出资方或责任方（商户、辖区单位、部门、企业）的代表",
            "speaks for a paying or responsible party (merchant, local unit, department, enterprise)",
        ),
        Role.RESIDENT: L("居民", "resident", "提诉求、投票、评价结果", "raises demands, votes and rates the outcome"),
    },
    AreaKind: {
        AreaKind.DISTRICT: L(
            "区", "district", "全区：所有街道和社区", "the whole district, every street and community"
        ),
        AreaKind.STREET: L(
            "街道/镇",
            "street or town",
            "街道办事处或乡镇，管辖若干社区、村",
            "a street office or town over several communities",
        ),
        AreaKind.COMMUNITY: L(
            "社区/村", "community or village", "每个协商都属于一个社区或村", "every consultation belongs to one"
        ),
    },
    PartyKind: {
        PartyKind.CPPCC: L("政协", "CPPCC", "政协委员会、界别", "the CPPCC committee or a sector of it"),
        PartyKind.RESIDENTS: L("居民", "residents"),
        PartyKind.MERCHANT: L("商户、市场", "merchant or market"),
        PartyKind.UNIT: L("辖区单位", "local unit", "辖区内的机关、学校、企事业单位", "an institution in the area"),
        PartyKind.STREET_OFFICE: L("街道办事处", "street office", "街道办事处、乡镇", "street office or township"),
        PartyKind.DEPARTMENT: L("政府职能部门", "government department"),
        PartyKind.ENTERPRISE: L(
            "企业", "enterprise", "含权属企业、涉事企业", "including owning and involved companies"
        ),
        PartyKind.OTHER: L("其他", "other"),
    },
    Stage: {
        Stage.DRAFT: L("草稿", "draft", "还在准备，尚未公开", "being prepared, not public yet"),
        Stage.COLLECTING: L(
            "提诉求", "raising demands", "居民和各方提出问题和想法", "residents and parties raise problems and ideas"
        ),
        Stage.DELIBERATING: L(
            "协商方案",
            "deliberating",
            "列出各方责任，拿出方案，商量谁出多少钱",
            "list who answers for what, draw up plans, agree who pays how much",
        ),
        Stage.VOTING: L("居民表决", "voting", "居民对方案投票", "residents vote on the plan"),
        Stage.AGREED: L(
            "签协议", "signing the agreement", "出钱的各方确认自己的份额", "every paying party confirms its share"
        ),
        Stage.IMPLEMENTING: L(
            "实施与监督",
            "implementing",
            "按定下的时限施工，政协委员全程监督",
            "the works follow the agreed deadlines, supervised by CPPCC members",
        ),
        Stage.EVALUATING: L(
            "评价回访",
            "evaluating",
            "居民给结果打分，组织方跟踪回访",
            "residents rate the result; organizers follow up",
        ),
        Stage.ARCHIVED: L(
            "存入档案", "archived", "全过程存入档案，不再改动", "the whole record is sealed and no longer changes"
        ),
        Stage.CANCELLED: L("已取消", "cancelled", "这项协商已经取消", "this consultation was cancelled"),
    },
    DemandChannel: {
        DemandChannel.RESIDENT: L("居民本人", "resident"),
        DemandChannel.GRID_WORKER: L("网格员、楼栋长", "grid worker or building head"),
        DemandChannel.COURIER: L(
            "移动民情收集员",
            "mobile collector",
            "如外卖骑手“随手拍”",
            "e.g. a delivery rider reporting what they see",
        ),
        DemandChannel.HOTLINE: L("接诉即办热线", "hotline"),
        DemandChannel.CPPCC_MEMBER: L("政协委员", "CPPCC member"),
        DemandChannel.OTHER: L("其他", "other"),
    },
    DemandStatus: {
        DemandStatus.OPEN: L("待处理", "open"),
        DemandStatus.ACCEPTED: L("已受理", "accepted"),
        DemandStatus.MERGED: L("已合并", "merged", "并入了另一条相同的诉求", "merged into another demand"),
        DemandStatus.REJECTED: L("不予受理", "not accepted"),
    },
    ProposalStatus: {
        ProposalStatus.DRAFT: L("草稿", "draft", "还在撰写，尚未提交各方", "being written, not yet put to the parties"),
        ProposalStatus.TABLED: L(
            "各方商量中", "tabled", "已经交给各方商量，还没有定下来", "put to the parties, not decided yet"
        ),
        ProposalStatus.ADOPTED: L("已采纳", "adopted", "每项协商最多采纳一个方案", "at most one per consultation"),
        ProposalStatus.REJECTED: L("已否决", "rejected"),
        ProposalStatus.WITHDRAWN: L("已撤回", "withdrawn"),
    },
    SplitMethod: {
        SplitMethod.EQUAL: L(
            "平均分摊",
            "equal shares",
            "各方出一样多；除不尽的几分钱，依次由排在前面的一方多出。",
            "The total is divided equally; fen that do not divide go one each to the first parties in order.",
        ),
        SplitMethod.FIXED: L(
            "按金额",
            "fixed amounts",
            "每一方出多少钱是商定好的，合计正好等于总费用。",
            "An amount per party; they must add up to the total exactly.",
        ),
        SplitMethod.PERCENT: L(
            "按比例",
            "by percentage",
            "每一方按商定的比例出钱，比例合计正好是 100%。",
            "A percentage per party, adding up to exactly 100; amounts by largest remainder.",
        ),
        SplitMethod.WEIGHTED: L(
            "按各方大小",
            "by weight",
            "按各方的大小来分（例如住户多少、门面多长），大的多出，小的少出。",
            "A weight per party (households, metres of frontage...); amounts by largest remainder.",
        ),
    },
    PollKind: {
        PollKind.YES_NO_ABSTAIN: L(
            "赞成/反对/弃权",
            "yes / no / abstain",
            "对一个问题表态，选项由系统生成",
            "one question; the server makes the options",
        ),
        PollKind.SINGLE_CHOICE: L("单选", "single choice", "从几个选项中选一个", "choose one option"),
        PollKind.MULTIPLE_CHOICE: L("多选", "multiple choice", "最多可选规定的项数", "choose up to the allowed number"),
        PollKind.RANKED: L(
            "排序", "ranked", "把选项排出先后，按即时决选计票", "rank the options; counted by instant runoff"
        ),
    },
    PollStatus: {
        PollStatus.SCHEDULED: L("未开始", "scheduled"),
        PollStatus.OPEN: L("正在投票", "open"),
        PollStatus.CLOSED: L("已结束", "closed"),
    },
    DecisionPreset: {
        DecisionPreset.SIMPLE_MAJORITY: L(
            "过半数通过", "simple majority", "赞成超过投票数的一半", "more than half of the ballots cast"
        ),
        DecisionPreset.TWO_THIRDS: L(
            "三分之二通过", "two thirds", "赞成达到投票数的三分之二", "at least two thirds of the ballots cast"
        ),
        DecisionPreset.CIVIL_CODE_278_ORDINARY: L(
            "民法典第278条（一般事项）",
            "Civil Code art. 278 (ordinary)",
            "按人数和面积各有三分之二参与，参与者过半数同意",
            "two thirds take part by headcount and by area; more than half of them approve, both ways",
        ),
        DecisionPreset.CIVIL_CODE_278_MAJOR: L(
            "民法典第278条（重大事项）",
            "Civil Code art. 278 (major)",
            "按人数和面积各有三分之二参与，参与者四分之三以上同意",
            "two thirds take part by headcount and by area; at least three quarters of them approve, both ways",
        ),
        DecisionPreset.CUSTOM: L("自定义", "custom", "自行设定参与率和通过比例", "quorum and threshold set by hand"),
    },
    PollOutcome: {
        PollOutcome.PENDING: L("尚未出结果", "pending"),
        PollOutcome.PASSED: L("通过", "passed"),
        PollOutcome.FAILED: L("未通过", "failed"),
        PollOutcome.DECIDED: L("已选出", "decided"),
        PollOutcome.UNDECIDED: L("未能决定", "undecided", "参与人数不够，或出现无法打破的平局", "no quorum, or a tie"),
    },
    BallotOrigin: {
        BallotOrigin.ONLINE: L("网上投票", "online", "居民用自己的手机投票", "cast by the voter on their own device"),
        BallotOrigin.PAPER: L("纸质选票", "paper ballot", "工作人员录入的纸质选票", "entered by an organizer"),
        BallotOrigin.ASSISTED: L(
            "代投",
            "assisted",
            "经本人同意，由网格员或工作人员代为投票",
            "cast for the voter, with their consent, by a grid worker or organizer, who is recorded",
        ),
    },
    MilestoneKind: {
        MilestoneKind.FUNDING: L("资金筹集", "funding"),
        MilestoneKind.TENDER: L("工程招标", "tender"),
        MilestoneKind.CONSTRUCTION: L("施工", "construction"),
        MilestoneKind.ACCEPTANCE: L("竣工验收", "acceptance"),
        MilestoneKind.OTHER: L("其他", "other"),
    },
    MilestoneStatus: {
        MilestoneStatus.PLANNED: L("未开始", "planned"),
        MilestoneStatus.IN_PROGRESS: L("进行中", "in progress"),
        MilestoneStatus.DONE: L("已完成", "done"),
        MilestoneStatus.OVERDUE: L("已超期", "overdue", "过了计划完成时间仍未完成", "past the planned end, not done"),
    },
    FindingCategory: {
        FindingCategory.FUNDING_SHORTFALL: L("资金筹集不到位", "funding shortfall"),
        FindingCategory.SLOW_PROGRESS: L("施工进度缓慢", "slow progress"),
        FindingCategory.QUALITY: L("工程质量", "quality"),
        FindingCategory.NOISE: L("施工噪声扰民", "construction noise"),
        FindingCategory.SAFETY: L("安全隐患", "safety hazard"),
        FindingCategory.OTHER: L("其他", "other"),
    },
    FindingStatus: {
        FindingStatus.OPEN: L("待整改", "open"),
        FindingStatus.RESOLVED: L("已整改", "resolved", "等待政协委员核实", "waiting for a CPPCC member to verify"),
        FindingStatus.VERIFIED: L(
            "已核实闭环", "verified", "政协委员核实后闭环", "verified and closed by a CPPCC member"
        ),
        FindingStatus.REOPENED: L("退回重新整改", "reopened"),
    },
    EventKind: {
        EventKind.CREATED: L("协商已创建", "consultation created"),
        EventKind.PARTY_ADDED: L("参与方已加入", "party added"),
        EventKind.STAGE_CHANGED: L("阶段已变更", "stage changed"),
        EventKind.DEMAND_SUBMITTED: L("诉求已提交", "demand submitted"),
        EventKind.DEMAND_SUPPORTED: L("诉求获支持", "demand supported"),
        EventKind.DEMAND_STATUS_CHANGED: L("诉求状态已变更", "demand status changed"),
        EventKind.VOTER_ROLL_SET: L("居民名册已更新", "voter roll set"),
        EventKind.INVITATIONS_ISSUED: L("邀请码已发放", "invitations issued"),
        EventKind.RESPONSIBILITY_ASSIGNED: L("责任已列明", "responsibility assigned"),
        EventKind.PROPOSAL_CHANGED: L("方案有变化", "proposal changed"),
        EventKind.COST_PLAN_SET: L("出资分担已设定", "cost plan set"),
        EventKind.SHARE_CONFIRMED: L("分担已确认", "share confirmed"),
        EventKind.CONTRIBUTION_RECORDED: L("出资已到账", "contribution recorded"),
        EventKind.POLL_CHANGED: L("表决有变化", "poll changed"),
        EventKind.TALLY_CHANGED: L("计票已更新", "tally changed"),
        EventKind.MILESTONE_UPDATED: L("节点已更新", "milestone updated"),
        EventKind.INSPECTION_RECORDED: L("视察已记录", "inspection recorded"),
        EventKind.FINDING_CHANGED: L("问题有变化", "finding changed"),
        EventKind.RATING_ADDED: L("评价已提交", "rating added"),
        EventKind.FOLLOW_UP_RECORDED: L("回访已记录", "follow-up recorded"),
        EventKind.PHOTOS_ADDED: L("现场照片已添加", "site photos added"),
        EventKind.DETAILS_CHANGED: L("协商信息已更新", "details changed"),
        EventKind.ARCHIVED: L("已存入档案", "archived"),
    },
    ReceiptStatus: {
        ReceiptStatus.COUNTED: L("已计入", "counted", "这张回执对应的票已经计入。", "the ballot is in the count"),
        ReceiptStatus.REPLACED: L(
            "已被替换",
            "replaced",
            "这张票已被同一户后来投的票替换，算数的是后来那一票。",
            "a later ballot of the same household replaced it, and the later one counts",
        ),
        ReceiptStatus.UNKNOWN: L(
            "没有找到", "not found", "没有找到这个回执码，请核对后再试。", "no ballot has this receipt"
        ),
    },
    PhotoFormat: {
        PhotoFormat.JPEG: L("JPEG 照片", "JPEG photo"),
        PhotoFormat.PNG: L("PNG 图片", "PNG image"),
        PhotoFormat.WEBP: L("WebP 图片", "WebP image"),
    },
    ReminderKind: {
        ReminderKind.FINDING_DUE: L("问题快到期限", "finding due soon", "24 小时内到期", "due within 24 hours"),
        ReminderKind.FINDING_OVERDUE: L("问题已过期限", "finding overdue", "还没有核实闭环", "not verified yet"),
        ReminderKind.MILESTONE_OVERDUE: L("节点超期", "milestone overdue", "计划完成日已过", "past its planned end"),
        ReminderKind.SHARE_UNCONFIRMED: L(
            "出资未确认", "share unconfirmed", "方案采纳后还没有确认", "not confirmed since the plan was adopted"
        ),
        ReminderKind.POLL_CLOSING: L("投票快截止", "poll closing", "24 小时内截止", "closes within 24 hours"),
        ReminderKind.FOLLOW_UP_DUE: L("该回访了", "follow-up due", "回访时间快到了", "a follow-up visit is near"),
    },
    DeliveryChannel: {
        DeliveryChannel.EMAIL: L("电子邮件", "email"),
        DeliveryChannel.WEBHOOK: L("工作群机器人", "group robot"),
    },
    DeliveryStatus: {
        DeliveryStatus.PENDING: L("等待发送", "pending"),
        DeliveryStatus.SENDING: L("正在发送", "sending"),
        DeliveryStatus.SENT: L("已发送", "sent"),
        DeliveryStatus.FAILED: L("发送失败", "failed"),
    },
}


def _entry(member: StrEnum) -> Label:
    return CATALOGUE[type(member)][member.value]


def label(member: StrEnum, lang: str = "zh-CN") -> str:
    """The word for one value, e.g. label(Stage.AGREED) == "签协议"."""
    return _entry(member).text(lang)


def hint(member: StrEnum, lang: str = "zh-CN") -> str:
    """A short explanation of the value, or "" when the label says enough."""
    return _entry(member).hint(lang)


def label_of(vocabulary: type[StrEnum], value: str | None, lang: str = "zh-CN") -> str:
    """The word for a stored value of a vocabulary; an unknown value is shown as it is."""
    if value is None:
        return ""
    entry = CATALOGUE[vocabulary].get(str(value))
    return entry.text(lang) if entry else str(value)


def description(member: StrEnum) -> str:
    """zh-CN label, en label and hint in one line, for API documentation."""
    entry = _entry(member)
    text = f"{entry.zh} ({entry.en})"
    hints = "; ".join(h.rstrip("。.") for h in (entry.hint_zh, entry.hint_en) if h)
    return f"{text}: {hints}" if hints else text


def as_data() -> dict[str, dict[str, dict[str, Any]]]:
    """The whole catalogue as plain data, by vocabulary name then value, for the web pages."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for vocabulary in VOCABULARIES:
        values: dict[str, dict[str, Any]] = {}
        for member in vocabulary:
            entry = _entry(member)
            item: dict[str, Any] = {"zh-CN": entry.zh, "en": entry.en}
            if entry.hint_zh:
                item["hint"] = {"zh-CN": entry.hint_zh, "en": entry.hint_en}
            values[member.value] = item
        out[vocabulary.__name__] = values
    return out


def _check() -> None:
    for vocabulary in VOCABULARIES:
        entries = CATALOGUE[vocabulary]
        missing = {m.value for m in vocabulary} ^ set(entries)
        if missing:
            raise RuntimeError(f"label catalogue out of step with {vocabulary.__name__}: {sorted(missing)}")


_check()
