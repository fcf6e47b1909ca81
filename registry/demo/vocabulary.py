"""The demo's words: the city, the shops of each trade with the complaints that fit them, and the rule
every demo shop name keeps. Read by registry.demo (the data a reviewer sees) and, through bench/vocab.py,
by the benchmark's generator.

Shop names are whole names a shop would paint on its sign, never pieces glued together (that made
美好生活生活超市 and 家电家电). A chain's second shop takes its place in brackets, as chains do
(邻家优选超市（古荡店）), and a name that would repeat a word is not used (`repeated_word`).
"""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT = "西湖区"
TOWNSHIPS = ["北山街道", "西溪街道", "灵隐街道", "翠苑街道", "文新街道", "古荡街道", "转塘街道",
             "留下街道", "蒋村街道", "三墩镇", "双浦镇"]
# The streets of each of the demo district's townships, so an address never sits in the wrong place.
TOWNSHIP_STREETS = {
    "北山街道": ["北山路", "保俶路", "曙光路"],
    "西溪街道": ["文三路", "教工路", "学院路"],
    "灵隐街道": ["天目山路", "玉古路", "灵隐路"],
    "翠苑街道": ["古翠路", "文二路", "翠苑街"],
    "文新街道": ["文新路", "丰潭路", "莲花街"],
    "古荡街道": ["万塘路", "文一路", "古荡湾路"],
    "转塘街道": ["转塘直街", "之江路", "象山路"],
    "留下街道": ["留和路", "屏基路", "留下街"],
    "蒋村街道": ["紫金港路", "龙章路", "文一西路"],
    "三墩镇": ["振华路", "古墩路", "三墩路"],
    "双浦镇": ["袁浦路", "双灵路", "东江嘴路"],
}
STREETS = [street for streets in TOWNSHIP_STREETS.values() for street in streets]
# The demo city (杭州市): district → (GB/T 2260 division code, townships). Seeds the managed list for
# the demo (`demo_area_rows`) and the tests, and spreads the benchmark's shops (bench/vocab.py).
CITY_DISTRICTS: dict[str, tuple[str, list[str]]] = {
    "上城区": ("330102", ["湖滨街道", "清波街道", "小营街道", "南星街道", "紫阳街道", "望江街道", "四季青街道", "笕桥街道"]),
    "拱墅区": ("330105", ["米市巷街道", "湖墅街道", "小河街道", "和睦街道", "拱宸桥街道", "大关街道", "上塘街道", "祥符街道"]),
    "西湖区": ("330106", TOWNSHIPS),
    "滨江区": ("330108", ["西兴街道", "长河街道", "浦沿街道"]),
    "萧山区": ("330109", ["城厢街道", "北干街道", "蜀山街道", "新塘街道", "闻堰街道", "瓜沥镇", "义桥镇", "临浦镇"]),
    "余杭区": ("330110", ["五常街道", "闲林街道", "仓前街道", "余杭街道", "良渚街道", "瓶窑镇", "径山镇"]),
    "富阳区": ("330111", ["富春街道", "春江街道", "东洲街道", "银湖街道", "新登镇", "场口镇"]),
    "临安区": ("330112", ["锦城街道", "锦北街道", "玲珑街道", "青山湖街道", "於潜镇", "昌化镇"]),
    "临平区": ("330113", ["临平街道", "东湖街道", "南苑街道", "星桥街道", "乔司街道", "塘栖镇"]),
    "钱塘区": ("330114", ["白杨街道", "下沙街道", "河庄街道", "义蓬街道", "新湾街道"]),
    "桐庐县": ("330122", ["桐君街道", "城南街道", "富春江镇", "分水镇"]),
    "淳安县": ("330127", ["千岛湖镇", "文昌镇", "石林镇", "威坪镇"]),
    "建德市": ("330182", ["新安江街道", "洋溪街道", "更楼街道", "寿昌镇", "乾潭镇"]),
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建国", "小红"]


@dataclass(frozen=True)
class Trade:
    """One kind of shop: its category (merchants.models.CATEGORIES), the names such shops go by, and
    what their customers complain about: (clause kind, what happened in the consumer's words, amount in
    yuan, demands, the officer's public summary)."""

    category: str
    names: tuple[str, ...]
    complaints: tuple[tuple[str, str, int, tuple[str, ...], str], ...]


TRADES: dict[str, Trade] = {
    "supermarket": Trade("supermarket", (
        "美好生活超市", "邻家优选超市", "惠万家超市", "和顺便利店", "百家福超市", "佳佳乐超市", "新街坊便利店",
        "日日鲜超市", "金桥便利店", "万家和超市"), (
        ("price_fraud", "货架标价 12.8 元一斤的车厘子，结账时按 18.8 元收费，店员说价签没换。", 36, ("refund",), "车厘子结账价高于货架标价。"),
        ("price_fraud", "会员价商品结账时没有打折，小票上多收了 45 元。", 45, ("refund",), "会员价商品结账未按会员价计算。"),
        ("inferior", "买的两盒酸奶回家打开已经胀包变质，离保质期还有五天。", 24, ("refund", "apology"), "所购酸奶在保质期内胀包变质。"),
        ("false_advertising", "海报写着食用油“买一送一”，付款后说赠品已送完，只能换成优惠券。", 128, ("exchange", "apology"), "促销赠品未兑现，以优惠券替代。"),
    )),
    "catering": Trade("catering", (
        "老杭州面馆", "西溪人家菜馆", "湖畔小厨", "阿婆片儿川", "江南味道餐厅", "聚福楼饭店", "青禾小馆",
        "桂语茶餐厅", "张记馄饨店", "满口香快餐"), (
        ("inferior", "菜里吃出一根头发，服务员只说重做一份，不肯退这道菜的钱。", 58, ("refund", "apology"), "菜品中有异物，店家不同意退菜。"),
        ("inferior", "中午吃的凉拌菜有异味，下午肠胃不适去了医院，有就诊记录。", 260, ("refund", "compensation"), "就餐后身体不适，怀疑凉菜变质。"),
        ("price_fraud", "菜单上写的是时价，结账时一条鱼收了 268 元，点菜时没有告知价格。", 268, ("refund",), "时价菜品点菜时未告知价格。"),
        ("forced_sale", "结账时账单里多了每人 5 元的餐具费和 10 元的茶位费，事先没有说明。", 40, ("refund",), "结账时收取未事先告知的餐具费和茶位费。"),
    )),
    "fruit": Trade("food", (
        "鲜果时光水果店", "果然好水果店", "四季果园", "甜蜜蜜水果店", "果缤纷水果店"), (
        ("price_fraud", "称重时秤显示 2.6 斤，回家复称只有 2 斤，缺斤少两。", 32, ("refund", "apology"), "水果称重短缺。"),
        ("inferior", "买的一箱橙子上面一层是好的，下面一半已经烂了。", 79, ("exchange", "refund"), "整箱水果下层腐烂。"),
        ("false_advertising", "标着“赣南脐橙”，包装箱却印着别的产地。", 69, ("refund",), "水果产地标示与包装不符。"),
    )),
    "grocery": Trade("food", (
        "农家粮油店", "龙井茶叶店", "老字号南北货", "稻香食品店", "味香熟食店"), (
        ("counterfeit", "买的“明前龙井”经茶叶站检验是普通绿茶，价格却按明前茶收取。", 680, ("refund", "compensation"), "所购龙井茶经检验与标示等级不符。"),
        ("inferior", "散装大米里有很多碎米和砂粒，和店里的样品不一样。", 40, ("exchange",), "散装大米与样品不一致，杂质较多。"),
        ("inferior", "熟食店的酱鸭买回家发现已经发酸，店员说是我保存不当。", 56, ("refund",), "所购熟食变质，店家不予退换。"),
    )),
    "liquor": Trade("liquor", (
        "古越烟酒行", "醉江南酒行", "东方名酒行", "福满堂烟酒店", "金樽酒行"), (
        ("counterfeit", "买的两瓶白酒，回家查询防伪码显示不存在，怀疑是假酒。", 1980, ("refund", "compensation"), "所购白酒防伪码查询无记录，疑为假酒。"),
        ("counterfeit", "黄酒礼盒的瓶盖有二次封口痕迹，酒厂客服说这个批号没有生产过。", 398, ("refund", "compensation"), "黄酒礼盒疑经二次封口，厂家称无此批号。"),
        ("price_fraud", "店里标着“原价 1299 元，现价 699 元”，这款酒从来没有卖过 1299 元。", 699, ("refund",), "白酒标示的原价无成交记录，涉嫌虚构原价。"),
    )),
    "cosmetics": Trade("cosmetics", (
        "丽人化妆品店", "颜如玉美妆", "花间美妆店", "雅诗丽人化妆品", "素颜美妆"), (
        ("counterfeit", "买的进口面霜经品牌方鉴定为仿冒品，店家坚持说是正品。", 560, ("refund", "compensation"), "所购面霜经品牌方鉴定为仿冒品。"),
        ("false_advertising", "店员说这款精华“七天祛斑”，用完两瓶没有任何效果，不给退。", 398, ("refund",), "店员宣称精华液有祛斑功效，使用无效不予退货。"),
        ("forced_sale", "免费试妆后被要求必须买一套护肤品才能离开。", 299, ("refund", "apology"), "试妆后被要求购买护肤品。"),
    )),
    "clothing": Trade("clothing", (
        "衣之家服饰", "潮流前线服装店", "童趣童装店", "简约女装", "布衣坊服装店", "步步高鞋店"), (
        ("inferior", "买的羽绒服标注含绒量 90%，洗了一次就跑绒，里面是碎毛片。", 699, ("refund",), "羽绒服含绒量与标注不符。"),
        ("false_advertising", "宣传“全场五折”，结账时大部分衣服不参加活动。", 188, ("refund", "apology"), "全场五折宣传与实际不符。"),
        ("after_sales", "标签没拆、小票还在，三天内去退换，店员说特价商品一律不退不换。", 259, ("exchange",), "未拆标签的商品店家拒绝退换。"),
    )),
    "appliances": Trade("appliances", (
        "大众电器商行", "金星家电城", "惠民电器", "恒通电器行", "安居家电"), (
        ("inferior", "买的冰箱第三天就不制冷，商家说是人为损坏，拒绝换货。", 3299, ("exchange",), "新购冰箱三天后不制冷，店家拒绝换货。"),
        ("after_sales", "空调安装后上门维修三次还是漏水，要求换新，店家只肯再修。", 2599, ("exchange",), "空调多次维修仍漏水，消费者要求换新。"),
        ("false_advertising", "店里说洗衣机是一级能效，到家后看铭牌是三级能效。", 1899, ("refund",), "洗衣机能效等级与介绍不符。"),
    )),
    "hair": Trade("services", (
        "金剪刀美发", "名匠造型", "丝域理发店", "时尚前线美发"), (
        ("forced_sale", "理发后被要求必须办卡才能按标价结账，不办卡就多收 80 元。", 80, ("refund", "apology"), "理发后不办卡须加价结账。"),
        ("after_sales", "预付的美发卡，店铺换了老板后不认账，卡内余额 600 元无法使用。", 600, ("refund",), "美发店更换经营者后不认预付卡余额。"),
        ("price_fraud", "价目表上烫发 198 元，做完后说药水另收 200 元。", 200, ("refund",), "烫发在标价外另收药水费。"),
    )),
    "laundry": Trade("services", (
        "快洁洗衣店", "象王洗衣", "净衣坊干洗店", "白领洗衣店"), (
        ("after_sales", "送洗的羊绒大衣取回时缩水变形，店家只肯赔洗衣费。", 1200, ("compensation",), "送洗大衣缩水变形，赔偿金额有争议。"),
        ("after_sales", "预付的洗衣卡，门店关门后余额 300 元无法使用。", 300, ("refund",), "洗衣店关门，预付卡余额无法使用。"),
    )),
    "optical": Trade("services", (
        "明亮眼镜店", "视界眼镜", "清晰眼镜店", "精工眼镜"), (
        ("counterfeit", "配的“品牌镜片”拿去专柜验证，镜片上没有品牌的激光标记。", 880, ("refund", "compensation"), "所配镜片疑非所称品牌。"),
        ("inferior", "新配的眼镜度数和验光单不一致，戴了头晕，店家说需要适应。", 450, ("exchange",), "新配眼镜度数与验光单不符。"),
    )),
    "books": Trade("other", (
        "文华书店", "枫林晚书屋", "晓风书吧", "墨香书店"), (
        ("inferior", "买的教辅书有二十多页印刷错乱，店里说只能换同一批次的。", 68, ("exchange", "refund"), "图书印刷错乱，店家只同意换同批次。"),
        ("price_fraud", "书上印的定价 45 元，收银按 58 元收费。", 13, ("refund",), "图书结账价高于定价。"),
    )),
    "pharmacy": Trade("other", (
        "百草堂药房", "福寿大药房", "康宁药店", "仁心药房"), (
        ("inferior", "买的感冒药回家发现已经过期两个月。", 36, ("refund", "apology"), "药店售出过期药品。"),
        ("false_advertising", "店员推荐的保健品说能“降血压”，包装上只写着保健食品。", 498, ("refund",), "店员宣称保健食品有治疗功效。"),
    )),
    "florist": Trade("other", (
        "花语花店", "花间小筑", "满庭芳花艺"), (
        ("false_advertising", "网上图片是 33 朵玫瑰，送到的只有 19 朵，还有几朵已经蔫了。", 299, ("refund",), "花束数量和品质与图片不符。"),
        ("after_sales", "预订的开业花篮晚送了四个小时，店家不肯退差价。", 388, ("refund",), "花篮延误送达，店家不退差价。"),
    )),
}
# The trades of each category, in the order the demo hands them out.
CATEGORY_TRADES: dict[str, tuple[str, ...]] = {}
for _code, _trade in TRADES.items():
    CATEGORY_TRADES[_trade.category] = CATEGORY_TRADES.get(_trade.category, ()) + (_code,)
# The promises a complaint about a shop of each category may say were broken (a restaurant's about its
# food or its bill, not about a washing machine).
CATEGORY_CLAUSES: dict[str, frozenset[str]] = {
    category: frozenset(kind for code in trades for kind, *_rest in TRADES[code].complaints)
    for category, trades in CATEGORY_TRADES.items()
}

# What the benchmark's generator (bench/generate.py) glues together for a province's worth of names: a
# prefix, then a suffix of the same category; none of a category's prefixes shares a word with its suffixes.
NAME_PARTS = {
    "supermarket": (["美好", "邻家", "惠万家", "和顺", "百家福", "佳佳乐"], ["超市", "便利店", "生活超市"]),
    "catering": (["老杭州", "西溪人家", "湖畔", "江南", "聚福", "青禾"], ["面馆", "餐厅", "小吃店", "饭店"]),
    "food": (["鲜果", "稻香", "农家", "龙井"], ["食品店", "水果店", "粮油店", "熟食店"]),
    "liquor": (["古越", "东方", "醉江南"], ["烟酒行", "酒行"]),
    "cosmetics": (["丽人", "颜如玉", "花间"], ["化妆品店", "美妆店"]),
    "clothing": (["衣之家", "潮流", "布衣坊", "童趣"], ["服饰", "服装店", "童装店"]),
    "appliances": (["大众", "金星", "恒通", "安居"], ["电器商行", "家电城", "电器行"]),
    "services": (["快洁", "金剪刀", "明亮", "安心"], ["洗衣店", "理发店", "眼镜店", "家政服务"]),
    "other": (["文华", "百草", "福寿"], ["书店", "药店", "花店"]),
}


def repeated_word(name: str) -> str | None:
    """The first run of two or more characters that appears twice in `name` without overlapping
    (生活 in 美好生活生活超市, 家电 in 家电家电), or None. Single characters may repeat (店 in
    联华超市（古荡店）): Chinese names repeat them naturally."""
    for start in range(len(name) - 1):
        word = name[start:start + 2]
        if name.find(word, start + 2) != -1:
            return word
    return None


def trade_of(name: str) -> str | None:
    """Which trade a demo shop's name belongs to (a branch's name without its bracket), or None."""
    base = name.split("（", 1)[0]
    return next((code for code, trade in TRADES.items() if base in trade.names), None)


def branch_name(base: str, township: str, street: str) -> str | None:
    """A chain's further shop, named after its township or street; None when that repeats a word."""
    for place in (township[:2], street.removesuffix("路").removesuffix("街")):
        name = f"{base}（{place}店）"
        if repeated_word(name) is None:
            return name
    return None
