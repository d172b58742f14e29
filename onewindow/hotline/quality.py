"""The robot's quality on its test set (robot_testset.json): top-1 / top-3 accuracy, refusals.

Used by the accuracy test and by bench/bench_robot.py. The seed articles can be indexed
without a database (:func:`seed_docs`), with the same fields the database path stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from onewindow.hotline.retrieval import CONFIDENCE_THRESHOLD, Doc, Hit, KnowledgeIndex, doc_fields

DATA = Path(__file__).resolve().parent / "data"
ARTICLES_JSON = DATA / "articles.json"
TESTSET_JSON = DATA / "robot_testset.json"
CATALOG_JSON = Path(__file__).resolve().parents[1] / "catalog" / "data" / "demo_catalog.json"
ORGS_JSON = Path(__file__).resolve().parents[1] / "regions" / "data" / "demo_organisations.json"


@cache
def seed_articles() -> list[dict[str, Any]]:
    return list(json.loads(ARTICLES_JSON.read_text(encoding="utf-8"))["articles"])


@cache
def testset() -> dict[str, Any]:
    return dict(json.loads(TESTSET_JSON.read_text(encoding="utf-8")))


@cache
def _basic_names() -> dict[str, str]:
    items = json.loads(CATALOG_JSON.read_text(encoding="utf-8"))["items"]
    return {i["basic_code"]: i["name"] for i in items}


@cache
def _department_names() -> dict[tuple[str, str], str]:
    orgs = json.loads(ORGS_JSON.read_text(encoding="utf-8"))
    return {(d["region_code"], d["code"]): d["name"] for d in orgs["departments"]}


def seed_extra(article: dict[str, Any]) -> str:
    """Related item names and department name of a seed article (the ``extra`` field)."""
    names = [_basic_names().get(c, "") for c in article.get("related_basic_codes", [])]
    dept = _department_names().get((article["region_code"], article["department_code"]), "")
    return " ".join([*names, dept]).strip()


def seed_docs() -> list[Doc]:
    docs = []
    for n, a in enumerate(seed_articles(), start=1):
        docs.append(Doc(
            id=n, key=a["key"], question=a["question"],
            fields=doc_fields(question=a["question"], phrasings=a["phrasings"],
                              keywords=a["keywords"], answer=a["answer"], extra=seed_extra(a)),
            gram_text="\n".join([a["question"], *a["phrasings"], a["keywords"]]),
            region_prefix="3799",
        ))
    return docs


@dataclass
class Report:
    questions: int = 0
    top1: int = 0
    top3: int = 0
    answered_wrong: list[tuple[str, str, str]] = field(default_factory=list)
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)
    out_of_scope: int = 0
    refused: int = 0
    false_answers: list[tuple[str, str, float]] = field(default_factory=list)
    low_confidence_correct: int = 0

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.questions if self.questions else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.questions if self.questions else 0.0

    @property
    def refusal_rate(self) -> float:
        return self.refused / self.out_of_scope if self.out_of_scope else 0.0

    def summary(self) -> str:
        return (
            f"questions {self.questions}: top-1 {self.top1_rate:.1%}, top-3 {self.top3_rate:.1%}"
            f" (answered below threshold though right: {self.low_confidence_correct}); "
            f"out of scope {self.out_of_scope}: refused {self.refusal_rate:.1%}"
        )


Searcher = Callable[[str], list[Hit]]


def evaluate(search: Searcher, *, threshold: float = CONFIDENCE_THRESHOLD) -> Report:
    """Run the test set through ``search`` (question -> best hits, best first)."""
    data = testset()
    report = Report()
    for row in data["questions"]:
        report.questions += 1
        hits = search(row["question"])
        keys = [h.doc.key for h in hits[:3]]
        if keys and keys[0] == row["expected"]:
            report.top1 += 1
            if hits[0].confidence < threshold:
                report.low_confidence_correct += 1
        elif keys:
            report.answered_wrong.append((row["question"], row["expected"], keys[0]))
        if row["expected"] in keys:
            report.top3 += 1
        else:
            report.misses.append((row["question"], row["expected"], keys))
    for question in data["out_of_scope"]:
        report.out_of_scope += 1
        hits = search(question)
        if not hits or hits[0].confidence < threshold:
            report.refused += 1
        else:
            report.false_answers.append((question, hits[0].doc.key, hits[0].confidence))
    return report


def evaluate_index(index: KnowledgeIndex) -> Report:
    return evaluate(lambda q: index.search(q, limit=3))
