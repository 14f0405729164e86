"""The unified social credit code check (GB 32100-2015, DOMAIN.md)."""

from hypothesis import given
from hypothesis import strategies as st

from models.credit_code import ALPHABET, check_character, credit_code_problems, normalise

first17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_the_example_from_domain_md_passes():
    assert credit_code_problems("91350100M000100Y43") == []


@given(first17)
def test_every_code_with_its_check_character_passes(body):
    assert credit_code_problems(body + check_character(body)) == []


@given(first17, st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET + "IOSVZ*a"))
def test_every_single_character_change_fails(body, position, replacement):
    code = body + check_character(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert credit_code_problems(changed) != []


def test_problems_name_length_character_and_check_character():
    assert "18位" in credit_code_problems("91350100M000100Y4")[0]
    assert "I" in credit_code_problems("91350100M000100YI3")[0]
    assert "第18位应为3" in credit_code_problems("91350100M000100Y44")[0]


def test_input_is_trimmed_and_upper_cased():
    assert normalise("  91350100m000100y43 ") == "91350100M000100Y43"
