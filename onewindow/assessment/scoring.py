"""The scoring scheme turned into arithmetic. Pure: no database.

Score of one subject (a window, a department or a member of staff) for one month::

    parts    = [(w_on_time,      on_time / completed),
                (w_on_spot,      on_spot / completed),
                (w_speedup,      clamp(1 − used_days / legal_days, 0, 1)),
                (w_satisfaction, satisfied / rated),
                (w_workload,     completed / max completed of the same kind)]
    measured = the parts whose ratio exists (a denominator > 0) and whose weight > 0
    base     = Σ w·ratio over measured / Σ w over measured × 100
    deduct   = bad_reviews·per_bad_review + complaints_upheld·per_upheld_complaint
               + alerts·per_alert + red_cards·per_red_card
    score    = max(0, base − deduct), rounded half-up to 0.01

A subject with neither a completed case nor a counted rating is not graded (不评定): it has no
score, rank or grade. The weights add up to 100, so a subject that is perfect on every part it
can be measured on scores 100 before deductions, whatever it could not be measured on.

Grades on the rounded score: ≥ ``excellent_min`` 优秀, ≥ ``good_min`` 良好, ≥ ``pass_min`` 合格,
else 不合格. Then, in this order:

1. **Veto (一票否决):** with ``veto_red_card`` a subject with a red card that month, with
   ``veto_upheld_complaint`` one with a complaint found substantiated (投诉属实), is graded at
   most 合格.
2. **Cap on 优秀:** with ``excellent_max_percent`` = p, at most ⌊p·n/100⌋ of the n graded
   subjects of a kind stay 优秀 — the highest scores; a 优秀 whose score is reached by more
   subjects than the cap allows (ties across the line included) becomes 良好.
3. **Rank:** by score, highest first; equal scores share a rank (1, 2, 2, 4).
4. **Red-flag windows (红旗窗口):** the ``red_flag_count`` best windows graded 优秀 — a window is
   one when fewer than that many 优秀 windows scored strictly higher (ties share the flag).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import asdict, dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from onewindow.assessment.models import Grade

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
GRADE_ORDER = [Grade.FAIL, Grade.PASS, Grade.GOOD, Grade.EXCELLENT]

NOTE_UNGRADED = "无办结件和评价，不评定"
NOTE_VETO_RED = "红牌一票否决"
NOTE_VETO_COMPLAINT = "属实投诉一票否决"
NOTE_CAP = "优秀比例限制"


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Scheme:
    """The parameters of :class:`~onewindow.assessment.models.ScoringScheme` (defaults equal
    the model's), detached from the database so a run keeps the scheme it was computed with."""

    w_on_time: Decimal = Decimal(30)
    w_on_spot: Decimal = Decimal(10)
    w_speedup: Decimal = Decimal(15)
    w_satisfaction: Decimal = Decimal(30)
    w_workload: Decimal = Decimal(15)
    per_bad_review: Decimal = Decimal(2)
    per_upheld_complaint: Decimal = Decimal(5)
    per_alert: Decimal = Decimal(1)
    per_red_card: Decimal = Decimal(3)
    excellent_min: Decimal = Decimal(90)
    good_min: Decimal = Decimal(80)
    pass_min: Decimal = Decimal(60)
    excellent_max_percent: int | None = None
    red_flag_count: int = 3
    veto_red_card: bool = True
    veto_upheld_complaint: bool = True

    @classmethod
    def from_model(cls, model: Any) -> Scheme:
        return cls(**{f.name: getattr(model, f.name) for f in fields(cls)})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scheme:
        kw: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.type == "Decimal":
                value = _dec(value)
            kw[f.name] = value
        return cls(**kw)

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


@dataclass
class Figures:
    """The counts of one subject in one month (see :mod:`onewindow.assessment.services`)."""

    accepted: int = 0
    completed: int = 0
    on_time: int = 0
    on_spot: int = 0
    speed_cases: int = 0
    used_days: int = 0
    legal_days: int = 0
    tickets_served: int = 0
    rated: int = 0
    satisfied: int = 0
    bad_reviews: int = 0
    complaints: int = 0
    complaints_upheld: int = 0
    alerts: int = 0
    red_cards: int = 0

    def add(self, **counts: int) -> None:
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + int(value or 0))

    # Ratios (exact); None when there is nothing to measure.
    @property
    def on_time_ratio(self) -> Fraction | None:
        return Fraction(self.on_time, self.completed) if self.completed else None

    @property
    def on_spot_ratio(self) -> Fraction | None:
        return Fraction(self.on_spot, self.completed) if self.completed else None

    @property
    def speedup_ratio(self) -> Fraction | None:
        """提速率 = 1 − avg used days / avg legal days = 1 − Σ used / Σ legal (same cases)."""
        if not self.speed_cases or self.legal_days <= 0:
            return None
        return 1 - Fraction(max(self.used_days, 0), self.legal_days)

    @property
    def satisfaction_ratio(self) -> Fraction | None:
        return Fraction(self.satisfied, self.rated) if self.rated else None

    @property
    def avg_used_days(self) -> Fraction | None:
        return Fraction(max(self.used_days, 0), self.speed_cases) if self.speed_cases else None

    @property
    def avg_legal_days(self) -> Fraction | None:
        return Fraction(self.legal_days, self.speed_cases) if self.speed_cases else None

    @property
    def graded(self) -> bool:
        return self.completed > 0 or self.rated > 0


def percent(ratio: Fraction | None) -> Decimal | None:
    """A ratio as a percentage with one decimal, rounded half-up."""
    if ratio is None:
        return None
    return (Decimal(ratio.numerator) * 100 / Decimal(ratio.denominator)).quantize(
        TENTH, ROUND_HALF_UP)


def two_places(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, ROUND_HALF_UP)


def deduction_of(f: Figures, s: Scheme) -> Decimal:
    return (f.bad_reviews * s.per_bad_review + f.complaints_upheld * s.per_upheld_complaint
            + f.alerts * s.per_alert + f.red_cards * s.per_red_card)


def score_of(f: Figures, s: Scheme, *, max_completed: int) -> Decimal | None:
    """The score (0–100, two decimals), or None when the subject is not graded."""
    if not f.graded:
        return None
    speed = f.speedup_ratio
    parts: list[tuple[Decimal, Fraction | None]] = [
        (s.w_on_time, f.on_time_ratio),
        (s.w_on_spot, f.on_spot_ratio),
        (s.w_speedup, None if speed is None else min(max(speed, Fraction(0)), Fraction(1))),
        (s.w_satisfaction, f.satisfaction_ratio),
        (s.w_workload, Fraction(f.completed, max_completed) if max_completed else None),
    ]
    measured = [(Fraction(w), r) for w, r in parts if r is not None and w > 0]
    if not measured:
        return None
    weight = sum((w for w, _ in measured), Fraction(0))
    base = sum((w * r for w, r in measured), Fraction(0)) / weight * 100
    value = max(base - Fraction(deduction_of(f, s)), Fraction(0))
    return two_places(value)


def grade_for(score: Decimal, s: Scheme) -> Grade:
    if score >= s.excellent_min:
        return Grade.EXCELLENT
    if score >= s.good_min:
        return Grade.GOOD
    if score >= s.pass_min:
        return Grade.PASS
    return Grade.FAIL


@dataclass
class Result:
    score: Decimal | None
    deduction: Decimal
    grade: Grade = Grade.NONE
    notes: list[str] = field(default_factory=list)
    rank: int | None = None
    red_flag: bool = False

    @property
    def note(self) -> str:
        return "；".join(self.notes)


def assess(subjects: Iterable[tuple[Hashable, Figures]], s: Scheme, *,
           windows: bool = False) -> dict[Hashable, Result]:
    """Score, grade, rank (and for windows flag) the subjects of one kind."""
    items = list(subjects)
    max_completed = max((f.completed for _, f in items), default=0)
    out: dict[Hashable, Result] = {}
    for key, f in items:
        score = score_of(f, s, max_completed=max_completed)
        res = Result(score=score, deduction=deduction_of(f, s))
        if score is None:
            res.notes.append(NOTE_UNGRADED)
        else:
            res.grade = grade_for(score, s)
            vetoes = [note for applies, note in (
                (s.veto_red_card and f.red_cards > 0, NOTE_VETO_RED),
                (s.veto_upheld_complaint and f.complaints_upheld > 0, NOTE_VETO_COMPLAINT),
            ) if applies]
            if vetoes and GRADE_ORDER.index(res.grade) > GRADE_ORDER.index(Grade.PASS):
                res.grade = Grade.PASS
                res.notes.extend(vetoes)
        out[key] = res
    graded = [r for r in out.values() if r.score is not None]
    if s.excellent_max_percent is not None:
        cap = (s.excellent_max_percent * len(graded)) // 100
        best = [r for r in graded if r.grade == Grade.EXCELLENT]
        for r in best:
            assert r.score is not None
            reaching = sum(1 for o in best if o.score is not None and o.score >= r.score)
            if reaching > cap:
                r.grade = Grade.GOOD
                r.notes.append(NOTE_CAP)
    for r in graded:
        assert r.score is not None
        r.rank = 1 + sum(1 for o in graded if o.score is not None and o.score > r.score)
    if windows and s.red_flag_count > 0:
        best = [r for r in graded if r.grade == Grade.EXCELLENT]
        for r in best:
            assert r.score is not None
            higher = sum(1 for o in best if o.score is not None and o.score > r.score)
            r.red_flag = higher < s.red_flag_count
    return out
