"""Checking an application's form data against the item's form schema (申请表)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from onewindow.core.errors import ValidationFailed
from onewindow.core.identity import (
    IdentityError,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

MAX_TEXT = 2000


def _one(field: dict[str, Any], raw: Any) -> Any:
    kind = field.get("type", "text")
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "on", "yes", "是"}:
            return True
        if text in {"0", "false", "off", "no", "否"}:
            return False
        raise ValueError(_("请选择是或否。"))
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise ValueError(_("格式不正确。"))
    text = str(raw).strip()
    limit = int(field.get("max_length") or (MAX_TEXT if kind == "textarea" else 200))
    if len(text) > limit:
        raise ValueError(_("不能超过 %(n)d 个字。") % {"n": limit})
    if "\x00" in text:
        raise ValueError(_("格式不正确。"))
    if kind == "number":
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_("请输入数字。")) from exc
        if not value.is_finite():
            raise ValueError(_("请输入数字。"))
        return text
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError as exc:
            raise ValueError(_("请输入正确的日期（YYYY-MM-DD）。")) from exc
    if kind == "select":
        if text not in (field.get("choices") or []):
            raise ValueError(_("请从选项中选择。"))
        return text
    try:
        if kind == "id_number":
            return validate_id_number(text)
        if kind == "credit_code":
            return validate_credit_code(text)
        if kind == "phone":
            return validate_mobile(text)
    except IdentityError as exc:
        raise ValueError(str(exc)) from exc
    return text


def clean_form_data(schema: list[dict[str, Any]], data: Any, *, complete: bool) -> dict[str, Any]:
    """Values of the fields the schema defines (others dropped), each checked by its type.

    With ``complete`` every required field must be filled. Errors name each field.
    """
    if not isinstance(data, dict):
        raise ValidationFailed(_("申请表格式不正确。"), field_errors={"form": [_("应为对象。")]})
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in schema or []:
        if not isinstance(field, dict) or not field.get("name"):
            continue
        name = str(field["name"])
        raw = data.get(name)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if empty:
            if complete and field.get("required"):
                errors[f"form.{name}"] = [_("请填写“%(l)s”。") % {"l": field.get("label", name)}]
            continue
        try:
            clean[name] = _one(field, raw)
        except ValueError as exc:
            errors[f"form.{name}"] = [str(exc)]
    if errors:
        raise ValidationFailed(_("申请表有误，请检查标红的字段。"), field_errors=errors)
    return clean
