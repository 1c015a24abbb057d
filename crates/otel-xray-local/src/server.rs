//! [`LocalXray`]: the store, the X-Ray API and the web viewer behind one router.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::store::{Limits, OpenError, Store};

/// Default retention: X-Ray's 30 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(otel_xray_model::limits::RETENTION_DAYS as u64 * 24 * 3600);
/// Default size cap: 1 GiB of database pages.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// How often [`LocalXray::serve`] enforces retention and the size cap.
pub const ENFORCE_INTERVAL: Duration = Duration::from_secs(60);

/// Where and how much Local X-Ray stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOptions {
    /// The SQLite database file (created with its directory when missing); `None` keeps
    /// everything in memory.
    pub path: Option<PathBuf>,
    /// Traces older than this, by trace time, are deleted. Default 30 days.
    pub retention: Duration,
    /// Size cap: when the database's pages in use take more than this many bytes, the oldest
    /// traces are deleted. Default 1 GiB.
    pub max_bytes: u64,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            path: None,
            retention: DEFAULT_RETENTION,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// An embedded X-Ray-compatible backend; cheap to clone (the store is shared).
#[derive(Debug, Clone)]
pub struct LocalXray {
    store: Arc<Store>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl LocalXray {
    /// Opens the store (creating it when missing) and deletes what is already past the
    /// retention.
    pub fn open(opts: LocalOptions) -> Result<Self, OpenError> {
        let limits = Limits {
            retention: opts.retention,
            max_bytes: opts.max_bytes,
        };
        let store = Store::open(opts.path.as_deref(), limits)?;
        if let Err(e) = store.enforce_limits(now()) {
            tracing::warn!(error = %e, "Retention could not be enforced when the store was opened.");
        }
        Ok(LocalXray { store: Arc::new(store) })
    }

    /// The store, for direct use (tests, load tools).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The X-Ray API routes merged with the web viewer's routes.
    pub fn router(&self) -> axum::Router {
        crate::api::routes(Arc::clone(&self.store)).merge(crate::web::routes())
    }

    /// Serves [`router`](Self::router) on `listener` until `shutdown` completes, enforcing
    /// retention and the size cap every [`ENFORCE_INTERVAL`].
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = Arc::clone(&self.store);
        let enforcer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(ENFORCE_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate; open() already enforced
            loop {
                tick.tick().await;
                let store = Arc::clone(&store);
                match tokio::task::spawn_blocking(move || store.enforce_limits(now())).await {
                    Ok(Ok(removed)) if removed.traces > 0 => tracing::info!(
                        traces = removed.traces,
                        bytes = removed.bytes,
                        "Traces past the retention or over the size cap were deleted."
                    ),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "Retention could not be enforced."),
                    Err(e) => tracing::warn!(error = %e, "The retention task did not finish."),
                }
            }
        });
        let result = axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await;
        enforcer.abort();
        result
    }
}
