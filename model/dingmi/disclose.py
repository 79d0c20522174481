"""Does a passage disclose something, or only speak about it?

A 密点 carries concrete content: answers and scoring details, questions, figures with units,
coordinates and parameters, precision values, map scales, times, routes, quantities, named places
or people. Passages that only name the topic are not 密点: titles, “现将…通知如下”, attachment lines,
logistics (报到、住宿、劳务费), generic 保密 requirements, harm statements. Passages that define or
quote rules (“…属于绝密级”, 第X条, “是指”), report (据悉、记者、判处) or ask (如何…？) speak *about*
secrecy. These are properties of Chinese official text, not of any catalog, so they hold for an
organisation's catalog as for the reference one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dingmi.passages import DATE_LINE, IMPRINT_LINE
from dingmi.text import pattern_cue

# a person's name (two or three characters, not a role or body), and where a name ends
_NAME = (r"(?!单位|同志|人员|负责|部门|委员|成员|代表|领导|小组|会议|工作|有关|相关|各位|全体|主要|分管)"
         r"[\u4e00-\u9fff]{2,3}")
_NAME_END = r"(?=[、,，;；。)）]|和|及|负责|担任|任)"
# --- concrete content, by kind
_CONTENT = {
    "answer": re.compile(
        r"答案[为是:：]?\s*[（(]?[a-h][）)]?(?![a-z])|(?<![a-z])[a-h?]{4,}(?![a-z])|[填涂选][为是]?\s*[“\"][a-h]+[”\"]|(?<![a-z])[a-h]\s*[、,，\s]\s*[a-h]\s*[、,，\s]\s*[a-h](?![a-z])|选[a-h](?![a-z])|答案依次"
    ),
    "score": re.compile(r"[给得扣计赋]\s*\d+(?:\.\d+)?\s*分|满分\s*\d+|\d+\s*分(?:档|段|以上|以下)|每[^,，。;；]{1,8}\d+\s*分"),
    "question": re.compile(r"第\s*\d+\s*[题问]|[题问][干目]?[为是：:]\s*[“\"]|作文题|题目[为是]|以[^,，。;；]{2,20}为(?:情境|素材|背景)"),
    "formula": re.compile(r"[=≈≤≥<>±√∥⊥∠△⊙²³∑∫]|sin|cos|tan|\bln\b|\blog\b"),
    "coordinate": re.compile(r"(?<![a-z])[xyhbl]\s*[=:]\s*-?\d{2,}|\d+\s*°\s*\d+\s*[′']|[ne]\s*\d{1,3}(?:\.\d+)?\s*°|东经|北纬|经度|纬度"),
    "measure": re.compile(
        r"\d+(?:\.\d+)?\s*(?:毫伽|mgal|米|(?<![a-z])m(?![a-z])|厘米|cm|km|千米|公里|平方千米|平方公里|公顷|亩|吨|万吨|立方米|方|千瓦|兆瓦|"
        r"mw|kv|千伏|亿元|万元|元|%|‰|辆|架次|架|艘|列|人次|人|名|户|个|件|卷|箱|台|套|处|发|枚|份|册|页|小时|分钟|天)"
    ),
    "scale": re.compile(r"1\s*:\s*\d"),
    "time": re.compile(r"\d{1,2}\s*[:时]\s*\d{1,2}\s*分?|\d{1,2}\s*时(?!间)|凌晨|零时|\d+月\d+日\s*\d+\s*[:时]"),
    "route": re.compile(r"经[^,，。;；]{1,14}(?:至|到|抵达|进入)|途经|沿[^,，。;；]{1,12}(?:路|线|高速|国道|省道)|(?<![a-z])[gs]\d{1,4}(?!\d)|出发|驶离|抵达"),
    "code": re.compile(r"(?<![a-z\d])[a-z]{1,4}-?\d{2,}(?![a-z\d])|编号[为:：]?\s*[a-z\d]"),
    "quote": re.compile(r"[“\"][^”\"]{6,}[”\"]"),
    # a person named with a role: 高级教师孙丽萍、… / 孙丽萍同志 (who sets the questions, who escorts)
    "name": re.compile(
        r"(?:教师|教授|研究员|讲师|老师|主任|组长|处长|科长|局长|院长|校长|医师|工程师|专家|委员|书记|经理)" + _NAME + _NAME_END
        + r"|(?:^|(?<=[、,，;；:：(（\s]))" + _NAME + r"(?:同志|教授|老师)" + _NAME_END
    ),
    "figure": re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千)?\s*(?:元|吨|人|户|件|起|例|辆|个|项)?|[一二三四五六七八九十百千万]{2,}(?:人|件|起|元|吨)"),
}
# kinds whose every alternative needs a decimal digit (\d): nothing to find in a passage without one
_NEEDS_DIGIT = frozenset({"score", "measure", "scale"})
_DIGIT = re.compile(r"\d")
# --- speaking about, not disclosing
_MENTION = re.compile(
    r"现将|如下[：:]?$|通知如下|函告如下|报告如下|特此|请认真|请遵照|贯彻执行|遵照执行|^附件[：:\d]|"
    r"报到|联系人|联系电话|电话[：:]|住宿|交通费|劳务费|报销|午餐|晚餐|签到|会议室"
)
_REQUIREMENT = re.compile(r"(?:不得|严禁|禁止|务必|确保|应当|须|要|必须)[^。；]{0,24}(?:保密|泄露|泄密|外传|复制|拍照|扩散|带出|透露|抄录|知悉范围)")
_HARM = re.compile(r"泄露后|一旦泄露|如[被遭]?泄露|泄露[^,，。;；]{0,8}(?:将|会|可能)|造成[^,，。;；]{0,10}损害|损失难以挽回|陷于被动|极为被动")
_RULE = re.compile(
    r"属于(?:绝密|机密|秘密)|为(?:绝密|机密|秘密)级|(?:绝密|机密|秘密)级(?:国家秘密|事项|材料)|列入[^,，。;；]{0,10}(?:国家秘密|密级)|"
    r"定为(?:绝密|机密|秘密)|按[^,，。;；]{0,8}(?:国家秘密|密级|事项)管理|是指|所称|第[一二三四五六七八九十百\d]+条|"
    r"依照[^,，。;；]{0,12}(?:法|规定|条例)|根据[^,，。;；]{0,12}(?:法|条例)|保密法|保守国家秘密|密级(?:和|及)保密期限|"
    r"定密(?:权限|责任人|依据|工作)|保密事项范围|国家秘密及其密级(?:的)?具体范围|保密期限[^,，。;；]{0,6}(?:不超过|最长)|"
    r"(?:不)?属于国家秘密|作为国家秘密|不属于|[（(](?:绝密|机密|秘密)级?[）)]|(?:绝密|机密|秘密)(?:≤|<=|不超过)|"
    r"(?:规定|办法|条例|细则|规则|法)[^,，。;；]{0,4}(?:规定|明确|要求)?[,，:：]\s*[“\"]|(?:规定|明确|指出)[^,，。;；]{0,6}[“\"]"
)
_REPORT = re.compile(r"据悉|记者|报道|获悉|被判|判处|有期徒刑|案件|案例|警示|法院|审理查明|判决|被告|犯罪|宣传|讲座|培训|课件|知识竞赛|问答|如何|怎样|什么|吗[？?]|[？?]$")
_SECRET_HANDLING = re.compile(
    r"尚未(?:对外)?公布|不得提前(?:透露|公布|泄露)|严格控制知悉范围|知悉范围|内部掌握|不得对外|暂不公开|严格保密|"
    r"严禁外传|注意保密|专人(?:保管|传递)|密码电报|阅后退回|不得扩散|" + r"(?:本|该|此)[^,，。;；]{0,12}(?:按|列为|定为|作为)\s*(?:绝密|机密|秘密)级?"
)
# the document handling itself as secret (“本预案按机密级管理”) is not a rule quoted about others
_SELF = re.compile(
    r"(?:本|该|此)(?:事项|文|件|通知|预案|方案|计划|报告|材料|纪要|清单|函|表|请示)[^,，。;；]{0,8}(?:按|列为|定为|作为)\s*(?:绝密|机密|秘密)"
)


@dataclass(frozen=True)
class PassageSignals:
    """What one passage does: the concrete content it carries and how it speaks."""

    content: dict[str, int]
    concrete: float  # 0..1: how much concrete content the passage carries
    mention: bool
    requirement: bool
    harm: bool
    rule: bool
    report: bool
    handling: bool
    self_marked: bool = False

    @property
    def about(self) -> bool:
        """The passage defines, quotes a rule, reports or asks rather than discloses."""
        return (self.rule or self.report) and not self.self_marked


_CONTACT = re.compile(r"(?:电话|手机|传真|邮编|联系方式|qq|邮箱)[:：]?\s*[\d\-—()（）\s,，、]{5,}|\d{3,4}-\d{7,8}|1\d{2}-?\d{4}-?\d{4}")
# references, not content: a page, edition, issue or article number (第214页, 第3条), and the date a text was
# issued or took effect (1990年2月14日发布) tell where something is written, not what it says
_REFERENCE = re.compile(
    r"第\s*\d+\s*[页版期条款章节届]|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?\s*(?:起)?(?:发布|印发|公布|施行|通过|修订|修正)"
)


_STRONG = ("answer", "score", "question", "formula", "coordinate", "scale", "route", "code", "quote")


def _cued(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], frozenset[str] | None, bool]:
    """A pattern with its cue (``text.Cue``): the characters every match holds one of (None: no cue) and
    whether a decimal digit will do too."""
    cue = pattern_cue(pattern)
    return pattern, None if cue is None else cue.chars, cue is not None and cue.digit


# most passages lack the cue of most patterns: those patterns are not run on them
_CUED_CONTENT = [(k, *_cued(p), k in _NEEDS_DIGIT) for k, p in _CONTENT.items()]
_CUED_CONTACT = _cued(_CONTACT)
_CUED_REFERENCE = _cued(_REFERENCE)
_CUED_SPEECH = [(name, *_cued(p)) for name, p in (
    ("mention", _MENTION), ("requirement", _REQUIREMENT), ("harm", _HARM), ("rule", _RULE), ("report", _REPORT),
    ("handling", _SECRET_HANDLING), ("self_marked", _SELF))]


def _blank(cued: tuple[re.Pattern[str], frozenset[str] | None, bool], text: str, chars: set[str], digit: bool) -> str:
    """The text with the pattern's matches replaced by a space."""
    pattern, cue, cue_digit = cued
    if cue is None or (cue_digit and digit) or not cue.isdisjoint(chars):
        return pattern.sub(" ", text)
    return text


@lru_cache(maxsize=1 << 16)
def passage_signals(text: str) -> PassageSignals:
    """Signals of one normalised passage (contact details and references are not content).
    Cached: the lowering re-check and boilerplate repeat the same passages (the result is read-only).
    A pattern runs only on passages holding one of its cue characters."""
    chars, digit = set(text), _DIGIT.search(text) is not None
    said = _blank(_CUED_CONTACT, text, chars, digit)
    if said != text:
        chars, digit = set(said), _DIGIT.search(said) is not None
    facts = _blank(_CUED_REFERENCE, said, chars, digit)
    fact_chars, fact_digit = (set(facts), _DIGIT.search(facts) is not None) if facts != said else (chars, digit)
    content = {
        k: len(p.findall(facts))
        if (fact_digit or not needs_digit) and (cue is None or (cue_digit and fact_digit) or not cue.isdisjoint(fact_chars))
        else 0
        for k, p, cue, cue_digit, needs_digit in _CUED_CONTENT
    }
    strong = sum(min(3, content[k]) for k in _STRONG)
    weak = min(4, content["measure"]) + 0.5 * min(4, content["time"]) + min(4, content["name"])
    digits = sum(map(str.isdigit, facts))
    density = digits / max(20, len(facts))
    concrete = min(1.0, 0.25 * strong + 0.15 * weak + 1.2 * density)
    speech = {name: (cue is None or (cue_digit and digit) or not cue.isdisjoint(chars)) and p.search(said) is not None
              for name, p, cue, cue_digit in _CUED_SPEECH}
    return PassageSignals(content=content, concrete=concrete, **speech)


# GB/T 9704 elements of the 版头 and 落款 are never 密点: 发文字号, 签发人, 成文日期, 抄送/印发 lines — nor is
# the closing formula of the body (结束语: 妥否，请批示 / 特此报告 / 此复)
_FORMAL = re.compile(
    r"^\S{0,24}[〔\[(（]\s*\d{4}\s*[〕\])）]\s*(?:第\s*)?\d+\s*号$|^签发人|^(?:抄送|印发|主送)[:：]"
    r"|^(?:妥否|当否|是否妥当)[,，]?\s*请(?:批示|审批|指示|审示)[。.]?$|^特此(?:报告|通知|函告|函复|批复|通报|请示)[。.]?$|^此复[。.]?$"
)


def is_formal(text: str) -> bool:
    """A header, 落款 or 版记 element (document number, signer, date line, distribution or 印发 line)."""
    body = text.strip()
    return bool(_FORMAL.search(body) or DATE_LINE.match(body) or IMPRINT_LINE.match(body))


def disclosure(sig: PassageSignals, heading: bool) -> float:
    """How far a passage discloses content (0..1) rather than naming a topic or speaking about it."""
    d = 0.2 + 0.8 * sig.concrete
    if heading:
        d *= 0.3
    if sig.mention:
        d *= 0.5
    if sig.requirement and sig.concrete < 0.5:
        d *= 0.5
    if sig.harm and sig.concrete < 0.5:
        d *= 0.4
    if sig.about:
        d *= 0.35 if sig.concrete < 0.6 else 0.7
    return d
