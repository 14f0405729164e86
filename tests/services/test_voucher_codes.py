"""Voucher codes: enough randomness, no look-alikes, and a database copy alone gives no code."""

from __future__ import annotations

import math

import pytest
from cryptography.exceptions import InvalidTag
from flask import current_app
from sqlalchemy import text

from miniapp_api.services.voucher_codes import (
    ALPHABET,
    CODE_LENGTH,
    CodeKeys,
    lookup_hash,
    new_codes,
    normalized,
    printed,
    seal,
    unseal,
)
from models import db
from tests.factories import batch_codes, make_batch, make_unit


def test_codes_carry_at_least_80_bits_without_look_alike_characters():
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 80
    assert not set("01ILO") & set(ALPHABET)
    codes = new_codes(2_000)
    assert len(set(codes)) == 2_000
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in codes)


def test_every_character_of_the_alphabet_is_used():
    assert set("".join(new_codes(500))) == set(ALPHABET)


def test_a_code_is_printed_in_groups_of_four_and_read_back_however_typed():
    code = new_codes(1)[0]

    assert printed(code).split("-") == [code[i : i + 4] for i in range(0, 20, 4)]
    assert normalized(f"  {printed(code).lower()} ") == code
    assert normalized(" ".join(code)) == code
    assert normalized(code[:-1]) is None and normalized(code[:-1] + "O") is None


def test_a_sealed_code_opens_only_with_its_key_and_its_batch():
    keys = CodeKeys.from_secret("k" * 32)
    sealed = seal(keys, ["ABCDEFGHJKMNPQRSTUVW"], 7)

    assert unseal(keys, sealed, 7) == ["ABCDEFGHJKMNPQRSTUVW"]
    with pytest.raises(InvalidTag):
        unseal(keys, sealed, 8)
    with pytest.raises(InvalidTag):
        unseal(CodeKeys.from_secret("j" * 32), sealed, 7)


def test_the_lookup_hash_depends_on_the_key():
    code = new_codes(1)[0]

    assert lookup_hash(CodeKeys.from_secret("a" * 32), code) != lookup_hash(
        CodeKeys.from_secret("b" * 32), code
    )


def test_no_column_of_the_database_holds_a_code(client):
    batch = make_batch(make_unit(), quantity=5)
    codes = batch_codes(batch)

    rows = db.session.execute(text("SELECT * FROM vouchers")).all()
    dump = " ".join(str(value) for row in rows for value in row)

    assert len(rows) == 5
    for code in codes:
        assert code not in dump and printed(code) not in dump
        assert code[-4:] not in [row.code_tail for row in rows]
    assert current_app.config["VOUCHER_CODE_KEY"] not in dump
