"""The OpenAPI 3.1 document of /api/v1, written as Python data.

Limits and enumerations come from the modules that enforce them (params, the models), so the document
cannot promise what the endpoints refuse. Every object is closed (additionalProperties: false): a field
added to a response without being documented here fails the schema tests, which is also how a stray
piece of personal data would be caught.
"""

from __future__ import annotations

from flask_babel import gettext as _

from registry.api import params
from registry.complaints.models import CHANNELS as COMPLAINT_CHANNELS, CLAUSE_KINDS
from registry.complaints.states import AGREED, FAILED, MEDIATED, STATUSES
from registry.consultations.models import CHANNELS
from registry.merchants.models import CATEGORIES
from registry.moderation.models import SANCTION_KINDS

API_VERSION = "1.0.0"


def _nullable(schema: dict) -> dict:
    nullable = dict(schema)
    nullable["type"] = [schema["type"], "null"]
    if "enum" in nullable:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


STRING = {"type": "string"}
INTEGER = {"type": "integer", "minimum": 0}
DATE = {"type": "string", "format": "date"}
URL = {"type": "string"}


def _object(properties: dict, description: str | None = None) -> dict:
    schema = {"type": "object", "additionalProperties": False, "required": list(properties),
              "properties": properties}
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _counts() -> dict:
    return {"type": "object", "additionalProperties": INTEGER}


def _acceptance() -> dict:
    """当日受理率 and acceptance time of a group of accepted complaints (reports.speed.summary)."""
    return _object({
        "accepted": INTEGER,
        "same_day": {**INTEGER, "description": _("收到当个工作日即受理的件数。")},
        "same_day_rate": {**_nullable({"type": "number", "minimum": 0, "maximum": 100}),
                          "description": _("当日受理率（%）。")},
        "median_working_days": {**_nullable({"type": "number", "minimum": 0}),
                                "description": _("受理用时中位数（工作日）。")},
    })


def _schemas() -> dict:
    public_standings = list(params.PUBLIC_STANDINGS)
    ACCEPTANCE = _acceptance()
    shop = {
        "code": {**STRING, "description": _("店铺的公开代码（二维码网址 /m/<code> 中的部分）。")},
        "name": STRING,
        "credit_code": {**STRING, "description": _("统一社会信用代码。")},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "category_label": STRING,
        "district": STRING,
        "township": STRING,
        "address": STRING,
        "standing": {"type": "string", "enum": public_standings,
                     "description": _("查询时刻的公示状态（与扫码页面一致）。")},
        "standing_label": STRING,
        "repaired_on": {**_nullable(DATE), "description": _("一项仍在公示的处理经信用修复提前结束的日期（最近一次）。")},
        "licence_verified_on": {**_nullable(DATE), "description": _(
            "签发单位核验营业执照（名称和统一社会信用代码与登记一致）的日期；尚未核验或已撤回时为 null。")},
        "checked": {**STRING, "description": _("诚信码代表什么的一句话说明（与扫码页面状态下方的一行相同）。")},
        "page_url": {**URL, "description": _("店铺的扫码页面。")},
        "api_url": URL,
    }
    clause = _object({"number": {"type": "integer", "minimum": 1}, "kind": STRING, "text": STRING,
                      "text_en": _nullable(STRING)})
    detail = dict(shop)
    detail.update({
        "standing_explanation": STRING,
        "standing_reason": {**_nullable(STRING), "description": _("警示、暂停、撤销或过期的公开原因。")},
        "standing_since": _nullable(DATE),
        "standing_until": {**_nullable(DATE), "description": _("有期限的暂停或警示公示的最后一天。")},
        "standing_until_rectified": {"type": "boolean", "description": _("暂停至整改完成为止。")},
        "pledge": {"oneOf": [_ref("Pledge"), {"type": "null"}]},
        "badge": {"oneOf": [_ref("Badge"), {"type": "null"}]},
        "sanctions": {"type": "array", "items": _ref("Sanction"),
                      "description": _("仍在公示的处理记录，最新的在前。")},
        "figures": _ref("Figures"),
        "complaints_url": URL,
    })
    return {
        "Shop": _object(shop, _("搜索结果中的一家店铺。")),
        "ShopDetail": _object(detail, _("扫码页面上的全部公开信息。")),
        "Pledge": _object({
            "title": STRING, "version": {"type": "integer", "minimum": 1}, "signed_on": DATE, "expires_on": DATE,
            "certificate_url": URL, "clauses": {"type": "array", "items": clause},
        }, _("店铺最近签署的倡议书。")),
        "Badge": _object({"serial": STRING, "issued_on": DATE}, _("店铺当前有效的诚信码。")),
        "Sanction": _object({
            "kind": {"type": "string", "enum": list(SANCTION_KINDS)},
            "kind_label": STRING,
            "clause": _nullable({"type": "string", "enum": list(CLAUSE_KINDS)}),
            "clause_label": _nullable(STRING),
            "reason": STRING,
            "starts_on": _nullable(DATE),
            "until": _nullable(DATE),
            "until_rectified": {"type": "boolean"},
            "ended_on": _nullable(DATE),
            "end_reason": _nullable({"type": "string", "enum": ["expired", "reinstated", "appeal_granted",
                                                                "repaired"]}),
            "repaired_on": _nullable(DATE),
            "in_force": {"type": "boolean"},
            "shop_statement": _nullable(STRING),
            "shop_statement_hidden_reason": _nullable(STRING),
        }, _("一条公开的处理记录（警示、暂停、撤销、恢复）。repaired_on：经信用修复提前结束的日期；shop_statement：店铺在这条记录旁发表的说明。")),
        "Figures": _object({
            "period_days": {"type": "integer", "const": 365},
            "accepted": INTEGER,
            "resolved": INTEGER,
            "concluded": INTEGER,
            "resolved_percent": _nullable({"type": "integer", "minimum": 0, "maximum": 100}),
            "median_reply_days": _nullable({"type": "number", "minimum": 0}),
            "by_clause": _counts(),
        }, _("近 12 个月被受理的投诉。concluded：其中已办结的件数；resolved_percent = resolved ÷ concluded，尚无办结时为 null。")),
        "Complaint": _object({
            "clause": {"type": "string", "enum": list(CLAUSE_KINDS)},
            "clause_label": STRING,
            "published_on": DATE,
            "status": {"type": "string", "enum": list(STATUSES)},
            "status_label": STRING,
            "outcome": _nullable({"type": "string", "enum": [AGREED, MEDIATED, FAILED]}),
            "outcome_label": _nullable(STRING),
            "summary": {**_nullable(STRING), "description": _("工作人员撰写的公开摘要（不含消费者个人信息）。")},
            "replies": {"type": "array", "items": _object({"date": DATE, "text": {**STRING, "description": _(
                "商家的公开回复；含个人信息的回复经工作人员审核后才公开，被隐藏的回复只给出隐藏原因。")}})},
        }, _("一件已受理、公开的投诉。")),
        "ComplaintList": _object({
            "shop": STRING,
            "limit": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": _ref("Complaint")},
        }),
        "Page": _object({
            "items": {"type": "array", "items": _ref("Shop")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": params.PER_PAGE_MAX},
            "total": {**INTEGER, "description": _("符合条件的店铺数；超过上限时为上限，total_capped 为 true。")},
            "total_capped": {"type": "boolean", "description": _(
                "为 true 时，符合条件的店铺多于 total：或超过计数上限，或是常见字词的长查询（不计总数，只说明还有下一页）。")},
            "pages": {"type": "integer", "minimum": 1, "description": _(
                "页数；total_capped 为 true 时只是已知存在的页数，是否还有下一页看 links.next。")},
            "links": _object({"self": URL, "prev": _nullable(URL), "next": _nullable(URL)}),
        }, _("一页搜索结果。")),
        "Statistics": _object({
            "period_start": DATE,
            "period_end": {**DATE, "description": _("不含当天。")},
            "district": _nullable(STRING),
            "consultations_total": INTEGER,
            "consultations_by_channel": _object({channel: INTEGER for channel in CHANNELS}),
            "complaints_received": INTEGER,
            "complaints_accepted": INTEGER,
            "complaints_refused": INTEGER,
            "complaints_mediated": INTEGER,
            "mediation_rate": {**_nullable({"type": "number", "minimum": 0}),
                               "description": _("调解成功率（%），同 resolution_rate；保留旧名供已有调用方使用，不是调处率。")},
            "complaints_handled": {**INTEGER, "description": _("调处：期内受理的投诉中已处理终结的件数。")},
            "handling_rate": {**_nullable({"type": "number", "minimum": 0, "maximum": 100}),
                              "description": _("调处率（%）= 调处 ÷ 受理。")},
            "resolution_rate": {**_nullable({"type": "number", "minimum": 0, "maximum": 100}),
                                "description": _("调解成功率（%）= 和解或调解成功 ÷ 期内办结。")},
            "receptions_total": {**INTEGER, "description": _("接待来信、来电、来访、咨询人次。")},
            "complaints_by_channel": _object({channel: INTEGER for channel in COMPLAINT_CHANNELS},
                                             _("收到投诉（按渠道：online 网上、phone 来电、letter 来信、visit 来访、network 网络）。")),
            "acceptance": ACCEPTANCE,
            "acceptance_by_channel": _object({channel: ACCEPTANCE for channel in COMPLAINT_CHANNELS}),
            "acceptance_by_township": {"type": "array", "items": {
                **ACCEPTANCE, "required": ["district", "township", *ACCEPTANCE["required"]],
                "properties": {"district": STRING, "township": STRING, **ACCEPTANCE["properties"]}}},
            "amount_recovered_yuan": {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$",
                                      "description": _("为消费者挽回的经济损失（元）。")},
            "complaints_by_clause": _counts(),
            "complaints_by_month": _counts(),
            "complaints_by_district": _counts(),
            "shops_signed": INTEGER,
            "shops_lapsed": INTEGER,
            "shops_warned": INTEGER,
            "shops_suspended": INTEGER,
            "shops_revoked": INTEGER,
            "median_days_to_accept": _nullable({"type": "number", "minimum": 0}),
            "median_days_to_close": _nullable({"type": "number", "minimum": 0}),
            "satisfaction_average": _nullable({"type": "number", "minimum": 1, "maximum": 5}),
            "satisfaction_responses": INTEGER,
        }, _("一个时期的统计数字。")),
        "Error": {
            "type": "object", "additionalProperties": False, "required": ["error"],
            "properties": {"error": {
                "type": "object", "additionalProperties": False, "required": ["status", "message"],
                "properties": {
                    "status": {"type": "integer"},
                    "code": {"type": "string", "description": _("invalid_parameter、not_found、rate_limited 等。")},
                    "message": _nullable(STRING),
                    "parameter": {**STRING, "description": _("出错的参数名。")},
                    "request_id": _nullable(STRING),
                },
            }},
        },
    }


def _text_parameter(name: str, limit: int, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", "maxLength": limit, "pattern": params.TEXT_PATTERN}}


def _parameters() -> dict:
    return {
        "lang": {"name": "lang", "in": "query", "required": False,
                 "description": _("回答的语言；不给时按 Accept-Language，默认中文。"),
                 "schema": {"type": "string", "enum": ["zh", "en"]}},
        "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False,
                        "description": _("上次收到的 ETag；内容未变时回答 304，不带正文。"),
                        "schema": {"type": "string"}},
        "code": {"name": "code", "in": "path", "required": True, "description": _("店铺的公开代码。"),
                 "schema": {"type": "string", "minLength": 1, "maxLength": 32}},
        "district": _text_parameter("district", params.DISTRICT_MAX, _("只看这个区县。")),
    }


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _json(schema_name: str, description: str, cached: bool = True) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": _ref(schema_name)}}}
    if cached:
        response["headers"] = {
            "ETag": {"description": _("正文的强校验值。"), "schema": {"type": "string"}},
            "Cache-Control": {"schema": {"type": "string"}},
        }
    return response


def _responses(schema_name: str, not_found: bool = False) -> dict:
    responses = {
        "200": _json(schema_name, _("成功。")),
        "304": {"description": _("与 If-None-Match 中的 ETag 相同，内容未变。")},
        "400": _json("Error", _("参数有误：error.parameter 指出是哪个参数，error.message 说明原因。"), cached=False),
        "429": _json("Error", _("请求太频繁。"), cached=False),
    }
    if not_found:
        responses["404"] = _json("Error", _("没有这个店铺代码（或店铺尚未公示）。"), cached=False)
    return responses


def _operation(operation_id: str, summary: str, schema_name: str, parameters: list, not_found: bool = False,
               description: str | None = None) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "tags": [_("公开数据")],
                 "parameters": [*parameters, _param("lang"), _param("IfNoneMatch")],
                 "responses": _responses(schema_name, not_found)}
    if description:
        operation["description"] = description
    return operation


def document() -> dict:
    """The whole OpenAPI document, in the current request's language."""
    search_parameters = [
        _text_parameter("q", params.QUERY_MAX, _("店名的一部分，或统一社会信用代码（完整或前 10 位以上）。")),
        _param("district"),
        {"name": "category", "in": "query", "required": False, "description": _("店铺类别。"),
         "schema": {"type": "string", "enum": list(CATEGORIES)}},
        {"name": "standing", "in": "query", "required": False,
         "description": _("登记的状态（每日更新）；结果中的 standing 是查询时刻的状态。"),
         "schema": {"type": "string", "enum": list(params.PUBLIC_STANDINGS)}},
        {"name": "page", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": params.PAGE_MAX, "default": 1}},
        {"name": "per_page", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": params.PER_PAGE_MAX,
                    "default": params.PER_PAGE_DEFAULT}},
    ]
    statistics_parameters = [
        {"name": "year", "in": "query", "required": False,
         "description": _("公历年份；不给 year、start、end 时为今年。"),
         "schema": {"type": "integer", "minimum": params.YEAR_MIN, "maximum": params.YEAR_MAX}},
        {"name": "start", "in": "query", "required": False, "description": _("时期的第一天（与 end 一起使用）。"),
         "schema": DATE},
        {"name": "end", "in": "query", "required": False,
         "description": _("时期结束的那一天，不计入（最多 %(days)d 天）。", days=params.PERIOD_MAX_DAYS),
         "schema": DATE},
        _param("district"),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("诚信码公开数据接口"),
            "version": API_VERSION,
            "description": _("只读、公开、无需登录。内容与店铺扫码页面一致，不含任何消费者个人信息。"
                             "每个回答带 ETag，可用 If-None-Match 询问是否有变化。"),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/shops": {"get": _operation("searchShops", _("搜索店铺"), "Page", search_parameters)},
            "/shops/{code}": {"get": _operation("getShop", _("店铺详情：状态与原因、承诺、处理记录、投诉数字"),
                                                "ShopDetail", [_param("code")], not_found=True)},
            "/shops/{code}/complaints": {"get": _operation(
                "listShopComplaints", _("店铺最近公开的投诉（最多 20 件）"), "ComplaintList", [_param("code")],
                not_found=True)},
            "/statistics": {"get": _operation("getStatistics", _("统计数字"), "Statistics", statistics_parameters)},
        },
        "components": {"schemas": _schemas(), "parameters": _parameters()},
    }
