"""The report of ``make mutation``: per module, how many mutants the tests killed, which survived.

Reads the output of ``mutmut results --all true`` (one ``name: status`` line per mutant) and
writes Markdown: the score per module and overall, then every surviving mutant with its diff
(``mutmut show``), for docs/testing.md to list as killed by a new test or as equivalent.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check"}  # a mutant that hangs is caught too
NOT_KILLED = {"survived", "no tests", "suspicious", "segfault"}


def parse(lines: list[str]) -> dict[str, str]:
    results = {}
    for line in lines:
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            results[name] = status
    return results


def module_of(mutant: str) -> str:
    # "victims.services.x_record_transition__mutmut_3" -> "victims/services.py"
    module = mutant.split("__mutmut_")[0].rsplit(".", 1)[0]
    return module.replace(".", "/") + ".py"


def score(counts: Counter) -> str:
    killed = sum(counts[s] for s in KILLED)
    judged = killed + sum(counts[s] for s in NOT_KILLED)
    return f"{100 * killed / judged:.1f} %" if judged else "–"


def report(results: dict[str, str], show=None) -> str:
    by_module: dict[str, Counter] = defaultdict(Counter)
    for mutant, status in results.items():
        by_module[module_of(mutant)][status] += 1
    total = sum(by_module.values(), Counter())
    lines = [
        "# Mutation testing report (make mutation)",
        "",
        f"Mutation score: **{score(total)}** (killed or timed out, of the mutants tested; "
        f"{sum(total.values())} mutants, {total['not checked']} not checked yet).",
        "",
        "| module | mutants | killed | timeout | survived | no tests | not checked | score |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for module, counts in sorted(by_module.items()):
        lines.append(
            f"| `{module}` | {sum(counts.values())} | {counts['killed']} | {counts['timeout']} | {counts['survived']} "
            f"| {counts['no tests']} | {counts['not checked']} | {score(counts)} |"
        )
    survivors = sorted(mutant for mutant, status in results.items() if status in NOT_KILLED)
    lines += ["", f"## Not killed ({len(survivors)})", ""]
    for mutant in survivors:
        lines += [f"### `{mutant}` ({results[mutant]})", ""]
        if show:
            lines += ["```diff", show(mutant).strip(), "```", ""]
    return "\n".join(lines) + "\n"


def mutmut_show(mutant: str) -> str:
    mutmut = Path(sys.executable).with_name("mutmut")
    return subprocess.run([str(mutmut), "show", mutant], capture_output=True, text=True, check=False).stdout


if __name__ == "__main__":
    sys.stdout.write(report(parse(Path(sys.argv[1]).read_text().splitlines()), show=mutmut_show))
