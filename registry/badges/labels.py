"""Display words for the badges' offline proof (badges.offline problems), translated per request."""

from flask_babel import lazy_gettext as _l

from registry.badges import offline

OFFLINE_PROBLEM_LABELS = {
    offline.MALFORMED: _l("这不是一条完整的诚信码链接（应含 /m/、s= 和 v=），或签名部分已损坏。"),
    offline.FOREIGN_HOST: _l("链接指向的不是本平台的网址，可能是仿冒的二维码。"),
    offline.UNKNOWN_KEY: _l("签名所用的密钥不是本平台公布的任何一把密钥。"),
    offline.BAD_SIGNATURE: _l("签名与链接内容不符：店铺代码、编号或日期被改动过，或并非本平台签发。"),
    offline.OUTSIDE_VALIDITY: _l("签名密钥在所写的签发日期并未启用（可能是用已停用的密钥伪造的）。"),
}
