"""The suite-wide guard (tests/secrets_guard.py) knows what it looks for: password hashes and
bearer tokens by their form, even once their rows are gone."""

from werkzeug.security import generate_password_hash

from tests.factories import admin_headers, employee_headers, make_admin, make_employee
from tests.secrets_guard import BEARER_TOKEN, PASSWORD_HASH, Secrets


def test_the_guard_knows_password_hashes_of_either_method_by_their_form():
    for method in ("scrypt", "pbkdf2:sha256:1000"):
        assert PASSWORD_HASH.search(f"login {generate_password_hash('秘密', method=method)}")


def test_the_guard_knows_both_kinds_of_token_by_their_form():
    admin_token = admin_headers(make_admin("platform_admin"))["Authorization"].split()[1]
    employee_token = employee_headers(make_employee())["Authorization"].split()[1]

    assert BEARER_TOKEN.search(f"token={admin_token}")
    assert BEARER_TOKEN.search(f"token={employee_token}")


def test_the_guard_finds_a_voucher_code_as_printed():
    secrets = Secrets(fixed={}, codes=["ABCDEFGHJKMNPQRSTUVW"])

    assert secrets.found_in("redeem abcd-efgh-jkmn-pqrs-tuvw") == "a voucher code"
    assert secrets.found_in("redeem ****-TUVW") is None
