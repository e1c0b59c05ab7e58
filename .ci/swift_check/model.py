"""What the Swift declares: types with their properties, methods, initialisers and enum
cases (with labels and types), top-level functions and variables. Read from the generated
bindings (public declarations only) and from our own files (everything)."""
from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from .syntax import Source, kid, kids, text, walk

TYPE_NODES = {
    "user_type", "optional_type", "array_type", "dictionary_type", "function_type",
    "tuple_type", "opaque_type", "existential_type", "metatype", "protocol_composition_type",
}


@dataclass
class Param:
    label: str | None  # None: called without a label (`_`)
    type: str
    default: bool = False


@dataclass
class Func:
    name: str
    params: list[Param]
    returns: str | None = None
    static: bool = False

    def shape(self) -> str:
        return f"{self.name}(" + "".join(f"{p.label or '_'}:" for p in self.params) + ")"


@dataclass
class TypeDecl:
    name: str
    kind: str  # class, struct, enum, protocol, actor, typealias
    generated: bool
    inherits: list[str] = field(default_factory=list)
    props: dict[str, str | None] = field(default_factory=dict)
    static_props: dict[str, str | None] = field(default_factory=dict)
    methods: dict[str, list[Func]] = field(default_factory=dict)
    cases: dict[str, list[Param]] = field(default_factory=dict)
    stored: list[Param] = field(default_factory=list)  # a struct's memberwise init
    has_init: bool = False
    value_nodes: dict[str, Node] = field(default_factory=dict)  # untyped `let x = …`


@dataclass
class Model:
    types: dict[str, TypeDecl] = field(default_factory=dict)
    funcs: dict[str, list[Func]] = field(default_factory=dict)
    globals: dict[str, str | None] = field(default_factory=dict)
    global_values: dict[str, Node] = field(default_factory=dict)

    def type(self, name: str | None) -> TypeDecl | None:
        return self.types.get(name) if name else None

    def inits(self, t: TypeDecl) -> list[Func]:
        found = list(t.methods.get("init", []))
        if t.kind == "struct" and not t.has_init:
            found.append(Func("init", list(t.stored), t.name))
        if not found and t.kind in ("class", "actor"):
            found.append(Func("init", [], t.name))
        return found


def type_str(n: Node | None) -> str | None:
    if n is None:
        return None
    return "".join(text(n).split()).replace("@escaping", "").replace("@Sendable", "")


def _type_child(n: Node) -> Node | None:
    found = [c for c in n.children if c.type in TYPE_NODES]
    return found[-1] if found else None


def _is_public(n: Node) -> bool:
    mods = kid(n, "modifiers")
    return mods is not None and any(w in text(mods).split() for w in ("public", "open"))


def _is_static(n: Node) -> bool:
    mods = kid(n, "modifiers")
    return mods is not None and any(w in text(mods).split() for w in ("static", "class"))


def _params(n: Node) -> list[Param]:
    """The parameters of a function or init declaration, defaults included (tree-sitter
    puts `= value` after the parameter node, as the declaration's own children)."""
    params: list[Param] = []
    for c in n.children:
        if c.type == "parameter":
            names = kids(c, "simple_identifier")
            label = text(names[0]).strip("`")
            params.append(Param(None if label == "_" else label, type_str(_type_child(c)) or "?"))
        elif c.type == "=" and params:
            params[-1].default = True
    return params


def _returns(n: Node) -> str | None:
    seen_arrow = False
    for c in n.children:
        if c.type == "->":
            seen_arrow = True
        elif seen_arrow and c.type in TYPE_NODES:
            return type_str(c)
    return None


def _func(n: Node) -> Func:
    name = text(n.child_by_field_name("name")).strip("`")
    return Func(name, _params(n), _returns(n), _is_static(n))


def _bound_names(pattern: Node) -> list[str]:
    return [text(x) for x in pattern.children if x.type == "simple_identifier"] or [
        text(x) for p in kids(pattern, "pattern") for x in kids(p, "simple_identifier")
    ]


class _Reader:
    def __init__(self, model: Model, generated: bool):
        self.model, self.generated = model, generated

    def wanted(self, n: Node) -> bool:
        return not self.generated or _is_public(n)

    def top(self, src: Source) -> None:
        for n in src.root.children:
            self.decl(n, None)

    def decl(self, n: Node, owner: TypeDecl | None) -> None:
        t = n.type
        if t in ("class_declaration", "protocol_declaration"):
            self.type_decl(n, owner)
        elif t == "typealias_declaration":
            name = text(n.child_by_field_name("name"))
            if name and self.wanted(n):
                self.model.types.setdefault(name, TypeDecl(name, "typealias", self.generated))
        elif t in ("function_declaration", "protocol_function_declaration"):
            if owner is None:
                if self.wanted(n):
                    f = _func(n)
                    self.model.funcs.setdefault(f.name, []).append(f)
            elif self.wanted(n) or owner.kind == "protocol":
                f = _func(n)
                owner.methods.setdefault(f.name, []).append(f)
        elif t == "init_declaration" and owner is not None and (self.wanted(n) or owner.kind == "protocol"):
            owner.methods.setdefault("init", []).append(Func("init", _params(n), owner.name))
            owner.has_init = True
        elif t in ("property_declaration", "protocol_property_declaration"):
            self.property(n, owner)

    def property(self, n: Node, owner: TypeDecl | None) -> None:
        if owner is not None and not (self.wanted(n) or owner.kind == "protocol"):
            return
        pattern = n.child_by_field_name("name") or kid(n, "pattern")
        if pattern is None:
            return
        ann = kid(n, "type_annotation")
        typ = type_str(_type_child(ann)) if ann is not None else None
        value = n.child_by_field_name("value")
        computed = kid(n, "computed_property") is not None
        for name in _bound_names(pattern):
            if owner is None:
                self.model.globals[name] = typ
                if value is not None:
                    self.model.global_values[name] = value
                continue
            table = owner.static_props if _is_static(n) else owner.props
            table[name] = typ
            if typ is None and value is not None:
                owner.value_nodes[name] = value
            if owner.kind == "struct" and not computed and not _is_static(n):
                is_let = "let" in text(kid(n, "value_binding_pattern")).split()
                wrapped = any(c.type == "attribute" for c in walk(kid(n, "modifiers") or n) if c is not n)
                if not (is_let and value is not None):
                    # A property wrapper (`@State`, `@EnvironmentObject`) brings its own value.
                    owner.stored.append(Param(name, typ or "?", value is not None or wrapped))

    def type_decl(self, n: Node, owner: TypeDecl | None) -> None:
        kind_node = n.child_by_field_name("declaration_kind")
        kind = text(kind_node) if kind_node is not None else "protocol"
        name_node = n.child_by_field_name("name")
        name = text(name_node).split("<")[0]
        if kind == "extension":
            name = name.split(".")[-1]
            decl = self.model.types.get(name)
            if decl is None:  # an extension of a framework type: members still resolvable
                decl = self.model.types[name] = TypeDecl(name, "external", self.generated)
        else:
            if not self.wanted(n):
                return
            decl = self.model.types.get(name)
            if decl is None or decl.kind in ("external", "typealias"):
                old = decl
                decl = self.model.types[name] = TypeDecl(name, kind, self.generated)
                if old is not None:
                    decl.props, decl.methods = old.props, old.methods
        decl.inherits += [
            type_str(c).split("<")[0]
            for spec in kids(n, "inheritance_specifier")
            for c in spec.children
            if c.type in TYPE_NODES
        ]
        body = n.child_by_field_name("body")
        if body is None:
            return
        for c in body.children:
            if c.type == "enum_entry":
                self.enum_entry(c, decl)
            else:
                self.decl(c, decl)

    def enum_entry(self, n: Node, decl: TypeDecl) -> None:
        # One `case` may declare several: `case a, b(x: Int)`.
        current: str | None = None
        for c in n.children:
            if c.type == "simple_identifier":
                current = text(c).strip("`")
                decl.cases[current] = []
            elif c.type == "enum_type_parameters" and current is not None:
                label: str | None = None
                for p in c.children:
                    if p.type == "simple_identifier":
                        label = text(p)
                    elif p.type in TYPE_NODES:
                        decl.cases[current].append(Param(label, type_str(p) or "?"))
                        label = None


def read(sources: list[Source], model: Model, generated: bool) -> Model:
    reader = _Reader(model, generated)
    for src in sources:
        reader.top(src)
    return model
