//! The one place where the AWS configuration is resolved: region, credentials (with the optional
//! assumed role), endpoint and the HTTP client, from [`ApiOptions`] and `aws-config`'s standard
//! chains. [`XrayAws::load`] does it once; the X-Ray API client ([`crate::XrayApiSink`]), the
//! telemetry reporter ([`crate::telemetry`]) and the gateway's sampling proxy all take what they
//! need from the result, so they sign for the same region with the same credentials and connect
//! through the same proxy and TLS settings.
//!
//! ```no_run
//! # async fn example() -> Result<(), otel_xray_transport::ApiSetupError> {
//! use otel_xray_transport::{ApiOptions, XrayApiSink, aws_setup::XrayAws};
//!
//! let aws = XrayAws::load(&ApiOptions { region: Some("eu-west-1".into()), ..ApiOptions::default() }).await?;
//! let sink = XrayApiSink::from_aws(&aws);
//! let endpoint = aws.resolve_endpoint().await?; // e.g. for signing raw requests
//! # let _ = (sink, endpoint);
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_xray::config::SharedCredentialsProvider;
use aws_sdk_xray::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_sdk_xray::error::DisplayErrorContext;

use crate::api::{ApiOptions, ApiSetupError};
use crate::http_client::{SdkHttpClient, build_client};

/// The longest time to open a connection to AWS (within the operation's own time limit).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Region, credentials, endpoint and HTTP client for X-Ray, resolved once.
#[derive(Debug, Clone)]
pub struct XrayAws {
    sdk_config: aws_config::SdkConfig,
    credentials: SharedCredentialsProvider,
    region: String,
    endpoint: Option<String>,
    request_timeout: Duration,
    http: reqwest::Client,
}

impl XrayAws {
    /// Resolves everything `options` leaves open with `aws-config`'s standard chains (environment,
    /// shared config files, and unless `local_mode`, instance metadata), and builds the HTTP
    /// client with the proxy and TLS settings. Reads the environment and files; call it once at
    /// start-up.
    pub async fn load(options: &ApiOptions) -> Result<Self, ApiSetupError> {
        let http = build_client(&options.http, CONNECT_TIMEOUT.min(options.request_timeout))?;
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).http_client(SdkHttpClient::shared(http.clone()));
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        } else if options.local_mode {
            // Resolve the region here, from the environment and the (named) profile only: with no
            // region, `load()` would build a credentials chain that asks instance metadata.
            let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
            if let Some(name) = &options.profile {
                profile = profile.profile_name(name);
            }
            let chain =
                RegionProviderChain::first_try(aws_config::environment::EnvironmentVariableRegionProvider::new())
                    .or_else(profile.build());
            match chain.region().await {
                Some(region) => loader = loader.region(region),
                None => return Err(ApiSetupError::NoRegion { hint: "" }),
            }
        }
        let base = loader.load().await;
        let Some(region) = base.region().map(ToString::to_string) else {
            return Err(ApiSetupError::NoRegion {
                hint: if options.local_mode {
                    ""
                } else {
                    " (instance metadata gave none either)"
                },
            });
        };
        let credentials = match &options.role_arn {
            Some(role_arn) => {
                let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn)
                    .session_name("otel-xray")
                    .configure(&base);
                if let Some(external_id) = &options.external_id {
                    builder = builder.external_id(external_id);
                }
                SharedCredentialsProvider::new(builder.build().await)
            }
            None => base.credentials_provider().ok_or(ApiSetupError::NoCredentials)?,
        };
        Ok(Self {
            sdk_config: base,
            credentials,
            region,
            endpoint: options.endpoint.clone(),
            request_timeout: options.request_timeout,
            http,
        })
    }

    /// The X-Ray client: the resolved region, credentials, endpoint and HTTP client, SDK-level
    /// retries off (the caller's retry loop owns backoff) and `request_timeout` per call.
    pub fn xray_client(&self) -> aws_sdk_xray::Client {
        let mut config = aws_sdk_xray::config::Builder::from(&self.sdk_config)
            .credentials_provider(self.credentials.clone())
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(self.request_timeout).build());
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint);
        }
        aws_sdk_xray::Client::from_conf(config.build())
    }

    /// The `SdkConfig` as loaded (region, base credentials chain, HTTP client).
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.sdk_config
    }

    /// The credentials X-Ray calls are signed with (the assumed role's when `role_arn` is set).
    pub fn credentials(&self) -> SharedCredentialsProvider {
        self.credentials.clone()
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The time limit of one call.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The HTTP client, with the proxy and TLS settings, for requests made outside the SDK.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.http
    }

    /// The endpoint `aws-sdk-xray` uses: `ApiOptions::endpoint`, else the service-specific
    /// setting (`AWS_ENDPOINT_URL_XRAY` or the profile's `services` section), the global one
    /// (`AWS_ENDPOINT_URL`), else the SDK's endpoint rules for the region (partition, FIPS,
    /// dual-stack).
    pub async fn resolve_endpoint(&self) -> Result<String, ApiSetupError> {
        if let Some(endpoint) = &self.endpoint {
            return Ok(endpoint.clone());
        }
        resolve_endpoint(&self.sdk_config, &self.region).await
    }
}

/// The endpoint `aws-sdk-xray` would use with `config` in `region`: the service-specific setting
/// (`AWS_ENDPOINT_URL_XRAY` or the profile's `services` section), the global one
/// (`AWS_ENDPOINT_URL` or `SdkConfig::endpoint_url`), else the SDK's endpoint rules for the
/// region (partition, FIPS, dual-stack).
pub async fn resolve_endpoint(config: &aws_config::SdkConfig, region: &str) -> Result<String, ApiSetupError> {
    let configured = config
        .service_config()
        .and_then(|sc| {
            let key = aws_types::service_config::ServiceConfigKey::builder()
                .service_id("XRay")
                .env("AWS_ENDPOINT_URL")
                .profile("endpoint_url")
                .build()
                .ok()?;
            sc.load_config(key)
        })
        .or_else(|| config.endpoint_url().map(str::to_owned));
    if let Some(endpoint) = configured {
        return Ok(endpoint);
    }
    let params = Params::builder()
        .region(region)
        .use_fips(config.use_fips().unwrap_or(false))
        .use_dual_stack(config.use_dual_stack().unwrap_or(false))
        .build()
        .map_err(|e| ApiSetupError::Endpoint(e.to_string()))?;
    let endpoint = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .map_err(|e| ApiSetupError::Endpoint(DisplayErrorContext(&*e).to_string()))?;
    Ok(endpoint.url().to_owned())
}
