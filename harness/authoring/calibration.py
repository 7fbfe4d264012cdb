"""Grade every correct solution on many seeds and record what the checks measured.

Thresholds are set from these figures with a margin, so that no correct solution
fails by bad luck.  "Correct solutions" are the reference and its variants
(``graders/<slug>/variants/``): other architectures, optimizer settings or
styles that the contract allows.  A threshold that only the reference clears
fits the reference's choices, not the contract.  The record is written beside the
grader, as ``graders/<slug>/CALIBRATION.md``.
"""

from __future__ import annotations

import statistics
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from harness.authoring.mutants import exercise_variants, materialize
from harness.authoring.proof_runs import SELFTEST_SECRET, ProofRun, run_all
from harness.project import get_exercise
from harness.wire.results import RunResult

REFERENCE = "reference"


@dataclass
class Calibration:
    slug: str
    seeds: list[int]
    subjects: list[str] = field(default_factory=list)
    scores: dict[str, list[tuple[int, float, float]]] = field(default_factory=lambda: defaultdict(list))
    measurements: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, subject: str, seed: int, result: RunResult) -> None:
        """Record one grading of the correct solution ``subject`` on ``seed``."""
        if subject not in self.subjects:
            self.subjects.append(subject)
        self.scores[subject].append((seed, result.score, result.max_score))
        self.seconds.append(result.durations.get("total_seconds", 0.0))
        for check in result.checks:
            for name, value in check.measurements.items():
                self.measurements[f"{check.check_id.split('::')[-1]}: {name}"][subject].append(value)
            if check.score < check.max_score:
                self.failures.append(f"{subject}, seed {seed}: {check.check_id}: {check.output[:200]}")

    def to_markdown(self) -> str:
        full = {
            subject: sum(score == maximum for _, score, maximum in self.scores[subject]) for subject in self.subjects
        }
        lines = [
            f"# Calibration of `{self.slug}`",
            "",
            f"Every correct solution graded with every check (hidden included) on seeds "
            f"{self.seeds[0]}..{self.seeds[-1]} ({len(self.seeds)} seeds), local backend, selftest data secret.",
            "Regenerate with `grade calibrate " + self.slug + f" --seeds {len(self.seeds)} --write`.",
            "",
            "Correct solutions: "
            + ", ".join(
                f"`{subject}` (full marks on {full[subject]} of {len(self.scores[subject])} seeds)"
                for subject in self.subjects
            ),
            "",
            f"Grading time per run: median {statistics.median(self.seconds):.1f} s, max {max(self.seconds):.1f} s.",
            "",
            "| measurement | solution | min | median | max |",
            "|---|---|---|---|---|",
        ]
        for name, by_subject in sorted(self.measurements.items()):
            everything = [value for values in by_subject.values() for value in values]
            for subject in self.subjects:
                values = by_subject.get(subject)
                if values:
                    lines.append(
                        f"| {name} | {subject} | {min(values):.4g} | {statistics.median(values):.4g} | "
                        f"{max(values):.4g} |"
                    )
            if len(by_subject) > 1:
                lines.append(
                    f"| {name} | **all correct solutions** | **{min(everything):.4g}** | "
                    f"{statistics.median(everything):.4g} | **{max(everything):.4g}** |"
                )
        if self.failures:
            lines += ["", "Checks a correct solution failed:", ""] + [f"- {failure}" for failure in self.failures]
        return "\n".join(lines) + "\n"


def calibrate(
    *, slug: str, seeds: list[int], backend: str = "local", jobs: int = 1, progress=lambda message: None
) -> Calibration:
    """Grade ``solutions/<slug>`` and every variant on each seed, hidden checks included; collect the figures."""
    exercise = get_exercise(slug)
    with tempfile.TemporaryDirectory(prefix=f"calibrate-{slug}-") as folder:
        subjects = [(REFERENCE, exercise.solution_dir)] + [
            (variant.name, materialize(exercise, variant, Path(folder) / variant.name / slug))
            for variant in exercise_variants(exercise)
        ]
        results = run_all(
            [ProofRun(subject, path, seed) for subject, path in subjects for seed in seeds],
            slug=slug,
            backend=backend,
            data_secret=SELFTEST_SECRET,
            jobs=jobs,
            progress=progress,
        )
    calibration = Calibration(slug=slug, seeds=list(seeds))
    for subject, _ in subjects:
        for seed in seeds:
            calibration.add(subject, seed, results[subject, seed])
    return calibration


def write_calibration(calibration: Calibration) -> Path:
    path = get_exercise(calibration.slug).grader_dir / "CALIBRATION.md"
    path.write_text(calibration.to_markdown(), encoding="utf-8")
    return Path(path)
