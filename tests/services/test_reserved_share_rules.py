"""The arithmetic of shares and rates, and the remark rule, as plain functions."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.ratio import percent_to_hundredths, rate_of, share_of
from models.reserved_share import remark_problem


def test_three_million_at_twenty_percent_is_six_hundred_thousand():
    assert share_of(300_000_000, percent_to_hundredths("20")) == 60_000_000


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=10_000))
def test_the_share_is_the_exact_product_rounded_half_up_to_the_fen(total_fen, hundredths):
    exact = Decimal(total_fen) * Decimal(hundredths) / Decimal(10_000)
    assert share_of(total_fen, hundredths) == int(exact.quantize(Decimal(1), ROUND_HALF_UP))


@given(
    st.integers(min_value=-(10**12), max_value=10**15), st.integers(min_value=1, max_value=10**15)
)
def test_the_rate_is_the_exact_quotient_rounded_half_up_to_two_places(part, whole):
    exact = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert rate_of(part, whole) == f"{exact:.2f}".replace("-0.00", "0.00")


def test_there_is_no_rate_of_a_zero_share():
    assert rate_of(100, 0) is None


@pytest.mark.parametrize("text", ["20", "12.5", "12.50", "0.01", "100"])
def test_ratios_are_percent_with_at_most_two_decimals(text):
    assert percent_to_hundredths(text) == int(Decimal(text) * 100)


@pytest.mark.parametrize(
    ("remark", "accepted"),
    [
        ("无食堂", True),
        (" 无食堂 ", True),
        ("无饭堂", False),
        ("没有食堂", False),
        ("共用 XX 单位食堂".replace("XX", "某县人民医院"), True),
        ("共用某县人民医院单位食堂", True),
        ("共用某县人民医院食堂", True),
        ("共用\u3000某县人民医院\u3000单位食堂", True),
        ("共用 单位食堂", False),
        ("共用食堂", False),
        ("共用某县人民医院单位的食堂", True),
        ("与某县人民医院共用食堂", False),
    ],
)
def test_without_a_canteen_only_the_accepted_remarks_pass(remark, accepted):
    assert (remark_problem(False, remark) is None) is accepted


def test_with_a_canteen_the_remark_is_free_but_not_wu_shitang():
    assert remark_problem(True, "食堂外包给某公司") is None
    assert remark_problem(True, None) is None
    assert remark_problem(True, "无食堂") is not None
