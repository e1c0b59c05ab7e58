//! Reading a device database back as its schema describes it: the structural description an
//! upgraded database is compared by ([`describe`]) and the SQL text dump the migration
//! fixtures are made of ([`dump`]).

use rusqlite::Connection;

use crate::error::Result;

/// The schema as SQLite reports it, structurally (tables with their columns, keys and
/// strictness; indexes with their columns and conditions), for comparing an upgraded
/// database with a fresh one. `ALTER TABLE` rewrites a table's stored SQL text, so the text
/// itself is not compared.
pub fn describe(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let tables: Vec<(String, bool, bool)> = conn
        .prepare(
            "SELECT name, strict, wr FROM pragma_table_list
             WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (table, strict, without_rowid) in tables {
        out.push(format!(
            "table {table} strict={strict} without_rowid={without_rowid}"
        ));
        let mut cols = conn.prepare(&format!(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}') ORDER BY name"
        ))?;
        let mut rows = cols.query([])?;
        while let Some(r) = rows.next()? {
            out.push(format!(
                "  column {table}.{} {} notnull={} default={:?} pk={}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?
            ));
        }
        let mut fks = conn.prepare(&format!(
            "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{table}') ORDER BY \"from\""
        ))?;
        let mut rows = fks.query([])?;
        while let Some(r) = rows.next()? {
            out.push(format!(
                "  fk {table}.{} -> {}.{:?}",
                r.get::<_, String>(1)?,
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(2)?
            ));
        }
    }
    let mut idx = conn.prepare(
        "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name",
    )?;
    let mut rows = idx.query([])?;
    while let Some(r) = rows.next()? {
        let sql: Option<String> = r.get(2)?;
        let sql = sql
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.push(format!(
            "index {} on {}: {sql}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?
        ));
    }
    Ok(out)
}

/// The whole database as SQL text (schema, rows, `user_version`): how the migration
/// fixtures under `core/tests/fixtures/` are made.
pub fn dump(conn: &Connection) -> Result<String> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let mut out = String::from("-- FieldKit device database fixture\nBEGIN;\n");
    let mut tables = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT type, name, sql FROM sqlite_schema
         WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY rowid",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (kind, name, sql): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        out.push_str(&sql);
        out.push_str(";\n");
        if kind == "table" {
            tables.push(name);
        }
    }
    for table in tables {
        let cols: Vec<String> = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let values = cols
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let mut stmt = conn.prepare(&format!(
            "SELECT 'INSERT INTO \"{table}\" VALUES (' || {values} || ');' FROM \"{table}\" ORDER BY 1"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.push_str(&r.get::<_, String>(0)?);
            out.push('\n');
        }
    }
    out.push_str(&format!("PRAGMA user_version = {version};\nCOMMIT;\n"));
    Ok(out)
}
