//! The one HTTP client every call to AWS goes through: `PutTraceSegments`, `PutTelemetryRecords`,
//! the credential providers (STS, SSO, instance metadata) and the gateway's sampling proxy.
//!
//! It is a `reqwest` client (rustls) configured once from [`HttpClientOptions`], the OpenTelemetry
//! Collector `awsxray` exporter's `proxy_address`, `no_verify_ssl` and `certificate_file_path`,
//! and handed to the AWS SDK through [`SdkHttpClient`], an adapter to the SDK's `HttpClient` trait.
//!
//! # Proxies
//!
//! | configuration | `https://` requests | `http://` requests |
//! |---|---|---|
//! | `proxy_address` set | through it | through it |
//! | else `HTTPS_PROXY` / `https_proxy` set | through it, unless `NO_PROXY` matches | direct |
//! | else `HTTP_PROXY` / `http_proxy` set | direct | through it, unless `NO_PROXY` matches |
//! | nothing | direct | direct |
//!
//! `NO_PROXY` applies only to proxies from the environment, not to `proxy_address` (as in the
//! Collector, which sets `proxy_address` as the transport's only proxy). The instance- and
//! container-metadata addresses ([`METADATA_HOSTS`]) are never proxied, and a
//! proxy taken from the environment is not used for loopback addresses (as Go's
//! `http.ProxyFromEnvironment`, which the Collector uses). A proxy URL may carry `user:password@`
//! for basic authentication; `https://` requests are tunnelled with `CONNECT`.

use std::path::PathBuf;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;

use crate::api::ApiSetupError;

/// Hosts that are never sent through a proxy: EC2 instance metadata (IPv4 and IPv6), the ECS
/// container credentials endpoint and the EKS Pod Identity agent (IPv4 and IPv6).
pub const METADATA_HOSTS: &str = "169.254.169.254,fd00:ec2::254,169.254.170.2,169.254.170.23,fd00:ec2::23";

/// Loopback destinations, which a proxy from the environment does not apply to.
const LOOPBACK_HOSTS: &str = "localhost,127.0.0.0/8,::1";

/// The largest response body read from AWS (X-Ray's answers are a few KiB).
const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// How the HTTP client reaches AWS: the Collector `awsxray` exporter's connection keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpClientOptions {
    /// Send every request through this proxy (`http://host:port`, or `https://…` for a TLS
    /// proxy; `user:password@` for basic authentication). When `None`, `HTTPS_PROXY`,
    /// `HTTP_PROXY` and `NO_PROXY` from the environment apply (see the module documentation).
    pub proxy_address: Option<String>,
    /// Accept any server certificate. For tests against endpoints with self-signed
    /// certificates only: it makes the connection open to interception.
    pub no_verify_ssl: bool,
    /// A PEM file of CA certificates trusted in addition to the system's roots (for a private
    /// endpoint or a TLS-inspecting proxy).
    pub certificate_file: Option<PathBuf>,
}

/// A proxy setting from the environment: the first non-empty of the names given.
fn env_var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        .map(|v| v.trim().to_owned())
}

/// Builds the `reqwest` client for `options`: proxy, TLS roots or no verification, no redirects,
/// `connect_timeout` per connection. Reads the certificate file and the proxy environment
/// variables; call it at start-up.
pub fn build_client(options: &HttpClientOptions, connect_timeout: Duration) -> Result<reqwest::Client, ApiSetupError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("otel-xray/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        // Only the proxies chosen here: not reqwest's own reading of the environment.
        .no_proxy();
    let proxy_error = |address: &str, e: reqwest::Error| ApiSetupError::Proxy {
        address: address.to_owned(),
        message: e.to_string(),
    };
    if let Some(address) = options.proxy_address.as_deref().filter(|a| !a.trim().is_empty()) {
        let address = address.trim();
        check_proxy_url(address)?;
        let proxy = reqwest::Proxy::all(address)
            .map_err(|e| proxy_error(address, e))?
            .no_proxy(reqwest::NoProxy::from_string(METADATA_HOSTS));
        builder = builder.proxy(proxy);
    } else {
        let no_proxy = match env_var(&["NO_PROXY", "no_proxy"]) {
            Some(list) => format!("{list},{METADATA_HOSTS},{LOOPBACK_HOSTS}"),
            None => format!("{METADATA_HOSTS},{LOOPBACK_HOSTS}"),
        };
        if let Some(address) = env_var(&["HTTPS_PROXY", "https_proxy"]) {
            check_proxy_url(&address)?;
            let proxy = reqwest::Proxy::https(&address)
                .map_err(|e| proxy_error(&address, e))?
                .no_proxy(reqwest::NoProxy::from_string(&no_proxy));
            builder = builder.proxy(proxy);
        }
        if let Some(address) = env_var(&["HTTP_PROXY", "http_proxy"]) {
            check_proxy_url(&address)?;
            let proxy = reqwest::Proxy::http(&address)
                .map_err(|e| proxy_error(&address, e))?
                .no_proxy(reqwest::NoProxy::from_string(&no_proxy));
            builder = builder.proxy(proxy);
        }
    }
    if let Some(path) = &options.certificate_file {
        let certificate_error = |message: String| ApiSetupError::CertificateFile {
            path: path.clone(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| certificate_error(e.to_string()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| certificate_error(format!("not a PEM certificate bundle: {e}")))?;
        if certificates.is_empty() {
            return Err(certificate_error("it holds no PEM certificate".to_owned()));
        }
        builder = builder.tls_certs_merge(certificates);
    }
    if options.no_verify_ssl {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| ApiSetupError::HttpClient(error_chain(&e)))
}

/// A proxy address must be an absolute `http`/`https` URL with a host.
fn check_proxy_url(address: &str) -> Result<(), ApiSetupError> {
    let invalid = |message: &str| ApiSetupError::Proxy {
        address: address.to_owned(),
        message: message.to_owned(),
    };
    let url = reqwest::Url::parse(address).map_err(|e| invalid(&format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(())
}

/// An error and its sources, for messages.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// A `reqwest` client as the AWS SDK's HTTP client.
///
/// Request bodies must be in memory (every X-Ray, STS, SSO and metadata request is); responses
/// are read completely, up to 16 MiB. The SDK's read timeout (plus its connect timeout) bounds
/// each request as a whole when set; connections are bounded by the client's own connect
/// timeout; the operation timeout stays with the SDK.
#[derive(Debug, Clone)]
pub struct SdkHttpClient {
    client: reqwest::Client,
}

impl SdkHttpClient {
    /// Wraps `client`.
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }

    /// As a `SharedHttpClient` for `aws_config::ConfigLoader::http_client` or a service config.
    pub fn shared(client: reqwest::Client) -> SharedHttpClient {
        SharedHttpClient::new(Self::new(client))
    }
}

impl HttpClient for SdkHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, _components: &RuntimeComponents) -> SharedHttpConnector {
        // A read timeout bounds the whole request (plus the connect timeout, if any). A connect
        // timeout alone is the client's own `connect_timeout`: applying it to the whole request
        // would cut off slow answers.
        let timeout = settings
            .read_timeout()
            .map(|read| read + settings.connect_timeout().unwrap_or_default());
        SharedHttpConnector::new(SdkConnector {
            client: self.client.clone(),
            timeout,
        })
    }
}

/// One connector per set of timeouts.
#[derive(Debug, Clone)]
struct SdkConnector {
    client: reqwest::Client,
    timeout: Option<Duration>,
}

impl HttpConnector for SdkConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        let timeout = self.timeout;
        HttpConnectorFuture::new(async move { send(&client, request, timeout).await })
    }
}

fn user_error(message: String) -> ConnectorError {
    ConnectorError::user(message.into())
}

async fn send(
    client: &reqwest::Client,
    mut request: HttpRequest,
    timeout: Option<Duration>,
) -> Result<HttpResponse, ConnectorError> {
    let method = reqwest::Method::from_bytes(request.method().as_bytes())
        .map_err(|e| user_error(format!("invalid HTTP method: {e}")))?;
    if request.body().bytes().is_none() {
        return Err(user_error("streaming request bodies are not supported".to_owned()));
    }
    // An in-memory body is one `Bytes` frame: collecting it hands that over without copying
    // (a `PutTraceSegments` body is tens of KiB; copying it was 1.5 % of the gateway's CPU).
    let body = request
        .take_body()
        .collect()
        .await
        .map_err(|e| user_error(format!("could not read the request body: {e}")))?
        .to_bytes();
    let mut builder = client.request(method, request.uri());
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    let mut response = builder.body(body).send().await.map_err(connector_error)?;
    let status = StatusCode::try_from(response.status().as_u16()).map_err(|e| ConnectorError::other(e.into(), None))?;
    let mut headers = Vec::with_capacity(response.headers().len());
    for (name, value) in response.headers() {
        // AWS sends ASCII header values; anything else cannot be represented and is skipped.
        if let Ok(value) = value.to_str() {
            headers.push((name.as_str().to_owned(), value.to_owned()));
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(connector_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ConnectorError::other(
                format!("the response body exceeds {MAX_RESPONSE_BYTES} bytes").into(),
                None,
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let mut out = HttpResponse::new(status, SdkBody::from(body));
    for (name, value) in headers {
        out.headers_mut().append(name, value);
    }
    Ok(out)
}

fn connector_error(e: reqwest::Error) -> ConnectorError {
    let message = error_chain(&e);
    if e.is_timeout() {
        ConnectorError::timeout(message.into())
    } else if e.is_builder() {
        ConnectorError::user(message.into())
    } else {
        ConnectorError::io(message.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_proxy_address_is_refused_with_the_address() {
        for address in ["proxy.example:3128", "ftp://proxy.example", "http://"] {
            let options = HttpClientOptions {
                proxy_address: Some(address.into()),
                ..HttpClientOptions::default()
            };
            let err = build_client(&options, Duration::from_secs(1)).unwrap_err();
            assert!(matches!(err, ApiSetupError::Proxy { .. }), "{address}: {err}");
            assert!(err.to_string().contains(address), "{err}");
        }
    }

    #[test]
    fn a_missing_or_empty_certificate_file_is_named() {
        let missing = std::env::temp_dir().join("otel-xray-no-such-ca.pem");
        let options = HttpClientOptions {
            certificate_file: Some(missing.clone()),
            ..HttpClientOptions::default()
        };
        let err = build_client(&options, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains(&missing.display().to_string()), "{err}");

        let empty = std::env::temp_dir().join(format!("otel-xray-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let options = HttpClientOptions {
            certificate_file: Some(empty.clone()),
            ..HttpClientOptions::default()
        };
        let err = build_client(&options, Duration::from_secs(1)).unwrap_err();
        let _ = std::fs::remove_file(&empty);
        assert!(err.to_string().contains(&empty.display().to_string()), "{err}");
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn proxy_and_no_verify_build() {
        let options = HttpClientOptions {
            proxy_address: Some("http://user:secret@127.0.0.1:3128".into()),
            no_verify_ssl: true,
            certificate_file: None,
        };
        build_client(&options, Duration::from_secs(1)).unwrap();
    }
}
