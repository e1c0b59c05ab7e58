#!/usr/bin/env python3
"""The crates' shape, checked from their source text: no import cycle between modules, no long
file without its reason.

For each crate (core, bindings, sync-server) it reads every non-test source file's
`crate::…` and `super::…` paths, and draws an edge from the module a file belongs to to each
module it names:
  - between the crate's top-level modules (`src/push.rs` -> `storage`), and
  - between the sibling files of one directory module (`dashboard/board.rs` -> `csv`).
Any cycle among those edges fails, printed with one `file:line` per edge. A module may still
use its own children and its parent's items freely; only edges between siblings count.

A source file (tests excepted) over 700 lines fails unless one of its first 15 lines is a
comment saying why: `// Over 700 lines: <reason>`.

    python3 .ci/module-check.py            # check the repository
    python3 .ci/module-check.py --self-test  # prove it fails on a cycle and a long file

Exit status 1 on any problem. Standard library only.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

CRATES = ["core/src", "bindings/src", "sync-server/src"]
MAX_LINES = 700
REASON = re.compile(r"^\s*//[/!]?\s*Over 700 lines:\s*\S")
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
PATH = re.compile(r"\b(crate::|(?:super::)+)(\{|" + IDENT + r"(?:::" + IDENT + r")*)")


def is_test_file(path: Path) -> bool:
    return path.name == "tests.rs" or "tests" in path.parts[:-1] or path.name.endswith("_tests.rs")


def code_lines(text: str) -> list[tuple[int, str]]:
    """The file's lines without comments, strings and `#[cfg(test)]` items (roughly: a
    `#[cfg(test)]` attribute drops the item after it, up to its closing brace or `;`)."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    out: list[tuple[int, str]] = []
    skip_depth = None  # brace depth at which a cfg(test) item started
    pending_cfg_test = False
    depth = 0
    for n, line in enumerate(text.splitlines(), 1):
        line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
        line = line.split("//", 1)[0]
        stripped = line.strip()
        if skip_depth is None and re.match(r"#\[cfg\((test|all\(test)", stripped):
            pending_cfg_test = True
            continue
        if pending_cfg_test and skip_depth is None:
            if stripped.startswith("#["):
                continue
            if stripped.endswith(";") and "{" not in stripped:
                pending_cfg_test = False  # `mod tests;` or a single item
                continue
            skip_depth = depth
            pending_cfg_test = False
        opens, closes = line.count("{"), line.count("}")
        if skip_depth is not None:
            depth += opens - closes
            if depth <= skip_depth and (opens or closes):
                skip_depth = None
            continue
        depth += opens - closes
        out.append((n, line))
    return out


def group_heads(text: str, start: int) -> list[list[str]]:
    """The path segments of each entry of a `{a, b::c, d as e}` group at `start` (up to a
    nested group)."""
    depth, heads, cur = 0, [], ""
    for ch in text[start:]:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and ch == ",":
            heads.append(cur)
            cur = ""
        elif depth >= 1:
            cur += ch
    heads.append(cur)
    names = []
    for h in heads:
        m = re.match(r"\s*(" + IDENT + r"(?:::" + IDENT + r")*)", h)
        if m and m.group(1) != "self":
            names.append(m.group(1).split("::"))
    return names


class Crate:
    def __init__(self, src: Path):
        self.src = src
        self.files = sorted(p for p in src.rglob("*.rs") if not is_test_file(p.relative_to(src)))

    def module_of(self, path: Path) -> tuple[str, ...]:
        """The module path of a file: src/a/b.rs and src/a/b/mod.rs are ("a", "b")."""
        rel = path.relative_to(self.src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] in ("mod", "lib", "main"):
            parts.pop()
        return tuple(parts)

    def children(self, module: tuple[str, ...]) -> set[str]:
        """The submodules a module has as files or directories."""
        d = self.src.joinpath(*module)
        if not d.is_dir():
            return set()
        names = {p.stem for p in d.glob("*.rs") if p.stem not in ("mod", "lib", "main", "tests")}
        names |= {p.name for p in d.iterdir() if p.is_dir() and p.name != "tests"}
        return names

    def edges(self):
        """(level, from, to, file:line): level is the parent module whose children the edge
        joins (() for the crate's top level)."""
        for path in self.files:
            module = self.module_of(path)
            text_lines = code_lines(path.read_text(encoding="utf-8"))
            for n, line in text_lines:
                for m in PATH.finditer(line):
                    if m.group(2) == "{":
                        heads = group_heads(line, m.start(2))
                    else:
                        heads = [m.group(2).split("::")]
                    if m.group(1) == "crate::":
                        base: tuple[str, ...] = ()
                    else:
                        # `super` in a/b.rs (or a/b/mod.rs) names module a.
                        ups = m.group(1).count("super::")
                        if ups > len(module):
                            continue
                        base = module[: len(module) - ups]
                    for segs in heads:
                        if segs[0] in ("super", "self", "crate"):
                            continue
                        # The module the path names: its longest prefix that is a module.
                        target = base
                        for seg in segs:
                            if seg not in self.children(target):
                                break
                            target = target + (seg,)
                        if target == base:
                            continue  # an item of `base` itself (a re-export, a type)
                        yield from self._edge(module, target, f"{path}:{n}")

    def _edge(self, module: tuple[str, ...], target: tuple[str, ...], where: str):
        # The deepest common parent: the edge joins two of its children.
        common = 0
        while common < min(len(module), len(target)) and module[common] == target[common]:
            common += 1
        if common >= len(module) or common >= len(target):
            return  # a module using its own descendant or ancestor
        parent = module[:common]
        yield parent, module[common], target[common], where


def cycles(edges: dict[tuple[str, str], str]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check(root: Path, crates: list[str]) -> list[str]:
    problems: list[str] = []
    for rel in crates:
        src = root / rel
        if not src.is_dir():
            continue
        crate = Crate(src)
        by_level: dict[tuple[str, ...], dict[tuple[str, str], str]] = defaultdict(dict)
        for level, a, b, where in crate.edges():
            by_level[level].setdefault((a, b), where)
        for level, edges in sorted(by_level.items()):
            for comp in cycles(edges):
                scope = "::".join(level) or rel
                problems.append(f"import cycle in {scope}: {' <-> '.join(comp)}")
                members = set(comp)
                for (a, b), where in sorted(edges.items()):
                    if a in members and b in members:
                        problems.append(f"    {a} -> {b}  ({Path(where).relative_to(root)})")
        for path in crate.files:
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) > MAX_LINES and not any(REASON.match(l) for l in lines[:15]):
                problems.append(
                    f"{path.relative_to(root)}: {len(lines)} lines, over {MAX_LINES} without "
                    "a `// Over 700 lines: <reason>` line at its top"
                )
    return problems


def self_test() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = root / "demo/src"
        (src / "dash").mkdir(parents=True)
        (src / "lib.rs").write_text("pub mod a;\npub mod b;\npub mod c;\npub mod dash;\n")
        (src / "a.rs").write_text("use crate::b::thing;\n")
        (src / "b.rs").write_text("use crate::{c::x, dash};\n#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n")
        (src / "c.rs").write_text("// crate::a in a comment does not count\nlet s = \"crate::a\";\n")
        (src / "dash/mod.rs").write_text("mod board;\nmod csv;\n")
        (src / "dash/board.rs").write_text("use super::csv::export;\n")
        (src / "dash/csv.rs").write_text("use crate::dash::board::row;\n")
        long = "\n".join("let x = 1;" for _ in range(MAX_LINES + 1))
        (src / "long.rs").write_text(long)
        (src / "long_ok.rs").write_text("// Over 700 lines: a reason.\n" + long)
        problems = check(root, ["demo/src"])
        text = "\n".join(problems)
        expect = [
            "import cycle in dash: board <-> csv",
            "long.rs: 701 lines",
        ]
        for e in expect:
            assert e in text, f"self-test: expected {e!r} in:\n{text}"
        assert "a <-> b" not in text, f"self-test: a test module or comment made a cycle:\n{text}"
        assert "long_ok.rs" not in text, text
        # A back-edge makes a top-level cycle.
        (src / "c.rs").write_text("use crate::a::y;\n")
        (src / "a.rs").write_text("use crate::b::thing;\n")
        text = "\n".join(check(root, ["demo/src"]))
        assert "import cycle in demo/src: a <-> b <-> c" in text, text
    print("module-check self-test: ok (a cycle and a long file are caught)")


def main() -> int:
    if "--self-test" in sys.argv:
        self_test()
        return 0
    root = Path(__file__).resolve().parent.parent
    self_test()
    problems = check(root, CRATES)
    for p in problems:
        print(p)
    print(f"module-check: {len(problems)} problem lines")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
