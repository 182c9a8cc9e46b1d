"""What a grading gives (`GradeResult`) and why values cannot be graded (`MeasurementError`),
shared by the grading of every category (`grading`) and the limb clauses (`limb`)."""
from __future__ import annotations

from dataclasses import dataclass


class MeasurementError(ValueError):
    """Values that cannot be graded; `code` says why and `field` names the value.

    Codes: missing, invalid, not_applicable, unknown_level, unknown_clause, with_aids, category.
    """

    def __init__(self, code: str, field: str = ""):
        super().__init__(f"{code}: {field}" if field else code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class GradeResult:
    grade: int | None
    reason: str

    @property
    def qualifies(self) -> bool:
        return self.grade is not None
