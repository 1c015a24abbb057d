//! CPU time of the bench thread, for criterion and for the interleaved summaries.
//!
//! Time is the CPU time of the bench thread (`CLOCK_THREAD_CPUTIME_ID`): time other processes take
//! on the core is not counted (their contention for caches and host cores still is).

use std::time::Duration;

use cpu_time::ThreadTime;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// A criterion measurement: CPU time of the current thread.
pub struct ThreadCpu;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = ThreadTime;
    type Value = Duration;

    fn start(&self) -> ThreadTime {
        ThreadTime::now()
    }
    fn end(&self, start: ThreadTime) -> Duration {
        start.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// The median (upper median for an even count) of `v`.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// How the bench binary was invoked, by criterion's rule: `cargo bench` passes `--bench`; `--test`
/// or no `--bench` means test mode.
pub struct Mode {
    args: Vec<String>,
}

impl Mode {
    pub fn from_args() -> Self {
        Self {
            args: std::env::args().collect(),
        }
    }

    fn has(&self, flag: &str) -> bool {
        self.args.iter().any(|a| a == flag)
    }

    /// A full measurement run (not `--test`, `--list` or `--profile-time`).
    pub fn full(&self) -> bool {
        self.has("--bench") && !self.has("--test") && !self.has("--list") && !self.has("--profile-time")
    }

    /// `--list` or `--profile-time`: criterion only, no summary.
    pub fn criterion_only(&self) -> bool {
        self.has("--list") || self.has("--profile-time")
    }
}
