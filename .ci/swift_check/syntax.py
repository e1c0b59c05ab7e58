"""Parsing with tree-sitter-swift, syntax errors, and small tree helpers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter_swift
from tree_sitter import Language, Node, Parser

_PARSER = Parser(Language(tree_sitter_swift.language()))


@dataclass
class Source:
    path: Path
    root: Node

    def where(self, node: Node) -> str:
        return f"{self.path}:{node.start_point[0] + 1}"


def parse(path: Path, generated: bool = False) -> Source:
    text = path.read_text(encoding="utf-8")
    if generated:
        # uniffi wraps attributes in `#if swift(>=5.8) … #endif` between a declaration's doc
        # comment and the declaration, which tree-sitter-swift cannot parse. Blank those lines
        # (keeping line numbers): the declarations themselves are then read whole.
        text = "\n".join(
            "" if re.match(r"\s*(#if|#else|#elseif|#endif|@_documentation)", line) else line
            for line in text.split("\n")
        )
    return Source(path, _PARSER.parse(text.encode("utf-8")).root_node)


def syntax_errors(src: Source) -> list[str]:
    """Every ERROR or MISSING node, as `file:line: …`."""
    found: list[str] = []

    def walk(n: Node) -> None:
        if n.is_missing:
            found.append(f"{src.where(n)}: syntax error: missing {n.type!r}")
        elif n.is_error:
            snippet = text(n).split("\n")[0][:60]
            found.append(f"{src.where(n)}: syntax error near {snippet!r}")
            return
        if n.has_error:
            for c in n.children:
                walk(c)

    walk(src.root)
    return found


def text(n: Node | None) -> str:
    return n.text.decode("utf-8") if n is not None and n.text is not None else ""


def kids(n: Node, *types: str) -> list[Node]:
    return [c for c in n.children if c.type in types]


def kid(n: Node, *types: str) -> Node | None:
    return next((c for c in n.children if c.type in types), None)


def walk(n: Node):
    """Every node under `n` (pre-order), `n` included."""
    stack = [n]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(reversed(cur.children))
