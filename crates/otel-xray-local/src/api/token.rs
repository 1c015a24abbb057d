//! `NextToken` of `GetTraceSummaries`: the time range type and the last trace examined, as
//! `<T|E|S>|<time>|<trace id>`. Opaque to clients; a token from another time range type is refused.

use crate::store::{Cursor, TimeRange};

fn tag(time: TimeRange) -> char {
    match time {
        TimeRange::TraceId => 'T',
        TimeRange::Event => 'E',
        TimeRange::Service => 'S',
    }
}

/// The token for a page that ends at `cursor`.
pub fn encode(time: TimeRange, cursor: &Cursor) -> String {
    format!("{}|{}|{}", tag(time), cursor.time, cursor.id)
}

/// The cursor in `token`, or `None` when the token is not one this server issued for `time`.
pub fn decode(time: TimeRange, token: &str) -> Option<Cursor> {
    let mut parts = token.splitn(3, '|');
    let kind = parts.next()?;
    let t: f64 = parts.next()?.parse().ok()?;
    let id = parts.next()?;
    (kind.len() == 1 && kind.starts_with(tag(time)) && t.is_finite()).then(|| Cursor {
        time: t,
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = Cursor {
            time: 1_480_615_200.123_456,
            id: "1-58406520-a006649127e371903a2de979".into(),
        };
        assert_eq!(decode(TimeRange::Event, &encode(TimeRange::Event, &c)), Some(c.clone()));
        assert_eq!(decode(TimeRange::TraceId, &encode(TimeRange::Event, &c)), None);
        assert_eq!(decode(TimeRange::TraceId, "garbage"), None);
    }
}
