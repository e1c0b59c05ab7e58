//! uniffi bindings of the FieldKit core (being built: issue 5).
