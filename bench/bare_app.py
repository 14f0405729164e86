"""The baseline: a bare Flask endpoint answering a fixed 20-item JSON list, no database."""

from flask import Flask, jsonify

ITEMS = [
    {
        "id": n,
        "title": f"环江高山香粳米{n}号",
        "category": {"id": 1, "name": "米面粮油"},
        "min_price": "59.90",
        "origin": {"province": "广西壮族自治区", "city": "河池市", "county": "环江毛南族自治县"},
        "priority_county": True,
        "selected": False,
        "image_url": f"https://img.example.com/{n}.jpg",
        "sales": n,
    }
    for n in range(20)
]


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/items")
    def items():
        return jsonify({"items": ITEMS, "next_cursor": None})

    return app
