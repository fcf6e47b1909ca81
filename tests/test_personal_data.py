"""registry/personal_data.py: every spelling of a mobile, landline, ID number, bank card, e-mail
address and licence plate is found where it is and masked; ordinary text about a complaint is not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.errors import DomainError
from registry.personal_data import (BANK_CARD, EMAIL, ID_NUMBER, LANDLINE, MOBILE, PLATE, find_personal_data,
                                    id_check_character, is_id_number, mask_personal_data, passes_luhn,
                                    refuse_personal_data)

quiet = settings(database=None, max_examples=150, deadline=None)
FULL_WIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")
# Words a complaint is written in, with none of the characters personal data is made of.
chinese = st.text(alphabet="商家顾客退款收银差价洗衣液的了是在我有他这中大来上个们到说", max_size=12)


def kinds(text: str) -> list[str]:
    return [finding.kind for finding in find_personal_data(text)]


def spaced(digits: str, style: int) -> str:
    """The ways people type a long number: plain, in groups of four, 3-4-4 with dashes, full-width."""
    if style == 1:
        return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))
    if style == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == 3:
        return digits.translate(FULL_WIDTH)
    return digits


mobiles = st.builds(lambda second, rest: "1" + second + rest, st.sampled_from("3456789"),
                    st.text("0123456789", min_size=9, max_size=9))


@quiet
@given(mobiles, st.integers(0, 3), st.sampled_from(["", "+86", "+86 ", "0086-", "86", "＋８６ "]), chinese, chinese)
def test_a_mobile_number_is_found_in_any_spelling(mobile, style, country, before, after):
    typed = country + spaced(mobile, style)
    text = f"{before}{typed}{after}"

    [finding] = find_personal_data(text)

    assert finding.kind == MOBILE
    assert finding.start == len(before) and text[finding.start:finding.end] == typed.rstrip()
    assert finding.masked == f"{mobile[:3]}****{mobile[-4:]}"
    masked = mask_personal_data(text)
    assert masked == f"{before}{finding.masked}{text[finding.end:]}"
    assert find_personal_data(masked) == []


@pytest.mark.parametrize("text", ["0571-87654321", "0571 8765432", "(0571)87654321", "（0571）87654321",
                                  "010-87654321", "021 6543 2109", "+86 571 8765 4321", "0086 10 87654321",
                                  "０５７１－８７６５４３２１"])
def test_landlines_are_found(text):
    assert kinds(f"请拨打{text}联系") == [LANDLINE]


ids17 = st.builds(lambda first, rest: first + rest, st.sampled_from("123456789"),
                  st.text("0123456789", min_size=16, max_size=16))


@quiet
@given(ids17, chinese, st.booleans())
def test_an_id_number_with_a_valid_check_digit_is_found_and_a_wrong_one_is_not_an_id(first17, before, lower):
    number = first17 + id_check_character(first17)
    typed = number.lower() if lower else number
    assert is_id_number(number)
    found = find_personal_data(f"{before}身份证{typed}")
    assert [f.kind for f in found] == [ID_NUMBER] and found[0].fragment == typed

    wrong = first17 + next(c for c in "0123456789X" if c != id_check_character(first17))
    assert ID_NUMBER not in kinds(f"{before}编号{wrong}")


def test_the_gb11643_check_character_of_a_known_number():
    assert id_check_character("11010519491231002") == "X"
    assert kinds("11010519491231002X") == [ID_NUMBER]
    assert kinds("110105 19491231 002X") == [ID_NUMBER]


def luhn_complete(body: str) -> str:
    for check in "0123456789":
        if passes_luhn(body + check):
            return body + check
    raise AssertionError


cards = st.builds(lambda first, rest: luhn_complete(first + rest), st.sampled_from("3456"),
                  st.integers(14, 17).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))


@quiet
@given(cards, st.integers(0, 3), chinese)
def test_a_bank_card_number_that_passes_luhn_is_found(card, style, before):
    text = f"{before}退到卡 {spaced(card, style)}"
    # An 18-digit number can pass both checks: it is personal data either way, reported as an ID.
    assert kinds(text) == [ID_NUMBER if is_id_number(card) else BANK_CARD]
    assert find_personal_data(mask_personal_data(text)) == []


def test_a_long_number_failing_luhn_is_not_a_card():
    assert not passes_luhn("6222021234567890127")
    assert kinds("单号 6222021234567890127") == []


@pytest.mark.parametrize("address", ["zhang.san@qq.com", "a_b-c+tag@mail.example.com.cn", "１２３@163.com"])
def test_email_addresses_are_found(address):
    [finding] = find_personal_data(f"联系邮箱：{address}。")
    assert finding.kind == EMAIL and "@" in finding.masked and finding.masked.count("*") == 3


@pytest.mark.parametrize("plate", ["浙A12345", "浙a12345", "粤B·3C5D7", "京AD12345", "沪A12345F", "苏E 88U21"])
def test_licence_plates_are_found_new_energy_too(plate):
    assert kinds(f"车牌{plate}的车停在门口") == [PLATE]


@pytest.mark.parametrize("text", [
    "TS20250930-0001 号投诉已受理", "2025-09-30 14:30 在西湖区调解", "货架标价 9.90 元，结账按 19.90 元收费",
    "统一社会信用代码 91330106MA2CDE1234", "退款 1000000 元", "第 3 条承诺", "新款A1手机", "浙江省杭州市",
    "订单号 20250930123456",
])
def test_ordinary_complaint_text_is_not_personal_data(text):
    assert find_personal_data(text) == []


def test_every_finding_is_reported_once_in_reading_order_with_its_place():
    text = "店员张三 13800138000，身份证11010519491231002X，邮箱 z@qq.com"
    found = find_personal_data(text)
    assert [f.kind for f in found] == [MOBILE, ID_NUMBER, EMAIL]
    assert [f.position for f in found] == [text.index("138") + 1, text.index("1101") + 1, text.index("z@") + 1]


def test_refusing_says_where_and_what_masked_never_the_data_itself():
    text = "消费者反映价格不符。联系人138-0013-5678"
    with pytest.raises(DomainError) as refused:
        refuse_personal_data(text, field="public_summary")
    message = refused.value.message
    assert refused.value.field == "public_summary"
    assert f"第 {text.index('138') + 1} 个字起的“138****5678”像是手机号" in message
    assert "0013" not in message
    refuse_personal_data("消费者反映价格不符，商家已退款。")  # nothing found: no refusal


@quiet
@given(st.text(max_size=60))
def test_masking_anything_leaves_nothing_to_find_and_keeps_the_rest(text):
    masked = mask_personal_data(text)
    assert find_personal_data(masked) == []
    if not find_personal_data(text):
        assert masked == text
