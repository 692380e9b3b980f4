"""The official i'mport Swagger 2.0 spec as the conformance test reads it.

The spec lives outside the repository (``../shared/reference`` next to the
checkout, or wherever ``PAYDESK_OPENAPI_SPEC`` points), so it is read at test
time and the test skips when it is absent.  This module finds it, lists its
operations, and turns a success response into a JSON Schema for ``jsonschema``:

* ``$ref``/``allOf`` are kept (refs resolve against the converted definitions);
* the spec writes ``maxLength`` as strings ("32"): they become integers;
* a property the definition does not list as ``required`` may be null, because
  the real API returns fields irrelevant to a payment as null (reference §3),
  while ``required`` stays strict.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_ENV = "PAYDESK_OPENAPI_SPEC"
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "reference" / "iamport-v1.openapi.json"
METHODS = ("get", "post", "put", "delete", "patch")
_KEPT = ("type", "enum", "items", "properties", "required", "allOf", "additionalProperties")
_NUMERIC = ("maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems")
# Path parameter values for the walk where the spec gives no default.
PATH_VALUES = {
    "imp_uid": "imp_448280090638",
    "merchant_uid": "merchant_1448280088556",
    "customer_uid": "customer_1234",
    "payment_status": "paid",
    "tier_code": "XYZ",
    "card_standard_code": "361",
    "bank_standard_code": "004",
    "member_id": "memberID",
    "product_order_id": "2024010112345678",
}


def spec_path() -> Path:
    """``$PAYDESK_OPENAPI_SPEC`` if set, else ``<repo>/../shared/reference/...``."""
    override = os.environ.get(SPEC_ENV)
    return Path(override) if override else DEFAULT_SPEC


def load_spec() -> dict[str, Any] | None:
    """The parsed spec, or None when the file is absent."""
    path = spec_path()
    if not path.is_file():
        return None
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return spec


@dataclass(frozen=True, slots=True)
class SpecOperation:
    """One method + path of the spec with its documented response statuses."""

    method: str
    path: str
    statuses: frozenset[int]
    parameters: tuple[dict[str, Any], ...]
    responses: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def example_path(self) -> str:
        """The path with every ``{param}`` filled with a plausible value."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            declared = next(
                (p.get("default") for p in self.parameters if p.get("name") == name), None
            )
            return str(declared) if declared else PATH_VALUES.get(name, "x")

        return re.sub(r"\{([^}]+)\}", value, self.path)


def operations(spec: dict[str, Any]) -> Iterator[SpecOperation]:
    """Every operation of the spec, in document order."""
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                yield SpecOperation(
                    method=method.upper(),
                    path=path,
                    statuses=frozenset(int(code) for code in op.get("responses", {})),
                    parameters=tuple(op.get("parameters", [])),
                    responses=op.get("responses", {}),
                )


def convert(node: Any) -> Any:
    """A Swagger schema node as JSON Schema (see the module docstring)."""
    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": node["$ref"]}
    out: dict[str, Any] = {k: convert(node[k]) for k in _KEPT if k in node and k != "properties"}
    out.update({k: int(node[k]) for k in _NUMERIC if k in node})
    if "properties" in node:
        # A required name that is no property is a copy-paste slip of the spec
        # (PaymentPrepareAnnotation requires total/previous/next): it is dropped.
        required = [n for n in node.get("required", []) if n in node["properties"]]
        out["required"] = required
        if not required:
            del out["required"]
        out["properties"] = {
            name: convert(prop) if name in required else nullable(convert(prop))
            for name, prop in node["properties"].items()
        }
    return out


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _alternatives(schema: dict[str, Any]) -> dict[str, Any]:
    """``GET /subscribe/customers/{uid}`` documents its two answers as properties named
    after the response definitions; the body is one of them."""
    props = schema.get("properties", {})
    if (
        "$ref" not in schema
        and props
        and all(prop.get("$ref") == f"#/definitions/{name}" for name, prop in props.items())
    ):
        return {"anyOf": [{"$ref": prop["$ref"]} for prop in props.values()]}
    return schema


def response_schema(
    spec: dict[str, Any], op: SpecOperation, status: str = "200"
) -> dict[str, Any] | None:
    """A self-contained JSON Schema for ``op``'s ``status`` body, or None if undocumented."""
    schema = op.responses.get(status, {}).get("schema")
    if schema is None:
        return None
    root: dict[str, Any] = convert(_alternatives(schema))
    root["definitions"] = {name: convert(d) for name, d in spec["definitions"].items()}
    return root


def definition_ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/definitions/{name}"}
