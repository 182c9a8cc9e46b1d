"""Limb (physical) disability: the GB/T 26341-2010 clause catalogue and its grading."""

from __future__ import annotations

from dataclasses import dataclass

from portal.domain.results import GradeResult, MeasurementError


@dataclass(frozen=True)
class LimbClause:
    code: str
    grade: int
    zh: str
    en: str


# Condensed from the standard's limb clauses (see DOMAIN.md). The list names the typical
# clauses; `other_N` lets the doctor pick any other clause of grade N and quote it in the notes.
# Limbs are assessed WITHOUT prostheses or other aids.
LIMB_CLAUSES: tuple[LimbClause, ...] = (
    LimbClause("quadriplegia", 1, "四肢瘫", "Quadriplegia"),
    LimbClause("complete_paraplegia", 1, "截瘫，双下肢功能完全丧失", "Complete paraplegia"),
    LimbClause("complete_hemiplegia", 1, "偏瘫，一侧肢体功能完全丧失", "Complete hemiplegia"),
    LimbClause(
        "three_limbs_severe",
        1,
        "三肢以上严重缺失或功能严重障碍",
        "Severe loss (or loss of function) in three or more limbs",
    ),
    LimbClause(
        "plegia_cannot_walk",
        2,
        "偏瘫或截瘫，残肢保留少许功能，不能独立行走",
        "Hemiplegia or paraplegia with some residual function, unable to walk alone",
    ),
    LimbClause(
        "both_upper_arms_or_forearms_missing",
        2,
        "双上臂或双前臂缺失",
        "Both upper arms or both forearms missing",
    ),
    LimbClause("both_thighs_missing", 2, "双大腿缺失", "Both thighs missing"),
    LimbClause("both_lower_legs_missing", 3, "双小腿缺失", "Both lower legs missing"),
    LimbClause("one_thigh_or_above_missing", 3, "一侧大腿以上缺失", "One thigh or above missing"),
    LimbClause(
        "one_forearm_or_above_missing", 3, "一侧前臂以上缺失", "One forearm or above missing"
    ),
    LimbClause("one_lower_leg_missing", 4, "单侧小腿缺失", "One lower leg missing"),
    LimbClause(
        "leg_length_difference_50mm",
        4,
        "双下肢不等长，相差≥50mm",
        "Leg-length difference of 50 mm or more",
    ),
    LimbClause("spinal_ankylosis", 4, "脊柱强（僵）直", "Spinal ankylosis"),
    LimbClause("kyphosis_over_70", 4, "脊柱后凸>70°", "Kyphosis over 70°"),
    LimbClause("scoliosis_over_45", 4, "脊柱侧凸>45°", "Scoliosis over 45°"),
    LimbClause("adult_height_1300mm", 4, "成年人身高≤1300mm", "Adult height 1300 mm or less"),
    LimbClause(
        "other_1",
        1,
        "其他一级条款（不能独立实现日常生活活动）",
        "Other grade-1 clause (cannot perform daily activities independently)",
    ),
    LimbClause(
        "other_2",
        2,
        "其他二级条款（基本不能独立实现日常生活活动）",
        "Other grade-2 clause (basically cannot perform daily activities independently)",
    ),
    LimbClause(
        "other_3",
        3,
        "其他三级条款（能部分独立实现日常生活活动）",
        "Other grade-3 clause (can partly perform daily activities independently)",
    ),
    LimbClause(
        "other_4",
        4,
        "其他四级条款（基本能独立实现日常生活活动）",
        "Other grade-4 clause (can basically perform daily activities independently)",
    ),
)
LIMB_CLAUSES_BY_CODE = {clause.code: clause for clause in LIMB_CLAUSES}


@dataclass(frozen=True)
class LimbMeasurements:
    """The clause the doctor picked (None: no clause applies), assessed without aids."""

    clause: str | None
    without_aids: bool = True


def grade_limb(m: LimbMeasurements) -> GradeResult:
    """The grade of the picked clause; an assessment with prostheses or aids is refused."""
    if not m.without_aids:
        raise MeasurementError("with_aids", "without_aids")
    if m.clause is None:
        return GradeResult(None, "no_clause")
    clause = LIMB_CLAUSES_BY_CODE.get(m.clause)
    if clause is None:
        raise MeasurementError("unknown_clause", "clause")
    return GradeResult(clause.grade, "limb_clause")
