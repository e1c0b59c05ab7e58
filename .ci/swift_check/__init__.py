"""A checker for FieldKit's Swift, where no Swift compiler runs (Linux CI).

It parses the Swift with tree-sitter and checks it against the declarations of the
uniffi-generated bindings (and of our own code): syntax, type and function names, enum
cases, members, argument labels and exhaustive switches. See `python -m swift_check -h`.
"""
