"""Grade the reference solution on many seeds and record what its checks measured.

Thresholds are set from these figures with a margin, so that no correct
solution fails by bad luck.  The record is written beside the grader, as
``graders/<slug>/CALIBRATION.md``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from harness.project import get_exercise
from harness.host.grading import grade_submission


@dataclass
class Calibration:
    slug: str
    seeds: list[int]
    scores: list[tuple[int, float, float]] = field(default_factory=list)
    measurements: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        lines = [
            f"# Calibration of `{self.slug}`",
            "",
            f"Reference solution graded with every check (hidden included) on seeds "
            f"{self.seeds[0]}..{self.seeds[-1]} ({len(self.seeds)} seeds), local backend.",
            "Regenerate with `grade calibrate " + self.slug + f" --seeds {len(self.seeds)} --write`.",
            "",
            f"- full marks on {sum(score == maximum for _, score, maximum in self.scores)} of {len(self.scores)} seeds",
            f"- grading time per run: median {statistics.median(self.seconds):.1f} s, max {max(self.seconds):.1f} s",
            "",
            "| measurement | min | median | max |",
            "|---|---|---|---|",
        ]
        for name, values in sorted(self.measurements.items()):
            lines.append(f"| {name} | {min(values):.4g} | {statistics.median(values):.4g} | {max(values):.4g} |")
        if self.failures:
            lines += ["", "Checks the reference failed:", ""] + [f"- {failure}" for failure in self.failures]
        return "\n".join(lines) + "\n"


def calibrate(*, slug: str, seeds: list[int], backend: str = "local", progress=lambda message: None) -> Calibration:
    """Grade ``solutions/<slug>`` on each seed, hidden checks included, and collect the figures."""
    exercise = get_exercise(slug)
    solution = exercise.solution_dir
    calibration = Calibration(slug=slug, seeds=list(seeds))
    for seed in seeds:
        result = grade_submission(path=solution, exercise=exercise.slug, seed=seed, backend=backend,
                                  include_hidden=True)
        calibration.scores.append((seed, result.score, result.max_score))
        calibration.seconds.append(result.durations.get("total_seconds", 0.0))
        for check in result.checks:
            for name, value in check.measurements.items():
                calibration.measurements[f"{check.check_id.split('::')[-1]}: {name}"].append(value)
            if check.score < check.max_score:
                calibration.failures.append(f"seed {seed}: {check.check_id}: {check.output[:200]}")
        progress(f"seed {seed}: {result.score:g}/{result.max_score:g} in {calibration.seconds[-1]:.1f} s")
    return calibration


def write_calibration(calibration: Calibration) -> Path:
    path = get_exercise(calibration.slug).grader_dir / "CALIBRATION.md"
    path.write_text(calibration.to_markdown(), encoding="utf-8")
    return Path(path)
