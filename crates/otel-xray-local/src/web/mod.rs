//! The web viewer: a single page (trace list, trace timeline, service map) served by the same
//! process as the X-Ray API.
//!
//! The viewer is vanilla JavaScript and CSS with no build step and nothing fetched from a CDN:
//! every asset is compiled into the binary with [`include_str!`] and served from memory by
//! [`routes`]. The page talks to the X-Ray REST API of the same origin, unsigned
//! (`POST /TraceSummaries`, `/Traces`, `/ServiceGraph`, `/TraceGraph`).
//!
//! Pages are hash routes, so every view is deep-linkable:
//!
//! | route | view |
//! |---|---|
//! | `#/traces?range=<seconds>&filter=<expr>` | trace list with a filter expression and time range |
//! | `#/trace/<trace-id>?segment=<segment-id>` | trace timeline; `segment` opens that segment's details |
//! | `#/map?range=<seconds>` | service map |
//!
//! When a view has finished rendering (data shown, or an error shown) the page sets
//! `document.body.dataset.ready = "1"` (the `data-ready="1"` attribute), which the headless-browser
//! tests wait for.

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// One file of the viewer, embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// File name under `/assets/` (for `index.html`, the page served at `/`).
    pub name: &'static str,
    /// The `Content-Type` the file is served with.
    pub content_type: &'static str,
    /// The file's contents.
    pub body: &'static str,
}

/// The page served at `/`.
pub const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: include_str!("../../assets/index.html"),
};

/// The scripts and style sheets served under `/assets/<name>`.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../assets/app.css"),
    },
    Asset {
        name: "util.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/util.js"),
    },
    Asset {
        name: "traces.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/traces.js"),
    },
    Asset {
        name: "timeline.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/timeline.js"),
    },
    Asset {
        name: "map.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/map.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../../assets/favicon.svg"),
    },
];

/// The `Content-Security-Policy` of the viewer: scripts, styles and API calls from the same
/// origin only, no inline script, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Looks up an embedded asset by its file name under `/assets/`.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The web viewer's routes: `GET /` (and `/index.html`) serve the page, `GET /assets/<file>` its
/// scripts and styles; unknown assets answer 404.
///
/// Responses carry their content type, `X-Content-Type-Options: nosniff`, a strict
/// Content-Security-Policy on the page, and `Cache-Control: no-cache` with a strong `ETag`, so
/// browsers revalidate cheaply (`If-None-Match` answers 304) and never run stale assets after an
/// upgrade. `HEAD` is answered like `GET` without a body.
pub fn routes() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{file}", get(asset_route))
}

async fn index(headers: HeaderMap) -> Response {
    serve(&INDEX, &headers)
}

async fn asset_route(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match asset(&file) {
        Some(a) => serve(a, &headers),
        None => (
            StatusCode::NOT_FOUND,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "no such asset\n",
        )
            .into_response(),
    }
}

/// FNV-1a over the body: a stable validator for the embedded (immutable per build) contents.
fn etag(body: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in body.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{hash:016x}-{:x}\"", body.len())
}

fn if_none_match_hits(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == "*" || v == tag)
}

fn serve(asset: &Asset, headers: &HeaderMap) -> Response {
    let tag = etag(asset.body);
    let hit = if_none_match_hits(headers, &tag);
    let mut response = if hit {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, value);
    }
    if asset.name == INDEX.name {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_referenced_by_the_page_and_non_empty() {
        for a in ASSETS {
            assert!(!a.body.trim().is_empty(), "{} is empty", a.name);
            assert!(
                INDEX.body.contains(&format!("/assets/{}", a.name)),
                "index.html does not load {}",
                a.name
            );
        }
    }

    #[test]
    fn page_has_no_inline_script_or_remote_url() {
        for a in ASSETS.iter().chain(std::iter::once(&INDEX)) {
            // The SVG namespace is an identifier, not something fetched.
            let body = a.body.replace("http://www.w3.org/2000/svg", "");
            assert!(!body.contains("http://"), "{} refers to a remote URL", a.name);
            assert!(!body.contains("https://"), "{} refers to a remote URL", a.name);
            assert!(!a.body.contains("innerHTML"), "{} uses innerHTML", a.name);
        }
        assert!(!INDEX.body.contains("<script>"), "inline script breaks the CSP");
    }

    #[test]
    fn etag_matches_with_and_without_weak_prefix() {
        let tag = etag("abc");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{tag}")).expect("header value"),
        );
        assert!(if_none_match_hits(&headers, &tag));
        assert!(!if_none_match_hits(&HeaderMap::new(), &tag));
        assert_ne!(etag("abc"), etag("abd"));
    }
}
