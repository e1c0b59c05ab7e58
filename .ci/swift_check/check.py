"""Checks our Swift's uses against the declarations (generated bindings and our own code).

A small, deliberately partial type resolver: a name's type comes from an annotation, from
the declaration it names (parameters, properties, locals, globals), from a call's declared
return type, or from a record's field. Where a type cannot be resolved the use is not
judged: the checker reports what it can prove wrong, never guesses.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from tree_sitter import Node

from .model import Func, Model, Param, TypeDecl, _type_child, type_str
from .syntax import Source, kid, kids, text, walk

# Members every type has through the standard protocols the generated types conform to.
STANDARD_MEMBERS = {"hashValue", "hash", "self", "localizedDescription", "errorDescription", "debugDescription", "description"}
# Types whose members are all known: declared here or generated, conforming only to these.
CLOSED_CONFORMANCES = {"Sendable", "Equatable", "Hashable", "Error", "Swift.Error", "AnyObject",
                       "Foundation.LocalizedError", "LocalizedError", "CustomStringConvertible"}


@dataclass
class Scope:
    """Names visible in one function body (flow-insensitive: a name bound twice to
    different types is unknown) and the type `self` refers to."""
    names: dict[str, str | None] = field(default_factory=dict)
    values: dict[str, Node] = field(default_factory=dict)
    self_type: str | None = None

    def bind(self, name: str, typ: str | None, value: Node | None = None) -> None:
        if name in self.names:
            old = self.names[name]
            if old is None or typ is None or unwrap_optional(old) != unwrap_optional(typ):
                self.names[name] = None  # bound twice, differently: unknown
                self.values.pop(name, None)
            return
        self.names[name] = typ
        if typ is None and value is not None:
            self.values[name] = value


def unwrap(t: str | None) -> str | None:
    if not t:
        return None
    t = t.removeprefix("inout")
    while t.endswith(("?", "!")):
        t = t[:-1]
    if t.startswith("(") and t.endswith(")") and _split_top(t[1:-1]) == [t[1:-1]]:
        t = t[1:-1]
    return t.split("<")[0] if not t.startswith("[") else t


def element(t: str | None) -> str | None:
    t = unwrap(t) if t and not t.startswith("[") else t
    if not t:
        return None
    m = re.fullmatch(r"\[([^:\[\]]+)\]\??", t)
    if m:
        return m.group(1)
    m = re.fullmatch(r"(?:AsyncStream|AsyncThrowingStream|Array|Set)<([^,<>]+)(?:,.*)?>", t)
    return m.group(1) if m else None


def _split_top(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        depth += ch in "([<"
        depth -= ch in ")]>"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


def tuple_items(t: str | None) -> list[str] | None:
    if not t or not (t.startswith("(") and t.endswith(")")):
        return None
    items = _split_top(t[1:-1])
    return [i.split(":", 1)[1] if re.match(r"^\w+:", i) else i for i in items] if len(items) > 1 else None


def labels_match(params: list[Param], labels: list[str | None], trailing: int) -> bool:
    """Whether a call with these argument labels (and trailing closures) fits."""
    i = 0
    for label in labels:
        while i < len(params) and params[i].label != label and params[i].default:
            i += 1
        if i == len(params) or params[i].label != label:
            return False
        i += 1
    rest = params[i:]
    if trailing:
        closures = [p for p in rest if "->" in p.type]
        if len(closures) < trailing:
            return False
        rest = [p for p in rest if p not in closures[-trailing:]]
    return all(p.default for p in rest)


def signature(labels: list[str | None], trailing: int) -> str:
    return "(" + "".join(f"{l or '_'}:" for l in labels) + ")" + (" {…}" * trailing)


class Checker:
    def __init__(self, model: Model, known_types: set[str], known_funcs: set[str]):
        self.m, self.known_types, self.known_funcs = model, known_types, known_funcs
        self.problems: list[str] = []
        self.src: Source | None = None

    # --- reporting -----------------------------------------------------------------------
    def problem(self, node: Node, message: str) -> None:
        line = f"{self.src.where(node)}: {message}"
        if line not in self.problems:
            self.problems.append(line)

    # --- what a type is ----------------------------------------------------------------
    def decl(self, t: str | None) -> TypeDecl | None:
        return self.m.type(unwrap(t))

    def closed(self, d: TypeDecl) -> bool:
        """All of the type's members are known to us."""
        return d.kind in ("struct", "enum", "class", "actor", "protocol") and all(
            i in CLOSED_CONFORMANCES or (self.m.type(i) is not None and self.m.type(i).kind == "protocol")
            for i in d.inherits
        )

    def member_type(self, d: TypeDecl, name: str, static: bool = False) -> str | None:
        for cur in self.lineage(d):
            table = cur.static_props if static else cur.props
            if name in table:
                if table[name] is None and name in cur.value_nodes:
                    return self.type_of(cur.value_nodes[name], Scope(self_type=cur.name))
                return table[name]
        return None

    def lineage(self, d: TypeDecl):
        seen, todo = set(), [d]
        while todo:
            cur = todo.pop(0)
            if cur.name in seen:
                continue
            seen.add(cur.name)
            yield cur
            todo += [self.m.types[i] for i in cur.inherits if i in self.m.types]

    def has_member(self, d: TypeDecl, name: str) -> bool:
        return name in STANDARD_MEMBERS or any(
            name in c.props or name in c.static_props or name in c.methods or name in c.cases
            or (name in self.m.types and c.kind != "external")  # nested types
            for c in self.lineage(d)
        )

    def methods(self, d: TypeDecl, name: str) -> list[Func]:
        return [f for c in self.lineage(d) for f in c.methods.get(name, [])]

    def is_type_name(self, name: str) -> bool:
        return name in self.m.types or name in self.known_types

    # --- the type of an expression -----------------------------------------------------
    def type_of(self, n: Node | None, scope: Scope, depth: int = 0) -> str | None:
        if n is None or depth > 12:
            return None
        t = n.type
        if t in ("try_expression", "await_expression"):
            return self.type_of(n.child_by_field_name("expr"), scope, depth + 1)
        if t == "parenthesized_expression" or t == "tuple_expression" and len(n.named_children) == 1:
            return self.type_of(n.named_children[0], scope, depth + 1) if n.named_children else None
        if t == "line_string_literal" or t == "multi_line_string_literal":
            return "String"
        if t == "boolean_literal":
            return "Bool"
        if t == "self_expression":
            return scope.self_type
        if t == "as_expression":
            return type_str(_type_child(n))
        if t == "simple_identifier":
            return self.name_type(text(n), scope, depth)
        if t == "navigation_expression":
            return self.navigation_type(n, scope, depth)
        if t == "call_expression":
            callee = n.children[0]
            funcs, _owner = self.callee(callee, scope, depth)
            returns = {f.returns for f in funcs}
            return returns.pop() if len(returns) == 1 else None
        return None

    def name_type(self, name: str, scope: Scope, depth: int) -> str | None:
        if name in scope.names:
            if scope.names[name] is None and name in scope.values:
                value = scope.values.pop(name)  # guards against `let x = x…` cycles
                scope.names[name] = self.type_of(value, scope, depth + 1)
            return scope.names[name]
        if scope.self_type and (d := self.decl(scope.self_type)):
            found = self.member_type(d, name) or self.member_type(d, name, static=True)
            if found:
                return found
        if name in self.m.globals:
            if self.m.globals[name] is None and name in self.m.global_values:
                self.m.globals[name] = self.type_of(self.m.global_values.pop(name), Scope(), depth + 1)
            return self.m.globals[name]
        if name in self.m.types:
            return "meta:" + name
        return None

    def navigation_type(self, n: Node, scope: Scope, depth: int) -> str | None:
        target, member = n.child_by_field_name("target"), self.suffix_name(n)
        base = self.type_of(target, scope, depth + 1)
        if not base or not member:
            return None
        if base.startswith("meta:"):
            d = self.m.type(base[5:])
            if d is None:
                return None
            if member in d.cases and not d.cases[member]:
                return d.name
            return self.member_type(d, member, static=True)
        if (el := element(base)) and member in ("first", "last"):
            return el + "?"
        if member in ("count",):
            return "Int"
        if member in ("isEmpty",):
            return "Bool"
        d = self.decl(base)
        return self.member_type(d, member) if d else None

    @staticmethod
    def suffix_name(n: Node) -> str | None:
        suffix = n.child_by_field_name("suffix")
        ident = suffix.child_by_field_name("suffix") if suffix is not None else None
        return text(ident).strip("`") if ident is not None and ident.type == "simple_identifier" else None

    def callee(self, callee: Node, scope: Scope, depth: int = 0) -> tuple[list[Func], str | None]:
        """The declarations a call can reach (all overloads) and what is called, for messages;
        ([], None) when unknown."""
        if callee.type == "simple_identifier":
            name = text(callee)
            if name in scope.names or (scope.self_type and (d := self.decl(scope.self_type)) and self.methods(d, name)):
                d = self.decl(scope.self_type) if name not in scope.names else None
                return (self.methods(d, name), name) if d else ([], None)
            if name in self.m.funcs:
                return self.m.funcs[name], name
            if (d := self.m.type(name)) is not None and d.kind != "external":
                return self.m.inits(d), name
            return [], None
        if callee.type == "navigation_expression":
            member = self.suffix_name(callee)
            base = self.type_of(callee.child_by_field_name("target"), scope, depth + 1)
            if not member or not base:
                return [], None
            if base.startswith("meta:"):
                d = self.m.type(base[5:])
                if d is None:
                    return [], None
                if member in d.cases:
                    return [Func(member, d.cases[member], d.name)], f"{d.name}.{member}"
                if member == "init":
                    return self.m.inits(d), f"{d.name}.init"
                return [f for f in self.methods(d, member) if f.static], f"{d.name}.{member}"
            d = self.decl(base)
            if d is None or member in self.m.types:
                return [], None
            return [f for f in self.methods(d, member) if not f.static], f"{d.name}.{member}"
        return [], None

    # --- scopes --------------------------------------------------------------------------
    def scope_for(self, fn: Node, self_type: str | None, outer: Scope | None) -> Scope:
        scope = Scope(dict(outer.names) if outer else {}, dict(outer.values) if outer else {}, self_type)
        for c in fn.children:
            if c.type == "parameter":
                names = kids(c, "simple_identifier")
                scope.names[text(names[-1])] = type_str(_type_child(c))
        body = fn.child_by_field_name("body") or kid(fn, "function_body", "computed_property", "statements")
        if body is None:
            return scope
        for n in walk(body):
            if n.type == "property_declaration":
                self.bind_property(n, scope)
            elif n.type == "function_declaration" and n is not fn:
                name = text(n.child_by_field_name("name"))
                scope.names[name] = None  # a local function: known, untyped
            elif n.type == "lambda_parameter":
                ident = kid(n, "simple_identifier")
                if ident is not None:
                    scope.bind(text(ident), type_str(_type_child(n)))
            elif n.type in ("if_statement", "guard_statement", "while_statement"):
                self.bind_conditions(n, scope)
            elif n.type == "for_statement":
                item = n.child_by_field_name("item")
                coll = n.child_by_field_name("collection")
                for ident in (kids(item, "simple_identifier") if item is not None else []):
                    scope.bind(text(ident), None)
                    if coll is not None:
                        scope.names[text(ident)] = element(self.type_of(coll, scope))
            elif n.type == "catch_block":
                pat = n.child_by_field_name("error")
                if pat is None:
                    scope.bind("error", "Error")
                elif (cp := case_pattern(pat)) and cp[0] and (d := self.m.type(cp[0].split(".")[-1])):
                    for sub, param in zip(cp[2], d.cases.get(cp[1], [])):
                        ident = kid(sub, "simple_identifier")  # `catch let E.Case(a, _)`
                        if ident is not None:
                            scope.bind(text(ident), param.type)
        return scope

    def bind_property(self, n: Node, scope: Scope) -> None:
        pattern = n.child_by_field_name("name") or kid(n, "pattern")
        ann = kid(n, "type_annotation")
        typ = type_str(_type_child(ann)) if ann is not None else None
        value = n.child_by_field_name("value")
        if pattern is None:
            return
        idents = kids(pattern, "simple_identifier")
        if idents:
            scope.bind(text(idents[0]), typ, value if typ is None else None)
            return
        parts = kids(pattern, "pattern")  # `let (a, b) = f()`
        items = tuple_items(typ or self.type_of(value, scope))
        for i, p in enumerate(parts):
            ident = kid(p, "simple_identifier")
            if ident is not None:
                scope.bind(text(ident), items[i] if items and i < len(items) else None)

    def bind_conditions(self, n: Node, scope: Scope) -> None:
        children = n.children
        for i, c in enumerate(children):
            if n.field_name_for_child(i) == "bound_identifier" or (c.type == "simple_identifier" and i and children[i - 1].type == "value_binding_pattern"):
                name = text(c)
                if i + 2 < len(children) and children[i + 1].type == "=":
                    scope.bind(name, unwrap_optional(self.type_of(children[i + 2], scope)))
                else:  # `if let x` shorthand
                    scope.bind(name, unwrap_optional(self.name_type(name, scope, 0)))


def unwrap_optional(t: str | None) -> str | None:
    return t[:-1] if t and t.endswith("?") else t


# --- the checks ------------------------------------------------------------------------
GENERIC_EQUALITY = {"XCTAssertEqual", "XCTAssertNotEqual"}


def case_pattern(p: Node) -> tuple[str | None, str, list[Node]] | None:
    """`.name(sub, …)`, `let .name(…)` or `Type.name(…)` as (qualifier, name, sub-patterns)."""
    children = p.children
    for i, c in enumerate(children):
        if c.type == "." and i + 1 < len(children) and children[i + 1].type == "simple_identifier":
            qualifier = children[i - 1] if i and children[i - 1].type == "user_type" else None
            subs = [s for s in children[i + 2:] if s.type == "pattern"]
            return (text(qualifier) if qualifier is not None else None), text(children[i + 1]), subs
    return None


def irrefutable(p: Node) -> bool:
    return not any(c.type in (".", "line_string_literal", "integer_literal", "boolean_literal") for c in walk(p))


class UseChecker(Checker):
    def check(self, src: Source, generic_names: set[str]) -> None:
        self.src, self.generic_names = src, generic_names
        self.visit(src.root, Scope())

    def visit(self, n: Node, scope: Scope) -> None:
        t = n.type
        if t in ("class_declaration", "protocol_declaration"):
            name = text(n.child_by_field_name("name")).split("<")[0].split(".")[-1]
            scope = Scope(dict(scope.names), dict(scope.values), name)
        elif t in ("function_declaration", "init_declaration") or (t == "property_declaration" and kid(n, "computed_property")):
            scope = self.scope_for(n, scope.self_type, scope)
        self.check_node(n, scope)
        for c in n.children:
            self.visit(c, scope)

    def check_node(self, n: Node, scope: Scope) -> None:
        t = n.type
        if t == "type_identifier":
            self.check_type_name(n)
        elif t == "call_expression":
            self.check_call(n, scope)
        elif t == "navigation_expression":
            self.check_navigation(n, scope)
        elif t == "switch_statement":
            self.check_switch(n, scope)
        elif t == "catch_block":
            pat = n.child_by_field_name("error")
            if pat is not None and (cp := case_pattern(pat)) and cp[0]:
                self.check_case(pat, cp[0], cp[1], cp[2])
        elif t in ("if_statement", "guard_statement"):
            self.check_if_case(n, scope)
        elif t == "equality_expression":
            lhs, rhs = n.child_by_field_name("lhs"), n.child_by_field_name("rhs")
            self.check_implicit(rhs, self.type_of(lhs, scope))
            self.check_implicit(lhs, self.type_of(rhs, scope))
        elif t == "property_declaration":
            ann = kid(n, "type_annotation")
            if ann is not None:
                self.check_implicit(n.child_by_field_name("value"), type_str(_type_child(ann)))
        elif t == "assignment":
            target = n.child_by_field_name("target")
            inner = target.named_children[0] if target is not None and target.named_children else None
            self.check_implicit(n.child_by_field_name("result"), self.type_of(inner, scope))

    # Type names ---------------------------------------------------------------------------
    def check_type_name(self, n: Node) -> None:
        prev = n.prev_sibling
        if prev is not None and prev.type in (".", "type_identifier"):
            return  # a nested name (`UIImagePickerController.InfoKey`)
        up = n.parent
        while up is not None and up.type not in ("attribute", "import_declaration", "statements", "source_file"):
            up = up.parent
        if up is not None and up.type in ("attribute", "import_declaration"):
            return  # `@discardableResult`, `@unchecked Sendable`, `@_exported import`
        name = text(n)
        if name in ("async", "throws"):
            return  # tree-sitter-swift reads `@Sendable () async throws -> T`'s `async` as a type
        if self.is_type_name(name) or name in self.generic_names:
            return
        self.problem(n, f"unknown type {name}" + self.suggest(name, self.m.types))

    @staticmethod
    def suggest(name: str, names) -> str:
        names = [x for x in names if x != name]
        close = [x for x in names if x.lower() == name.lower()] or difflib.get_close_matches(name, names, 1, 0.85)
        return f" (did you mean {close[0]}?)" if close else ""

    # Calls ---------------------------------------------------------------------------------
    def check_call(self, n: Node, scope: Scope) -> None:
        callee = n.children[0]
        suffix = kid(n, "call_suffix")
        if suffix is None:
            return
        args = kids(kid(suffix, "value_arguments"), "value_argument") if kid(suffix, "value_arguments") else []
        labels = [text(kid(a, "value_argument_label")) or None for a in args]
        values = [a.child_by_field_name("value") for a in args]
        trailing = len(kids(suffix, "lambda_literal"))

        if callee.type == "simple_identifier":
            name = text(callee)
            if name.startswith("$"):
                return  # a closure's `$0[…]`
            if name in GENERIC_EQUALITY and len(values) >= 2:
                self.check_implicit(values[1], self.type_of(values[0], scope))
                self.check_implicit(values[0], self.type_of(values[1], scope))
                return
            known = (name in scope.names or name in self.m.funcs or name in self.m.globals
                     or self.is_type_name(name) or name in self.known_funcs
                     or (scope.self_type and (d := self.decl(scope.self_type)) and (d.kind == "external" or self.has_member(d, name))))
            if not known:
                self.problem(callee, f"unknown function {name}" + self.suggest(name, self.m.funcs))
                return
        if callee.type == "prefix_expression":
            return  # `.case(…)`: checked against the expected type by check_implicit
        funcs, what = self.callee(callee, scope)
        if not funcs:
            return
        fitting = [f for f in funcs if labels_match(f.params, labels, trailing)]
        if not fitting:
            declared = ", ".join(sorted({f.shape() for f in funcs}))
            self.problem(n, f"no {what}{signature(labels, trailing)}: declared {declared}")
            return
        f = fitting[0]
        unlabeled = iter([p for p in f.params if p.label is None])
        for label, value in zip(labels, values):
            param = next((p for p in f.params if p.label == label), None) if label else next(unlabeled, None)
            if param is not None:
                self.check_implicit(value, param.type)

    def check_navigation(self, n: Node, scope: Scope) -> None:
        member = self.suffix_name(n)
        base = self.type_of(n.child_by_field_name("target"), scope)
        if not member or not base or member == "init":
            return
        if base.startswith("meta:"):
            d = self.m.type(base[5:])
            if d is not None and d.kind == "enum" and not self.has_member(d, member):
                self.problem(n, f"{d.name} has no case {member}" + self.suggest(member, d.cases))
            return
        d = self.decl(base)
        if d is not None and not base.startswith("[") and self.closed(d) and not self.has_member(d, member):
            names = set(d.props) | set(d.methods) | set(d.cases)
            self.problem(n, f"{d.name} has no member {member}" + self.suggest(member, names))

    # Enum cases ---------------------------------------------------------------------------
    def implicit_member(self, value: Node | None) -> tuple[Node, str, Node | None] | None:
        """`.name` or `.name(…)` as (node, name, call)."""
        if value is None:
            return None
        call = None
        if value.type == "call_expression":
            call, value = value, value.children[0]
        if value.type == "prefix_expression" and text(value.child_by_field_name("operation")) == ".":
            target = value.child_by_field_name("target")
            if target is not None and target.type == "simple_identifier":
                return value, text(target), call
        return None

    def check_implicit(self, value: Node | None, expected: str | None) -> None:
        found = self.implicit_member(value)
        if found is None or not expected:
            return
        node, name, call = found
        optional = expected.endswith("?")
        d = self.decl(expected)
        if d is None or d.kind != "enum" or name == "init":
            return
        if name in d.cases:
            if call is not None:
                suffix = kid(call, "call_suffix")
                args = kids(kid(suffix, "value_arguments"), "value_argument") if suffix and kid(suffix, "value_arguments") else []
                labels = [text(kid(a, "value_argument_label")) or None for a in args]
                if not labels_match(d.cases[name], labels, 0):
                    shape = Func(name, d.cases[name]).shape()
                    self.problem(call, f"no {d.name}.{name}{signature(labels, 0)}: declared .{shape}")
            return
        if self.has_member(d, name) or (optional and name in ("none", "some")):
            return
        self.problem(node, f"{d.name} has no case .{name}" + self.suggest(name, d.cases))

    def check_case(self, at: Node, qualifier: str | None, name: str, subs: list[Node], d: TypeDecl | None = None) -> bool:
        """Checks one case pattern; returns whether it names a case of the enum."""
        d = d or self.m.type((qualifier or "").split(".")[-1])
        if d is None or d.kind != "enum":
            return False
        if name not in d.cases:
            self.problem(at, f"{d.name} has no case .{name}" + self.suggest(name, d.cases))
            return False
        arity = len(d.cases[name])
        if len(subs) > 1 and len(subs) != arity:
            self.problem(at, f"{d.name}.{name} has {arity} associated values, the pattern binds {len(subs)}")
        return True

    def check_if_case(self, n: Node, scope: Scope) -> None:
        ch = n.children
        for i, c in enumerate(ch):
            if c.type == "case" and i + 2 < len(ch) and ch[i + 1].type == "." and ch[i + 2].type == "simple_identifier":
                rest = ch[i + 3:]
                eq = next((k for k, x in enumerate(rest) if x.type == "="), None)
                if eq is not None and eq + 1 < len(rest):
                    d = self.decl(self.type_of(rest[eq + 1], scope))
                    subs = [x for x in rest[:eq] if x.type == "pattern"]
                    if d is not None:
                        self.check_case(ch[i + 2], None, text(ch[i + 2]), subs, d)

    def check_switch(self, n: Node, scope: Scope) -> None:
        subject = self.type_of(n.child_by_field_name("expr"), scope)
        d = self.decl(subject) if subject and not subject.startswith("meta:") else None
        entries = kids(n, "switch_entry")
        has_default = False
        patterns: list[tuple[Node, tuple[str | None, str, list[Node]], bool]] = []
        for e in entries:
            if kid(e, "default_keyword") is not None or text(e).lstrip().startswith(("default", "@unknown")):
                has_default = True
                continue
            guarded = kid(e, "where_keyword") is not None or any(c.type == "where_clause" for c in e.children)
            for sp in kids(e, "switch_pattern"):
                p = kid(sp, "pattern") or sp
                cp = case_pattern(p)
                if cp is None:
                    if irrefutable(p):
                        has_default = True  # `case _`, `case let x`
                    else:
                        return  # literals, tuples…: not a switch over one enum
                    continue
                patterns.append((p, cp, guarded))
        if not patterns:
            return
        if d is None or d.kind != "enum":
            d = self.enum_of(patterns)
            if d is None:
                return
        covered = set()
        for p, (qualifier, name, subs), guarded in patterns:
            if qualifier and qualifier.split(".")[-1] != d.name:
                return
            if self.check_case(p, None, name, subs, d) and not guarded and all(irrefutable(s) for s in subs):
                covered.add(name)
        missing = [c for c in d.cases if c not in covered]
        if missing and not has_default:
            self.problem(n, f"switch over {d.name} is not exhaustive: missing " + ", ".join("." + m for m in missing))

    def enum_of(self, patterns) -> TypeDecl | None:
        """The one generated or declared enum having every case named (qualified or not)."""
        qualified = {cp[0].split(".")[-1] for _, cp, _ in patterns if cp[0]}
        if len(qualified) == 1:
            d = self.m.type(qualified.pop())
            return d if d is not None and d.kind == "enum" else None
        names = {cp[1] for _, cp, _ in patterns}
        fits = [d for d in self.m.types.values() if d.kind == "enum" and names <= set(d.cases)]
        return fits[0] if len(fits) == 1 else None
