//! Exponential backoff with full jitter, inside a bounded budget of attempts and time.

use std::time::Duration;

use rand::Rng;

/// Retry limits and backoff shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// First backoff ceiling.
    pub initial_backoff: Duration,
    /// Largest backoff ceiling.
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, 100 ms doubling up to 5 s, within 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1 for the first retry): uniformly random in
    /// `[0, min(max_backoff, initial_backoff * 2^(retry-1))]` ("full jitter"), and at least
    /// `min_wait` when the server asked for one.
    pub fn backoff(&self, retry: u32, min_wait: Option<Duration>, rng: &mut impl Rng) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let ceiling = exp.min(self.max_backoff);
        let jittered = if ceiling.is_zero() {
            Duration::ZERO
        } else {
            Duration::from_nanos(rng.random_range(0..=u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX)))
        };
        jittered.max(min_wait.unwrap_or(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for retry in 1..30 {
            let ceiling = (p.initial_backoff * 2u32.pow((retry - 1).min(20))).min(p.max_backoff);
            for _ in 0..50 {
                let b = p.backoff(retry, None, &mut rng);
                assert!(b <= ceiling, "retry {retry}: {b:?} > {ceiling:?}");
            }
        }
    }

    #[test]
    fn server_wait_is_respected() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let b = p.backoff(1, Some(Duration::from_secs(3)), &mut rng);
        assert!(b >= Duration::from_secs(3));
    }
}
