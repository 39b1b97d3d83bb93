"""What an import reports: problems with their row and column, and what it did with each row."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    row: int | None  # as a spreadsheet shows it (the header is row 1); None for the file as a whole
    column: str
    message: str


@dataclass
class Candidate:
    uuid: str
    name: str
    death_date: str
    place_of_death: str
    similarity: float
    file_row: int | None = None  # when the likely duplicate is an earlier row of the same file
    pk: int | None = None  # the record in the registry (None for a row of the same file)


@dataclass
class RowOutcome:
    row: int
    action: str  # "create", "update", "unchanged", "held"
    uuid: str
    name: str
    changes: list[str] = field(default_factory=list)
    duplicates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    values: dict[str, tuple] = field(default_factory=dict)  # field → (old, new), for the preview


@dataclass
class ImportResult:
    file_name: str
    kind: str = ""
    dry_run: bool = False
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ("create", "update", "unchanged", "held")}

    @property
    def held(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.action == "held" or (row.duplicates and row.action == "create")]
