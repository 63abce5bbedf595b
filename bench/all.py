"""`python -m bench.all` (`make bench`): every measurement of issue 14, one after the other, and which missed.

1. `python -m bench`: the build-status POST and the stats GET as a REPO_READ user;
2. `python -m bench --scenario get --caller admin`: the stats GET as the system administrator;
3. `python -m bench.deployments`: the deployment POST, and the environments listing at 10k, 100k and 1M
   deployments, right after writes and after a pause;
4. `python -m bench.annotations`: the 1000-annotation POST.

Each prints its own table as it goes; the end shows each one's outcome. `--check` exits 1 when any missed a
target (2 when one failed to run). `--quick` is a shorter look (fewer and shorter runs, no 1M history).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

_OUTCOMES = {0: "met", 1: "MISSED a target", 2: "FAILED to run"}


def parts(quick: bool) -> list[tuple[str, list[str]]]:
    runs = ["--duration", "5", "--repeat", "3", "--warmup", "2"] if quick else []
    history = "10000,100000" if quick else "10000,100000,1000000"
    listing = ["--duration", "3", "--repeat", "1", "--write-seconds", "3", "--pause", "5"] if quick else []
    return [
        ("build POST and stats GET (REPO_READ)", ["bench", *runs]),
        ("stats GET (administrator)", ["bench", "--scenario", "get", "--caller", "admin", *runs]),
        ("deployment POST and environments listing", ["bench.deployments", "--history", history, *listing]),
        ("1000-annotation POST", ["bench.annotations", *(["--repeat", "9"] if quick else [])]),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--quick", action="store_true", help="fewer and shorter runs, history up to 100k")
    p.add_argument("--check", action="store_true", help="exit 1 when any target is missed")
    args = p.parse_args(argv)
    outcomes = []
    for title, command in parts(args.quick):
        print(f"\n=== {title}: python -m {' '.join(command)}", flush=True)
        # Every part exits 1 on a missed target with --check, 2 when it could not run.
        code = subprocess.call([sys.executable, "-m", *command, "--backend", args.backend, "--check"])
        outcomes.append((title, code))
    print("\n=== issue 14's targets")
    for title, code in outcomes:
        print(f"  {title:<45} {_OUTCOMES.get(code, f'FAILED (exit {code})')}")
    worst = max(code for _, code in outcomes)
    return (2 if worst > 1 else worst) if args.check or worst > 1 else 0


if __name__ == "__main__":
    sys.exit(main())
