"""python -m swift_check [--generated FILE] [--self-test DIR] PATH…

Checks every .swift file under the PATHs: syntax, then every use of the generated bindings
(`--generated`) and of our own declarations. Prints `file:line: problem` lines and ends with
`swift-check: N files, N problems`; exits 1 when there is any problem.
With --self-test, checks the fixtures in DIR first: each `// expect: TEXT` line of a fixture
must be matched by a reported problem on that fixture, and a fixture without one must pass.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .check import UseChecker
from .model import Model, read
from .syntax import parse, syntax_errors, text, walk

HERE = Path(__file__).parent


def known_externals() -> tuple[set[str], set[str]]:
    """Framework and standard-library names we use (known_external.txt): `type X` or `func f`."""
    types, funcs = set(), set()
    for line in (HERE / "known_external.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            kind, *names = line.split()
            (types if kind == "type" else funcs).update(names)
    return types, funcs


def check(generated: Path, files: list[Path]) -> list[str]:
    problems: list[str] = []
    sources = []
    for f in files:
        src = parse(f)
        errors = syntax_errors(src)
        problems += errors
        if not errors:
            sources.append(src)
    model = read([parse(generated, generated=True)], Model(), generated=True)
    if len(model.types) < 20 or "FieldKit" not in model.types:
        return problems + [f"{generated}: the generated bindings declare too little: is it the uniffi output?"]
    read(sources, model, generated=False)
    types, funcs = known_externals()
    checker = UseChecker(model, types, funcs)
    for src in sources:
        generics = {text(n.named_children[0]) for n in walk(src.root) if n.type == "type_parameter" and n.named_children}
        checker.check(src, generics)
    return problems + checker.problems


def swift_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        found += sorted(p.rglob("*.swift")) if p.is_dir() else [p]
    return found


def self_test(generated: Path, fixtures: Path) -> list[str]:
    """Each fixture alone (with the library's own sources it names, none here) must give
    exactly the problems its `// expect:` lines announce."""
    failures: list[str] = []
    for fixture in sorted(fixtures.glob("*.swift")):
        expected = re.findall(r"//\s*expect:\s*(.+)", fixture.read_text())
        got = check(generated, [fixture])
        for e in expected:
            if not any(e.strip() in g for g in got):
                failures.append(f"self-test: {fixture.name}: expected a problem {e.strip()!r}, got {got or 'none'}")
        if not expected and got:
            failures.append(f"self-test: {fixture.name} must pass, got: " + "; ".join(got))
        if expected and len(got) > len(expected):
            failures.append(f"self-test: {fixture.name}: unexpected extra problems: {got}")
        print(f"self-test {fixture.name}: {len(got)} problem(s) found, {len(expected)} expected")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(prog="swift_check", description=__doc__.split("\n")[0])
    ap.add_argument("--generated", type=Path, required=True, help="the uniffi-generated Swift")
    ap.add_argument("--self-test", type=Path, metavar="DIR", help="fixtures to prove the check fails")
    ap.add_argument("paths", type=Path, nargs="+")
    args = ap.parse_args()

    failures = self_test(args.generated, args.self_test) if args.self_test else []
    files = swift_files(args.paths)
    problems = check(args.generated, files)
    for line in failures + problems:
        print(line)
    print(f"swift-check: {len(files)} files, {len(problems)} problems" + (f", {len(failures)} self-test failures" if failures else ""))
    return 1 if problems or failures else 0


if __name__ == "__main__":
    sys.exit(main())
