//! The `sql` block (`translation.md` §12).

use std::borrow::Cow;

use otel_xray_model::Sql;

use crate::config::ConventionReading;
use crate::keys::*;
use crate::pipeline::Consumed;
use crate::view::Attr;

const SQL_SYSTEMS: &[&str] = &[
    "db2",
    "mssql",
    "oracle",
    "derby",
    "hive",
    "mariadb",
    "mysql",
    "other_sql",
    "postgresql",
    "sqlite",
    "teradata",
];
const SQL_SYSTEMS_V1: &[&str] = &["ibm.db2", "microsoft.sql_server", "oracle.db"];

/// Which field a database key feeds, and whether it is a v1 key.
fn role(key: &str, conv: ConventionReading) -> Option<(usize, bool)> {
    // Every key below starts with `d` or `u` (a unit test checks them): other keys skip the
    // string comparisons.
    if !matches!(key.as_bytes().first(), Some(b'd' | b'u')) {
        return None;
    }
    match key {
        DB_CONNECTION_STRING if conv.read_v0 => Some((0, false)),
        DB_NAME if conv.read_v0 => Some((1, false)),
        DB_STATEMENT if conv.read_v0 => Some((2, false)),
        DB_SYSTEM if conv.read_v0 => Some((3, false)),
        DB_USER if conv.read_v0 => Some((4, false)),
        DB_NAMESPACE if conv.read_v1 => Some((1, true)),
        DB_QUERY_TEXT if conv.read_v1 => Some((2, true)),
        DB_SYSTEM_NAME if conv.read_v1 => Some((3, true)),
        USER_NAME if conv.read_v1 => Some((4, true)),
        _ => None,
    }
}

/// Builds the `sql` block for SQL systems; only then are the database keys consumed.
pub(crate) fn make_sql<'a>(
    span_name: &'a str,
    attrs: &[Attr<'a>],
    consumed: &mut [Consumed],
    conv: ConventionReading,
) -> Option<Sql<'a>> {
    // [connection_string, name, statement, system, user]; a v1 value beats a v0 one.
    let mut fields: [Option<(&'a str, bool)>; 5] = [None; 5];
    let mut any = false;
    for (i, a) in attrs.iter().enumerate() {
        if consumed[i] != Consumed::Live {
            continue;
        }
        if let Some((slot, v1)) = role(a.key, conv) {
            any = true;
            let keep_existing = matches!(fields[slot], Some((_, true))) && !v1;
            if !keep_existing {
                fields[slot] = Some((a.value.as_str(), v1));
            }
        }
    }
    if !any {
        return None;
    }
    let system = fields[3].map_or("", |f| f.0);
    let is_sql = SQL_SYSTEMS.contains(&system) || (conv.read_v1 && SQL_SYSTEMS_V1.contains(&system));
    if !is_sql {
        return None;
    }
    for (i, a) in attrs.iter().enumerate() {
        if consumed[i] == Consumed::Live && role(a.key, conv).is_some() {
            consumed[i] = Consumed::Structured;
        }
    }
    let get = |i: usize| fields[i].map_or("", |f| f.0);
    let conn = match get(0) {
        "" => "localhost",
        c => c,
    };
    let opt = |s: &'a str| (!s.is_empty()).then_some(Cow::Borrowed(s));
    Some(Sql {
        url: Some(Cow::Borrowed(span_name)),
        connection_string: Some(Cow::Owned(join3(conn, "/", get(1)))),
        database_type: Some(Cow::Borrowed(system)),
        user: opt(get(4)),
        sanitized_query: opt(get(2)),
        ..Sql::default()
    })
}

/// `a + sep + b` in one allocation (`format!` costs several times more on this path, run for every
/// database span).
pub(crate) fn join3(a: &str, sep: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + sep.len() + b.len());
    s.push_str(a);
    s.push_str(sep);
    s.push_str(b);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_database_key_has_a_role() {
        let both = ConventionReading {
            read_v0: true,
            read_v1: true,
        };
        for key in [
            DB_CONNECTION_STRING,
            DB_NAME,
            DB_STATEMENT,
            DB_SYSTEM,
            DB_USER,
            DB_NAMESPACE,
            DB_QUERY_TEXT,
            DB_SYSTEM_NAME,
            USER_NAME,
        ] {
            assert!(role(key, both).is_some(), "{key}");
        }
    }
}
