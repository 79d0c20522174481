"""Qualifiers that decide between levels, or between secret and public.

Read from an entry's own text (so an organisation's catalog works without hand-written rules)
and checked against what the document says: 启用前/后, 尚未公布, 尚未实施, 正在研究, exam tier,
map scale, precision, coverage area, military zones and explicit harm statements.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from dingmi.dates import find_dates
from dingmi.header import Header
from dingmi.text import normalize
from dingmi.thresholds import Threshold, entry_thresholds, figures, meets

# ---------------------------------------------------------------- entry side

_BEFORE = re.compile(r"启用之?前|启封前|考试结束前|使用完毕前|开考前|尚未启用|成绩处理完毕前")
_AFTER = re.compile(r"启用之?后|考试结束后|考试后|考后")
_UNPUBLISHED = re.compile(r"尚未公布|未公布|未经公布|尚未公开|未公开")
_NOT_IMPLEMENTED = re.compile(r"尚未实施|未实施")
_UNDECIDED = re.compile(r"正在研究|尚未[做作]出结论")
# a matter secret until an event is over (its 解密条件): 举办前的…方案, period 活动结束前, 投放结束前, 行动结束前
_UNTIL_EVENT = re.compile(r"(?:举办|举行|召开)之?前|(?:结束|完毕)前")
_HARM = re.compile(r"泄露后|公开或泄露|一旦泄露|泄露会")
_TIER_WORDS = {"全国": r"全国", "省级": r"省级", "地市级": r"地区\(市\)级|地\(市\)级|地市级|市级"}
_MILITARY_IN = re.compile(r"涉及军事禁区")
_MILITARY_OUT = re.compile(r"军事禁区以外")
_AREA = re.compile(r"超过\s*(\d+(?:\.\d+)?)\s*平方千米")
_PRECISION = re.compile(r"精度(?:优于|达到或超过|高于)\s*\(?含?\)?\s*±\s*(\d+(?:\.\d+)?)\s*(毫伽|mgal|m|米|厘米|cm|″|\")")
_RESOLUTION = re.compile(r"分辨率高于\s*(\d+(?:\.\d+)?)\s*[′']")
_SCALE = re.compile(r"1\s*:\s*(\d+(?:\.\d+)?)\s*(万|千)?")


def scale_denominator(number: str, unit: str | None) -> float:
    """``1:2.5万`` → 25000."""
    return float(number) * {"万": 10000, "千": 1000, None: 1, "": 1}[unit]


@dataclass
class EntryQualifiers:
    """What an entry's text makes the matter depend on."""

    before_use: bool = False
    after_use: bool = False
    unpublished: bool = False
    not_implemented: bool = False
    undecided: bool = False
    until_event: bool = False  # secret until an event (活动, 行动, 投放…) is over; exams are before_use
    harm: str = ""  # "", "特别严重", "严重", "一般"
    tiers: set[str] = field(default_factory=set)
    military_in: bool = False
    military_out: bool = False
    min_area: float | None = None
    max_precision: tuple[float, str] | None = None  # value, unit: doc precision must be at least this good
    scales: list[tuple[float, float]] = field(default_factory=list)  # allowed denominator ranges
    thresholds: tuple[Threshold, ...] = ()  # quantity bounds (thresholds.py): 500千伏及以上, 低于7天



def _scale_ranges(text: str) -> list[tuple[float, float]]:
    """Allowed denominators from ``1:2.5万、1:5万`` lists, ``1:10万(不含)—1:50万(含)`` ranges, ``大于1:5千``."""
    ranges: list[tuple[float, float]] = []
    for part in re.split(r"和(?=1\s*:)|;|；", text):
        found = list(_SCALE.finditer(part))
        if not found:
            continue
        rng = re.search(
            r"1\s*:\s*([\d.]+)\s*(万|千)?\s*(\(不?含\))?\s*[—\-－~～至到]+\s*1\s*:\s*([\d.]+)\s*(万|千)?\s*(\(不?含\))?",
            part,
        )
        if rng:
            lo = scale_denominator(rng.group(1), rng.group(2))
            hi = scale_denominator(rng.group(4), rng.group(5))
            lo += 1 if rng.group(3) and "不" in rng.group(3) else 0
            hi -= 1 if rng.group(6) and "不" in rng.group(6) else 0
            ranges.append((lo, hi))
            continue
        if re.search(r"大于(?:或等于)?\s*1\s*:", part):
            d = scale_denominator(found[0].group(1), found[0].group(2))
            ranges.append((0, d if "等于" in part else d - 1))
            continue
        for m in found:
            d = scale_denominator(m.group(1), m.group(2))
            ranges.append((d, d))
    return ranges


_HARM_BY_LEVEL = {"绝密": "特别严重", "机密": "严重", "秘密": "一般", "内部": "一般"}


def entry_qualifiers(text: str, level: str, regulation: str = "", period: str = "") -> EntryQualifiers:
    """Derive qualifiers from an entry's normalised text and period; harm severity follows the entry's level.

    An exam entry whose own text names no tier takes it from its regulation's title
    (e.g. rules quoted from the 全国统一考试 考务规定 apply to national exams).
    """
    q = EntryQualifiers()
    q.before_use = bool(_BEFORE.search(text))
    q.after_use = bool(_AFTER.search(text)) and not q.before_use
    q.unpublished = bool(_UNPUBLISHED.search(text))
    q.not_implemented = bool(_NOT_IMPLEMENTED.search(text))
    q.undecided = bool(_UNDECIDED.search(text))
    q.until_event = not q.before_use and bool(_UNTIL_EVENT.search(text) or _UNTIL_EVENT.search(period))
    if _HARM.search(text):
        q.harm = _HARM_BY_LEVEL[level]
    if re.search(r"考试|统考", text):  # exam tiers; 全国 elsewhere (全国性学潮) is not a tier
        for tier, pat in _TIER_WORDS.items():
            if re.search(pat, text):
                q.tiers.add(tier)
        if re.search(r"(省|市\)?)级以上", text):
            q.tiers |= {"全国", "省级"}
    if not q.tiers and re.search(r"考试|统考|答卷|评分|评卷|试题", text):
        for tier, pat in _TIER_WORDS.items():
            if re.search(pat, regulation):
                q.tiers.add(tier)
    q.military_in = bool(_MILITARY_IN.search(text))
    q.military_out = bool(_MILITARY_OUT.search(text))
    if m := _AREA.search(text):
        q.min_area = float(m.group(1))
    if m := _PRECISION.search(text):
        q.max_precision = _to_base(float(m.group(1)), m.group(2))
    q.scales = _scale_ranges(text)
    q.thresholds = entry_thresholds(text)
    return q


def _to_base(value: float, unit: str) -> tuple[float, str]:
    unit = unit.lower()
    if unit in ("厘米", "cm"):
        return value / 100, "m"
    if unit in ("米", "m"):
        return value, "m"
    if unit in ("毫伽", "mgal"):
        return value, "mgal"
    return value, "arcsec"


# ---------------------------------------------------------------- document side

_PUBLISH = re.compile(r"公布|公开发布|对外发布|发布会|公开|发布|公告")
_NEG_BEFORE = re.compile(r"(未|不|拟|将|待|前|尚|暂|严禁|禁止|不得|不予|不宜|免予|如何|是否|应当|应|须|申请|依申请)[^，,。;]{0,3}$")
_NEG_AFTER = re.compile(r"^(前|之前|范围之内|日期|时间|渠道|程序|方式)")
# every alternative of _DONE_PUBLISH holds one of these words: a text without them has no 已公布 reading
_PUBLISH_WORDS = ("公布", "公开", "发布", "审图号", "开放", "解除保密", "解密")
_DONE_PUBLISH = re.compile(r"已(?:于[^，,。;]{0,14})?(?:在[^，,。;]{0,24})?(?:正式|向社会|对外)?(?:公布|公开|发布)|(?:公开|正式)发布了?|新闻发布会(?:上|公布|发布)|予以公布|现(?:予|将)[^，,。;]{0,40}公布|在[^，,。;]{0,10}网站[^，,。;]{0,16}(?:公布|公开|发布)|公开发行|审图号|面向社会公开|向社会开放|开放利用|解除保密|已解密|予以解密|^关于(?:公布|公开发布|发布)")
_NOT_PUBLISHED = re.compile(r"尚未(?:对外)?(?:公布|公开|发布)|未(?:对外)?(?:公布|公开)|未经公布|不得(?:对外)?(?:公布|公开|发布|扩散|外传)|公布前|不予公开|不对外|内部掌握")
_WILL_PUBLISH = re.compile(r"拟于[^，,。;]{0,12}(?:公布|发布)|将于[^，,。;]{0,12}(?:公布|发布)")
_EXAM_WORDS = re.compile(r"考试|开考|举行|考生|考务|测试")
_BEFORE_DOC = re.compile(r"启用前|启用之前|尚未启用|考前|开考前|入闱|交印|印制|押送|装袋密封|启封前|考试结束前")
_AFTER_DOC = re.compile(r"已于[^。;]{0,20}(?:结束|举行)|顺利结束|考试已结束|考试结束后|考后|已经结束|考试结束[，,]|已举行|评卷工作|阅卷工作|成绩(?:已|已经)?(?:公布|发布)")
_UNDECIDED_DOC = re.compile(r"正在研究|尚在研究|尚未[做作]出(?:结论|决定)|未作出决定|未作决定|待[^，,。;]{0,12}再议|再提交[^，,。;]{0,8}研究|暂缓")
_HARM_DOC = re.compile(r"(?:泄露|外泄|泄密|公开)[^。;]{0,6}(?:后|将|会|可能|则)|一旦泄露|如泄露|公开或泄露")
_HARM_SEVERE = (("特别严重", re.compile(r"特别严重|极为被动|极其严重|极大损害|重大损失")), ("严重", re.compile(r"严重")))
_MILITARY_DOC = re.compile(r"军事禁区|军事管理区|军事设施")
_MILITARY_NEG = re.compile(r"(不涉及|不含|未涉及|无|以外|之外|远离|不在)[^，,。;]{0,8}军事禁区|军事禁区(以外|之外)|(不涉及|不含|无)[^，,。;]{0,6}军事设施")
_AREA_DOC = re.compile(r"(\d+(?:\.\d+)?)\s*(平方千米|平方公里|km2|km²)")
_PRECISION_DOC = re.compile(r"±\s*(\d+(?:\.\d+)?)\s*(毫伽|mgal|米|m(?![a-z])|厘米|cm|″|\")")
_RESOLUTION_DOC = re.compile(r"(\d+(?:\.\d+)?)\s*[′']\s*[×x*]\s*\d+(?:\.\d+)?\s*[′']")
# exam names decide the tier; organ names (省教育考试院…) only when no exam name does
TIER_DOC = {
    "全国": re.compile(r"全国[^，,。;]{0,14}(?:统一)?考试|全国统考|普通高考|高考|全国硕士|研究生招生考试|成人高考|自学考试|全国统一"),
    "省级": re.compile(r"全省[^，,。;]{0,10}(?:统一|考试)|省级[^，,。;]{0,8}考试|省统一|普通高中学业水平|专升本|对口招生"),
    "地市级": re.compile(r"全市[^，,。;]{0,10}(?:统一|考试)|市级[^，,。;]{0,8}(?:考试|测试)|地\(市\)级|市统一|中考|初中学业水平"),
}
TIER_ORGAN = {
    "省级": re.compile(r"省教育考试院|省教育招生考试院|省人事考试|省人力资源"),
    "地市级": re.compile(r"市教育局[^，,。;]{0,8}(?:统一|命题)|市人事考试|市人力资源"),
}


class DocState:
    """What a document says about the qualifiers; each signal is computed on first use only."""

    def __init__(self, norm: str, header: Header) -> None:
        self.norm = norm
        self.header = header

    @cached_property
    def published(self) -> bool:
        return bool(_DONE_PUBLISH.search(self.norm) or _title_reads(self.header.title).published)

    @cached_property
    def not_published(self) -> bool:
        return bool(_NOT_PUBLISHED.search(self.norm)) or (not self.published and bool(_WILL_PUBLISH.search(self.norm)))

    @cached_property
    def _timing(self) -> tuple[bool, bool]:
        return _exam_timing(self.norm, self.header)

    @property
    def before_use(self) -> bool:
        return self._timing[0]

    @property
    def after_use(self) -> bool:
        return self._timing[1]

    @cached_property
    def undecided(self) -> bool:
        return bool(_UNDECIDED_DOC.search(self.norm))

    @cached_property
    def _event(self) -> tuple[bool, bool]:
        return _event_timing(self.norm, self.header)

    @property
    def event_ahead(self) -> bool:
        return self._event[0]

    @property
    def event_over(self) -> bool:
        return self._event[1]

    @cached_property
    def harm(self) -> str:
        order = ("", "一般", "严重", "特别严重")
        worst = ""
        for m in _HARM_DOC.finditer(self.norm):
            window = self.norm[m.start() : m.start() + 60]
            sev = next((name for name, pat in _HARM_SEVERE if pat.search(window)), "一般")
            if order.index(sev) > order.index(worst):
                worst = sev
        return worst

    @cached_property
    def tiers(self) -> set[str]:
        return set(_tiers(self.norm))

    @cached_property
    def military(self) -> bool:
        return bool(_MILITARY_DOC.search(self.norm))

    @cached_property
    def military_neg(self) -> bool:
        return bool(_MILITARY_NEG.search(self.norm))

    @cached_property
    def areas(self) -> list[float]:
        return [float(m.group(1)) for m in _AREA_DOC.finditer(self.norm)]

    @cached_property
    def quantities(self) -> dict[str, list[float]]:
        return figures(self.norm)

    @cached_property
    def precisions(self) -> list[tuple[float, str]]:
        return [_to_base(float(m.group(1)), m.group(2)) for m in _PRECISION_DOC.finditer(self.norm)]

    @cached_property
    def scales(self) -> list[float]:
        return [scale_denominator(m.group(1), m.group(2)) for m in _SCALE.finditer(self.norm)]

    @cached_property
    def public_notice(self) -> bool:
        return bool(_PUBLIC_NOTICE.search(self.norm) or _title_reads(self.header.title).public_notice or self.self_published
                    or self.press)

    @cached_property
    def press(self) -> bool:
        """The document invites the press to its event or streams it live: what it describes is meant to be
        reported (a drill, a competition, a ceremony), wherever in the document it says so."""
        return bool(_PRESS.search(self.norm))

    @cached_property
    def self_published(self) -> bool:
        """The document's form publishes it: issued as public (``issued_public``), a newspaper's marks
        (本报讯, 《…日报》…第2版) or the outlet a reprint names (来源：…网站). What it says is public by
        being issued or printed — unless it carries a secrecy marking (an internal reference edition is
        printed too)."""
        if self.header.marking_level:
            return False
        return self.issued_public or bool(_NEWSPAPER.search(self.norm))

    @cached_property
    def issued_public(self) -> bool:
        """Its issuer made it public: its 文种 (公告, 通告, 公示, 公报), a public edition (title 公开版, a note
        under the title) or the 附注 （此件主动公开） / （此件公开发布） (GB/T 9704 elements of the document
        itself, unlike the 来源 line that ends a reprint: text pasted above one may be another document)."""
        if self.header.marking_level:
            return False
        title = _title_reads(self.header.title)
        lead = self.norm.lstrip().split("\n", 4)[:4]  # the title block: a note under the title states the edition
        return bool(title.public_genre or title.public_edition or _PUBLIC_ATTRIBUTE.search(self.norm)
                    or any(_PUBLIC_NOTE.search(line.strip()) for line in lead))

    @cached_property
    def declared_not_secret(self) -> bool:
        """The document states that its own content is not a state secret (上述成果…不属于国家秘密,
        本文件不涉及国家秘密): the originator's determination, which a suggestion must not silently
        overrule. So does a document its issuer made public (``issued_public``): its 公开属性 was
        determined when it was drafted. A question, a condition or a rule quoted as an example is no
        statement; a marked document never makes one."""
        if self.header.marking_level:
            return False
        if self.issued_public:
            return True
        for m in _DECLARED.finditer(self.norm):
            tail = self.norm[m.end() : m.end() + 40].split("。")[0]
            if not _NOT_A_STATEMENT.search(m.group(0)) and not re.search(r"[？?吗]", tail):
                return True
        return False


# the document's own matter (上述, 本次, 该成果…) said not to be a state secret
_DECLARED = re.compile(r"(?:上述|本次|本批|本项|该|此|这些|所提供|所附|成果|数据|资料|文件|材料)[^。；;\n？?]{0,40}?"
                       r"(?:不属于|不属於|不再属于|不涉及)国家秘密")
_NOT_A_STATEMENT = re.compile(r"是否|如果|若|为由|误认为|以为|一律|凡")

# 公告 and 通告 are published by their genre (GB/T 9704 文种): a title ending so announces to the public
_PUBLIC_GENRE = re.compile(r"(?:公告|通告|公示|公报)$")  # genres that publish (党政机关公文处理工作条例 第八条)
# a text reprinted from an outlet names it: （来源：…网站 / …日报 / …微信公众号）
_NEWSPAPER = re.compile(r"(?:^|\n|[(（])\s*(?:来源|稿源|转自|转载自)\s*[:：][^\n)）]{0,40}?(?:网站|网|日报|晚报|报社|报|公众号|客户端)|本报讯|本报记者|《[^》]{1,20}(?:日报|晚报|时报|报|周刊|月刊|杂志)》\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*第?\s*\d+\s*[版期]")
# the document states its own edition or disclosure attribute: 《…规程（公开版）》, （公开题库，供学习使用）,
# the 附注 （此件公开发布） / （此件主动公开） that 公开 documents carry
_PUBLIC_EDITION = re.compile(r"公开版|公开稿|公开题库")
# (a note about a release to come or withheld — 发布前请勿外传, 将于9月12日发布, 内部 — publishes nothing)
_PUBLIC_NOTE = re.compile(r"[(（](?![^)）]*(?:(?:不|未|非|禁止)[^)）]{0,3}(?:公开|发布)|(?:公开|发布)前|将于|拟|待|内部))"
                          r"[^)）]{0,30}(?:公开|发布)[^)）]{0,30}[)）]$")
_PUBLIC_ATTRIBUTE = re.compile(r"[(（]\s*此件(?:主动)?公开(?:发布)?\s*[)）]")
_PUBLIC_NOTICE = re.compile(r"特此公告|特此通告|考生须知|报名(?:公告|通知|简章)|招生简章|欢迎[^。]{0,10}(?:报名|参加)")
_PRESS = re.compile(r"(?<![不未])邀请[^。；，,]{0,6}(?:新闻)?媒体[^。；]{0,10}(?:报道|采访|直播)|(?:网络|全程|现场|图文|视频)直播")


@dataclass(frozen=True)
class _TitleReading:
    """What a document's title says about publication (the same for every section of the document)."""

    published: bool
    public_notice: bool
    public_genre: bool
    public_edition: bool  # 公开版, 公开题库


@lru_cache(maxsize=1024)
def _title_reads(title: str) -> _TitleReading:
    """The title's publication signals, read once per title (every section state asks)."""
    norm = normalize(title)
    return _TitleReading(bool(norm and _DONE_PUBLISH.search(norm)), bool(_PUBLIC_NOTICE.search(norm)),
                         bool(_PUBLIC_GENRE.search(norm)), bool(_PUBLIC_EDITION.search(norm)))


def doc_state(norm: str, header: Header) -> DocState:
    """The document's qualifier signals (lazy)."""
    return DocState(norm, header)


@lru_cache(maxsize=1024)
def _tiers(norm: str) -> frozenset[str]:
    """Exam tiers a text names most often (exam names first, organ names when it names no exam).
    Cached by text: the lowering re-check reads the same sections again."""
    for table in (TIER_DOC, TIER_ORGAN):
        counts = {t: len(pat.findall(norm)) for t, pat in table.items()}
        most = max(counts.values())
        tiers = frozenset(t for t, n in counts.items() if n and n == most)
        if tiers:
            return tiers
    return frozenset()


def _exam_timing(norm: str, header: Header) -> tuple[bool, bool]:
    """Before or after the exam: dated exam sentences against the 成文日期 first, then wording."""
    return _exam_timing_at(norm, header.date())


@lru_cache(maxsize=1024)
def _exam_timing_at(norm: str, issued: dt.date | None) -> tuple[bool, bool]:
    """``_exam_timing`` for a 成文日期 (cached by text and date: the lowering re-check reads the same
    sections again)."""
    before = after = False
    if issued and _EXAM_WORDS.search(norm):  # exam words never span a sentence break: none, no exam sentence
        for sent in re.split(r"[。;\n,，]", norm):
            if not _EXAM_WORDS.search(sent):
                continue
            if re.search(r"成绩|公布|发布|录取|查询|报名", sent):
                continue
            for d in find_dates(sent, issued.year):
                if d.date > issued and ("定于" in sent or "举行" in sent or "考试" in sent):
                    before = True
                elif d.date < issued and re.search(r"结束|举行|已于", sent):
                    after = True
    if not before and not after:
        before = bool(_BEFORE_DOC.search(norm))
        after = bool(_AFTER_DOC.search(norm))
    elif not after and _AFTER_DOC.search(norm) and not _BEFORE_DOC.search(norm):
        after = True
    return before, after


_EVENT_DONE = re.compile(r"(?:成功|圆满|顺利|胜利)(?:举办|举行|召开|闭幕|结束|落幕)|已(?:于[^。;，,]{0,20})?[^。;，,]{0,4}?(?:举办|举行|召开|闭幕|结束|完毕)")
_EVENT_AHEAD = re.compile(r"(?:定于|将于|拟于|计划于|预计于)[^。;]{0,30}(?:举办|举行|召开|开幕|开始|实施)|(?:举办|举行|召开|开幕)之?前")
_AIMED = re.compile(r"(?:确保|保证|保障|力争|争取|为了?|助力|推动|实现)[^。;，,]{0,16}$")  # a goal, not a report
_EVENT_VERB = re.compile(r"举办|举行|召开|闭幕")


def _event_timing(norm: str, header: Header) -> tuple[bool, bool]:
    """Whether the event a matter is secret until is still ahead, or over (its 解密条件 reached): dated
    event sentences against the 成文日期, else wording (定于…举办 / 已于…成功举办). “确保…顺利召开” is a goal."""
    return _event_timing_at(norm, header.date())


@lru_cache(maxsize=1024)
def _event_timing_at(norm: str, issued: dt.date | None) -> tuple[bool, bool]:
    """``_event_timing`` for a 成文日期 (cached by text and date, like the exam timing)."""
    ahead = over = False
    if issued and _EVENT_VERB.search(norm):  # event verbs never span a sentence break: none, no event sentence
        for sent in re.split(r"[。;\n]", norm):
            if not _EVENT_VERB.search(sent):
                continue
            for d in find_dates(sent, issued.year):
                if d.date > issued:
                    ahead = True
                elif d.date < issued and not re.search(r"定于|将于|拟于|计划于", sent):
                    over = True
    if not ahead:
        ahead = bool(_EVENT_AHEAD.search(norm))
    if not over:
        over = any(not _AIMED.search(norm[max(0, m.start() - 20) : m.start()]) for m in _EVENT_DONE.finditer(norm))
    return ahead, over


def gate(q: EntryQualifiers, s: DocState, published: bool | None = None) -> tuple[float, list[str]]:
    """Multiplier in [0, 1] for an entry given the document (or section), and the reasons (Chinese) that
    decided it. ``published``: “已公布” as this entry sees it (default: the state's own reading)."""
    g, why = 1.0, []
    if published is None:
        published = s.published
    if q.before_use:
        if s.after_use and not s.before_use:
            g *= 0.05
            why.append("文中表明已启用（考试已结束），不属启用前事项")
        elif published and not s.not_published:
            g *= 0.1
            why.append("文中表明已公布")
        elif s.before_use:
            why.append("启用前")
        else:
            g *= 0.6
    if q.after_use:
        if s.after_use:
            why.append("已启用（考试已结束）")
        else:
            g *= 0.1 if s.before_use else 0.5  # a 启用之后 matter does not exist before the exam
    if q.unpublished or q.not_implemented:
        if published and not s.not_published:
            g *= 0.05
            why.append("文中表明相关内容已公开发布")
        elif s.not_published:
            why.append("尚未公布")
        else:
            g *= 0.55
    if q.until_event and s.event_over and not s.event_ahead:
        g *= 0.05  # the matter's 解密条件 is reached: it is no longer a state secret
        why.append("文中表明活动已举办（结束），已过条目的解密条件")
    elif q.until_event and s.event_ahead:
        why.append("活动举办（结束）前")
    if q.undecided:
        g *= 1.0 if s.undecided else 0.4
        if s.undecided:
            why.append("尚未作出结论")
    if q.harm:
        if not s.harm:
            g *= 0.1
        elif s.harm != q.harm:
            g *= 0.35
        else:
            why.append(f"文中明示泄露后果（{q.harm}损害）")
    if q.tiers and s.tiers:
        if q.tiers & s.tiers:
            why.append("考试层级：" + "、".join(sorted(q.tiers & s.tiers)))
        else:
            g *= 0.1
    if q.military_in:
        if s.military and not s.military_neg:
            why.append("涉及军事禁区")
        else:
            g *= 0.1
    if q.military_out and s.military and not s.military_neg:
        g *= 0.3
    if q.min_area is not None:
        if s.areas and max(s.areas) > q.min_area:
            why.append(f"覆盖面积超过{q.min_area:g}平方千米")
        else:
            g *= 0.1 if s.areas else 0.5
    if q.thresholds:
        met = meets(q.thresholds, s.quantities)
        if met:
            why.append("文中数值达到条目所列数量界限")
        elif met is False:
            g *= 0.15  # the figures given fall short of the entry's bound: not this matter
    if q.max_precision is not None:
        limit, unit = q.max_precision
        vals = [v for v, u in s.precisions if u == unit]
        if vals:
            if min(vals) <= limit:
                why.append("精度达到条目门槛")
            else:
                g *= 0.15
        else:
            g *= 0.7
    if q.scales:
        if s.scales:
            main = max(s.scales, key=lambda d: (s.scales.count(d), -s.scales.index(d)))
            if any(lo <= main <= hi for lo, hi in q.scales):
                why.append("比例尺在条目范围内")
            elif any(lo <= d <= hi for d in s.scales for lo, hi in q.scales):
                g *= 0.45
            else:
                g *= 0.1
        else:
            g *= 0.6
    if published and not s.not_published and not (q.before_use or q.after_use or q.unpublished or q.not_implemented):
        g *= 0.5  # 已经依法公开的事项不得确定为国家秘密
    if s.public_notice:
        g *= 0.35
    return g, why


_CLAUSE = re.compile(r"[^。;；\n]+")
# a publication note attached to a cited document speaks of that document: 《…办法》(已于…公开发布)
_CITED_NOTE = re.compile(r"(?:》|〕\s*\d+\s*号)\s*[(（][^)）]*$")
# a map that carries a 审图号 (approval number) is a published map: that says nothing of anything else
_OTHER_OBJECT = re.compile(r"审图号")


@lru_cache(maxsize=1024)
def _publication_clauses(norm: str) -> tuple[tuple[str, bool], ...]:
    """Each 已公布 reading in a clause of the text, and whether it speaks of a cited document or other
    object (cached by text: the lowering re-check reads the same sections again)."""
    if not any(w in norm for w in _PUBLISH_WORDS):
        return ()
    return tuple((c, bool(_CITED_NOTE.search(c[: m.start()]) or _OTHER_OBJECT.search(c)))
                 for c in _CLAUSE.findall(norm) for m in _DONE_PUBLISH.finditer(c))


class SectionState(DocState):
    """Qualifier signals scoped to one section of a document (read once per section).

    Timing and 尚未公布 are read in the section (with its part's preamble); tier, scale, precision,
    area and military-zone facts fall back to the whole document when the section has none.
    “已公布” is read per entry (``published_for``): a publication note attached to a cited document
    (《…办法》（已于…公开发布）) speaks of that document, unless it names the entry's subject.
    """

    def __init__(self, section_text: str, header: Header, doc: DocState) -> None:
        super().__init__(section_text, header)
        self.doc = doc
        self._published: dict[frozenset[str], bool] = {}

    def published_for(self, forms: frozenset[str]) -> bool:
        """“已公布” as an entry with these term forms sees it."""
        if self._published_for_all:
            return True
        clauses = self._cited_publication_clauses
        if not clauses:
            return False
        if forms not in self._published:
            self._published[forms] = any(f in clause for clause in clauses for f in forms)
        return self._published[forms]

    @cached_property
    def _published_for_all(self) -> bool:
        """The title, or a publication clause that speaks of no cited document or other object."""
        return _title_reads(self.header.title).published or any(not cited for _, cited in self._publication_clauses)

    @cached_property
    def _cited_publication_clauses(self) -> list[str]:
        """Publication clauses that speak of a cited document or other object: “已公布” for an entry
        only where they name its subject."""
        return [clause for clause, cited in self._publication_clauses if cited]

    @cached_property
    def _publication_clauses(self) -> tuple[tuple[str, bool], ...]:
        return _publication_clauses(self.norm)

    @cached_property
    def tiers(self) -> set[str]:
        return DocState.tiers.func(self) or self.doc.tiers  # type: ignore[attr-defined]

    @cached_property
    def scales(self) -> list[float]:
        return DocState.scales.func(self) or self.doc.scales  # type: ignore[attr-defined]

    @cached_property
    def precisions(self) -> list[tuple[float, str]]:
        return DocState.precisions.func(self) or self.doc.precisions  # type: ignore[attr-defined]

    @cached_property
    def areas(self) -> list[float]:
        return DocState.areas.func(self) or self.doc.areas  # type: ignore[attr-defined]

    @cached_property
    def quantities(self) -> dict[str, list[float]]:
        return DocState.quantities.func(self) or self.doc.quantities  # type: ignore[attr-defined]

    @cached_property
    def military(self) -> bool:
        return DocState.military.func(self) or self.doc.military  # type: ignore[attr-defined]

    @cached_property
    def military_neg(self) -> bool:
        return DocState.military_neg.func(self) or self.doc.military_neg  # type: ignore[attr-defined]

    @cached_property
    def press(self) -> bool:
        return DocState.press.func(self) or self.doc.press  # type: ignore[attr-defined]

    @cached_property
    def _timing(self) -> tuple[bool, bool]:
        before, after = _exam_timing(self.norm, self.header)
        return (before, after) if before or after else self.doc._timing

    @cached_property
    def _event(self) -> tuple[bool, bool]:
        ahead, over = _event_timing(self.norm, self.header)
        return (ahead, over) if ahead or over else self.doc._event
