"""The message catalogue: every text shown to people, in zh-CN first and en.

A message that names a value of a vocabulary takes the word from the label catalogue
(`consult.domain.labels`): `{L.Stage.AGREED}` in the text, or a `stage`/`status` parameter.

`translate(key, lang, **params)` formats the message; unknown keys fall back to the key
itself so that a missing entry is visible rather than silent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from consult.domain import labels
from consult.domain.vocabulary import VOCABULARIES, FindingStatus, PollStatus, ProposalStatus, Stage

MESSAGES: dict[str, dict[str, str]] = {
    "unauthenticated": {
        "zh-CN": "请先登录，或用邀请码进入。",
        "en": "Please sign in, or enter with your invitation code.",
    },
    "forbidden": {
        "zh-CN": "您没有权限进行此操作。",
        "en": "You are not allowed to do this.",
    },
    "not_found": {
        "zh-CN": "找不到该对象，可能已被删除或您无权查看。",
        "en": "Not found, or you may not see it.",
    },
    "http_only": {
        "zh-CN": "修改请通过 HTTP 提交；WebSocket 只用于订阅实时进展。",
        "en": "Send changes over HTTP; the WebSocket is for live subscriptions only.",
    },
    "rate_limited": {
        "zh-CN": "尝试次数过多，请稍后再试。",
        "en": "Too many attempts. Please try again later.",
    },
    "bad_credentials": {
        "zh-CN": "用户名或密码不正确。",
        "en": "Wrong username or password.",
    },
    "bad_invitation": {
        "zh-CN": "邀请码无效或已作废，请核对邀请单上的号码，或向社区工作人员索取新的邀请单。",
        "en": (
            "This invitation code is not valid or has been replaced. "
            "Check the slip, or ask the community office for a new one."
        ),
    },
    "required": {
        "zh-CN": "此项必填。",
        "en": "This field is required.",
    },
    "too_long": {
        "zh-CN": "内容太长，最多 {max} 个字。",
        "en": "Too long: at most {max} characters.",
    },
    "invisible_characters": {
        "zh-CN": "内容中含有看不见的字符（零宽字符或改变文字方向的控制符），请删除后重试。",
        "en": "The text contains invisible characters (zero-width or direction controls); remove them and try again.",
    },
    "bad_characters": {
        "zh-CN": "内容中含有无法保存的特殊字符，请删除后重试。",
        "en": "The text contains characters that cannot be stored; remove them and try again.",
    },
    "bad_username": {
        "zh-CN": "用户名只能使用 3 到 64 位的字母、数字、点、下划线或短横线。",
        "en": "A username is 3 to 64 letters, digits, dots, underscores or hyphens.",
    },
    "guessable_password": {
        "zh-CN": "这个密码太容易被猜到（常见词、姓名、日期、键盘顺序或用户名），请换一个更长、更不规则的密码。",
        "en": "This password is too easy to guess (common words, names, dates, keyboard runs or the username); "
        "choose a longer, less regular one.",
    },
    "bad_phone": {
        "zh-CN": "电话号码只能包含数字、空格、括号、短横线和开头的 +，例如 138-0000-0000。",
        "en": "A phone number has digits, spaces, brackets, dashes and a leading +, e.g. 138-0000-0000.",
    },
    "wrong_password": {
        "zh-CN": "当前密码不正确。",
        "en": "The current password is wrong.",
    },
    "same_password": {
        "zh-CN": "新密码不能与当前密码相同。",
        "en": "The new password must differ from the current one.",
    },
    "no_password": {
        "zh-CN": "用邀请码登录的账号没有密码，无需修改。",
        "en": "An account that signs in with an invitation slip has no password to change.",
    },
    "weak_password": {
        "zh-CN": "密码至少需要 {min} 位。",
        "en": "A password needs at least {min} characters.",
    },
    "reissue_not_signed_in": {
        "zh-CN": "这户还没有用邀请码登录过，请直接重新发放邀请码。",
        "en": "This household never signed in: issue invitations again instead.",
    },
    "reissue_pending": {
        "zh-CN": "这户已有一份补发申请在等待批准。",
        "en": "A request for this household is already waiting for approval.",
    },
    "reissue_decided": {
        "zh-CN": "这份补发申请已经批准过了。",
        "en": "This request was already approved.",
    },
    "reissue_second_person": {
        "zh-CN": "补发邀请码须由另一人批准，申请人不能批准自己的申请。",
        "en": "A new slip needs a second person: you cannot approve your own request.",
    },
    "reissue_needs_cppcc": {
        "zh-CN": "有政协委员负责这个社区，补发邀请码须由政协委员批准。",
        "en": "A CPPCC member acts in this community: one of them approves new slips.",
    },
    "display_name_taken": {
        "zh-CN": "已有账号使用这个显示名称（不计全半角、大小写和空格），请换一个，例如加上单位。",
        "en": "Another account already shows this name (ignoring width, case and spaces); choose another, "
        "e.g. add the unit.",
    },
    "area_kind_under": {
        "zh-CN": "这一级不能建在所选的上级下面：街道/镇建在区下面，社区/村建在街道/镇下面。",
        "en": "This level cannot go under the chosen parent: streets under the district, communities under a street.",
    },
    "area_name_taken": {
        "zh-CN": "同一上级下已经有这个名称了。",
        "en": "There is already a place with this name under the same parent.",
    },
    "area_name_ambiguous": {
        "zh-CN": "有几处同名的地方，请用编号指明（consult areas 列出编号）。",
        "en": "Several places have this name: give its number (consult areas lists them).",
    },
    "area_not_staff": {
        "zh-CN": "只有组织方、管理员和政协委员的账号才有工作范围。",
        "en": "Only organizer, admin and CPPCC member accounts have areas.",
    },
    "area_none": {
        "zh-CN": "请至少选择一个工作范围。",
        "en": "Choose at least one area.",
    },
    "username_taken": {
        "zh-CN": "该用户名已被使用。",
        "en": "This username is already taken.",
    },
    "no_roles": {
        "zh-CN": "请至少选择一个角色。",
        "en": "Choose at least one role.",
    },
    "rep_needs_party": {
        "zh-CN": "{L.Role.PARTY_REP}必须关联一个单位。",
        "en": "A {L.Role.PARTY_REP} must be linked to a party.",
    },
    "bad_money": {
        "zh-CN": "金额格式不正确：请填写不带符号的数字，最多两位小数，例如 80000 或 80000.50。",
        "en": "Not a valid amount: digits with at most two decimals and no sign, e.g. 80000 or 80000.50.",
    },
    "too_many_shares": {
        "zh-CN": "分摊方最多 {max} 个。",
        "en": "At most {max} sharing parties.",
    },
    "money_too_large": {
        "zh-CN": "金额过大。",
        "en": "The amount is too large.",
    },
    "date_required": {
        "zh-CN": "请填写日期。",
        "en": "Please give a date.",
    },
    "bad_datetime": {
        "zh-CN": "时间格式不正确，请使用 1970 到 2200 年之间的 ISO 8601 时间，例如 2026-01-05T10:00:00+08:00。",
        "en": "Not a valid time: use ISO 8601 between the years 1970 and 2200, e.g. 2026-01-05T10:00:00+08:00.",
    },
    "bad_weight": {
        "zh-CN": "面积或权重必须是正数，最多四位小数，例如 85.5。",
        "en": "An area or weight is a positive number with at most four decimals, e.g. 85.5.",
    },
    "duplicate_label": {
        "zh-CN": "名册中已有同名的住户：{label}。",
        "en": "The roll already has an entry named {label}.",
    },
    "roll_too_large": {
        "zh-CN": "名册一次最多 {max} 条。",
        "en": "A roll holds at most {max} entries at a time.",
    },
    "wrong_stage": {
        "zh-CN": "当前阶段为“{stage}”，不能进行此操作。",
        "en": "The consultation is at stage “{stage}”; this cannot be done now.",
    },
    "bad_transition": {
        "zh-CN": (
            "不能从“{from_stage}”转到“{to_stage}”。"
            "协商只能按顺序向前推进（“{L.Stage.COLLECTING}”和“{L.Stage.VOTING}”可以跳过），或取消。"
        ),
        "en": (
            "Cannot move from “{from_stage}” to “{to_stage}”. Stages only move forward in order "
            "(“{L.Stage.COLLECTING}” and “{L.Stage.VOTING}” may be skipped), or to “{L.Stage.CANCELLED}”."
        ),
    },
    "cancel_needs_note": {
        "zh-CN": "取消协商时请写明原因。",
        "en": "Give a reason when cancelling.",
    },
    "convener_not_cppcc": {
        "zh-CN": "召集人必须是{L.Role.CPPCC_MEMBER}。",
        "en": "The convener must be a {L.Role.CPPCC_MEMBER}.",
    },
    "party_already_added": {
        "zh-CN": "该单位已在本次协商中。",
        "en": "This party already takes part.",
    },
    "party_not_in_consultation": {
        "zh-CN": "该单位不是本次协商的参与方。",
        "en": "This party does not take part in this consultation.",
    },
    "duplicate_party": {
        "zh-CN": "同一单位不能重复列出。",
        "en": "A party is listed twice.",
    },
    "table_empty": {
        "zh-CN": "表格里没有任何一行，请先粘贴或选择文件。",
        "en": "The table has no rows; paste it or choose a file first.",
    },
    "table_too_long": {
        "zh-CN": "一张表最多 {max} 行。",
        "en": "A table holds at most {max} rows.",
    },
    "duplicate_row": {
        "zh-CN": "与第 {line} 行重复。",
        "en": "The same as row {line}.",
    },
    "duty_already_listed": {
        "zh-CN": "这一方的这项责任已经列过了。",
        "en": "This party's duty is already listed.",
    },
    "no_share_for_party": {
        "zh-CN": "已采纳方案的分担方案里没有这一方。",
        "en": "This party has no share in the adopted proposal's cost plan.",
    },
    "no_adopted_plan": {
        "zh-CN": "还没有采纳的方案及其分担方案，不能登记到账。",
        "en": "There is no adopted proposal with a cost plan to record money against.",
    },
    "contribution_already_recorded": {
        "zh-CN": (
            "这笔到账（同一方、同一金额、同一天、同样的备注）已经登记过了。如果确实又到了一笔，请在备注里写明流水号。"
        ),
        "en": (
            "This payment (same party, amount, day and note) is already recorded; "
            "if another really arrived, put its reference in the note."
        ),
    },
    "area_required": {
        "zh-CN": "本协商有按面积计票的表决，请填写这一户的面积（平方米）。",
        "en": "A poll of this consultation counts floor area: give this household's area (m²).",
    },
    "channel_not_allowed": {
        "zh-CN": "您不能以该渠道提交诉求。",
        "en": "You may not submit through this channel.",
    },
    "merge_needs_target": {
        "zh-CN": "合并诉求时请指定要并入的诉求。",
        "en": "Name the demand to merge into.",
    },
    "merge_target_invalid": {
        "zh-CN": "只能并入同一协商中另一条未被合并的诉求。",
        "en": "A demand can only be merged into another unmerged demand of the same consultation.",
    },
    "merge_target_unexpected": {
        "zh-CN": "只有合并诉求时才需要指定并入对象。",
        "en": "A merge target is only given when merging.",
    },
    "bad_proposal_status": {
        "zh-CN": "方案不能从“{from_status}”改为“{to_status}”。",
        "en": "A proposal cannot go from “{from_status}” to “{to_status}”.",
    },
    "proposal_locked": {
        "zh-CN": "方案状态为“{status}”，不能再修改。",
        "en": "The proposal is “{status}” and can no longer be edited.",
    },
    "proposal_not_adoptable": {
        "zh-CN": "“{L.ProposalStatus.WITHDRAWN}”或“{L.ProposalStatus.REJECTED}”的方案不能采纳。",
        "en": "A “{L.ProposalStatus.WITHDRAWN}” or “{L.ProposalStatus.REJECTED}” proposal cannot be adopted.",
    },
    "proposal_already_adopted": {
        "zh-CN": "该方案已是“{L.ProposalStatus.ADOPTED}”。",
        "en": "This proposal is already “{L.ProposalStatus.ADOPTED}”.",
    },
    "bad_split_method": {
        "zh-CN": "分担方式无效。",
        "en": "Unknown split method.",
    },
    "no_shares": {
        "zh-CN": "请至少列出一个出资方。",
        "en": "List at least one paying party.",
    },
    "fixed_mismatch": {
        "zh-CN": "各方金额合计 {sum} 元，与总额 {total} 元不一致。",
        "en": "The amounts add up to {sum} yuan, not the total of {total} yuan.",
    },
    "percent_mismatch": {
        "zh-CN": "各方比例合计为 {sum}%，必须正好是 100%。",
        "en": "The percentages add up to {sum}%; they must add up to exactly 100%.",
    },
    "bad_percent": {
        "zh-CN": "比例必须是 0 到 100 之间的数，最多四位小数，例如 33.3333。",
        "en": "A percentage is a number from 0 to 100 with at most four decimals, e.g. 33.3333.",
    },
    "bad_split_weight": {
        "zh-CN": "权重必须是正数，最多四位小数，例如户数 45 或门面长度 12.5。",
        "en": "A weight is a positive number with at most four decimals, e.g. 45 households or 12.5 m of frontage.",
    },
    "plan_has_payments": {
        "zh-CN": "该方案已有到账资金，不能再替换分担方案。",
        "en": "Money has already been recorded against this plan; it can no longer be replaced.",
    },
    "share_not_adopted": {
        "zh-CN": "只能为“{L.ProposalStatus.ADOPTED}”方案的分担登记到账资金。",
        "en": "Payments are recorded only against shares of the “{L.ProposalStatus.ADOPTED}” proposal.",
    },
    "contribution_positive": {
        "zh-CN": "到账金额必须大于 0。",
        "en": "The amount received must be more than 0.",
    },
    "overpayment": {
        "zh-CN": "超出应付金额：该方尚需支付 {outstanding} 元。",
        "en": "More than is owed: this party still owes {outstanding} yuan.",
    },
    "agreed_needs_adopted": {
        "zh-CN": "进入“{L.Stage.AGREED}”前，需要先采纳一个方案。",
        "en": "Adopt a proposal before moving to “{L.Stage.AGREED}”.",
    },
    "agreed_needs_confirmations": {
        "zh-CN": "进入“{L.Stage.AGREED}”前，各出资方须确认分担金额。尚未确认：{parties}。",
        "en": (
            "Every paying party must confirm its share before moving to “{L.Stage.AGREED}”. "
            "Not yet confirmed: {parties}."
        ),
    },
    "poll_not_open": {
        "zh-CN": "表决尚未开始或已经结束。",
        "en": "The poll is not open.",
    },
    "not_eligible": {
        "zh-CN": "您不在本次表决的居民名册中，不能投票。如有疑问请联系社区。",
        "en": "You are not on this poll's voter roll. Ask the community office if this is wrong.",
    },
    "already_voted": {
        "zh-CN": "您已经投过票了，本次表决不能改票。",
        "en": "You have already voted, and this poll does not allow changing a ballot.",
    },
    "already_voted_offline": {
        "zh-CN": "您的选票已由工作人员以纸质或代投方式登记，不能在网上更改。",
        "en": "Your ballot was entered on paper or with assistance and cannot be changed online.",
    },
    "options_not_for_yes_no": {
        "zh-CN": "“{L.PollKind.YES_NO_ABSTAIN}”表决的选项由系统生成，不需要填写。",
        "en": "A “{L.PollKind.YES_NO_ABSTAIN}” poll gets its options from the server; leave options out.",
    },
    "too_few_options": {
        "zh-CN": "请至少列出两个选项。",
        "en": "Give at least two options.",
    },
    "too_many_items": {
        "zh-CN": "最多 {max} 项。",
        "en": "At most {max} items.",
    },
    "too_many_options": {
        "zh-CN": "选项最多 {max} 个。",
        "en": "At most {max} options.",
    },
    "duplicate_option": {
        "zh-CN": "选项重复。",
        "en": "This option is listed twice.",
    },
    "proposals_mismatch": {
        "zh-CN": "关联的方案数量必须与选项数量一致。",
        "en": "Give one proposal per option, in the same order.",
    },
    "bad_max_choices": {
        "zh-CN": "可选数量必须在 1 到 {max} 之间。",
        "en": "The number of choices must be from 1 to {max}.",
    },
    "closes_before_opens": {
        "zh-CN": "结束时间必须晚于开始时间。",
        "en": "The poll must close after it opens.",
    },
    "closes_in_past": {
        "zh-CN": "结束时间已经过去。",
        "en": "The closing time is already past.",
    },
    "bad_preset": {
        "zh-CN": "表决规则无效。",
        "en": "Unknown decision rule.",
    },
    "custom_only": {
        "zh-CN": "只有“{L.DecisionPreset.CUSTOM}”规则才能填写此项。",
        "en": "Only a “{L.DecisionPreset.CUSTOM}” rule takes this value.",
    },
    "bad_quorum": {
        "zh-CN": "参与率要求必须是 0 到 100 之间的整数。",
        "en": "The quorum is a whole percentage from 0 to 100.",
    },
    "bad_threshold": {
        "zh-CN": "通过比例应写成分数，例如 1/2 或 2/3，且在 0 与 1 之间。",
        "en": "The threshold is a fraction between 0 and 1, such as 1/2 or 2/3.",
    },
    "poll_not_scheduled": {
        "zh-CN": "只有尚未开始的表决才能开始。",
        "en": "Only a scheduled poll can be opened.",
    },
    "not_an_option": {
        "zh-CN": "这不是本次表决的选项。",
        "en": "Not an option of this poll.",
    },
    "duplicate_choice": {
        "zh-CN": "同一选项不能选两次。",
        "en": "The same option is chosen twice.",
    },
    "no_choice": {
        "zh-CN": "请选择一项。",
        "en": "Choose an option.",
    },
    "exactly_one_choice": {
        "zh-CN": "本次表决只能选一项。",
        "en": "Choose exactly one option.",
    },
    "too_many_choices": {
        "zh-CN": "最多只能选 {max} 项。",
        "en": "Choose at most {max} options.",
    },
    "bad_origin": {
        "zh-CN": "请选择“{L.BallotOrigin.PAPER}”或“{L.BallotOrigin.ASSISTED}”。",
        "en": "Choose “{L.BallotOrigin.PAPER}” or “{L.BallotOrigin.ASSISTED}”.",
    },
    "voting_needs_poll": {
        "zh-CN": "进入“{L.Stage.VOTING}”前，请先设立至少一项表决。",
        "en": "Create at least one poll before moving to “{L.Stage.VOTING}”.",
    },
    "polls_still_open": {
        "zh-CN": "还有表决没有结束：{polls}。",
        "en": "Some polls are not closed yet: {polls}.",
    },
    "end_before_start": {
        "zh-CN": "结束时间不能早于开始时间。",
        "en": "The end cannot come before the start.",
    },
    "bad_progress": {
        "zh-CN": "进度必须是 0 到 100 之间的整数。",
        "en": "Progress is a whole number from 0 to 100.",
    },
    "bad_finding_move": {
        "zh-CN": "问题不能从“{from_status}”改为“{to_status}”。",
        "en": "A finding cannot go from “{from_status}” to “{to_status}”.",
    },
    "reopen_reason_required": {
        "zh-CN": "重新打开已核实的问题，请写明原因：哪里又出了问题。",
        "en": "Reopening a verified finding needs the reason: what went wrong again.",
    },
    "resolution_required": {
        "zh-CN": "请写明整改情况。",
        "en": "Describe how it was fixed.",
    },
    "bad_score": {
        "zh-CN": "评分必须是 1 到 5 之间的整数（1 很不满意，5 很满意）。",
        "en": "A score is a whole number from 1 (very dissatisfied) to 5 (very satisfied).",
    },
    "not_on_roll": {
        "zh-CN": "您不在本次协商的居民名册中，不能评价。",
        "en": "You are not on this consultation's roll, so you cannot rate it.",
    },
    "evaluating_needs_verified": {
        "zh-CN": (
            "进入“{L.Stage.EVALUATING}”前，所有问题须经政协委员核实，状态为“{L.FindingStatus.VERIFIED}”。"
            "尚未闭环：{findings}。"
        ),
        "en": (
            "Every finding must be “{L.FindingStatus.VERIFIED}” before moving to “{L.Stage.EVALUATING}”. "
            "Still open: {findings}."
        ),
    },
    "archive_from_evaluating": {
        "zh-CN": "只有处于“{L.Stage.EVALUATING}”阶段的协商才能{L.Stage.ARCHIVED}。",
        "en": "Only a consultation at stage “{L.Stage.EVALUATING}” can be archived.",
    },
    "roll_area_missing": {
        "zh-CN": "名册中有 {count} 户没有填写面积，按面积计票的表决不能用这份名册。请先在名册中补上这些户的面积。",
        "en": "{count} households on the roll have no area; a poll counting area cannot use the roll. Add their areas.",
    },
    "roll_empty": {
        "zh-CN": "居民名册为空，请先导入名册。",
        "en": "The voter roll is empty; set it first.",
    },
    "read_only": {
        "zh-CN": "该协商处于“{stage}”阶段，只能查看。",
        "en": "This consultation is at stage “{stage}” and read-only.",
    },
    "photo_empty": {
        "zh-CN": "没有收到照片内容，请重新选择照片。",
        "en": "The photo arrived empty; choose it again.",
    },
    "photo_wrong_type": {
        "zh-CN": "只能上传 JPEG、PNG 或 WebP 格式的照片（按文件内容判断，与文件名无关）。",
        "en": "Only JPEG, PNG or WebP photos are accepted (judged by the content, not the file name).",
    },
    "photo_too_large": {
        "zh-CN": "照片太大，最大 {max_mb} MB。请在手机上选“压缩”或换一张小一些的照片。",
        "en": "The photo is too large: at most {max_mb} MB. Choose a smaller one.",
    },
    "photo_too_many_pixels": {
        "zh-CN": "照片像素太多（最多 6000 万像素），请换一张。",
        "en": "The picture has too many pixels (at most 60 megapixels); choose another.",
    },
    "photo_broken": {
        "zh-CN": "照片文件已损坏或不完整，无法打开，请重新拍摄或选择。",
        "en": "The photo file is broken or incomplete; take or choose it again.",
    },
    "too_many_photos": {
        "zh-CN": "每项最多附 {max} 张照片。",
        "en": "At most {max} photos per item.",
    },
    "photo_used": {
        "zh-CN": "这张照片已附在别处，或不是您上传的，请重新上传。",
        "en": "This photo is already attached elsewhere, or was not uploaded by you; upload it again.",
    },
    "too_many_pending_photos": {
        "zh-CN": "已上传但尚未提交的照片太多（最多 {max} 张），请先提交或稍后再试。",
        "en": "Too many photos uploaded and not yet submitted (at most {max}); submit them first or try later.",
    },
    "photo_archived": {
        "zh-CN": "档案已封存，不能再添加照片。",
        "en": "The dossier is sealed; no photos can be added.",
    },
    "bad_date": {
        "zh-CN": "日期格式不对，请写成 2026-11-01 这样（月份写成 2026-11）。",
        "en": "Write dates as 2026-11-01 (months as 2026-11).",
    },
    "date_out_of_range": {
        "zh-CN": "日期超出范围，请写 1970 年到 2200 年之间的日期。",
        "en": "Give a date between the years 1970 and 2200.",
    },
    "bad_period": {
        "zh-CN": "结束日期不能早于开始日期。",
        "en": "The end date cannot be before the start date.",
    },
    # reminders
    "email_invalid": {
        "zh-CN": "电子邮箱地址不对，请核对，例如 wang@example.cn。",
        "en": "This is not an email address, e.g. wang@example.cn.",
    },
    "email_reps_only": {
        "zh-CN": "只能为参与方代表设置电子邮箱；其他人请自己设置。",
        "en": "Staff set the email of party representatives only; others set their own.",
    },
}

SUPPORTED = ("zh-CN", "en")


def pick_language(accept_language: str | None) -> str:
    """Choose zh-CN or en from an Accept-Language header; zh-CN unless English is preferred."""
    candidates: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, *options = [bit.strip() for bit in part.split(";")]
        q = 1.0
        for option in options:
            if option.startswith("q="):
                try:
                    q = float(option[2:])
                except ValueError:
                    q = 0.0
        tag = tag.lower()
        lang = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang and q > 0:
            # Highest q first; among equals, the order the browser listed them.
            candidates.append((-q, index, lang))
    return min(candidates)[2] if candidates else "zh-CN"


class _Vocabularies:
    """`{L.Stage.AGREED}` in a message is the catalogue's word for that value, in the message's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getattr__(self, name: str) -> _Words:
        vocabulary = _BY_NAME.get(name)
        if vocabulary is None:
            raise AttributeError(name)
        return _Words(vocabulary, self.lang)


class _Words:
    def __init__(self, vocabulary: type[StrEnum], lang: str) -> None:
        self.vocabulary, self.lang = vocabulary, lang

    def __getattr__(self, value: str) -> str:
        return labels.label(self.vocabulary[value], self.lang)


_BY_NAME = {vocabulary.__name__: vocabulary for vocabulary in VOCABULARIES}

# Which vocabulary a message's status parameters come from; stage parameters are always stages.
_STATUS_VOCABULARY: dict[str, type[StrEnum]] = {
    "bad_proposal_status": ProposalStatus,
    "proposal_locked": ProposalStatus,
    "bad_finding_move": FindingStatus,
    "poll_not_scheduled": PollStatus,
}


def _localize_params(key: str, params: dict[str, Any], lang: str) -> dict[str, Any]:
    out = dict(params)
    for name in ("stage", "from_stage", "to_stage"):
        if name in out:
            out[name] = labels.label_of(Stage, out[name], lang)
    statuses = _STATUS_VOCABULARY.get(key)
    for name in ("status", "from_status", "to_status"):
        if name in out and statuses is not None:
            out[name] = labels.label_of(statuses, out[name], lang)
    out["L"] = _Vocabularies(lang)
    return out


def translate(key: str, lang: str = "zh-CN", **params: Any) -> str:
    lang = lang if lang in SUPPORTED else "zh-CN"
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["zh-CN"]
    try:
        return text.format(**_localize_params(key, params, lang))
    except (KeyError, IndexError, AttributeError):
        return text
