"""Template helpers of the site shell: current site, highlighting, limits."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def current_site(context: template.Context) -> Any:
    """The region chosen with the site switcher, or None (never fails the page)."""
    request = context.get("request")
    if request is None:
        return None
    try:
        from onewindow.catalog.views import current_site as _current_site

        return _current_site(request)
    except Exception:  # noqa: BLE001 - the header must render even when the database is down
        logger.warning("current site unavailable", exc_info=True)
        return None


@register.simple_tag
def site_path(region: Any) -> list[Any]:
    """市 ▸ 区县 ▸ 镇街 chain ending with ``region``."""
    if region is None:
        return []
    return [*region.ancestors(), region]


@register.filter
def highlight(text: str, terms: Sequence[str] | None) -> SafeString:
    """Escape ``text`` and wrap each occurrence of the search terms in <mark>."""
    escaped = escape(text or "")
    words = sorted({escape(t) for t in terms or () if t}, key=len, reverse=True)
    if not words:
        return mark_safe(escaped)  # noqa: S308 - escaped above
    pattern = re.compile("|".join(re.escape(w) for w in words))
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308


@register.filter
def limit_text(value: int | None, unit: str = "工作日") -> str:
    """"5个工作日" / "即时办结" for 0."""
    if value is None:
        return "—"
    if int(value) == 0:
        return gettext("即时办结")
    return gettext("%(n)s个%(unit)s") % {"n": value, "unit": gettext(unit)}


@register.filter
def visits_text(value: int | None) -> str:
    if value is None:
        return "—"
    if int(value) == 0:
        return gettext("零跑动")
    return ngettext("%(n)s次", "%(n)s次", int(value)) % {"n": value}
