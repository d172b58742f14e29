"""Window assessment (窗口考核): compute a month's figures, grade them, publish the ranking.

:func:`assessment_compute` reads one month of one region subtree and writes one
:class:`~onewindow.assessment.models.AssessmentRun` with a row per window, department and member
of staff. It may be run again as often as needed while the run is a draft (it replaces the rows:
the same data gives the same rows); a published run is refused until it is withdrawn
(:func:`assessment_unpublish`, with a reason). :func:`assessment_publish` makes the window and
department ranking public; staff rows are never published.

The month's data is read with grouped queries (aggregated in the database, a fixed number of
them whatever the number of cases), all limited to the region subtree (``region.prefix``):

==================  =============================================================================
figure              definition (month = local calendar month, Asia/Shanghai)
==================  =============================================================================
受理 accepted        cases whose ``accepted_at`` falls in the month
办结 completed       cases whose ``completed_at`` (delivered, 办结) falls in the month
按期 on_time         completed cases with ``completed_at``'s date ≤ ``promised_due`` (承诺办结日期)
按期办结率            on_time / completed
即办 on_spot         completed cases that are instant items (``is_instant``, 即办件) or were
                    decided on the spot (an event ``decide_on_spot``)
即办率               on_spot / completed
used days           per completed case: working days from ``accepted_on`` (excluded) to the date
                    of the decision (``decided_at``, else ``completed_at``) (included), minus
                    ``stopped_days`` (clock stops); natural days for items limited in natural
                    days — the same counting as :mod:`onewindow.cases.deadlines`
提速率 speedup       1 − (average used days / average ``legal_limit_days``) over the completed
                    cases = 1 − Σ used / Σ legal. Negative when slower than the law allows
满意率 satisfaction  ratings 1–3 / counted ratings (reviews excluded by an upheld appeal are not
                    counted), ratings given in the month — the evaluation app's own figures
差评 bad reviews     ratings 4–5 given in the month
投诉 complaints      complaints received in the month; 属实 those found substantiated
预警 alerts          alerts raised in the month and not withdrawn: level 2 (黄牌 and 体外受理后
                    补录) and level 3 (红牌超期 and the other irregularities) counted apart;
                    reminders (督办提醒) do not count
服务人次 tickets     queue tickets served in the month
==================  =============================================================================

Who a figure belongs to: a case belongs to its department (``Case.department``), to the member
of staff who accepted it (``accepted_by``, 首问负责) and to the window of its acceptance — the
window where that member of staff was signed in (挂牌上岗, :class:`~onewindow.hall.models.
WindowSession`) at that moment, else the departmental window of the case's department in the
centre that accepted it. Alerts follow their case (window and staff) and their own
``department``. Ratings and complaints carry their window, department and staff themselves;
served tickets their window, the window's department and the clerk.

The score, grades, vetoes, the cap on 优秀 and the red-flag windows are in
:mod:`onewindow.assessment.scoring`; docs/decisions/0013-assessment.md explains the choices.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.assessment import selectors
from onewindow.assessment.models import (
    PUBLIC_KINDS,
    AssessmentRow,
    AssessmentRun,
    RunState,
    SubjectKind,
)
from onewindow.assessment.scoring import Figures, assess, percent, two_places
from onewindow.core import clock
from onewindow.core.errors import Conflict, ValidationFailed
from onewindow.regions.models import Region, RegionLevel

logger = logging.getLogger(__name__)

ASSESSED_LEVELS = (RegionLevel.CITY, RegionLevel.DISTRICT, RegionLevel.TOWN)


def parse_month(raw: Any) -> dt.date:
    """``YYYY-MM`` (or a date) → the first of that month; a field error otherwise."""
    if isinstance(raw, dt.date):
        return raw.replace(day=1)
    text = str(raw or "").strip()
    try:
        year, month = text.split("-")[:2]
        if len(year) != 4 or not (1 <= len(month) <= 2):
            raise ValueError(text)
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationFailed(
            _("请填写考核月份，格式为 年-月，如 2026-10。"), code="bad_month",
            field_errors={"month": [_("格式应为 年-月，如 2026-10。")]},
        ) from None


def _check_month(month: dt.date) -> None:
    if month > clock.today().replace(day=1):
        raise ValidationFailed(
            _("%(m)s 尚未开始，不能考核。") % {"m": f"{month:%Y-%m}"}, code="future_month",
            field_errors={"month": [_("不能选择未来的月份。")]},
        )
    if month.year < 2000:
        raise ValidationFailed(_("考核月份过早。"), code="bad_month",
                               field_errors={"month": [_("考核月份过早。")]})


def _check_region(region: Region) -> None:
    if region.level not in ASSESSED_LEVELS:
        raise ValidationFailed(
            _("村（社区）不单独考核，请选择市、区县或镇街。"), code="bad_region",
            field_errors={"region": [_("请选择市、区县或镇街。")]},
        )


def _lock_run(*, region: Region, month: dt.date, actor: Any) -> AssessmentRun:
    run = AssessmentRun.objects.select_for_update().filter(region=region, month=month).first()
    if run is not None:
        return run
    try:
        with transaction.atomic():
            return AssessmentRun.objects.create(region=region, month=month,
                                                computed_at=clock.now(), computed_by=actor)
    except IntegrityError:  # created meanwhile by another request: wait for it and use it
        return AssessmentRun.objects.select_for_update().get(region=region, month=month)


def _rows(run: AssessmentRun, region: Region, data: selectors.MonthData,
          scheme: Any) -> list[AssessmentRow]:
    names = selectors.subjects(region=region, data=data)
    rows: list[AssessmentRow] = []
    for kind in SubjectKind:
        known = names[kind.value]
        figures: dict[int, Figures] = {k: f for k, f in data.of(kind).items() if k in known}
        results = assess(figures.items(), scheme, windows=kind == SubjectKind.WINDOW)
        for key, f in figures.items():
            subject, res = known[key], results[key]
            rows.append(AssessmentRow(
                run=run, kind=kind.value,
                window_id=key if kind == SubjectKind.WINDOW else None,
                staff_id=key if kind == SubjectKind.STAFF else None,
                department_id=subject.department_id, region_id=subject.region_id,
                label=subject.label[:200], unit=subject.unit[:200],
                accepted=f.accepted, completed=f.completed, on_time=f.on_time,
                on_spot=f.on_spot, speed_cases=f.speed_cases, used_days=f.used_days,
                legal_days=f.legal_days, tickets_served=f.tickets_served, rated=f.rated,
                satisfied=f.satisfied, bad_reviews=f.bad_reviews, complaints=f.complaints,
                complaints_upheld=f.complaints_upheld, alerts=f.alerts, red_cards=f.red_cards,
                on_time_rate=percent(f.on_time_ratio), on_spot_rate=percent(f.on_spot_ratio),
                speedup_rate=percent(f.speedup_ratio),
                satisfaction_rate=percent(f.satisfaction_ratio),
                avg_used_days=two_places(f.avg_used_days),
                avg_legal_days=two_places(f.avg_legal_days),
                score=res.score, deduction=res.deduction, rank=res.rank, grade=res.grade.value,
                grade_note=res.note[:100], red_flag=res.red_flag,
            ))
    return rows


def assessment_compute(*, actor: Any, region: Region, month: Any) -> AssessmentRun:
    """计算（重算）一个区划一个月的考核结果. ``actor`` None is the monthly job."""
    month = parse_month(month)
    if actor is not None:
        access.require(actor, Perm.ASSESSMENT_MANAGE, region=region)
    _check_region(region)
    _check_month(month)
    scheme, source = selectors.scheme_for(region)
    with transaction.atomic():
        run = _lock_run(region=region, month=month, actor=actor)
        if run.state == RunState.PUBLISHED:
            raise Conflict(
                _("%(r)s %(m)s 的考核结果已发布，不能重新计算。如需更正，请先撤回发布。")
                % {"r": region.name, "m": f"{month:%Y-%m}"}, code="run_published",
            )
        data = selectors.month_figures(region=region, month=month)
        run.rows.all().delete()
        AssessmentRow.objects.bulk_create(_rows(run, region, data, scheme), batch_size=500)
        run.scheme = scheme.as_dict()
        run.scheme_source = (
            (source.name or _("%(r)s考核方案") % {"r": source.region.name})
            if source else _("系统默认方案"))[:120]
        run.computed_at, run.computed_by = clock.now(), actor
        run.row_version += 1
        run.save(update_fields=["scheme", "scheme_source", "computed_at", "computed_by",
                                "row_version"])
    logger.info("assessment computed", extra={"region": region.code, "month": f"{month:%Y-%m}",
                                              "run": run.pk})
    return run


def _lock(run: AssessmentRun) -> AssessmentRun:
    return AssessmentRun.objects.select_for_update().select_related("region").get(pk=run.pk)


def assessment_publish(*, actor: Any, run: AssessmentRun) -> AssessmentRun:
    """发布: the window and department ranking becomes public (staff rows never do)."""
    with transaction.atomic():
        run = _lock(run)
        access.require(actor, Perm.ASSESSMENT_MANAGE, region=run.region)
        if run.state == RunState.PUBLISHED:
            raise Conflict(_("该考核结果已经发布。"), code="run_published")
        if selectors.month_bounds(run.month)[2] >= clock.today():
            raise Conflict(_("%(m)s 尚未结束，月份结束后才能发布考核结果。")
                           % {"m": run.month_label}, code="month_not_over")
        if not run.rows.filter(kind__in=PUBLIC_KINDS).exists():
            raise Conflict(_("没有窗口或部门的考核结果，无可发布。"), code="nothing_to_publish")
        run.state, run.published_at, run.published_by = RunState.PUBLISHED, clock.now(), actor
        run.row_version += 1
        run.save(update_fields=["state", "published_at", "published_by", "row_version"])
    return run


def assessment_unpublish(*, actor: Any, run: AssessmentRun, reason: str) -> AssessmentRun:
    """撤回发布 (with a reason): the run becomes a draft again and may be recomputed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写撤回理由。"), code="reason_required",
                               field_errors={"reason": [_("请填写撤回理由。")]})
    if len(reason) > 300:
        raise ValidationFailed(_("撤回理由不能超过 300 字。"), code="reason_too_long",
                               field_errors={"reason": [_("撤回理由不能超过 300 字。")]})
    with transaction.atomic():
        run = _lock(run)
        access.require(actor, Perm.ASSESSMENT_MANAGE, region=run.region)
        if run.state != RunState.PUBLISHED:
            raise Conflict(_("该考核结果尚未发布，无需撤回。"), code="run_not_published")
        run.state, run.published_at, run.published_by = RunState.DRAFT, None, None
        run.withdrawn_at, run.withdrawn_by, run.withdraw_reason = clock.now(), actor, reason
        run.row_version += 1
        run.save(update_fields=["state", "published_at", "published_by", "withdrawn_at",
                                "withdrawn_by", "withdraw_reason", "row_version"])
    return run


def assessment_compute_last_month() -> dict[str, int]:
    """The monthly job: a draft of last month for every city and district (idempotent: a
    draft is recomputed with the same result, a published run is left alone)."""
    month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    done = skipped = 0
    for region in Region.objects.filter(
            level__in=[RegionLevel.CITY, RegionLevel.DISTRICT]).order_by("code"):
        if AssessmentRun.objects.filter(region=region, month=month,
                                        state=RunState.PUBLISHED).exists():
            skipped += 1
            continue
        try:
            assessment_compute(actor=None, region=region, month=month)
        except Conflict:  # published meanwhile
            skipped += 1
            continue
        done += 1
    return {"computed": done, "skipped": skipped}
