"""Request parameters as i'mport reads them.

The real server takes JSON or form bodies, PHP-style ``name[]`` arrays and
``a[b]`` nested keys in both bodies and query strings.  ``decode_pairs`` turns
such pairs into plain dicts and lists; ``Params`` reads typed values out of the
merged path/body/query mapping and raises ``ApiFault`` with an i'mport-style
message, never a framework's 422.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import ApiFault, Messages

__all__ = ["Amount", "Params", "custom_data_text", "decode_pairs", "normalize_amount"]

Amount = int | float
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def custom_data_text(value: Any) -> str | None:
    """``custom_data`` as i'mport stores it: text as given, anything else as a JSON string.

    The string is what the JS SDK sends (``JSON.stringify``): compact, no
    spaces after ``,`` or ``:``, non-ASCII kept (reference §3, §7.2).  A
    merchant comparing the stored text with its own serialisation sees the
    real platform's bytes.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_TRUE = {"true", "1", "yes", "on", "y"}
_FALSE = {"false", "0", "no", "off", "n", ""}


def _insert(root: dict[str, Any], key: str, value: str) -> None:
    match = _KEY.match(key)
    if not match:
        root[key] = value
        return
    head, rest = match.group(1), match.group(2)
    parts = [head, *re.findall(r"\[([^\[\]]*)\]", rest)]
    node: Any = root
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        nxt = None if last else parts[index + 1]
        if isinstance(node, list):
            if part == "":
                if last:
                    node.append(value)
                    return
                node.append([] if nxt == "" else {})
                node = node[-1]
                continue
            slot = int(part) if part.isdigit() else None
            if slot is None:
                return
            while len(node) <= slot:
                node.append({})
            if last:
                node[slot] = value
                return
            if not isinstance(node[slot], dict | list):
                node[slot] = [] if nxt == "" else {}
            node = node[slot]
            continue
        if last:
            if part in node and rest.endswith("[]"):
                node[part].append(value)
            else:
                node[part] = value
            return
        child = node.get(part)
        want_list = nxt == "" or (nxt is not None and nxt.isdigit())
        if not isinstance(child, dict | list):
            child = [] if want_list else {}
            node[part] = child
        node = child


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decode form/query pairs with bracket keys into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        if key.endswith("[]") and "[" not in key[:-2]:
            root.setdefault(key[:-2], [])
            if isinstance(root[key[:-2]], list):
                root[key[:-2]].append(value)
            continue
        _insert(root, key, value)
    return root


def normalize_amount(value: float) -> Amount:
    """Whole amounts stay ints (KRW); fractional ones (USD cents) stay floats."""
    return int(value) if float(value).is_integer() else float(value)


class Params:
    """Typed access to one request's parameters.

    ``bad_status`` is the HTTP status the operation uses for invalid input:
    400 where the official spec documents one, else 200 with a non-zero code.
    """

    def __init__(self, data: Mapping[str, Any], bad_status: int = 400) -> None:
        self.data = dict(data)
        self.bad_status = bad_status

    def fail(self, message: str, *, code: int = 1) -> ApiFault:
        return ApiFault(self.bad_status, message, code=code)

    def has(self, name: str) -> bool:
        value = self.data.get(name)
        return value is not None and value != ""

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def text(
        self,
        name: str,
        *,
        required: bool = False,
        max_len: int | None = None,
        choices: Iterable[str] | None = None,
        default: str | None = None,
    ) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(Messages.missing(name))
            return default
        if isinstance(value, bool | int | float):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if not isinstance(value, str):
            raise self.fail(Messages.invalid(name, "문자열이어야 합니다"))
        if max_len is not None and len(value) > max_len:
            raise self.fail(Messages.invalid(name, f"최대 {max_len}자"))
        if choices is not None:
            allowed = list(choices)
            if value not in allowed:
                raise self.fail(Messages.invalid(name, " / ".join(allowed)))
        return value

    def need_text(self, name: str, **kwargs: Any) -> str:
        value = self.text(name, required=True, **kwargs)
        assert value is not None
        return value

    def _number(self, name: str, value: Any) -> float:
        if isinstance(value, bool):
            raise self.fail(Messages.invalid(name, "숫자여야 합니다"))
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise self.fail(Messages.invalid(name, "숫자여야 합니다")) from None
        else:
            raise self.fail(Messages.invalid(name, "숫자여야 합니다"))
        if math.isnan(number) or math.isinf(number):
            raise self.fail(Messages.invalid(name, "숫자여야 합니다"))
        return number

    def amount(self, name: str, *, required: bool = False, positive: bool = False) -> Amount | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(Messages.missing(name))
            return None
        number = self._number(name, value)
        if number < 0 or (positive and number == 0):
            raise self.fail(
                Messages.invalid(name, "0보다 커야 합니다" if positive else "음수 불가")
            )
        return normalize_amount(number)

    def need_amount(self, name: str, *, positive: bool = True) -> Amount:
        value = self.amount(name, required=True, positive=positive)
        assert value is not None
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(Messages.missing(name))
            return default
        number = self._number(name, value)
        if not number.is_integer():
            raise self.fail(Messages.invalid(name, "정수여야 합니다"))
        result = int(number)
        if minimum is not None and result < minimum:
            raise self.fail(Messages.invalid(name, f"{minimum} 이상"))
        if maximum is not None and result > maximum:
            raise self.fail(Messages.invalid(name, f"{maximum} 이하"))
        return result

    def need_integer(self, name: str, **kwargs: Any) -> int:
        value = self.integer(name, required=True, **kwargs)
        assert value is not None
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self.fail(Messages.invalid(name, "true / false"))

    def strings(self, name: str) -> list[str]:
        """A list given as ``name[]=..`` repeats, a JSON array, or one scalar."""
        value = self.data.get(name)
        if value is None:
            value = self.data.get(f"{name}[]")
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else [value]
        out: list[str] = []
        for item in items:
            if isinstance(item, dict | list):
                raise self.fail(Messages.invalid(name, "문자열 배열이어야 합니다"))
            out.append(str(item))
        return out

    def mapping(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(Messages.missing(name))
            return None
        if not isinstance(value, dict):
            raise self.fail(Messages.invalid(name, "객체여야 합니다"))
        return value

    def records(self, name: str, *, required: bool = False) -> list[dict[str, Any]]:
        """A list of objects (JSON array or ``name[0][field]`` form keys)."""
        value = self.data.get(name)
        if value is None or value == "" or value == []:
            if required:
                raise self.fail(Messages.missing(name))
            return []
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(Messages.invalid(name, "객체 배열이어야 합니다"))
        return value

    def nested(self, name: str, *, required: bool = False) -> Params:
        """Parameters of a nested object, sharing this request's error status."""
        return Params(self.mapping(name, required=required) or {}, self.bad_status)
