//! TLS to the X-Ray endpoint through the shared HTTP client: a server whose certificate comes
//! from a private CA is refused by default, accepted with that CA as `certificate_file_path`, and
//! accepted by anything with `no_verify_ssl`. The fixtures are in `tests/data/tls/`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_xray::config::Credentials;
use axum::Router;
use axum::routing::post;
use otel_xray_transport::http_client::{SdkHttpClient, build_client};
use otel_xray_transport::{HttpClientOptions, OutgoingDocument, SegmentSink, XrayApiSink};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls")
        .join(name)
}

/// TLS connections on a loopback port; failed handshakes are skipped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            let handshake = tokio::time::timeout(Duration::from_secs(10), self.acceptor.accept(tcp));
            if let Ok(Ok(tls)) = handshake.await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An HTTPS fake of `PutTraceSegments` that accepts everything; returns its endpoint and a
/// count of the calls that reached it.
async fn https_fake() -> (String, Arc<AtomicUsize>) {
    let cert = CertificateDer::from(std::fs::read(fixture("server.der")).unwrap());
    let key = PrivateKeyDer::try_from(std::fs::read(fixture("server.key.der")).unwrap()).unwrap();
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let app = Router::new().route(
        "/TraceSegments",
        post(move || {
            seen.fetch_add(1, Ordering::Relaxed);
            async { r#"{"UnprocessedTraceSegments":[]}"# }
        }),
    );
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("https://{addr}"), calls)
}

/// One `PutTraceSegments` call through a client built from `options`.
async fn put_one(endpoint: &str, options: &HttpClientOptions) -> Result<(), String> {
    let http = build_client(options, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(SdkHttpClient::shared(http))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .load()
        .await;
    let sink = XrayApiSink::from_sdk_config(&config, Duration::from_secs(10));
    let document = r#"{"name":"tls","id":"70de5b6f19ff9a0a","trace_id":"1-581cf771-a006649127e371903a2de979","start_time":1.0,"end_time":2.0}"#;
    let document = OutgoingDocument {
        trace_id: "1-581cf771-a006649127e371903a2de979".parse().unwrap(),
        id: "70de5b6f19ff9a0a".parse().unwrap(),
        json: document.to_owned(),
    };
    sink.put(&[document]).await.map(|_| ()).map_err(|e| e.message)
}

#[tokio::test]
async fn a_private_ca_is_refused_by_default_and_trusted_with_certificate_file_path() {
    let (endpoint, calls) = https_fake().await;
    let err = put_one(&endpoint, &HttpClientOptions::default()).await.unwrap_err();
    assert!(err.contains("could not reach X-Ray"), "{err}");
    assert!(err.to_lowercase().contains("certificate"), "the reason is named: {err}");
    assert_eq!(calls.load(Ordering::Relaxed), 0);

    let trusted = HttpClientOptions {
        certificate_file: Some(fixture("ca.pem")),
        ..HttpClientOptions::default()
    };
    put_one(&endpoint, &trusted).await.unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn no_verify_ssl_accepts_a_certificate_nobody_vouches_for() {
    let (endpoint, calls) = https_fake().await;
    let insecure = HttpClientOptions {
        no_verify_ssl: true,
        ..HttpClientOptions::default()
    };
    put_one(&endpoint, &insecure).await.unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}
