//! The FieldKit sync server (being built: issue 4).

fn main() {}
