"""The catalogue's query arguments: the fast path agrees with the schema on every query."""

from __future__ import annotations

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from miniapp_api.schemas.catalog import ProductListArgs

NAMES = [
    "limit",
    "category",
    "cursor",
    "q",
    "county",
    "province",
    "priority_county",
    "selected",
    "min_price",
    "max_price",
    "sort",
    "page",  # not a parameter of the list
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "20",
            "100",
            "101",
            "-1",
            "+5",
            "2.5",
            "00",
            "٣",
            "true",
            "False",
            "on",
            "yes",
            "t",
            "maybe",
            "12.50",
            "12.505",
            " 3.00",
            "1e3",
            "default",
            "sales",
            "newest",
            "price_asc",
            "Price_asc",
            "米",
            "红心猕猴",
            "x" * 51,
            "x" * 513,
        ]
    ),  # fmt: skip
    st.text(max_size=8),
)
QUERIES = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=5)


@settings(max_examples=600, deadline=None)
@given(QUERIES)
def test_the_fast_path_loads_what_the_schema_loads_or_leaves_it_to_the_schema(pairs):
    args = MultiDict(pairs)
    schema = ProductListArgs()

    fast = schema.fast_load(args)

    try:
        loaded = schema.load({name: args.getlist(name)[0] for name in args})
    except ma.ValidationError:
        assert fast is None
    else:
        assert fast is None or fast == loaded


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=红心猕猴&sort=sales&limit=5",
        "category=3&county=环江毛南族自治县&priority_county=1&selected=false",
        "min_price=10.00&max_price=99.5&sort=price_desc&cursor=WyJwcmljZV9kZXNjIl0",
    ],
)
def test_a_plain_query_takes_the_fast_path(query):
    args = MultiDict([tuple(pair.split("=", 1)) for pair in query.split("&") if pair])

    assert ProductListArgs().fast_load(args) == ProductListArgs().load(args.to_dict())
