"""The standard 诚信经营倡议书 that a fresh registry starts with."""

from __future__ import annotations

from registry.pledges.models import PledgeVersion
from registry.pledges.versions import current_version, publish_version

DEFAULT_TITLE = "诚信经营倡议书"
DEFAULT_PREAMBLE = (
    "为营造安全放心的消费环境，维护消费者合法权益，本店自愿作出以下诚信经营承诺，"
    "接受消费者和社会各界监督。如有违反，愿意承担相应责任。"
)
DEFAULT_PREAMBLE_EN = (
    "To make shopping safe and trustworthy and to protect consumers' lawful rights, this shop "
    "voluntarily makes the following integrity commitments and accepts the supervision of "
    "consumers and the public. It accepts responsibility for any breach."
)
DEFAULT_CLAUSES = [
    {"kind": "counterfeit", "text": "不制假售假：不生产、不销售假冒伪劣商品，进货查验索证索票。",
     "text_en": "No counterfeits: we neither make nor sell fake or shoddy goods, and we check our suppliers' papers."},
    {"kind": "inferior", "text": "不以次充好：不以假充真、不以旧充新、不以不合格商品冒充合格商品。",
     "text_en": "No passing off: we never sell fakes as genuine, used as new, or substandard goods as sound."},
    {"kind": "false_advertising", "text": "不虚假宣传：如实介绍商品和服务，不作引人误解的宣传。",
     "text_en": "No false advertising: we describe goods and services truthfully and never mislead."},
    {"kind": "price_fraud", "text": "不价格欺诈：明码标价，不虚构原价，不在标价之外加价收费。",
     "text_en": "No price fraud: prices are marked clearly, no invented original prices, no hidden charges."},
    {"kind": "forced_sale", "text": "不强买强卖：尊重消费者自主选择权，不强制交易、不搭售。",
     "text_en": "No forced sales: we respect the consumer's free choice, never force a sale or tie products."},
    {"kind": "after_sales", "text": "依法履行退换货等售后义务，积极配合消费者协会和市场监管部门处理投诉。",
     "text_en": "We honour returns, exchanges and after-sales duties by law, and cooperate with the consumer "
                "association and market regulator in handling complaints."},
]


def publish_default_pledge() -> PledgeVersion:
    """Publish the standard text unless some version is already current."""
    return current_version() or publish_version(
        DEFAULT_TITLE, DEFAULT_PREAMBLE, DEFAULT_CLAUSES, preamble_en=DEFAULT_PREAMBLE_EN
    )
