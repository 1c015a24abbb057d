//! Rate limiting for log lines that a peer can trigger at will (malformed datagrams, a full queue,
//! an unreachable upstream): every event is still counted in a metric, but at most a few lines per
//! window reach the log, and the next line that does says how many were held back.

use std::time::Duration;

use tokio::time::Instant;

/// Allows `burst` log lines per `window` and counts the rest.
#[derive(Debug)]
pub(crate) struct LogLimiter {
    window: Duration,
    burst: u32,
    window_start: Option<Instant>,
    logged_in_window: u32,
    suppressed: u64,
}

impl LogLimiter {
    /// A limiter allowing `burst` lines per `window`.
    pub(crate) const fn new(window: Duration, burst: u32) -> Self {
        Self {
            window,
            burst,
            window_start: None,
            logged_in_window: 0,
            suppressed: 0,
        }
    }

    /// Whether a line may be logged now. `Some(n)`: log it, and say that `n` earlier lines were
    /// held back since the last one logged; `None`: count it and stay quiet.
    pub(crate) fn allow(&mut self, now: Instant) -> Option<u64> {
        let new_window = match self.window_start {
            None => true,
            Some(start) => now.saturating_duration_since(start) >= self.window,
        };
        if new_window {
            self.window_start = Some(now);
            self.logged_in_window = 0;
        }
        if self.logged_in_window < self.burst {
            self.logged_in_window += 1;
            Some(std::mem::take(&mut self.suppressed))
        } else {
            self.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_per_window_and_reports_what_it_held_back() {
        let mut limiter = LogLimiter::new(Duration::from_secs(10), 2);
        let t0 = Instant::now();
        assert_eq!(limiter.allow(t0), Some(0));
        assert_eq!(limiter.allow(t0), Some(0));
        assert_eq!(limiter.allow(t0 + Duration::from_secs(1)), None);
        assert_eq!(limiter.allow(t0 + Duration::from_secs(9)), None);
        assert_eq!(limiter.allow(t0 + Duration::from_secs(10)), Some(2));
        assert_eq!(limiter.allow(t0 + Duration::from_secs(10)), Some(0));
        assert_eq!(limiter.allow(t0 + Duration::from_secs(11)), None);
    }
}
