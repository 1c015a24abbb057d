//! Segment names and namespaces (`translation.md` §6, Differs (a)).

use std::borrow::Cow;

use otel_xray_model::limits::MAX_NAME_BYTES;
use unicode_general_category::{GeneralCategory, get_general_category};

use crate::keys;
use crate::view::{Attr, ResourceRef, SpanKind, find_str};

/// Whether X-Ray allows `c` in a segment name: ASCII space, digits, Unicode letters (`\p{L}`)
/// and `_ . : / % & # = + - @`.
fn allowed(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '_' | '.' | ':' | '/' | '%' | '&' | '#' | '=' | '+' | '-' | '@');
    }
    // `char::is_alphabetic` is wider than `\p{L}` (it admits combining marks and letter numbers),
    // so the general category decides.
    matches!(
        get_general_category(c),
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
    )
}

/// [`allowed`] for each ASCII byte (the same rule; a unit test checks they agree).
const ASCII_ALLOWED: [bool; 128] = {
    let mut t = [false; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'_' | b'.' | b':' | b'/' | b'%' | b'&' | b'#' | b'=' | b'+' | b'-' | b'@'
            );
        c += 1;
    }
    t
};

/// Whether every byte is an ASCII byte [`allowed`] in a name (false for any non-ASCII byte).
/// Written without early exit or table, so that it compiles to SIMD compares.
fn all_ascii_allowed(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| {
        let lower = b | 0x20;
        let letter = lower.wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        let punct = (b == b' ')
            | (b == b'_')
            | (b == b'.')
            | (b == b':')
            | (b == b'/')
            | (b == b'%')
            | (b == b'&')
            | (b == b'#')
            | (b == b'=')
            | (b == b'+')
            | (b == b'-')
            | (b == b'@');
        ok & (letter | digit | punct)
    })
}

/// Whether a host read from a connection string holds a character URL parsing refuses in a host
/// (white space, controls, `<>"`{}|\^`): bytes for ASCII hosts, characters otherwise.
fn has_bad_host_char(host: &str) -> bool {
    if host.is_ascii() {
        host.bytes().fold(false, |bad, b| {
            bad | (b <= b' ') | (b == 0x7f) | matches!(b, b'<' | b'>' | b'"' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^')
        })
    } else {
        host.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
        })
    }
}

/// The character filter and 200-byte cut of `fixSegmentName`, without the `span` fallback.
/// Returns an empty string when nothing is left.
pub fn sanitize_name(name: &str) -> Cow<'_, str> {
    // Names are nearly always clean ASCII: a branch-free test of every byte first (which the
    // compiler vectorises), then per character only when that fails.
    let all_allowed = all_ascii_allowed(name.as_bytes())
        || if name.is_ascii() {
            name.bytes().all(|b| ASCII_ALLOWED[usize::from(b)])
        } else {
            name.chars().all(allowed)
        };
    let clean: Cow<'_, str> = if all_allowed {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.chars().filter(|&c| allowed(c)).collect())
    };
    if clean.len() <= MAX_NAME_BYTES {
        return clean;
    }
    // Keep the first 200 bytes; an incomplete trailing UTF-8 sequence becomes U+FFFD, as in the
    // reference.
    let cut = &clean.as_bytes()[..MAX_NAME_BYTES];
    Cow::Owned(String::from_utf8_lossy(cut).into_owned())
}

/// `fixSegmentName`: [`sanitize_name`], then `span` when nothing is left.
pub fn fix_segment_name(name: &str) -> Cow<'_, str> {
    let clean = sanitize_name(name);
    if clean.is_empty() { Cow::Borrowed("span") } else { clean }
}

/// Strips the AWS SDK prefix of an `aws.remote.service` value: `AWS.SDK.` or, failing that, `AWS::`.
pub fn trim_aws_sdk_prefix(name: &str) -> &str {
    name.strip_prefix("AWS.SDK.")
        .or_else(|| name.strip_prefix("AWS::"))
        .unwrap_or(name)
}

/// The host of a database connection string (`jdbc:` removed), as written, when it parses as a
/// URL with a host: `scheme://[userinfo@]host[:port][/path…]`.
///
/// Hand-written rather than the `url` crate because the reference keeps the host exactly as
/// written (no lower-casing of `http` hosts, no percent-encoding of non-ASCII hosts of unknown
/// schemes), and because it runs on every database span.
fn db_host(connection_string: &str) -> Option<&str> {
    let s = connection_string.strip_prefix("jdbc:").unwrap_or(connection_string);
    // `split_once("://")`, found through the first `:` (an earlier `:` would make the scheme
    // invalid anyway).
    let colon = s.find(':')?;
    let (scheme, rest) = (&s[..colon], s[colon..].strip_prefix("://")?);
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']')?.0
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    if host.is_empty() || has_bad_host_char(host) {
        return None;
    }
    Some(host)
}

/// Name and namespace computed inside the pipeline (step 13), from the original attributes.
pub(crate) struct NameAndNamespace<'a> {
    pub name: Cow<'a, str>,
    pub namespace: Option<&'static str>,
}

/// Picks the name and namespace of §6.
pub(crate) fn name_and_namespace<'a>(
    span_name: &'a str,
    kind: SpanKind,
    attrs: &[Attr<'a>],
    resource: &ResourceRef<'a>,
    is_aws_sdk: bool,
) -> NameAndNamespace<'a> {
    let mut namespace: Option<&'static str> = None;
    let pick = |candidate: &'a str| -> Option<Cow<'a, str>> {
        if candidate.is_empty() {
            return None;
        }
        let c = sanitize_name(candidate);
        (!c.is_empty()).then_some(c)
    };
    // One pass over the attributes for every key read below (the last occurrence wins, as with
    // `find`).
    let mut local_service = "";
    let mut span_kind = "";
    let mut remote_service = "";
    let mut peer_service = "";
    let mut aws_service = "";
    let mut db_name = "";
    let mut db_connection = "";
    let mut rpc_service = "";
    let mut http_host = "";
    let mut net_peer_name = "";
    for a in attrs {
        // Every key matched below starts with one of these letters (a unit test checks them):
        // other keys skip the string comparisons.
        if !matches!(a.key.as_bytes().first(), Some(b'a' | b'd' | b'h' | b'n' | b'p' | b'r')) {
            continue;
        }
        let slot = match a.key {
            keys::AWS_LOCAL_SERVICE => &mut local_service,
            keys::AWS_SPAN_KIND => &mut span_kind,
            keys::AWS_REMOTE_SERVICE => &mut remote_service,
            keys::PEER_SERVICE => &mut peer_service,
            keys::AWS_SERVICE => &mut aws_service,
            keys::DB_NAME => &mut db_name,
            keys::DB_CONNECTION_STRING => &mut db_connection,
            keys::RPC_SERVICE => &mut rpc_service,
            keys::HTTP_HOST => &mut http_host,
            keys::NET_PEER_NAME => &mut net_peer_name,
            _ => continue,
        };
        *slot = a.value.as_str();
    }
    let mut name: Option<Cow<'a, str>> = None;
    if kind == SpanKind::Server {
        name = pick(local_service);
    }
    if name.is_none() && kind == SpanKind::Internal && span_kind == keys::LOCAL_ROOT {
        name = pick(local_service);
    }
    if name.is_none() && kind.is_outgoing_or_consumer() {
        let remote = remote_service;
        name = pick(if is_aws_sdk {
            trim_aws_sdk_prefix(remote)
        } else {
            remote
        });
    }
    if name.is_none() {
        name = pick(peer_service);
    }
    if is_aws_sdk {
        namespace = Some("aws");
    }
    if name.is_none() {
        name = pick(aws_service);
        if name.is_some() && namespace.is_none() {
            namespace = Some("aws");
        }
    }
    if name.is_none() {
        let db = db_name;
        if !db.is_empty() {
            name = match db_host(db_connection) {
                Some(host) => {
                    let full = crate::sql::join3(db, "@", host);
                    // Clean already (the usual case): keep the string instead of copying it.
                    let c = match sanitize_name(&full) {
                        Cow::Borrowed(_) => full,
                        Cow::Owned(o) => o,
                    };
                    (!c.is_empty()).then_some(Cow::Owned(c))
                }
                None => pick(db),
            };
        }
    }
    if name.is_none() && kind == SpanKind::Server {
        name = pick(find_str(&resource.attributes, keys::SERVICE_NAME));
    }
    for value in [rpc_service, http_host, net_peer_name] {
        if name.is_some() {
            break;
        }
        name = pick(value);
    }
    let name = name.unwrap_or_else(|| fix_segment_name(span_name));
    if namespace.is_none() && kind == SpanKind::Client {
        namespace = Some("remote");
    }
    NameAndNamespace { name, namespace }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_naming_key_passes_the_first_byte_filter() {
        for key in [
            keys::AWS_LOCAL_SERVICE,
            keys::AWS_SPAN_KIND,
            keys::AWS_REMOTE_SERVICE,
            keys::PEER_SERVICE,
            keys::AWS_SERVICE,
            keys::DB_NAME,
            keys::DB_CONNECTION_STRING,
            keys::RPC_SERVICE,
            keys::HTTP_HOST,
            keys::NET_PEER_NAME,
        ] {
            assert!(
                matches!(key.as_bytes()[0], b'a' | b'd' | b'h' | b'n' | b'p' | b'r'),
                "{key}"
            );
        }
    }

    #[test]
    fn ascii_table_agrees_with_allowed() {
        for b in 0u8..128 {
            assert_eq!(ASCII_ALLOWED[usize::from(b)], allowed(char::from(b)), "{b}");
            assert_eq!(all_ascii_allowed(&[b]), allowed(char::from(b)), "{b}");
            let host = format!("db{}x.example.com", char::from(b));
            let by_char = host.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
            });
            assert_eq!(has_bad_host_char(&host), by_char, "{b}");
        }
        for b in 128u8..=255 {
            assert!(!all_ascii_allowed(&[b'a', b]), "{b}");
        }
    }

    #[test]
    fn fix_segment_name_examples_of_the_spec() {
        assert_eq!(
            fix_segment_name("EP @ test_15.testing-d\u{00F6}main.org#GO"),
            "EP @ test_15.testing-d\u{00F6}main.org#GO"
        );
        assert_eq!(
            fix_segment_name("<subDomain>.example.com,1413"),
            "subDomain.example.com1413"
        );
        assert_eq!(fix_segment_name("<>"), "span");
        assert_eq!(fix_segment_name("a\\b"), "ab");
        assert_eq!(fix_segment_name("tab\there"), "tabhere");
    }

    #[test]
    fn long_names_are_cut_at_200_bytes() {
        let long = "x".repeat(300);
        assert_eq!(fix_segment_name(&long).len(), 200);
        // 199 ASCII bytes then a 2-byte letter: the cut splits it and U+FFFD replaces the half.
        let split = format!("{}é", "a".repeat(199));
        let fixed = fix_segment_name(&split);
        assert!(fixed.ends_with('\u{FFFD}'));
        assert!(fixed.starts_with(&"a".repeat(199)));
    }

    #[test]
    fn combining_marks_are_not_letters() {
        // U+0301 COMBINING ACUTE ACCENT is alphabetic in Rust's sense but not \p{L}.
        assert_eq!(fix_segment_name("e\u{0301}"), "e");
    }

    #[test]
    fn aws_sdk_prefixes() {
        assert_eq!(trim_aws_sdk_prefix("AWS.SDK.DynamoDb"), "DynamoDb");
        assert_eq!(trim_aws_sdk_prefix("AWS::DynamoDB"), "DynamoDB");
        assert_eq!(trim_aws_sdk_prefix("DynamoDB"), "DynamoDB");
    }

    #[test]
    fn db_hosts() {
        assert_eq!(
            db_host("jdbc:mysql://db.dev.example.com:3306"),
            Some("db.dev.example.com")
        );
        assert_eq!(
            db_host("postgresql://app:secret@DB.Example.com:5432/x?y=1"),
            Some("DB.Example.com")
        );
        assert_eq!(db_host("mysql://dépôt.example.com:3306"), Some("dépôt.example.com"));
        assert_eq!(db_host("sqlserver://[2001:db8::1]:1433"), Some("2001:db8::1"));
        assert_eq!(db_host("localhost:5432"), None);
        assert_eq!(db_host("mysql://:3306"), None);
        assert_eq!(db_host("1mysql://h:1"), None);
        assert_eq!(db_host(""), None);
    }

    proptest::proptest! {
        #[test]
        fn sanitized_names_are_short_and_clean(s in "\\PC{0,400}") {
            let n = fix_segment_name(&s);
            proptest::prop_assert!(!n.is_empty());
            proptest::prop_assert!(n.len() <= MAX_NAME_BYTES + 3);
            let clean = n.chars().all(|c| allowed(c) || c == char::REPLACEMENT_CHARACTER);
            proptest::prop_assert!(clean, "unexpected character in {:?}", n);
        }
    }
}
