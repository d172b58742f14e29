"""``{% joint_case_section case %}``: the case screen's joint-work section.

The case screen (``cases/staff_case.html``) loads this tag instead of its view importing the
joint app, so that ``cases`` never depends on ``joint`` (the app sits above it).
"""

from __future__ import annotations

from typing import Any

from django import template

from onewindow.joint.selectors import joint_for_case

register = template.Library()


@register.inclusion_tag("joint/_case_section.html", takes_context=True)
def joint_case_section(context: Any, case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"joint": joint_for_case(case, user), "request": request}
