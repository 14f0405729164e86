"""The unified social credit code (统一社会信用代码, GB 32100-2015), as DOMAIN.md gives it."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def normalise(code: str) -> str:
    """Trimmed and upper-cased, as the code is checked and stored."""
    return code.strip().upper()


def check_character(first17: str) -> str:
    total = sum(
        ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problems(code: str) -> list[str]:
    """What is wrong with a (normalised) code, in Chinese; empty when it is valid."""
    if len(code) != LENGTH:
        return [f"统一社会信用代码应为18位，实际为{len(code)}位"]
    bad = sorted({char for char in code if char not in ALPHABET})
    if bad:
        return [f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用I、O、S、V、Z）"]
    expected = check_character(code[:17])
    if code[17] != expected:
        return [f"统一社会信用代码校验位错误：第18位应为{expected}，实际为{code[17]}"]
    return []


def is_valid_credit_code(code: str) -> bool:
    return not credit_code_problems(normalise(code))
