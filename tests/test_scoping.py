"""What a publication note governs, what the learned layer may add on its own, and what goes to review."""

from types import SimpleNamespace

from documents import EXAM_BEFORE

from dingmi.engine import _matters, load_engine
from dingmi.header import parse_header
from dingmi.qualifiers import SectionState, doc_state
from dingmi.text import normalize


def _section(text: str) -> SectionState:
    norm = normalize(text)
    header = parse_header(text, "")
    return SectionState(norm, header, doc_state(norm, header))


def test_a_map_approval_number_publishes_the_map_only() -> None:
    state = _section("地理第11题底图改用公开版标准地图，并标注审图号。数学第19题参考答案确定为an=3n-1。")
    assert not state.published_for(frozenset({"参考答案", "试题"}))
    assert state.published_for(frozenset({"地图"}))
    assert _section("本次考试试题和参考答案已于6月30日在考试院网站公布。").published_for(frozenset({"参考答案"}))


def test_the_learned_layer_adds_no_entry_on_a_passage_that_restates_it() -> None:
    """A regulation's own item (the entry's words, no concrete content) is the rule, not a matter."""
    engine = load_engine(expert_edits=False)
    restated = "档案工作中国家秘密范围（摘录）\n一、批量运输档案的时间、路线和保卫方案。\n"
    concrete = "关于档案批量运输的安排\n一、批量运输档案于3月5日凌晨2时出发，经G15至北仓库，押运人员6名，车辆3辆。\n"
    scorer = SimpleNamespace(add_from=0.4, veto_below=0.0)

    def found(text: str) -> list[str]:
        a = engine.analyse(text)
        m = next(m for m in a.matches if m.entry_id == "arch-02")
        m.rule_score, m.prob = 0.0, 0.95  # only the learned layer could add it
        return [x.entry_id for x in _matters([m], [p.part for p in a.passages], a.signals, scorer)[0]]  # type: ignore[arg-type]

    assert found(restated) == []
    assert found(concrete) == ["arch-02"]


SURVEY = ("关于报送城西片区测绘成果的函\n市自然资源和规划局：\n我院完成城西片区控制测量项目，现将成果报送如下：\n"
          "一、项目完成三等水准测量路线总长236.4千米，构成5个闭合环线，新埋设水准点23座，水准网成果资料随函报送。\n"
          "二、附二等控制点坐标成果表（节选）：\n点号\t等级\tX\tY\nBS15\t二等\t2866215.779\t38503911.548\n")


def test_a_weaker_higher_level_matter_in_a_passage_of_its_own_is_set_aside_for_review() -> None:
    """The level stays with the best-supported matter, but the reviewer is told a higher one is possible."""
    engine = load_engine()
    a = engine.analyse(SURVEY)
    by_id = {m.entry_id: m for m in a.matches}
    low, high = by_id["sm-20"], by_id["sm-13"]
    assert low.best != high.best
    low.score = low.rule_score = 0.8
    high.score = high.rule_score = 0.35  # found, but weak beside the 秘密 matter
    a.matches.sort(key=lambda m: -m.score)
    d = engine._decide(a)
    assert d.level == "秘密" and [m.entry_id for m in d.set_aside] == ["sm-13"]
    s = engine._explain(SURVEY, a, d, None, None)
    assert {"higher_level_candidate", "needs_review"} <= set(s.flags)
    assert "机密" in s.rationale and "复核" in s.rationale
    assert "higher_level_candidate" not in engine.suggest(SURVEY).flags  # strong there: it sets the level


def test_a_non_secret_answer_the_document_classifier_contradicts_is_sent_for_review() -> None:
    """No entry matched, but the classifier reads a state secret: never a confident 非密."""
    from dingmi.catalog import load_default
    from dingmi.engine import Engine
    from dingmi.learned import LearnedScorer

    class Reads(LearnedScorer):
        def __init__(self, p_secret: float) -> None:
            super().__init__(None, object(), None, {})
            self.p_secret = p_secret

        def doc_probs(self, text: str) -> tuple[float, float]:
            return self.p_secret, 0.05

    text = "关于调整职工食堂开放时间的通知\n各处室：\n自12月1日起，职工食堂午餐时间调整为11:30至13:00。\n"
    secret_read = Engine(load_default(), Reads(0.8)).suggest(text)
    assert secret_read.level == "非密"
    assert {"classifier_disagrees", "needs_review"} <= set(secret_read.flags)
    assert "涉密特征" in secret_read.rationale
    public_read = Engine(load_default(), Reads(0.1)).suggest(text)
    assert "classifier_disagrees" not in public_read.flags


def test_a_term_named_as_withheld_is_not_found() -> None:
    """“不公布评分细则” says the document does not contain them."""
    engine = load_engine(expert_edits=False)
    assert not engine.matcher.scan(normalize("说明：书面表达部分不公布评分细则。"))
    assert not engine.matcher.scan(normalize("各科目的评分细则不予公布。"))
    assert engine.matcher.scan(normalize("附件2为数学科评分细则。"))


def test_a_bulletin_publishes() -> None:
    """公报 (like 公告 and 通告) is a genre that publishes: its figures are public."""
    for title, public in (("2025年全省出国留学工作统计公报", True), ("关于2025年出国留学工作统计情况的报告", False)):
        norm = normalize(title + "\n全省出国留学人员2.14万人。")
        assert doc_state(norm, parse_header(title + "\n", title)).public_notice is public


PLAN = ("某市发展和改革委员会\n\n{title}\n\n市政府：\n　　为应对可能出现的供应中断，拟定成品油应急储备动用预案如下："
        "储备库位于城北两处，动用顺序和数量按附表执行。本预案按机密级管理，知悉范围限于市政府分管领导和我委主要负责同志，"
        "不得复印、拍照。\n\n某市发展和改革委员会\n2026年4月7日\n")


def test_a_document_whose_genre_publishes_it_is_no_unclear_matter() -> None:
    """A 公告 is public by being issued: secret-like wording in it does not make it a 不明确事项."""
    engine = load_engine()
    assert "unclear_matter" in engine.suggest(PLAN.format(title="关于全市成品油应急储备动用预案的请示")).flags
    published = engine.suggest(PLAN.format(title="关于全市成品油应急储备动用预案的公告"))
    assert "unclear_matter" not in published.flags and published.level == "非密"


def test_a_published_genre_is_not_read_as_internal_by_the_classifier() -> None:
    from dingmi.catalog import load_default
    from dingmi.engine import Engine
    from dingmi.learned import LearnedScorer

    class ReadsInternal(LearnedScorer):
        def __init__(self) -> None:
            super().__init__(None, object(), None, {})

        def doc_probs(self, text: str) -> tuple[float, float]:
            return 0.05, 0.9

    engine = Engine(load_default(), ReadsInternal())
    body = "\n各处室：\n自12月1日起，职工食堂午餐时间调整为11:30至13:00。\n"
    assert engine.suggest("关于调整职工食堂开放时间的通知" + body).level == "内部"
    assert engine.suggest("关于调整职工食堂开放时间的公告" + body).level == "非密"


def test_a_newspaper_text_is_published_unless_marked() -> None:
    article = "高考试卷安全运抵\n本报讯 今年全市共设14个考区，试卷实行24小时值守。\n"
    assert doc_state(normalize(article), parse_header(article, "")).self_published
    marked = "秘密★1年\n" + article
    assert not doc_state(normalize(marked), parse_header(marked, "")).self_published
    plain = "关于试卷保管工作的通知\n各考区：\n试卷实行24小时值守。\n"
    assert not doc_state(normalize(plain), parse_header(plain, "")).self_published


EVENT_ENTRY = {"id": "ev-01", "regulation": "某市公安局国家秘密事项一览表", "domain": "公安", "item": "第1项", "level": "机密",
               "text": "市级以上大型活动举办前的安全保卫力量部署方案和重点区域警戒方案", "period": "活动结束前"}
EVENT_PLAN = ("某市公安局\n关于印发大型活动安全保卫力量部署方案的通知\n各分局：\n"
              "第九届市运动会定于2026年10月16日至19日在市体育中心举办。现将安全保卫力量部署方案印发如下：\n"
              "一、主会场部署警力320人，分设东、西两个警戒区，北门为贵宾专用通道，备勤力量80人驻守体育馆地下二层。\n"
              "某市公安局\n2026年9月1日\n")
EVENT_REPORT = ("某市公安局\n关于第九届市运动会安全保卫工作情况的报告\n市政府：\n"
                "第九届市运动会于2026年10月16日至19日在市体育中心成功举办。现将安全保卫工作情况报告如下：\n"
                "一、主会场部署警力320人，分设东、西两个警戒区，北门为贵宾专用通道，备勤力量80人驻守体育馆地下二层。\n"
                "某市公安局\n2026年11月2日\n")


def test_a_matter_secret_until_an_event_is_over_is_not_secret_in_a_report_after_it(tmp_path) -> None:
    """The entry's 解密条件 (活动结束前) is reached once the document reports the event as held."""
    import json

    from dingmi.qualifiers import entry_qualifiers

    catalog = tmp_path / "events.jsonl"
    catalog.write_text(json.dumps(EVENT_ENTRY, ensure_ascii=False) + "\n", encoding="utf-8")
    engine = load_engine([catalog], expert_edits=False)
    plan, report = engine.suggest(EVENT_PLAN), engine.suggest(EVENT_REPORT)
    assert plan.level == "机密" and plan.entries[0].id == "ev-01"
    assert report.level != "机密" and all(e.id != "ev-01" or e.score < 0.3 for e in report.entries)
    assert entry_qualifiers(normalize(EVENT_ENTRY["text"]), "机密", "", "活动结束前").until_event
    assert not entry_qualifiers(normalize("国家教育全国统一考试在启用之前的试题"), "绝密").until_event  # exams: before_use
    goal = _section("各单位要加强协调配合，确保大会顺利召开。")
    assert not goal.event_over


def test_internal_handling_wording_is_not_a_state_secret_signal() -> None:
    """内部掌握 is how a work secret is handled: with no entry it is no 不明确事项 (provisional 秘密)."""
    from dingmi.derive import secret_signals

    internal = ("某区人力资源和社会保障局\n关于印发《劳动保障监察投诉处理内部掌握尺度》的通知\n各科室：\n"
                "现将《劳动保障监察投诉处理内部掌握尺度》印发给你们，仅供内部掌握，请遵照执行。\n"
                "一、欠薪投诉在3个工作日内核查，涉及20人以上的报局领导。\n某区人力资源和社会保障局\n2026年5月6日\n")
    assert secret_signals(normalize("仅供内部掌握，内部掌握尺度"))[0] == 0
    assert secret_signals(normalize("严格控制知悉范围，不得对外透露"))[0] >= 2
    s = load_engine().suggest(internal)
    assert "unclear_matter" not in s.flags and s.level in ("内部", "非密")


def test_handling_wording_with_nothing_concrete_to_protect_is_no_unclear_matter() -> None:
    """Answers quoting 知悉范围 rules protect nothing of their own: no provisional 秘密."""
    answers = ("常见问题解答\n市保密局业务指导科\n问：单位自行拟定的密级需要报送吗？\n答：需要。机关、单位应当先行拟定密级、"
               "保密期限和知悉范围，采取相应的保密措施，并在10个工作日内报有关部门确定。\n问：拟定以后就能长期不报吗？\n答：不是。\n"
               "问：保密期限从何时起算？\n答：不能标明制发日的，自书面通知知悉范围内的机关、单位或者人员之日起计算。\n")
    s = load_engine().suggest(answers)
    assert "unclear_matter" not in s.flags and s.level == "非密"


def test_a_document_stating_its_public_edition_is_published() -> None:
    """A title 公开版, a note under the title (公开题库…) or the 附注 （此件公开发布） publish the text;
    a note that withholds it (不公开) does not."""
    quiz = "{head}\n一、单项选择题\n1．国家教育全国统一考试在启用之前的试题属于（　　）。\nA．秘密级　B．机密级　C．绝密级\n答案：C\n"
    engine = load_engine()
    for head in ("保密知识竞赛题库\n（公开题库，供各单位组织学习使用）", "保密知识竞赛题库（公开版）", "保密知识竞赛题库\n（此件公开发布）"):
        a = engine.analyse(quiz.format(head=head))
        assert a.ctx.doc_state.self_published, head
    assert not engine.analyse(quiz.format(head="保密知识竞赛题库\n（征求意见稿，不公开）")).ctx.doc_state.self_published
    for withheld in ("（发布前审核稿）", "（发布前请勿外传）", "（全国数据将于9月12日发布）", "（内部资料　数据发布前不得引用）"):
        assert not engine.analyse(quiz.format(head="保密知识竞赛题库\n" + withheld)).ctx.doc_state.self_published, withheld
    # a reprint's 来源 line publishes the text above it, which may be another document pasted before it:
    # it damps matters as a public notice does but is no statement by the issuer
    reprint = engine.analyse(quiz.format(head="保密知识竞赛题库") + "（来源：某省保密局网站）\n").ctx.doc_state
    assert reprint.self_published and not reprint.declared_not_secret
    assert not engine.analyse(quiz.format(head="绝密★启用前\n保密知识竞赛题库（公开版）")).ctx.doc_state.self_published


def test_two_models_reading_a_secret_give_the_likeliest_entry_as_basis_for_review() -> None:
    """No rule finding, but the classifier reads a state secret and the entry scorer gives an entry half
    the P it needs alone: that entry's level is suggested, for review; less, and 非密 goes to review.
    Documents pasted after the 落款 change neither reading."""
    from dingmi.catalog import load_default
    from dingmi.engine import Engine
    from dingmi.learned import LearnedScorer

    class Scores(LearnedScorer):
        def __init__(self, prob: float) -> None:
            super().__init__(None, object(), None, {}, add_from=0.4)
            self.prob = prob

        def doc_probs(self, text: str) -> tuple[float, float]:
            return (0.8, 0.05) if "押运" in text else (0.1, 0.05)

        def rescore(self, matches, ctx) -> None:  # type: ignore[no-untyped-def]
            for m in matches:
                m.rule_score = m.score = min(m.rule_score, 0.1)  # the rules find nothing
                m.prob = self.prob if m.entry_id == "arch-02" else 0.0

    text = ("某市档案馆\n关于馆藏档案转移工作安排的报告\n市档案局：\n"
            "一、档案于3月5日凌晨2时起运，经G15至北仓库，押运人员6名，车辆3辆。\n某市档案馆\n2026年3月1日\n")
    public = "\n\n某市档案馆\n关于开放日活动的通知\n各科室：\n开放日定于5月18日上午举行，欢迎市民参观。\n某市档案馆\n2026年5月1日\n"
    weak = Engine(load_default(), Scores(0.25)).suggest(text)
    assert weak.level == "机密" and {"weak_match", "needs_review"} <= set(weak.flags)
    assert weak.evidence and all(e.entry_id == "arch-02" for e in weak.evidence)
    assert Engine(load_default(), Scores(0.25)).suggest(text + public).level == "机密"
    doubted = Engine(load_default(), Scores(0.1)).suggest(text)
    assert doubted.level == "非密" and "classifier_disagrees" in doubted.flags


def test_a_higher_level_rival_on_the_same_passage_is_named_for_review() -> None:
    """Where a 秘密 entry wins a passage a 机密 entry also claims, the level stays and the reviewer is told
    (one passage may disclose two matters), however far behind the rival is; a rival the rules did not
    find is not named."""
    engine = load_engine()
    a = engine.analyse(SURVEY)
    by_id = {m.entry_id: m for m in a.matches}
    low, high = by_id["sm-20"], by_id["sm-13"]
    for rival_score, named in ((0.7, True), (0.35, True), (0.2, False)):
        high.best = low.best
        low.score = low.rule_score = 0.8
        high.score = high.rule_score = rival_score
        a.matches.sort(key=lambda m: -m.score)
        d = engine._decide(a)
        assert d.level == "秘密"
        assert ("sm-13" in [m.entry_id for m in d.set_aside]) is named
        if named:
            assert "同一段落" in engine._explain(SURVEY, a, d, None, None).rationale


def test_an_answer_to_a_question_about_secrecy_speaks_about_secrecy() -> None:
    """In a Q&A on 定密, the answers explain rules, whatever figures they cite; an interview record's
    answers to questions about facts are not so read."""
    qa = ("定密工作常见问题解答\n市保密局业务指导科\n一问：保密期限从什么时候开始计算？\n"
          "答：自标明的制发日起计算。不能标明制发日的，自书面通知之日起计算，10个工作日内报送。\n"
          "二问：不明确事项报哪里确定？\n答：报省级保密行政管理部门，保密行政管理部门应当在10个工作日内作出决定。\n")
    record = ("询问笔录\n问：你于3月5日几点到达仓库？\n答：凌晨2时，押运车辆3辆，经G15到北仓库。\n")
    engine = load_engine()
    a = engine.analyse(qa)
    answers = [sig.about for p, sig in zip(a.passages, a.signals) if "工作日" in p.text]
    assert answers and all(answers)
    b = engine.analyse(record)
    assert not any(sig.about for p, sig in zip(b.passages, b.signals) if "凌晨2时" in p.text)
    assert "unclear_matter" not in engine.suggest(qa).flags


def test_a_document_that_states_its_content_is_no_state_secret_is_not_overruled() -> None:
    """The originator's own statement (上述成果…不属于国家秘密) keeps a state secret from being suggested:
    the entries go to the reviewer instead; a question or a marked document states nothing."""
    engine = load_engine()
    body = ("南川市测绘院\n关于提供城北片区1:1000地形图数据的函\n市规划设计院：\n"
            "　　现向你院提供城北片区1:1000全要素数字线划图（含等高线、高程注记点）48幅，用于片区详细规划编制。\n"
            "　　{note}\n南川市测绘院\n2026年3月2日\n")
    plain = engine.suggest(body.format(note="数据仅用于本项目，不得转作他用。"))
    assert plain.level == "秘密"  # the contour lines of a large-scale map (sm-34)
    declared = engine.suggest(body.format(
        note="上述成果连续覆盖面积9.6平方千米，位于军事禁区以外，不属于国家秘密，使用单位应妥善保管。"))
    assert declared.level == "非密" and declared.marking == ""
    assert {"declared_not_secret", "higher_level_candidate", "needs_review"} <= set(declared.flags)
    asked = engine.suggest(body.format(note="上述成果是否属于国家秘密？请你院核实后答复。"))
    assert asked.level == "秘密" and "declared_not_secret" not in asked.flags
    marked = engine.suggest("秘密★10年\n" + body.format(note="上述成果不属于国家秘密。"))
    assert "declared_not_secret" not in marked.flags
    # the 附注 of a 公开 document is the issuer's determination too; a document with nothing to set aside
    # is not sent to review for saying so
    assert engine.suggest(EXAM_BEFORE).level == "机密"
    published = engine.suggest(EXAM_BEFORE + "（此件主动公开）\n")
    assert published.level == "非密" and {"declared_not_secret", "needs_review"} <= set(published.flags)
    notice = engine.suggest("南川市测绘院\n关于开展测绘法宣传日活动的通知\n各科室：\n　　8月29日在市民广场开展宣传活动。\n"
                            "南川市测绘院\n2026年8月20日\n（此件主动公开）\n")
    assert notice.level == "非密" and "declared_not_secret" not in notice.flags


def test_a_document_that_invites_the_press_is_a_public_notice() -> None:
    """A drill the press is invited to report (anywhere in the document) is public: its time and place are
    no 应急预案 detail; a note that the press is not to be received says nothing of the kind."""
    engine = load_engine()
    body = ("某市应急管理局\n关于开展2026年危险化学品泄漏事故应急演练的通知\n各有关单位：\n"
            "一、演练时间和地点\n2026年9月16日14时30分，在市化工园区东区液氯储罐区。\n"
            "二、有关要求\n{note}\n某市应急管理局\n2026年8月20日\n")
    invited = _section(body.format(note="演练将邀请新闻媒体进行现场报道。"))
    refused = _section(body.format(note="演练期间不邀请媒体采访，不对外发布信息。"))
    assert invited.press and invited.public_notice
    assert not refused.press
    a = engine.analyse(body.format(note="演练将邀请新闻媒体进行现场报道。"))
    where = next(p.section for p in a.passages if "液氯储罐区" in p.text)  # 一、: the invitation is under 二、
    assert "媒体" not in a.ctx.sections[where]
    sec = SectionState(a.ctx.sections[where], a.header, a.ctx.doc_state)
    assert sec.press and sec.public_notice
