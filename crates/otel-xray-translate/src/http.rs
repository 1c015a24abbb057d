//! The `http` block (`translation.md` §7).

use std::borrow::Cow;
use std::net::IpAddr;

use otel_xray_model::{Http, HttpRequest, HttpResponse};

use crate::config::ConventionReading;
use crate::keys::*;
use crate::pipeline::Consumed;
use crate::view::{Attr, EventRef, SpanKind, Value, find};

/// What the attribute pass collected.
#[derive(Default)]
struct Parts<'a> {
    method: Option<&'a str>,
    client_ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    status: Option<i64>,
    full_url: Option<&'a str>,
    scheme: Option<&'a str>,
    http_host: Option<&'a str>,
    target: Option<&'a str>,
    server_name: Option<&'a str>,
    host_port: Option<Port<'a>>,
    host_name: Option<&'a str>,
    net_host_name: Option<&'a str>,
    peer_name: Option<&'a str>,
    peer_port: Option<Port<'a>>,
    peer_ip: Option<&'a str>,
    network_peer_port: Option<Port<'a>>,
    url_path: Option<&'a str>,
    url_query: Option<&'a str>,
    server_address: Option<&'a str>,
    server_port: Option<Port<'a>>,
    peer_seen: bool,
    has_http: bool,
    has_url_attrs: bool,
}

fn is_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// Whether `key` starts like one of the keys [`make_http`] matches (a unit test checks them
/// all): most other keys skip the string comparisons of its `match` at the cost of one byte test.
#[inline]
fn may_be_http_key(key: &str) -> bool {
    matches!(key.as_bytes().first(), Some(b'c' | b'h' | b'n' | b's' | b'u'))
}

/// Builds the `http` block and marks every HTTP/network key consumed, even when no block results.
pub(crate) fn make_http<'a>(
    kind: SpanKind,
    attrs: &[Attr<'a>],
    events: &[EventRef<'a>],
    consumed: &mut [Consumed],
    conv: ConventionReading,
) -> Option<Http<'a>> {
    let mut p = Parts::default();
    for (i, a) in attrs.iter().enumerate() {
        if consumed[i] != Consumed::Live || !may_be_http_key(a.key) {
            continue;
        }
        let v = a.value;
        let s = v.as_str();
        let mut hit = true;
        match a.key {
            HTTP_METHOD if conv.read_v0 => {
                p.method = Some(s);
                p.has_http = true;
            }
            HTTP_REQUEST_METHOD => {
                p.method = Some(s);
                p.has_http = true;
            }
            HTTP_CLIENT_IP if conv.read_v0 => {
                p.client_ip = Some(s);
                p.has_http = true;
            }
            HTTP_USER_AGENT if conv.read_v0 => {
                p.user_agent = Some(s);
                p.has_http = true;
            }
            USER_AGENT_ORIGINAL => {
                p.user_agent = Some(s);
                p.has_http = true;
            }
            HTTP_STATUS_CODE if conv.read_v0 => {
                p.status = Some(v.as_int());
                p.has_http = true;
            }
            HTTP_RESPONSE_STATUS_CODE => {
                p.status = Some(v.as_int());
                p.has_http = true;
            }
            HTTP_URL if conv.read_v0 => {
                p.full_url = Some(s);
                p.has_http = true;
                p.has_url_attrs = true;
            }
            URL_FULL => {
                p.full_url = Some(s);
                p.has_http = true;
                p.has_url_attrs = true;
            }
            HTTP_SCHEME if conv.read_v0 => {
                p.scheme = Some(s);
                p.has_http = true;
            }
            URL_SCHEME => {
                p.scheme = Some(s);
                p.has_http = true;
            }
            HTTP_HOST if conv.read_v0 => {
                p.http_host = Some(s);
                p.has_http = true;
                p.has_url_attrs = true;
            }
            HTTP_TARGET if conv.read_v0 => {
                p.target = Some(s);
                p.has_http = true;
            }
            HTTP_SERVER_NAME if conv.read_v0 => {
                p.server_name = Some(s);
                p.has_http = true;
                p.has_url_attrs = true;
            }
            NET_HOST_PORT if conv.read_v0 => {
                p.host_port = Port::of(v);
                p.has_http = true;
            }
            HOST_NAME if conv.read_v0 => {
                p.host_name = Some(s);
                p.has_url_attrs = true;
            }
            NET_HOST_NAME if conv.read_v0 => {
                p.net_host_name = Some(s);
                p.has_url_attrs = true;
            }
            NET_PEER_NAME if conv.read_v0 => {
                p.peer_name = Some(s);
                p.has_url_attrs = true;
            }
            NET_PEER_PORT if conv.read_v0 => {
                p.peer_port = Port::of(v);
            }
            NET_PEER_IP if conv.read_v0 => {
                p.peer_ip = Some(s);
                if p.client_ip.is_none() {
                    p.client_ip = Some(s);
                }
                p.peer_seen = true;
                p.has_url_attrs = true;
            }
            NETWORK_PEER_ADDRESS => {
                if is_ip(s) {
                    if p.client_ip.is_none() {
                        p.client_ip = Some(s);
                    }
                    p.peer_seen = true;
                    p.has_url_attrs = true;
                }
            }
            NETWORK_PEER_PORT if conv.read_v1 => {
                p.network_peer_port = Port::of(v);
            }
            CLIENT_ADDRESS => {
                if is_ip(s) {
                    p.client_ip = Some(s);
                }
            }
            URL_PATH => {
                p.url_path = Some(s);
                p.has_http = true;
            }
            URL_QUERY => {
                p.url_query = Some(s);
                p.has_http = true;
            }
            SERVER_ADDRESS => {
                p.server_address = Some(s);
                p.has_url_attrs = true;
            }
            SERVER_PORT => {
                p.server_port = Port::of(v);
            }
            _ => hit = false,
        }
        if hit {
            consumed[i] = Consumed::Structured;
        }
    }
    if !p.has_http {
        return None;
    }

    let mut request = HttpRequest {
        method: p.method.map(Cow::Borrowed),
        user_agent: p.user_agent.map(Cow::Borrowed),
        client_ip: p.client_ip.map(Cow::Borrowed),
        ..HttpRequest::default()
    };
    if p.client_ip.is_some() && !p.peer_seen {
        request.x_forwarded_for = Some(true);
    }
    if p.has_url_attrs {
        request.url = Some(build_url(kind, &p, conv));
    }
    let response = HttpResponse {
        status: p.status,
        content_length: Some(content_length(attrs, events, conv)),
    };
    Some(Http {
        request: Some(request),
        response: Some(response),
    })
}

fn build_url<'a>(kind: SpanKind, p: &Parts<'a>, conv: ConventionReading) -> Cow<'a, str> {
    if let Some(full) = p.full_url {
        return Cow::Borrowed(full);
    }
    let scheme = p.scheme.unwrap_or("http");
    let (host, from_http_host) = if let Some(h) = p.http_host {
        (h, true)
    } else if kind == SpanKind::Server {
        (
            p.server_name
                .or(p.net_host_name)
                .or(p.host_name)
                .or(p.server_address)
                .unwrap_or(""),
            false,
        )
    } else {
        (p.peer_name.or(p.peer_ip).or(p.server_address).unwrap_or(""), false)
    };
    let port: Option<Port<'_>> = if from_http_host {
        None
    } else if kind == SpanKind::Server {
        p.host_port.or(p.server_port)
    } else {
        // `server.port` is never used for client URLs.
        p.peer_port.or(if conv.read_v1 { p.network_peer_port } else { None })
    };
    let mut url = String::with_capacity(scheme.len() + host.len() + 32);
    url.push_str(scheme);
    url.push_str("://");
    url.push_str(host);
    // The scheme's default port is left out.
    let is_default = |port: i64| (port == 80 && scheme == "http") || (port == 443 && scheme == "https");
    let is_default_text = |port: &str| (port == "80" && scheme == "http") || (port == "443" && scheme == "https");
    match port {
        Some(Port::Str(port)) if !port.is_empty() && !is_default_text(port) => {
            url.push(':');
            url.push_str(port);
        }
        Some(Port::Int(port)) if !is_default(port) => {
            use std::fmt::Write as _;
            // Into the URL's spare capacity: no allocation.
            let _ = write!(url, ":{port}");
        }
        _ => {}
    }
    match p.target {
        Some(t) => url.push_str(t),
        None => {
            url.push_str(p.url_path.unwrap_or("/"));
            if let Some(q) = p.url_query {
                if !q.starts_with('?') {
                    url.push('?');
                }
                url.push_str(q);
            }
        }
    }
    Cow::Owned(url)
}

/// A port attribute: a string as is, or an integer written in decimal when the URL is built
/// (no string made for ports that end up unused).
#[derive(Debug, Clone, Copy)]
enum Port<'a> {
    Str(&'a str),
    Int(i64),
}

impl<'a> Port<'a> {
    fn of(v: Value<'a>) -> Option<Self> {
        match v {
            Value::Str(s) => Some(Self::Str(s)),
            Value::Int(i) => Some(Self::Int(i)),
            _ => None,
        }
    }
}

/// The response size of a `RECEIVED` message: span attributes first, then events.
fn content_length(attrs: &[Attr<'_>], events: &[EventRef<'_>], conv: ConventionReading) -> i64 {
    let size_of = |attrs: &[Attr<'_>]| -> Option<i64> {
        if find(attrs, MESSAGE_TYPE).map(|v| v.as_str()) != Some("RECEIVED") {
            return None;
        }
        find(attrs, MESSAGING_PAYLOAD_SIZE)
            .or_else(|| {
                if conv.read_v1 {
                    find(attrs, MESSAGING_BODY_SIZE)
                } else {
                    None
                }
            })
            .map(|v| match v {
                Value::Int(i) => i,
                _ => 0,
            })
    };
    size_of(attrs)
        .or_else(|| events.iter().find_map(|e| size_of(&e.attributes)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_matched_key_passes_the_first_byte_filter() {
        for key in [
            HTTP_METHOD,
            HTTP_REQUEST_METHOD,
            HTTP_CLIENT_IP,
            HTTP_USER_AGENT,
            USER_AGENT_ORIGINAL,
            HTTP_STATUS_CODE,
            HTTP_RESPONSE_STATUS_CODE,
            HTTP_URL,
            URL_FULL,
            HTTP_SCHEME,
            URL_SCHEME,
            HTTP_HOST,
            HTTP_TARGET,
            HTTP_SERVER_NAME,
            NET_HOST_PORT,
            HOST_NAME,
            NET_HOST_NAME,
            NET_PEER_NAME,
            NET_PEER_PORT,
            NET_PEER_IP,
            NETWORK_PEER_ADDRESS,
            NETWORK_PEER_PORT,
            CLIENT_ADDRESS,
            URL_PATH,
            URL_QUERY,
            SERVER_ADDRESS,
            SERVER_PORT,
        ] {
            assert!(may_be_http_key(key), "{key}");
        }
    }
}
