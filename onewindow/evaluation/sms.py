"""Parsing an SMS reply to an evaluation invitation (短信评价).

The invitation says: reply 1 非常满意 · 2 满意 · 3 基本满意 · 4 不满意 · 5 非常不满意, optionally
followed by the 4-digit code of the invitation (when one phone has several) and a comment:
``"1"``, ``"４"``, ``"5 3821 等了两个小时"``, ``"不满意 材料被退回三次"``. Anything else is junk.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_COMMENT = 500

# Longest first: "非常不满意" must not be read as "不满意", nor "不满意" as "满意".
_WORDS = (("非常不满意", 5), ("非常满意", 1), ("基本满意", 3), ("不满意", 4), ("满意", 2))
_DIGIT = re.compile(r"^([1-5])(?![0-9])")
_CODE = re.compile(r"^[\s#,，.。、:：;；-]*(\d{4})(?![0-9])")
_SEP = re.compile(r"^[\s#,，.。、:：;；!！-]*")


@dataclass(frozen=True, slots=True)
class ParsedReply:
    level: int
    code: str
    comment: str


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def parse_reply(text: str) -> ParsedReply | None:
    """The level, code and comment of a reply; ``None`` when it is not an evaluation."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    # Control characters never belong in a reply.
    text = "".join(ch for ch in text if ch.isprintable() or ch in " \t")
    if not text or len(text) > 1000:
        return None
    level = 0
    m = _DIGIT.match(text)
    if m:
        level = int(m.group(1))
        rest = text[m.end():]
    else:
        for word, value in _WORDS:
            if text.startswith(word):
                level, rest = value, text[len(word):]
                break
        else:
            return None
    code = ""
    cm = _CODE.match(rest)
    if cm:
        code, rest = cm.group(1), rest[cm.end():]
    elif re.match(r"^(\d|[.,]\d)", rest):
        return None  # "12", "1.5": a number, not a level
    comment = _SEP.sub("", rest, count=1).strip()[:MAX_COMMENT]
    return ParsedReply(level=level, code=code, comment=comment)
