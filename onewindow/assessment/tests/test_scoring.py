"""The scoring scheme's arithmetic without a database: weights, deductions, cut-offs, vetoes,
the cap on 优秀 (ties across the line), ranks with ties, red flags."""

from __future__ import annotations

from decimal import Decimal

from onewindow.assessment.models import Grade
from onewindow.assessment.scoring import (
    NOTE_CAP,
    NOTE_UNGRADED,
    NOTE_VETO_COMPLAINT,
    NOTE_VETO_RED,
    Figures,
    Scheme,
    assess,
    percent,
    score_of,
)

PERFECT = {"completed": 4, "on_time": 4, "on_spot": 4, "speed_cases": 4, "used_days": 0,
           "legal_days": 40, "rated": 10, "satisfied": 10}


def perfect(**over: int) -> Figures:
    return Figures(**{**PERFECT, **over})


def test_a_perfect_subject_scores_100_and_deductions_come_off():
    s = Scheme()
    assert score_of(perfect(), s, max_completed=4) == Decimal("100.00")
    f = perfect(bad_reviews=1, complaints_upheld=1, alerts=2, red_cards=1)
    assert score_of(f, s, max_completed=4) == Decimal("88.00")  # 100 − 2 − 5 − 2 − 3
    assert score_of(perfect(bad_reviews=60), s, max_completed=4) == Decimal("0.00")


def test_parts_that_cannot_be_measured_are_left_out_and_the_rest_scaled():
    s = Scheme()
    only_ratings = Figures(rated=4, satisfied=3, tickets_served=9)
    # satisfaction 3/4 is the only measured part with workload unmeasurable (max 0): 75.00
    assert score_of(only_ratings, s, max_completed=0) == Decimal("75.00")
    # with others completing cases, workload 0/5 counts: (30·3/4 + 15·0) / 45 · 100 = 50.00
    assert score_of(only_ratings, s, max_completed=5) == Decimal("50.00")
    assert score_of(Figures(tickets_served=30, complaints=2), s, max_completed=5) is None


def test_speedup_is_stored_as_is_but_scored_between_0_and_1():
    slow = perfect(used_days=60)  # 1 − 60/40 = −50 %
    assert percent(slow.speedup_ratio) == Decimal("-50.0")
    # 提速 scores 0: (30 + 10 + 0 + 30 + 15) = 85
    assert score_of(slow, Scheme(), max_completed=4) == Decimal("85.00")
    assert Figures(completed=2, on_time=2).speedup_ratio is None


def test_cut_offs_and_vetoes():
    s = Scheme()
    res = assess([("ok", perfect()), ("red", perfect(red_cards=1)),
                  ("complaint", perfect(complaints_upheld=1)),
                  ("both", perfect(red_cards=1, complaints_upheld=1)),
                  ("fail", perfect(satisfied=0, on_time=0, red_cards=1)),
                  ("none", Figures(complaints=1))], s)
    assert res["ok"].grade == Grade.EXCELLENT and res["ok"].note == ""
    assert (res["red"].score, res["red"].grade, res["red"].note) == (
        Decimal("97.00"), Grade.PASS, NOTE_VETO_RED)
    assert (res["complaint"].grade, res["complaint"].note) == (Grade.PASS, NOTE_VETO_COMPLAINT)
    assert res["both"].note == f"{NOTE_VETO_RED}；{NOTE_VETO_COMPLAINT}"
    # 100 − 30 − 30 − 3 = 37: already 不合格, the veto changes nothing and says nothing.
    assert (res["fail"].score, res["fail"].grade, res["fail"].note) == (
        Decimal("37.00"), Grade.FAIL, "")
    assert (res["none"].score, res["none"].rank, res["none"].grade, res["none"].note) == (
        None, None, Grade.NONE, NOTE_UNGRADED)
    off = Scheme(veto_red_card=False, veto_upheld_complaint=False)
    assert assess([("red", perfect(red_cards=1))], off)["red"].grade == Grade.EXCELLENT


def test_grade_boundaries_are_inclusive():
    s = Scheme(excellent_min=Decimal(90), good_min=Decimal(80), pass_min=Decimal(60))
    # Each bad review costs 2: 100 − 5·2 = 90 优秀, − 6·2 = 88 良好, 80, 60, 58.
    grades = {n: assess([("x", perfect(bad_reviews=n))], s)["x"].grade
              for n in (5, 6, 10, 11, 20, 21)}
    assert grades == {5: Grade.EXCELLENT, 6: Grade.GOOD, 10: Grade.GOOD, 11: Grade.PASS,
                      20: Grade.PASS, 21: Grade.FAIL}


def test_ranks_share_ties():
    res = assess([("a", perfect()), ("b", perfect(bad_reviews=1)), ("c", perfect(bad_reviews=1)),
                  ("d", perfect(bad_reviews=3))], Scheme())
    assert [res[k].rank for k in "abcd"] == [1, 2, 2, 4]


def test_cap_on_excellent_keeps_the_best_and_demotes_ties_across_the_line():
    s = Scheme(excellent_max_percent=40)  # 40 % of 5 = 2 may be 优秀
    subjects = [("a", perfect()), ("b", perfect(alerts=1)), ("c", perfect(alerts=1)),
                ("d", perfect(alerts=2)), ("e", perfect(bad_reviews=10))]
    res = assess(subjects, s)
    # a 100, b 99, c 99 (tied across the line: both demoted), d 98, e 80
    assert [res[k].grade for k in "abcde"] == [Grade.EXCELLENT, Grade.GOOD, Grade.GOOD,
                                               Grade.GOOD, Grade.GOOD]
    assert res["b"].note == NOTE_CAP and res["a"].note == "" and res["e"].note == ""
    res = assess(subjects, Scheme(excellent_max_percent=60))  # 3 of 5
    assert [res[k].grade for k in "abcd"] == [Grade.EXCELLENT] * 3 + [Grade.GOOD]
    res = assess(subjects, Scheme(excellent_max_percent=0))
    assert all(r.grade != Grade.EXCELLENT for r in res.values())


def test_red_flags_go_to_the_best_excellent_windows_and_ties_share_them():
    s = Scheme(red_flag_count=2)
    subjects = [("a", perfect()), ("b", perfect(alerts=1)), ("c", perfect(alerts=1)),
                ("d", perfect(alerts=2)), ("vetoed", perfect(complaints_upheld=1))]
    res = assess(subjects, s, windows=True)
    assert {k for k, r in res.items() if r.red_flag} == {"a", "b", "c"}
    assert not res["vetoed"].red_flag  # 95 points but 合格
    assert not any(r.red_flag for r in assess(subjects, s).values())  # not windows
    assert not any(r.red_flag for r in
                   assess(subjects, Scheme(red_flag_count=0), windows=True).values())


def test_scheme_round_trips_through_its_stored_form():
    s = Scheme(w_on_time=Decimal("32.5"), w_workload=Decimal("12.5"), excellent_max_percent=20,
               veto_red_card=False)
    data = s.as_dict()
    assert data["w_on_time"] == "32.5" and data["excellent_max_percent"] == 20
    assert Scheme.from_dict(data) == s
