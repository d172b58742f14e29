"""Chinese retrieval: segmentation with government terms, synonyms, the index, its quality."""

from __future__ import annotations

import datetime as dt

from onewindow.hotline import quality, retrieval


def test_tokenize_keeps_government_terms_whole() -> None:
    tokens = retrieval.tokenize("住房公积金提取和居民身份证补领")
    assert "住房公积金" in tokens
    assert "居民身份证" in tokens
    assert "补领" in tokens


def test_tokenize_drops_question_words() -> None:
    tokens = retrieval.tokenize("请问我想知道怎么办理呢")
    assert "请问" not in tokens and "怎么" not in tokens and "呢" not in tokens


def test_synonyms_map_everyday_words_to_official_terms() -> None:
    q = retrieval.analyse("我的身份证丢了怎么办")
    assert {"居民身份证", "补领", "挂失"} <= set(q.terms)
    assert q.terms["补领"] < q.terms["身份证"]  # expansions weigh less than the asker's words
    assert "补领" in q.alternatives["丢"]


def test_synonym_rule_with_two_parts_needs_both() -> None:
    assert "住房公积金贷款" in retrieval.analyse("公积金能贷多少").terms
    assert "住房公积金贷款" not in retrieval.analyse("能贷多少").terms


def test_business_licence_words_reach_the_official_terms() -> None:
    q = retrieval.analyse("想开个小店要办执照吗")
    assert "个体工商户" in q.terms and "营业执照" in q.terms


def test_question_key_ignores_punctuation_and_width() -> None:
    assert retrieval.question_key("ＡＢ，  怎么办？") == retrieval.question_key("ab怎么办")


def _doc(i: int, key: str, question: str, **kw: object) -> retrieval.Doc:
    fields = retrieval.doc_fields(question=question, phrasings=[], keywords="", answer="",
                                  extra="")
    return retrieval.Doc(id=i, key=key, question=question, fields=fields, gram_text=question,
                         region_prefix="3799", **kw)  # type: ignore[arg-type]


def test_index_skips_articles_outside_their_validity_dates() -> None:
    day = dt.date(2026, 3, 1)
    index = retrieval.KnowledgeIndex.build([
        _doc(1, "old", "公积金提取", valid_to=dt.date(2026, 2, 1)),
        _doc(2, "future", "公积金提取办法", valid_from=dt.date(2026, 4, 1)),
        _doc(3, "now", "公积金提取的规定", valid_from=dt.date(2026, 1, 1)),
    ])
    assert [h.doc.key for h in index.search("公积金提取", on=day)] == ["now"]


def test_index_filters_by_region_prefixes() -> None:
    index = retrieval.KnowledgeIndex.build([
        retrieval.Doc(id=1, key="city", question="低保申请", fields=retrieval.doc_fields(
            question="低保申请", phrasings=[], keywords="", answer="", extra=""),
            gram_text="低保申请", region_prefix="3799"),
        retrieval.Doc(id=2, key="d2", question="低保申请条件", fields=retrieval.doc_fields(
            question="低保申请条件", phrasings=[], keywords="", answer="", extra=""),
            gram_text="低保申请条件", region_prefix="379903"),
    ])
    keys = [h.doc.key for h in index.search("低保", region_prefixes=["379902", "3799"])]
    assert keys == ["city"]


def test_unknown_words_give_no_confidence() -> None:
    index = retrieval.KnowledgeIndex.build(quality.seed_docs())
    hits = index.search("火星上有没有外星人")
    assert not hits or hits[0].confidence < retrieval.CONFIDENCE_THRESHOLD


def test_robot_accuracy_on_its_test_set(capsys: object) -> None:
    """Top-3 accuracy at least 90 % and out-of-scope questions refused at least 80 %."""
    data = quality.testset()
    assert len(data["questions"]) >= 200 and len(data["out_of_scope"]) >= 20
    assert len(quality.seed_articles()) >= 150
    keys = {a["key"] for a in quality.seed_articles()}
    assert {q["expected"] for q in data["questions"]} <= keys
    report = quality.evaluate_index(retrieval.KnowledgeIndex.build(quality.seed_docs()))
    print("\nrobot test set:", report.summary())  # noqa: T201 - the figures are the point
    assert report.top3_rate >= 0.90, report.misses
    assert report.refusal_rate >= 0.80, report.false_answers
    assert report.top1_rate >= 0.80, report.answered_wrong
