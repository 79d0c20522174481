"""Numeric thresholds an entry's own wording sets, and the figures a document gives.

Catalogs bound many matters by a quantity: “500千伏及以上变电站”, “涉案货值1亿元以上”, “电煤库存可用天数
低于7天”, “线路长度超过1000m”. The matter exists only where the figure meets the bound, so an entry's
thresholds are read from its text (any catalog, no hand lists) and checked against the figures with
the same unit in the passage's section. Quantities are brought to one base unit (万千瓦 → 千瓦,
亿元 → 元, 千米 → 米). Areas, precisions, resolutions and map scales have their own qualifiers.
"""

from __future__ import annotations

import re

# unit as written → (base unit, factor); longest first so 万千瓦 wins over 千瓦
_UNITS: dict[str, tuple[str, float]] = {
    "万千瓦": ("千瓦", 1e4), "千瓦": ("千瓦", 1.0), "兆瓦": ("千瓦", 1e3), "mw": ("千瓦", 1e3), "kw": ("千瓦", 1.0),
    "千伏": ("千伏", 1.0), "kv": ("千伏", 1.0),
    "人次": ("人次", 1.0), "人": ("人", 1.0), "名": ("人", 1.0),
    "亿元": ("元", 1e8), "万元": ("元", 1e4), "元": ("元", 1.0),
    "千克": ("千克", 1.0), "公斤": ("千克", 1.0), "kg": ("千克", 1.0), "万吨": ("千克", 1e7), "吨": ("千克", 1e3),
    "支": ("支", 1.0), "枚": ("枚", 1.0), "架": ("架", 1.0), "艘": ("艘", 1.0),
    "天": ("天", 1.0), "小时": ("小时", 1.0),
    "千米": ("米", 1e3), "公里": ("米", 1e3), "km": ("米", 1e3), "米": ("米", 1.0), "m": ("米", 1.0),
}
_UNIT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_NUMBER = r"(\d+(?:\.\d+)?)\s*([万亿])?\s*(" + _UNIT + r")(?![a-z])"
_MULTIPLIER = {"万": 1e4, "亿": 1e8, None: 1.0}
_AT_LEAST = re.compile(r"(?:达到或超过|不低于|不少于)\s*" + _NUMBER + r"|" + _NUMBER + r"\s*(?:及|或|和)?以上")
_ABOVE = re.compile(r"(?:超过|大于|高于|多于)\s*" + _NUMBER)
_BELOW = re.compile(r"(?:不足|低于|少于|小于)\s*" + _NUMBER)
_AT_MOST = re.compile(r"不超过\s*" + _NUMBER + r"|" + _NUMBER + r"\s*(?:及|或)?以下")
_FIGURE = re.compile(r"(?<![\d.:：])" + _NUMBER)

_COMPARE = {">=": float.__ge__, ">": float.__gt__, "<": float.__lt__, "<=": float.__le__}
Threshold = tuple[str, float, str]  # comparison (">=", ">", "<", "<="), value, base unit


def _quantity(number: str, multiplier: str | None, unit: str) -> tuple[float, str]:
    base, factor = _UNITS[unit.lower()]
    return float(number) * _MULTIPLIER[multiplier] * factor, base


def entry_thresholds(text: str) -> tuple[Threshold, ...]:
    """The bounds an entry's text sets on quantities (any one met is enough: they are alternatives)."""
    out: list[Threshold] = []
    for op, pattern in ((">=", _AT_LEAST), (">", _ABOVE), ("<", _BELOW), ("<=", _AT_MOST)):
        for m in pattern.finditer(text.lower()):
            g = m.groups()  # (number, multiplier, unit) once per alternative: take the one that matched
            number, mult, unit = next(g[i : i + 3] for i in range(0, len(g), 3) if g[i] is not None)
            out.append((op, *_quantity(number, mult, unit)))
    return tuple(sorted(set(out)))


def figures(norm: str) -> dict[str, list[float]]:
    """Quantities a (normalised) text gives, by base unit."""
    out: dict[str, list[float]] = {}
    for m in _FIGURE.finditer(norm):
        value, base = _quantity(*m.groups())
        out.setdefault(base, []).append(value)
    return out


def meets(thresholds: tuple[Threshold, ...], found: dict[str, list[float]]) -> bool | None:
    """True where a figure with a threshold's unit meets it, False where figures with those units are
    given and none does, None where the text gives no figure in those units."""
    relevant = [(op, v, u) for op, v, u in thresholds if found.get(u)]
    if not relevant:
        return None
    return any(_COMPARE[op](x, v) for op, v, u in relevant for x in found[u])
