"""Vocabulary for synthetic province-scale data: shop names from registry/demo/vocabulary.py, plus several districts.

The demo has one district (西湖区); the benchmark spreads shops over the districts of a whole city,
each with its own townships and the division code that goes into positions 3–8 of a credit code.
"""

from __future__ import annotations

from registry.demo import CITY_DISTRICTS, GIVEN, NAME_PARTS, STREETS, SURNAMES

# District → (GB/T 2260 division code, townships): the demo city's list (registry.demo seeds it).
DISTRICTS = CITY_DISTRICTS
# Share of the city's shops in each district (roughly by population: urban districts are bigger).
DISTRICT_WEIGHTS = {
    "上城区": 12, "拱墅区": 12, "西湖区": 11, "滨江区": 6, "萧山区": 16, "余杭区": 11, "富阳区": 6,
    "临安区": 5, "临平区": 7, "钱塘区": 6, "桐庐县": 3, "淳安县": 2, "建德市": 3,
}
EXTRA_STREETS = ["解放路", "延安路", "中山北路", "体育场路", "庆春路", "凤起路", "湖墅南路", "莫干山路",
                 "江南大道", "滨盛路", "市心路", "人民路", "文一路", "丰潭路", "学院路", "秋涛路"]
ALL_STREETS = STREETS + EXTRA_STREETS
# Common characters of Chinese shop names (字号), so names vary beyond the demo's chains.
LUCKY = "鑫源盛隆兴旺福祥瑞佳美华泰安康宏达丰顺和记一品优选百味千禧金银天地新"
BRANCH_STYLES = ("（{}店）", "（{}分店）", "·{}店")
SIGNER_TITLES = ("店主", "法定代表人", "店长", "经营者")
CATEGORY_SHARE = {"supermarket": 16, "catering": 30, "food": 14, "liquor": 5, "cosmetics": 5, "clothing": 10,
                  "appliances": 4, "services": 11, "other": 5}
CLAUSE_LABELS_ZH = {"counterfeit": "制假售假", "inferior": "以次充好", "false_advertising": "虚假宣传",
                    "price_fraud": "价格欺诈", "forced_sale": "强买强卖", "other": "其他（售后、服务等）"}
COMPLAINT_TEXTS = {
    "counterfeit": ["在店里买的{item}，回家查询防伪码显示不存在，怀疑是假货，要求退款。",
                    "购买的{item}经品牌方鉴定为仿冒品，店家坚称是正品。",
                    "买的{item}包装印刷模糊、没有中文标签，怀疑是假冒产品。"],
    "inferior": ["买的{item}用了两次就坏了，和宣传的质量完全不符。",
                 "{item}标注的成分和实际不一致，明显以次充好。",
                 "店里卖的{item}是临期产品，却按新品价格销售。"],
    "false_advertising": ["宣传“买一送一”，付款后说{item}赠品已送完，只能换成优惠券。",
                          "广告说{item}全场五折，结账时只有部分商品打折。",
                          "店门口写着“无效退款”，买了{item}没效果却不给退。"],
    "price_fraud": ["货架标价和结账价格不一致，{item}多收了钱，店员说标签没换。",
                    "{item}会员价结账没有打折，多收了费用。",
                    "明码标价的{item}，结账时另收包装费和服务费。"],
    "forced_sale": ["不办卡就不给按标价结账，{item}多收了费用。",
                    "店员强行推销{item}，不买就态度恶劣、不让离开。",
                    "消费后被要求必须购买{item}才能使用优惠。"],
    "other": ["预付的会员卡，店铺换了老板后不认账，{item}余额无法使用。",
              "{item}出现问题，商家拒绝履行三包义务。",
              "店里承诺七天无理由退货，退{item}时却被拒绝。"],
}
ITEMS = ["白酒", "奶粉", "羽绒服", "化妆品", "冰箱", "手机", "水果", "熟食", "保健品", "运动鞋", "眼镜", "理发套餐",
         "洗衣服务", "牛肉", "茶叶", "电动车电池", "空调", "玩具", "面膜", "大米"]
REPLIES = ["已收到投诉，经核实情况属实，向您致歉，同意全额退款。", "非常抱歉给您带来不便，已安排退货退款。",
           "经查系店员操作失误，已按标价退还差价并致歉。", "商品为正规渠道进货，可提供进货凭证，愿意协商解决。",
           "我们愿意为您更换新品，并赠送优惠券表示歉意。", "已联系供应商核实，同意退还一半费用。"]
MEDIATION_PLACES = ["消费者协会调解室", "电话调解", "市场监管所调解室"]

__all__ = ["ALL_STREETS", "BRANCH_STYLES", "CATEGORY_SHARE", "CLAUSE_LABELS_ZH", "COMPLAINT_TEXTS", "DISTRICTS",
           "DISTRICT_WEIGHTS", "GIVEN", "ITEMS", "LUCKY", "MEDIATION_PLACES", "NAME_PARTS", "REPLIES",
           "SIGNER_TITLES", "SURNAMES"]
