"""Mass assignment: on every operation of the OpenAPI document that takes a JSON body, a field
the body does not define is 422 `invalid_request` naming it, at the top and in every nested
object, whoever calls (API.md "Conventions")."""

from __future__ import annotations

import json
import re

import pytest

from tests.authz.world import ROLES, World, build_world

UNKNOWN = "is_superuser"


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _bodies(spec: dict, schema: dict) -> list[tuple[str, object]]:
    """(where, body) pairs: the unknown field at the top, and inside each nested object."""
    schema = _resolve(spec, schema)
    bodies: list[tuple[str, object]] = [("top", {UNKNOWN: True})]
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(spec, prop)
        if prop.get("readOnly"):
            continue
        if prop.get("type") == "object" or "properties" in prop:
            bodies.append((name, {name: {UNKNOWN: True}}))
        elif prop.get("type") == "array" and "properties" in _resolve(spec, prop.get("items", {})):
            bodies.append((f"{name}[0]", {name: [{UNKNOWN: True}]}))
    return bodies


def _json_operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation["requestBody"]["content"]["application/json"]["schema"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"post", "put", "patch", "delete"}
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def _filled(path: str, world: World) -> str:
    """Any id will do: the body is read before the object is looked up."""
    return re.sub(r"\{[^}]+\}", lambda m: world.my_order_no if "order_no" in m[0] else "1", path)


@pytest.fixture
def world(client, fake) -> World:
    return build_world(client, fake.state)


def test_the_document_has_json_bodies_to_check(client):
    assert len(_json_operations(client.get("/api/openapi.json").get_json())) >= 20


def test_unknown_body_fields_are_rejected_everywhere(client, world):
    spec = client.get("/api/openapi.json").get_json()
    failures = []
    for method, path, schema in _json_operations(spec):
        url = _filled(path, world)
        for where, body in _bodies(spec, schema):
            heard = 0
            for role in ROLES:
                response = client.open(url, method=method, json=body, headers=world.headers[role])
                if response.status_code in (401, 403):
                    continue  # not this role's operation
                heard += 1
                error = (response.get_json(silent=True) or {}).get("error", {})
                if response.status_code != 422 or UNKNOWN not in json.dumps(error.get("details")):
                    failures.append(f"{role} {method} {path} ({where}): {response.status_code}")
            if not heard:
                failures.append(f"{method} {path}: no role gets past authorization")

    assert not failures, "\n".join(failures)
