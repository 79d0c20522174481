"""A large invented catalog collection in the interchange format, for benchmarks (deterministic, seeded).

Every entry is one of the reference entries' shapes (``corpus/catalogs/reference.jsonl``: exam papers
before use, plans for incidents, unpublished figures, harm criteria, scales and precision, transport
and guard plans, internal matters…) with another sector's subjects put in, its qualifiers, heads,
level and period varied, under regulation titles of that sector (national, supplementary and
provincial). 41 sectors × 16 subjects × shared heads and qualifiers give thousands of distinct terms,
as a real collection of sector catalogs has, rather than copies of the same strings.

    python bench/gen_catalog.py --write big.jsonl [--entries 5000] [--seed 20240610]
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ENTRIES = 5000
DEFAULT_SEED = 20240610
NOTE = "基准测试生成目录（虚构，据参考目录条目{refs}改写），非真实规定"

# code | domain | work name in titles | issuer | sixteen subjects of that sector
_SECTORS = """
jt|交通运输|交通运输|交通运输部|国防交通保障,战备公路,重要桥梁,港口航道,水上搜救,危险货物运输,城市轨道交通,重点物资运输,国防交通工程设施,交通战备物资,公路运输保障,航运调度指挥,交通运输应急运力,海上交通管制,重点港口作业区,交通卫星定位数据
tl|铁路|铁路运输|国家铁路局|军事运输计划,军列开行,铁路枢纽,行车调度,特运列车,铁路桥隧,调度集中系统,重点物资专列,铁路通信信号,高速铁路运行图,铁路军事代表,机车车辆储备,铁路应急抢修,客运专线隧道,铁路货运计量,列车运行控制系统
mh|民航|民航安全|民航局|专机任务,要客航班,机场安保,空管雷达,航路航线,飞行数据,反劫机处置,适航审定,机场净空保护,空中交通管制预案,飞行训练计划,航空器搜寻救援,货运安检,机场油库,航空情报资料,民航应急处置
yz|邮政|邮政通信|国家邮政局|机要通信,邮件运输,邮件处理中心,寄递渠道,邮政网点,涉密载体寄递,实名收寄数据,安检设备,党报党刊发行,机要文件收寄,邮件安检查验,国际邮件互换局,邮政储汇,集包封发,寄递企业数据,快件分拨中心
qx|气象|气象|中国气象局|人工影响天气作业,气象探测站网,重大气象保障,天气雷达,卫星遥感资料,数值预报模式,军事气象保障,重要天气会商,高空探测资料,气象卫星接收站,雷达组网参数,航空气象保障,边境气象观测,气候可行性论证,人工增雨作业点,台风路径预报
dz|地震|防震减灾|中国地震局|地震监测台网,短临预测意见,地震趋势会商,前兆观测数据,核试验侦察台站,震情会商纪要,活动断层探测,地震应急,测震台站,强震动观测,地壳形变观测,地磁台站,震后趋势判定,地震预警系统,地下流体监测,地震烈度速报
hy|海洋|海洋|自然资源部海洋局|海岛海礁,领海基点,海底地形,海洋观测站,岛礁测量,专属经济区调查,海上维权执法,潮汐潮流资料,海洋调查船,海底电缆管道,海域使用权,深海勘探,海洋环境预报,海岸带调查,海洋灾害预警,无居民海岛
st|生态环境|生态环境保护|生态环境部|核与辐射安全监管,放射源,重点排污单位,环境应急,辐射环境监测,核设施选址,核应急,污染源普查,放射性废物处置,核技术利用单位,辐射事故应急,环境质量监测网,生态保护红线,危险废物转移,温室气体排放,环境执法检查
yj|应急管理|应急管理|应急管理部|危险化学品企业,重大危险源,安全生产执法,应急物资储备,救援力量部署,矿山救护,森林火灾扑救,灾情核查,尾矿库,化工园区,安全生产事故调查,应急指挥通信,防汛抗旱物资,地震救援队伍,航空救援力量,应急预案演练
ga|公安|公安|公安部|警卫任务,情报线索,技术侦察手段,特警力量部署,重大活动安保,出入境管控,反恐处置,网络侦控,警用装备,治安防控体系,刑事侦查案件,禁毒情报,边境管控,消防救援力量,交通管制方案,公共视频监控
sf|司法行政|司法行政|司法部|监狱布局,罪犯调遣,戒毒场所,特赦,刑罚执行,狱内侦查,司法鉴定数据,社区矫正,监狱警戒设施,服刑人员信息,法律援助案件,公证档案,仲裁案件,行政复议案件,人民调解,监所安全防范
sj|审计|审计|审计署|审计项目计划,审计发现问题线索,经济责任审计,审计报告征求意见稿,专项审计调查,审计证据,移送处理事项,金融审计,审计工作方案,审计数据分析模型,重大违纪违法问题线索,审计整改情况,政府投资审计,国有资产审计,审计组人员,审计结果公告
sw|税务|税收|国家税务总局|税收收入预测,重点税源企业,税务稽查案件,税收政策调整,发票防伪技术,金税系统,出口退税,税收分析,税收风险分析,大企业税收,国际税收情报交换,税务登记数据,反避税调查,税收征管系统,增值税发票数据,纳税评估
jr|金融|金融|中国人民银行|货币发行计划,人民币防伪技术,金银储备,外汇储备,利率调整,金融风险处置,反洗钱监测,支付清算系统,央行票据,存款准备金调整,金融机构监管评级,征信系统,国债发行,金融统计数据,现钞调运,黄金交易
ws|外事|外事|外交部|对外谈判,涉外工作,外宾接待,驻外机构,边界谈判,对外援助,涉外突发事件,领事保护,国事访问,外交照会,多边谈判立场,驻外使领馆安全,外交信使,涉外案件,外国元首接待,国际会议筹备
mz|民政|民政|民政部|行政区划调整,边界勘定,救灾款物,地名管理,社会救助数据,殡葬设施,婚姻登记数据,社会组织登记,行政区划代码,界桩管理,慈善募捐,低保对象信息,养老机构,流浪乞讨救助,儿童福利机构,区划地名数据
sb|商务|商务|商务部|对外贸易谈判,出口管制,战略物资进出口,外商投资安全审查,贸易救济调查,市场运行监测,重要商品储备,反倾销调查,进口配额,国际经贸磋商,境外投资项目,自由贸易区谈判,对外承包工程,商品进出口数据,两用物项出口,援外物资
gx|工业和信息化|工业和信息化|工业和信息化部|无线电频率规划,军工配套,通信网络保障,国防科技工业,关键元器件,电子政务网络,应急通信,信息安全测评,卫星通信频率,无线电监测站,工业控制系统安全,稀土生产总量,集成电路产能,工业互联网平台,军民两用技术,民爆器材
ny|能源|能源|国家能源局|石油储备,天然气管网,核电站,电网调度,煤炭储备,输油管道,能源安全预警,油气田产量,特高压输电,变电站,油气储备库,液化天然气接收站,炼化基地,电力调度数据网,核电机组,能源进口渠道
he|核工业|核工业|国家原子能机构|核材料,铀矿资源,核燃料循环,乏燃料运输,核设施实物保护,同位素生产,核技术研究,核事故应急,核潜艇动力,高浓铀,核军工设施,铀浓缩工厂,核燃料元件,放射性物品运输,核安保,核设施退役
ht|航天|航天科技|国家航天局|运载火箭,卫星发射,航天测控网,航天器轨道参数,航天发射场,在轨卫星,深空探测,遥感卫星载荷,载人航天,火箭发动机,卫星频轨资源,航天员训练,导航卫星星座,返回式卫星,着陆场,空间站
cb|船舶|船舶工业|国防科工局|舰船建造,船舶设计,造船基地,水下装备,舰船动力系统,试航试验,船坞设施,舰船配套,潜艇,航空母舰,船用雷达,声呐系统,鱼雷,舰载武器,船舶设计图纸,船舶总装厂
nc|农业农村|农业农村|农业农村部|重大动物疫情,种质资源,农作物种子储备,农产品产量预测,转基因品种,兽药残留监测,植物检疫,粮食播种面积,非洲猪瘟疫情,高致病性禽流感,耕地质量调查,农业转基因安全评价,粮食产量调查,农药登记试验,动物疫苗储备,渔船监控
lc|林业草原|林业和草原|国家林业和草原局|森林资源清查,珍稀野生动植物,林区防火,自然保护区,国有林场,草原监测,林木种苗基地,野生动物疫源疫病,国家公园,古树名木,天然林保护,湿地资源调查,森林病虫害,大熊猫保护,濒危物种进出口,林业碳汇
sl|水利|水利|水利部|大型水库,防洪调度,蓄滞洪区,水文监测,调水工程,堤防险工险段,抗旱水源,水利枢纽,水库大坝安全,防汛指挥调度,河道管理,水资源调度,城市防洪,水土保持监测,山洪灾害预警,重要江河洪水预报
zr|自然资源|自然资源|自然资源部|矿产资源储量,战略性矿产,国土空间规划,土地利用现状,地质灾害隐患点,基础地理信息,卫星遥感影像,地质勘查成果,稀土资源,页岩气勘查,海域矿产,耕地保护督察,卫星测绘,国土调查数据,不动产登记数据,重要矿山
js|住房城乡建设|住房和城乡建设|住房和城乡建设部|城市地下管网,人防工程,重要建筑结构,城市供水设施,燃气管网,城市总体规划,地铁线路,市政设施,城市应急避难场所,人防指挥所,高层建筑消防,城市燃气储配站,供热管网,城市排水防涝,重点工程设计图纸,建设工程招标
wl|文化和旅游|文化和旅游|文化和旅游部|馆藏珍贵文物,文物安全防范,文物出境展览,考古发掘,流失文物追索,重大文化活动,旅游安全,非物质文化遗产资料,国家一级文物,博物馆安防系统,文物进出境审核,水下考古,文物鉴定,重大演出活动,涉外文化交流,网络文化市场执法
wj|卫生健康|卫生健康|国家卫生健康委|传染病疫情,病原微生物实验室,医疗保健,卫生应急,血液储备,疫苗储备,突发公共卫生事件,疾病监测,传染病监测预警,医疗救治方案,重大疫情防控,援外医疗队,医用防护物资,卫生统计数据,保健对象,实验室生物安全
yp|药品监管|药品监督管理|国家药品监督管理局|药品检验数据,疫苗批签发,特殊药品,药品储备,医疗器械审评,麻醉精神药品,药品不良反应监测,药品稽查办案,国家药品储备,疫苗生产企业,药品注册审评,中药材资源,血液制品,放射性药品,药品抽检数据,医疗器械不良事件
sc|市场监管|市场监督管理|国家市场监督管理总局|价格调控,反垄断调查,重点商品价格,执法检查计划,计量基准,特种设备,食品安全抽检,企业信用数据,反不正当竞争调查,价格监测数据,产品质量抽查,重大执法案件,标准制定,认证认可,网络交易监管,广告监测
ty|体育|体育|国家体育总局|兴奋剂检测,运动队备战,国家队集训,大型赛事安保,体育彩票,运动员档案,赛事转播,反兴奋剂调查,奥运会备战,世界锦标赛参赛方案,运动员体能数据,兴奋剂样本,体育场馆安保,大型赛事开闭幕式,训练基地,战术分析
gd|广播电视|广播电视|国家广播电视总局|广播电视发射台,卫星传输,节目监管,应急广播,安全播出,无线覆盖,监测监管网络,境外卫星电视,卫星地球站,节目传输网络,应急广播系统,广播电视监测台,有线电视网络,重大活动转播,电视台技术系统,卫星频率资源
xw|新闻出版|新闻出版|国家新闻出版署|出版计划,重大选题,印刷企业,内部发行资料,出版物审读,非法出版物查处,著作权登记,涉外出版,重点出版物,教材出版,网络出版监管,出版物进口,印刷复制企业,出版统计,涉密出版物,图书审读
tj|退役军人事务|退役军人事务|退役军人事务部|转业干部安置,退役士兵安置计划,优抚对象,烈士褒扬,军休干部,部队移交人员,安置数据,双拥工作,退役军人档案,伤残军人,安置计划指标,退役军人就业,军人抚恤,军队离退休人员,光荣院,烈士陵园
pc|统计调查|统计调查|国家统计局|人口普查,经济普查,农业普查,住户调查,价格调查,统计执法,统计数据质量核查,统计分析预测,投入产出调查,劳动力调查,规模以上工业统计,国民经济核算,地区生产总值,居民消费价格,统计联网直报,普查对象资料
rs|人力资源社会保障|人力资源和社会保障|人力资源社会保障部|社会保险基金,工资调整,就业形势分析,职业技能鉴定,劳动保障监察,高层次人才引进,养老金调整,欠薪治理,公务员录用,人事调配,事业单位招聘,工资总额,社保基金投资,人才流动,表彰奖励,劳动争议仲裁
zy|职业教育|职业教育|教育部|职业院校招生,职业技能大赛,学业水平考试,招生计划,学籍数据,院校设置,对口招生,教材审定,高职扩招,中职学校,产教融合项目,技能等级认定,校企合作,职业教育统计,实训基地,专业设置
ch|测绘地理信息|测绘地理信息|自然资源部|航空摄影,卫星导航定位基准站,实景三维,地图审核,永久性测量标志,海洋测绘,高精度地图,基础测绘,大地测量,重力测量,地理国情监测,测绘成果保管,卫星影像处理,导航电子地图,地籍测绘,涉密测绘成果
da|档案|档案|国家档案局|馆藏档案,档案数字化,档案开放鉴定,涉密档案,档案抢救,档案移交进馆,专门档案,档案库房,档案馆安防,重要档案,档案目录数据,档案利用,档案信息系统,口述历史档案,档案修复,档案寄存
kj|科学技术|科学技术|科学技术部|重大科技专项,关键核心技术,科研项目评审,技术出口管制,高等级实验室,国家科技计划,重大科研基础设施,科技成果转化,国家重点实验室,科技保密项目,技术秘密,科技合作项目,科研仪器设备,国际科技合作,科技伦理审查,关键技术攻关
"""


@dataclass(frozen=True)
class Sector:
    code: str
    domain: str
    work: str
    issuer: str
    subjects: tuple[str, ...]


SECTORS = tuple(
    Sector(code, domain, work, issuer, tuple(subjects.split(",")))
    for code, domain, work, issuer, subjects in (line.split("|") for line in _SECTORS.strip().splitlines())
)

PROVINCES = ("北京市", "上海市", "天津市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
             "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "内蒙古自治区", "广西壮族自治区",
             "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区")
LEVELS = ("绝密", "机密", "秘密", "内部")
MAX_YEARS = {"绝密": 30, "机密": 20, "秘密": 10}
CN_NUM = "一二三四五六七八九十"

# shared wording, read off the reference entries
TIERS = {"全国": "绝密", "全国统一": "绝密", "省级": "机密", "省级统一": "机密", "地(市)级": "秘密", "设区的市级": "秘密", "县级": "秘密"}
BEFORE = ("在启用之前", "在启用前", "启用前", "在启封前", "在考试结束前", "在开考前", "在使用完毕前")
AFTER = ("在启用之后", "在考试结束后", "启用后")
EXAM_HEADS = ("试题(包括副题)", "试卷(包括备用卷)", "参考答案", "标准答案", "评分标准", "评分细则", "命题细目表",
              "答题卡", "试题样卷", "评分参考", "操作考核方案")
EXAM_KINDS = ("职业技能鉴定", "执业资格考试", "专业技术资格考试", "从业资格考试", "录用考试", "岗位技能考核",
              "业务知识竞赛", "准入考试")
UNPUBLISHED = ("尚未公布的", "未经公布的", "尚未正式公布的", "未公开发布的", "公布前的", "尚未对外公布的")
PLAN_HEADS = ("防范预案", "处置方案", "处理措施", "综合情况", "应急预案", "保障方案", "部署安排", "实施方案",
              "行动计划", "工作方案", "力量部署", "指挥程序")
DATA_HEADS = ("统计数据", "汇总数据", "分析材料", "分析报告", "监测数据", "基础数据", "台账", "名单", "清单",
              "调查资料", "研判报告", "分布数量")
SITE_HEADS = ("位置坐标", "布局", "分布情况", "平面图", "结构图", "设计参数", "技术参数", "防护措施", "保卫方案",
              "储存数量", "薄弱环节", "备用方案")
INCIDENTS = ("重大突发事件", "重大安全事故", "群体性事件", "遭受破坏", "恐怖袭击", "网络攻击", "重大险情",
             "罢工、游行等事件", "严重自然灾害")
SCOPES = ("全国性", "跨省(区、市)", "全国", "重点地区", "区域性", "省级以上", "")
QUALIFIERS = ("具体", "详细", "重要", "核心", "")
HARM = {
    "绝密": ("给国家安全和利益造成特别严重损害", "引起全国社会秩序或经济秩序混乱",
             "对国家安全、利益和领土主权及海洋权益造成特别严重威胁或者损害",
             "对国家整体防御能力造成特别严重威胁或者损害", "导致严重外交纠纷"),
    "机密": ("给国家安全和利益造成严重损害", "造成较大区域(一省或数省)内社会秩序和经济秩序混乱",
             "对国家重要设施、国家安全警卫目标造成严重威胁或者损害", "对社会稳定和民族团结造成严重损害",
             "使我国在处理有关问题时极为被动"),
    "秘密": ("给国家造成较大经济损失", "损害国家形象", "使保护国家秘密的措施可靠性降低或者失效",
             "对{work}核心技术水平、知识产权保护造成损害", "对社会稳定造成损害"),
}
SCALES = {"绝密": ("1:1万、1:5万", "1:5000、1:1万"), "机密": ("1:2.5万、1:5万、1:10万", "1:5万、1:10万", "1:10万、1:25万"),
          "秘密": ("1:25万、1:50万", "大于1:5千", "1:50万、1:100万")}
PRODUCTS = ("分布图", "平面布置图", "专题图", "影像资料", "数字化成果", "测量成果", "坐标成果", "图件", "三维模型")
PRECISION = {"绝密": ("±0.5米", "±1毫伽", "1厘米"), "机密": ("±1米", "±5毫伽", "10厘米"), "秘密": ("±5米", "±10米", "1米")}
TECH = {"绝密": "国际领先,并且对国防建设或者经济建设具有特别重大影响的", "机密": "处于国际先进水平,并且具有军事用途或者对经济建设具有重要影响的",
        "秘密": "处于国内领先水平,并且对{work}发展具有重要作用的"}
MOVES = ("批量运输", "集中转运", "跨区调运", "押运", "应急调拨")
INTERNAL_TAILS = ("问题", "事项", "人选", "意见", "方案")


@dataclass(frozen=True)
class Shape:
    """One shape of the reference entries: the ids it was read off and how to word it for a sector."""

    refs: str
    make: Callable[[random.Random, Sector], tuple[str, str]]  # → (text, level)
    conditions: tuple[str, ...] = ()  # period conditions that fit its wording


def _pick(rng: random.Random, items: tuple[str, ...], k: int = 1) -> list[str]:
    return rng.sample(items, min(k, len(items)))


def _join(parts: list[str]) -> str:
    """试题、参考答案和评分标准"""
    return parts[0] if len(parts) == 1 else "、".join(parts[:-1]) + "和" + parts[-1]


def _level(rng: random.Random, base: str, spread: float = 0.25) -> str:
    """The base level, one step up or down now and then (never into or out of 内部)."""
    if base == "内部" or rng.random() > spread:
        return base
    i = LEVELS.index(base) + rng.choice((-1, 1))
    return LEVELS[min(max(i, 0), 2)]


def _subject(rng: random.Random, s: Sector) -> str:
    return rng.choice(s.subjects)


def _subjects(rng: random.Random, s: Sector) -> str:
    """One subject, or two as entries often list them (A及B, A、B)."""
    if rng.random() < 0.65:
        return _subject(rng, s)
    a, b = rng.sample(s.subjects, 2)
    return f"{a}{rng.choice(('及', '、', '和'))}{b}"


def _exam(rng: random.Random, s: Sector) -> str:
    return rng.choice((s.domain, s.work, s.domain + "系统", s.domain + "行业")) + rng.choice(EXAM_KINDS)


def _exam_before(rng: random.Random, s: Sector) -> tuple[str, str]:
    tier = rng.choice(tuple(TIERS))
    heads = _pick(rng, EXAM_HEADS, rng.randint(1, 4))
    return f"{tier}{_exam(rng, s)}{rng.choice(BEFORE)}的{_join(heads)}", TIERS[tier]


def _exam_after(rng: random.Random, s: Sector) -> tuple[str, str]:
    tier = rng.choice(("全国、省级", "省级", "地(市)级以上", "全国"))
    return f"{tier}{_exam(rng, s)}{rng.choice(AFTER)}的{rng.choice(('评分标准', '评分细则', '评分参考'))}", "秘密"


def _exam_staff(rng: random.Random, s: Sector) -> tuple[str, str]:
    who = rng.choice(("参与人员", "命题人员", "审题专家", "阅卷人员"))
    return f"{rng.choice(('地(市)级以上', '省级以上', '全国'))}{_exam(rng, s)}命题工作及{who}的有关情况", "秘密"


def _unpublished(rng: random.Random, s: Sector) -> tuple[str, str]:
    heads = _pick(rng, DATA_HEADS, rng.randint(1, 3))
    return f"{rng.choice(UNPUBLISHED)}{_subjects(rng, s)}{_join(heads)}", _level(rng, "秘密")


def _adjustment(rng: random.Random, s: Sector) -> tuple[str, str]:
    plan = rng.choice(("中、长期发展规划", "五年规划", "年度计划", "专项规划", "改革方案"))
    what = rng.choice(("重大调整方案", "调整意见", "重大政策调整", "布局调整方案"))
    return f"{rng.choice(('全国', '全省', ''))}{s.work}{plan}中{rng.choice(UNPUBLISHED)}{what}", _level(rng, "机密")


def _incident(rng: random.Random, s: Sector) -> tuple[str, str]:
    heads = _pick(rng, PLAN_HEADS, rng.randint(2, 3))
    where = rng.choice(SCOPES) + rng.choice((_subject(rng, s), s.domain + "系统"))
    return f"{where}{rng.choice(INCIDENTS)}的{'、'.join(heads[:-1])}及{heads[-1]}", _level(rng, "机密")


def _sensitive(rng: random.Random, s: Sector) -> tuple[str, str]:
    about = rng.choice(("社会和" + s.domain + "系统稳定", "社会稳定", s.domain + "安全", "民族团结"))
    tail = rng.choice(("动态和反映", "动态、反映及处理意见", "情况通报", "内部分析"))
    return f"影响{about}的{_subject(rng, s)}重大敏感问题的{tail}", _level(rng, "机密")


def _guard(rng: random.Random, s: Sector) -> tuple[str, str]:
    what = rng.choice((_subject(rng, s), s.domain + "涉密载体", s.domain + "储备物资"))
    tail = rng.choice(("时间、路线和保卫方案", "时间、路线和押运力量", "计划、路线和安全措施"))
    return f"{rng.choice(MOVES)}{what}的{tail}", _level(rng, "机密")


def _site(rng: random.Random, s: Sector) -> tuple[str, str]:
    heads = _pick(rng, SITE_HEADS, rng.randint(2, 3))
    return f"{_subjects(rng, s)}的{rng.choice(QUALIFIERS)}{_join(heads)}", _level(rng, rng.choice(("机密", "秘密")))


def _know_how(rng: random.Random, s: Sector) -> tuple[str, str]:
    tail = rng.choice(("配方和工艺诀窍", "关键工艺和技术参数", "试验数据和技术诀窍", "核心算法和源代码"))
    return f"{_subject(rng, s)}工作的重大科研成果、发明创造以及试验、生产的{tail}", _level(rng, "秘密")


def _harm(rng: random.Random, s: Sector) -> tuple[str, str]:
    level = rng.choice(("绝密", "机密", "秘密"))
    harm = rng.choice(HARM[level]).format(work=s.work)
    obj = rng.choice((_subject(rng, s) + rng.choice(DATA_HEADS), s.domain + rng.choice(("统计数据", "资料", "信息")), ""))
    lead = rng.choice(("泄露后会", "公开或泄露会", "一旦泄露会"))
    return (f"{lead}{harm}的{obj}" if obj else f"{lead}{harm}的"), level


def _scale(rng: random.Random, s: Sector) -> tuple[str, str]:
    level = rng.choice(("绝密", "机密", "秘密"))
    product = rng.choice(PRODUCTS)
    if rng.random() < 0.5:
        text = f"{rng.choice(SCALES[level])}{_subject(rng, s)}{product}及其数字化成果"
    else:
        text = f"精度优于{rng.choice(PRECISION[level])}的{_subject(rng, s)}{product}"
    if rng.random() < 0.2:
        text = "涉及军事禁区的" + text
    return text, level


def _parameters(rng: random.Random, s: Sector) -> tuple[str, str]:
    what = rng.choice(("相互转换参数", "保密处理技术参数及算法", "加密算法和密钥管理方案", "核心参数及其推算方法"))
    return f"{_subject(rng, s)}{what}", _level(rng, "绝密")


def _technology(rng: random.Random, s: Sector) -> tuple[str, str]:
    level = rng.choice(("绝密", "机密", "秘密"))
    return f"{TECH[level].format(work=s.work)}{_subject(rng, s)}{rng.choice(('技术成果', '关键技术', '科研项目'))}", level


def _foreign(rng: random.Random, s: Sector) -> tuple[str, str]:
    return rng.choice((
        (f"对台{s.work}交流的内部政策及管理规定", "机密"),
        (f"参加国际组织和对外交往活动中,为维护国家主权和声誉的{s.domain}谈判策略", "机密"),
        (f"{s.domain}对外合作资料中涉及中外产权,泄露后于我不利的部分", "秘密"),
        (f"驻外机构从特殊渠道获取的驻在国{_subject(rng, s)}政策调整的分析、建议", "机密"),
    ))


def _special(rng: random.Random, s: Sector) -> tuple[str, str]:
    what = rng.choice(("特殊", "重点", "涉密", "专项"))
    return f"{_subjects(rng, s)}中{what}项目的{rng.choice(DATA_HEADS)}", _level(rng, "机密")


def _internal(rng: random.Random, s: Sector) -> tuple[str, str]:
    return rng.choice((
        f"正在研究、尚未做出结论的{_subject(rng, s)}{rng.choice(INTERNAL_TAILS)}",
        f"{s.work}工作中不宜公开的方针、政策和规定",
        f"{_subject(rng, s)}资料中涉及个人隐私的部分",
        f"未经公布的{_subject(rng, s)}{rng.choice(('工作统计数字', '内部评议情况', '考核排名'))}",
        f"{_exam(rng, s)}后不应公开的试题,不属于国家秘密,应作为内部事项管理,未经批准不得擅自公开",
    )), "内部"


SHAPES = (
    Shape("edu-01,edu-06,edu-14,hr-01,hr-03,edu-16,edu-18", _exam_before, ("启用前", "考试结束前", "启封前")),
    Shape("edu-15,edu-19", _exam_after),
    Shape("edu-13,hr-04", _exam_staff),
    Shape("hr-05,water-01", _unpublished, ("公布前",)),
    Shape("edu-07", _adjustment, ("公布前", "正式实施前")),
    Shape("edu-02,edu-05,edu-03", _incident, ("处置结束前",)),
    Shape("edu-04,edu-09", _sensitive),
    Shape("arch-02,arch-03", _guard, ("运输完毕前", "任务结束前")),
    Shape("arch-03,sm-05", _site),
    Shape("arch-04,arch-05", _know_how),
    Shape("stat-01,stat-03,stat-05,sm-22,sm-25,sm-29,sm-01,arch-01", _harm),
    Shape("sm-11,sm-17,sm-18,sm-35,geo-01,sm-16", _scale),
    Shape("sm-09,sm-12", _parameters),
    Shape("sci-01,sci-04", _technology),
    Shape("edu-10,edu-11,edu-12,arch-07", _foreign),
    Shape("edu-08,arch-06", _special),
    Shape("arch-08,arch-09,arch-10,arch-11,hr-06", _internal),
)
# how often each shape is drawn (internal matters and harm criteria are common in real catalogs)
WEIGHTS = (8, 2, 2, 6, 3, 8, 3, 4, 9, 4, 7, 6, 3, 4, 3, 5, 5)


def _period(rng: random.Random, level: str, conditions: tuple[str, ...]) -> str:
    if level == "内部":
        return ""
    r = rng.random()
    if r < 0.55:
        return ""
    if r < 0.72:
        return "长期"
    if r < 0.88 or not conditions:
        years = rng.choice([y for y in (5, 10, 15, 20, 30) if y <= MAX_YEARS[level]])
        return rng.choice(("≤", "不超过")) + f"{years}年"
    return rng.choice(conditions)


def _restyle(rng: random.Random, text: str) -> str:
    """Punctuation as printed catalogs vary it: full-width brackets, a closing ；or 。"""
    if rng.random() < 0.4:
        text = text.replace("(", "（").replace(")", "）")
    return text + rng.choice(("", "", ";", "；", "。"))


def _regulations(rng: random.Random, sector: Sector) -> list[tuple[str, str, str]]:
    """(title, issuer, year) of the sector's regulations: national first, then supplements and provinces."""
    national = rng.choice(("{w}工作中国家秘密及其密级具体范围的规定", "{w}工作国家秘密范围的规定", "{w}工作国家秘密目录"))
    out = [(national.format(w=sector.work), f"{sector.issuer}、国家保密局（虚构）", str(rng.randint(1995, 2012)))]
    out.append((f"{sector.work}工作中国家秘密及其密级具体范围的补充规定", f"{sector.issuer}、国家保密局（虚构）",
                str(rng.randint(2013, 2024))))
    for prov in rng.sample(PROVINCES, len(PROVINCES)):
        kind = rng.choice(("{p}{w}工作国家秘密范围实施细则", "{p}{w}系统保密事项范围", "{p}{w}工作保密事项一览表"))
        out.append((kind.format(p=prov, w=sector.work), f"{prov}{sector.domain}主管部门（虚构）", str(rng.randint(2010, 2024))))
    return out


def _item(title: str, level: str, n: int) -> str:
    """The article and item number as such a regulation prints it."""
    if "目录" in title or "一览表" in title:
        return f"目录第{n}项"
    if level == "内部":
        return f"第四条 {n}、"
    return f"第三条（{CN_NUM[LEVELS.index(level)]}）{n}."


def generate_catalog(entries: int = DEFAULT_ENTRIES, seed: int = DEFAULT_SEED) -> list[dict[str, object]]:
    """``entries`` invented entries in the interchange format: unique ids and texts, same output for the same seed."""
    rng = random.Random(seed)
    per_sector = -(-entries // len(SECTORS))
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for sector in SECTORS:
        regs = _regulations(rng, sector)
        want = min(per_sector, entries - len(out))
        rows: list[tuple[int, str, str, str, str]] = []  # regulation index, level, text, period, refs
        ends, total = [], 0  # regulations of 20–60 items: national ones fill first, provinces after
        for _ in regs:
            total += rng.randint(20, 60)
            ends.append(total)
        tries = 0
        while len(rows) < want:
            tries += 1
            if tries > 50 * want + 1000:
                raise ValueError(f"cannot word {want} distinct entries for {sector.domain}")
            shape = rng.choices(SHAPES, WEIGHTS)[0]
            text, level = shape.make(rng, sector)
            if text in seen:
                continue
            seen.add(text)
            reg = next(i for i, end in enumerate(ends) if len(rows) < end)
            rows.append((reg, level, _restyle(rng, text), _period(rng, level, shape.conditions), shape.refs))
        counters: dict[tuple[int, str], int] = {}
        for k, (reg, level, text, period, refs) in enumerate(sorted(rows, key=lambda r: (r[0], LEVELS.index(r[1])))):
            title, issuer, year = regs[reg]
            n = counters[(reg, level)] = counters.get((reg, level), 0) + 1
            out.append({
                "id": f"{sector.code}-{k + 1:04d}", "regulation": title, "issuer": issuer, "year": year,
                "domain": sector.domain, "item": _item(title, level, n), "text": text, "level": level,
                "period": period, "note": NOTE.format(refs=refs.split(",")[0] + "等"),
            })
    return out


def write_catalog(path: str | Path, entries: list[dict[str, object]]) -> Path:
    """Write entries as JSONL (UTF-8, one object a line)."""
    p = Path(path)
    p.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", required=True, metavar="FILE", help="where to write the catalog (JSONL)")
    ap.add_argument("--entries", type=int, default=DEFAULT_ENTRIES)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args()
    entries = generate_catalog(args.entries, args.seed)
    print(f"{write_catalog(args.write, entries)}: {len(entries)} entries")


if __name__ == "__main__":
    main()
