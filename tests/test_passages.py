"""Passages: parts of pasted-together documents and GB/T 9704 elements that are never 密点."""

from dingmi.disclose import disclosure, is_formal, passage_signals
from dingmi.passages import split_passages
from dingmi.text import normalize

FIRST = (
    "东滨省教育考试院\n东考院〔2026〕12号\n关于做好2026年学业水平考试命题工作的通知\n各有关单位：\n"
    "一、命题安排\n数学科第15题答案为B，评分标准为每空3分。\n"
    "————————\n抄送：院领导。\n东滨省教育考试院办公室　　2026年4月22日印发\n"
)
SECOND = "安澜市教育局\n公告〔2026〕第8号\n安澜市教育局关于公开遴选命题教师的公告\n一、遴选条件\n具有中级以上职称。\n"


def _part_of(passages: list, needle: str) -> int:
    return next(p.part for p in passages if needle in p.text)


def test_document_after_the_imprint_line_is_a_part_of_its_own() -> None:
    passages = split_passages(normalize(FIRST + "\n" + SECOND))
    assert _part_of(passages, "第15题") == 0
    assert _part_of(passages, "具有中级以上职称") == 1


def test_text_without_a_new_title_stays_in_its_document() -> None:
    passages = split_passages(normalize(FIRST + "\n补充说明：上述安排如有变化另行通知。\n"))
    assert _part_of(passages, "补充说明") == 0


def test_a_document_after_a_form_without_a_closing_date_starts_at_its_number() -> None:
    """A form ends without a 落款 date; the next document's 发文字号 line (after body text) starts a new part,
    and its 发文机关 line above goes with it. A 版头 of several lines keeps its own number."""
    form = "控制点成果交接单\n点名\t等级\tX\tY\nBS15\t二等\t2866215.779\t38503911.548\n经办人：郝建军\n"
    passages = split_passages(normalize(form + "\n" + SECOND))
    assert _part_of(passages, "bs15") == 0  # normalised: lower case
    assert _part_of(passages, "安澜市教育局") == 1 and _part_of(passages, "公开遴选") == 1
    head = "000123\n机密★10年\n特急\n东滨省教育考试院文件\n东考院〔2026〕12号\n关于命题工作的通知\n各单位：\n第15题答案为B。\n"
    assert {p.part for p in split_passages(normalize(head))} == {0}


def test_a_title_with_a_bracketed_issue_note_starts_a_document_after_a_date() -> None:
    text = FIRST.replace("东滨省教育考试院办公室　　2026年4月22日印发", "2026年4月22日") + "统计简报（2026年第3期）\n全市经济运行平稳。\n"
    assert _part_of(split_passages(normalize(text)), "经济运行") == 1


def test_a_short_title_after_a_closing_date_starts_a_text_and_the_date_stays() -> None:
    """A news or web article pasted after a 落款 has a title with no 文种: a short line with no sentence opens
    it; the 落款 date stays with the document above, and a bracketed note or an 附件 line opens nothing."""
    closed = FIRST.replace("东滨省教育考试院办公室　　2026年4月22日印发", "2026年4月22日")
    passages = split_passages(normalize(closed + "\n稳中求进　素养导向——物理试题评析\n今年试卷难度适中。\n"))
    assert _part_of(passages, "稳中求进") == 1 and _part_of(passages, "难度适中") == 1
    assert _part_of(passages, "2026年4月22日") == 0
    for tail in ("（此件主动公开）\n今年试卷难度适中。\n", "附件：考点名单\n今年试卷难度适中。\n"):
        assert _part_of(split_passages(normalize(closed + "\n" + tail)), "难度适中") == 0, tail


def test_imprint_line_is_formal_and_never_discloses() -> None:
    line = normalize("东滨省教育考试院办公室　　2026年4月22日印发")
    assert is_formal(line)
    body = normalize("数学科第15题答案为B，评分标准为每空3分。")
    assert not is_formal(body)
    assert disclosure(passage_signals(body), False) > 0.3
    assert not is_formal(normalize("省政府办公厅，2026年4月22日印发"))  # a sentence, not the 版记


def test_the_closing_formula_of_a_document_is_formal() -> None:
    """结束语 (妥否，请批示 / 特此报告 / 此复) close the body; they never disclose anything."""
    for line in ("妥否，请批示。", "特此报告。", "此复。", "当否，请审批"):
        assert is_formal(normalize(line)), line
    assert not is_formal(normalize("妥否，请批示后于3月5日前将押运路线报市局。"))


def test_references_are_not_concrete_content() -> None:
    """A page or article number and the date a text was issued say where something is written, not what."""
    for ref in ("（录自《人事考试法规汇编》第二版，第214页）", "档案工作中国家秘密及其密级具体范围的规定（1990年2月14日发布）"):
        assert passage_signals(normalize(ref)).concrete == 0.0, ref
    assert passage_signals(normalize("本批试卷共印制214份，分装12箱。")).concrete > 0.3
    assert passage_signals(normalize("依照第3条的规定处理。")).rule  # the article number still marks a rule


def test_middle_dot_page_numbers_are_not_text() -> None:
    from dingmi.textview import make_view

    view = make_view("第一段正文内容。\n·12·\n第二段正文内容。\n第三段正文内容。\n·13·\n第四段正文内容。")
    assert "12" not in view.text and "13" not in view.text and "第四段" in view.text


def test_people_named_with_their_role_are_concrete_content() -> None:
    named = passage_signals(normalize("语文学科由市实验中学高级教师孙丽萍、市第三中学高级教师王德明负责。"))
    assert named.content["name"] == 2 and named.concrete > 0.2
    assert passage_signals(normalize("请各位老师认真学习有关规定。")).content["name"] == 0


def test_a_line_cut_at_the_wrap_width_goes_on_even_where_the_next_looks_like_a_label() -> None:
    from dingmi.evaluate import reflow
    from dingmi.textview import make_view

    body = ("关于调整数学科试题的会议纪要\n各有关单位：\n"
            "经审定，数学科第十九题题干修改后相应的参考答案确定为：由已知得公差为3，故通项为3n-1，前n项和照此求出。\n"
            "其余科目的试卷按会议意见修改后定稿，请各命题组于四月三十日前完成清样校对工作并报送考试院。\n"
            "本纪要印发至各命题组组长和有关处室负责同志，请认真组织落实各项工作并做好保密管理工作。\n")
    wrapped = reflow(body)
    assert "参考答案\n确定为：" in wrapped  # the wrap falls right before a label-like fragment
    view = make_view(wrapped).text
    assert "参考答案确定为" in view.replace("\n", "") and "参考答案\n" not in view
    assert "\n各有关单位：" in view  # the salutation after the short title still starts its own line


def test_a_separator_rule_is_never_joined_to_the_imprint_line() -> None:
    """The 版记's rule line is layout: joined to the 印发 line it would hide where the document ends."""
    from dingmi.textview import make_view

    text = ("关于做好考试评卷工作的通知\n各区教育局：\n" + "现将评卷工作有关事项通知如下，请认真组织实施评卷工作\n" * 3
            + "\n" + "—" * 28 + "\n安澜市教育局办公室　　　　2026年7月3日印发\n\n临海市档案馆\n公告〔2026〕第3号\n")
    view = make_view(text).text
    assert "—\n" in view and "\n安澜市教育局办公室" in view
    passages = split_passages(normalize(view))
    assert _part_of(passages, "公告") == 1


def test_nothing_is_joined_after_the_imprint_line() -> None:
    """The 版记's 印发 line ends its document: in a hard-wrapped paste whose width it happens to match, the
    line after it (another document's 发文机关) still starts a line and a document of its own."""
    from dingmi.textview import make_view

    imprint = "陇西省自然资源厅办公室　　　　　　2026年5月14日印发"
    body = "".join(f"这是第{n}行的说明文字写在这里并且没有句号结尾还要再写几个字\n"[: len(imprint)] + "\n" for n in range(1, 6))
    text = "关于做好测绘成果管理工作的通知\n各市局：\n" + body + imprint + "\n澄港市公共资源交易中心\n测绘项目招标公告\n一、项目概况。\n"
    view = make_view(text).text
    assert imprint + "\n澄港市" in view
    assert _part_of(split_passages(normalize(view)), "澄港市") == 1


def test_a_label_after_a_line_longer_than_the_wrap_width_starts_its_own_line() -> None:
    """A line longer than the wrap width was not wrapped: the “说明：” after it is a line of its own."""
    from dingmi.textview import make_view

    wrapped = "".join(f"这是第{n}行的说明文字写在这里并且没有句号结尾\n" for n in range(1, 6))
    row = "46—50　B A C A D　　51—55　C D A B B　　56—60　A B C D A　　61—65　D C B A C"
    view = make_view(wrapped + row + "\n说明：书面表达部分按评分原则评定。\n").text
    assert "\n说明：" in view


def test_a_pdf_wrap_keeps_the_title_block_and_joins_cut_figures() -> None:
    """Wrapped at 23 characters, a document reads as it was written: the title, the 主送机关 line and the
    发文字号 stay lines of their own; a decimal (26.1万) or a number (070/3、0704) cut at the wrap goes on."""
    from dingmi.evaluate import reflow
    from dingmi.textview import make_view

    text = ("安澜市档案馆\n安档〔2026〕16号\n关于民国时期西部部族纠纷档案编研工作的通知\n省档案馆，西部各州（市）档案局：\n"
            "　　三、全年接待查档利用5.4万人次，提供档案26.1万卷次；其中网上查档1.8万人次，较上年增长一成。\n"
            "　　四、审校后的备用卷及标准答案已装入编号为0703、0704的密封袋，由专家组组长签封并当面移交。\n"
            "　　五、各单位要按照本通知要求认真组织实施，确保编研工作按期完成并及时报送有关情况和问题。\n")
    wrapped = reflow(text)
    assert "\n26.1万" in wrapped and "编号为0\n703" in wrapped  # the wraps this test is about
    original = [line.strip() for line in make_view(text).text.split("\n") if line.strip()]
    view = [line.strip() for line in make_view(wrapped).text.split("\n") if line.strip()]
    assert view == original


def test_a_title_above_an_addressee_opens_a_document_without_a_closing_date() -> None:
    """GB/T 9704: the 主送 line follows the title, so a title above one opens a document wherever it stands —
    a public text that ends without a 落款 date (a web page, an excerpt) can be followed by another; a lead-in
    ending in a colon is no addressee."""
    public = "测量标志保护须知\n一、永久性测量标志不得损毁。\n二、发现损坏请及时报告。\n"
    letter = "东滨省教育厅\n关于报送2026年统计资料的函\n教育部高等教育司：\n现将有关资料报送如下。\n"
    passages = split_passages(normalize(public + letter))
    assert _part_of(passages, "及时报告") == 0
    assert _part_of(passages, "东滨省教育厅") == 1 and _part_of(passages, "报送如下") == 1
    lead_in = public + "关于考点设置的说明\n现将有关事项说明如下：\n考点设在第一中学。\n"
    assert {p.part for p in split_passages(normalize(lead_in))} == {0}


def test_a_date_in_a_masthead_closes_nothing() -> None:
    """A 简报's masthead prints its date before any body text: that is no 落款, and the line after it does not
    open another text."""
    brief = "人事考试工作简报\n第12期\n东滨省人事考试院办公室编\n2026年6月30日\n本期要目\n全省考试工作平稳有序。\n"
    assert {p.part for p in split_passages(normalize(brief))} == {0}


def test_after_the_note_under_the_date_a_document_may_start_and_the_note_stays() -> None:
    """GB/T 9704 prints the 附注 （此件公开发布） under the 成文日期: the last line of its document, after which
    another may start — and the note, which declares its own document public, stays with it."""
    closed = "关于开展评估工作的通知\n各市局：\n请按要求开展评估。\n江岭省生态环境厅\n2026年3月12日\n（此件公开发布）\n"
    passages = split_passages(normalize(closed + "东澜省教育考试院\n2026年1月学业水平考试审题纪要\n试卷定于1月8日启用。\n"))
    assert _part_of(passages, "此件公开发布") == 0
    assert _part_of(passages, "东澜省教育考试院") == 1 and _part_of(passages, "启用") == 1


def test_an_organ_above_a_title_opens_a_document_after_body_text() -> None:
    """A 方案 or 纪要 has no 主送 line: an organ's name on a line of its own with a title under it still heads a
    document pasted after body text; a 落款 organ above its date does not."""
    public = "测量标志保护须知\n一、永久性测量标志不得损毁。\n二、发现损坏请及时报告。\n"
    plan = "南溪市交通运输综合行政执法支队\n全市超限超载车辆集中夜查行动方案\n一、行动时间\n5月8日22时至次日6时。\n"
    passages = split_passages(normalize(public + plan))
    assert _part_of(passages, "及时报告") == 0 and _part_of(passages, "南溪市") == 1 and _part_of(passages, "22时") == 1
    signed = public + "南溪市交通运输局\n2026年5月1日\n"
    assert {p.part for p in split_passages(normalize(signed))} == {0}


def test_a_document_number_repeated_as_a_page_header_is_dropped() -> None:
    """A PDF's running header may be the 发文字号: repeated on every page it is layout, not a new 版头; the
    number in the 版头 (above the title) stays."""
    from dingmi.textview import make_view

    pages = "".join(f"江环固〔2026〕19号\n第{n}页的正文写在这里。\n" for n in range(1, 5))
    view = make_view("江岭省生态环境厅文件\n江环固〔2026〕19号\n关于开展评估工作的通知\n各市局：\n" + pages).text
    assert view.count("江环固〔2026〕19号") == 1
    assert {p.part for p in split_passages(normalize(view))} == {0}


def test_a_web_article_ends_at_its_footer() -> None:
    """A government or news web page ends its article with 责任编辑：… and 【打印本页】【关闭窗口】: a document
    pasted after that footer opens at its title, and the footer stays with the article."""
    page = "测量标志保护须知\n一、永久性测量标志不得损毁。\n责任编辑：叶蓁\n【打印本页】【关闭窗口】\n"
    plan = "国家教育对外交流领导小组办公室\n出席国际教育合作组织大会代表团应对策略方案\n一、总体要求。\n"
    passages = split_passages(normalize(page + plan))
    assert _part_of(passages, "打印本页") == 0 and _part_of(passages, "国家教育") == 1
    inline = page.replace("责任编辑：叶蓁\n", "请责任编辑审核稿件。\n").replace("【打印本页】【关闭窗口】\n", "")
    assert {p.part for p in split_passages(normalize(inline + "附件说明\n一、总体要求。\n"))} == {0}
