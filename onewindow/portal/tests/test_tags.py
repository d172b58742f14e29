from __future__ import annotations

from onewindow.portal.templatetags.portal_tags import highlight, limit_text, visits_text


def test_highlight_escapes_then_marks_terms() -> None:
    marked = highlight("<b>健康证</b>办理", ["健康证"])
    assert marked == "&lt;b&gt;<mark>健康证</mark>&lt;/b&gt;办理"
    assert highlight("健康证明", ["健康", "健康证"]) == "<mark>健康证</mark>明"
    assert highlight("abc", []) == "abc"


def test_limit_and_visits_text() -> None:
    assert limit_text(0) == "即时办结"
    assert limit_text(5) == "5个工作日"
    assert limit_text(5, "自然日") == "5个自然日"
    assert limit_text(None) == "—"
    assert visits_text(0) == "零跑动"
    assert visits_text(1) == "1次"
