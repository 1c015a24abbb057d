//! X-Ray-style trace ids: the current Unix time in the first 4 bytes.
//!
//! Since 2023-10-27 X-Ray accepts random W3C trace ids (xray-protocol.md §3), so the SDK's default
//! generator is fine for sending. This generator is for tools that read the embedded time, for X-Ray
//! set-ups that still check it, and for ids that look like the ones AWS services make.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::IdGenerator;
use rand::RngCore;

/// Generates trace ids whose first 4 bytes are the current Unix time in seconds (big-endian) and whose
/// other 12 bytes are random, and random non-zero span ids.
///
/// Randomness comes from [`rand::rng`], the thread-local ChaCha12 generator seeded and periodically
/// reseeded from the operating system, which `rand` documents as cryptographically secure. The time is
/// truncated to 32 bits, as X-Ray does, and a clock before 1970 gives 0. Neither id is ever all zero.
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use otel_xray::XrayIdGenerator;
///
/// let provider = SdkTracerProvider::builder().with_id_generator(XrayIdGenerator::new()).build();
/// # let _ = provider;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XrayIdGenerator {
    _private: (),
}

impl XrayIdGenerator {
    /// A generator; it holds no state.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl IdGenerator for XrayIdGenerator {
    fn new_trace_id(&self) -> TraceId {
        trace_id_at(unix_seconds(), &mut rand::rng())
    }

    fn new_span_id(&self) -> SpanId {
        span_id_from(&mut rand::rng())
    }
}

/// The current Unix time in seconds, truncated to 32 bits.
fn unix_seconds() -> u32 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    // Truncation is intended: the field is 32 bits wide and wraps in 2106.
    (seconds & u64::from(u32::MAX)) as u32
}

/// A trace id with `seconds` in front and 12 bytes from `rng` after it; never all zero.
fn trace_id_at(seconds: u32, rng: &mut impl RngCore) -> TraceId {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    loop {
        rng.fill_bytes(&mut bytes[4..]);
        // Only possible when `seconds` is 0 as well; redraw rather than return the invalid id.
        if bytes != [0u8; 16] {
            return TraceId::from_bytes(bytes);
        }
    }
}

/// A span id of 8 bytes from `rng`; never all zero.
fn span_id_from(rng: &mut impl RngCore) -> SpanId {
    loop {
        let id = rng.next_u64();
        if id != 0 {
            return SpanId::from_bytes(id.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Returns zeros for its first `zeros` calls, then a counter: exercises the redraw loops.
    struct ZerosFirst {
        zeros: usize,
        next: u64,
    }

    impl RngCore for ZerosFirst {
        fn next_u32(&mut self) -> u32 {
            (self.next_u64() & u64::from(u32::MAX)) as u32
        }

        fn next_u64(&mut self) -> u64 {
            if self.zeros > 0 {
                self.zeros -= 1;
                return 0;
            }
            self.next += 1;
            self.next
        }

        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for chunk in dest.chunks_mut(8) {
                let value = self.next_u64().to_be_bytes();
                chunk.copy_from_slice(&value[..chunk.len()]);
            }
        }
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn trace_ids_start_with_the_current_epoch_second() {
        let generator = XrayIdGenerator::new();
        let before = now();
        let id = generator.new_trace_id();
        let after = now();
        let bytes = id.to_bytes();
        let seconds = u64::from(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
        assert!(
            before <= seconds && seconds <= after,
            "{seconds} not in {before}..={after}"
        );
        // The X-Ray form shows the same time in its first field.
        let xray = otel_xray_model::TraceId(bytes).to_string();
        assert_eq!(&xray[2..10], format!("{seconds:08x}"));
    }

    #[test]
    fn ids_are_never_zero_even_when_the_rng_says_zero() {
        let mut rng = ZerosFirst { zeros: 5, next: 0 };
        let trace = trace_id_at(0, &mut rng);
        assert_ne!(trace, TraceId::INVALID);
        assert_eq!(&trace.to_bytes()[..4], &[0, 0, 0, 0]);

        let mut rng = ZerosFirst { zeros: 5, next: 0 };
        assert_ne!(span_id_from(&mut rng), SpanId::INVALID);

        let generator = XrayIdGenerator::default();
        for _ in 0..1_000 {
            assert_ne!(generator.new_trace_id(), TraceId::INVALID);
            assert_ne!(generator.new_span_id(), SpanId::INVALID);
        }
    }

    #[test]
    fn the_timestamp_is_used_as_given() {
        let mut rng = ZerosFirst { zeros: 0, next: 0 };
        let id = trace_id_at(0x5759_e988, &mut rng);
        assert_eq!(&id.to_bytes()[..4], &[0x57, 0x59, 0xe9, 0x88]);
    }

    #[test]
    fn ids_are_unique() {
        const N: usize = 10_000;
        let generator = XrayIdGenerator::new();
        let traces: HashSet<TraceId> = (0..N).map(|_| generator.new_trace_id()).collect();
        let spans: HashSet<SpanId> = (0..N).map(|_| generator.new_span_id()).collect();
        assert_eq!(traces.len(), N);
        assert_eq!(spans.len(), N);
    }

    #[test]
    fn ids_are_unique_across_threads() {
        let generator = XrayIdGenerator::new();
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(move || (0..1_000).map(|_| generator.new_trace_id()).collect::<Vec<_>>()))
            .collect();
        let mut all = HashSet::new();
        for handle in handles {
            for id in handle.join().unwrap() {
                assert!(all.insert(id), "duplicate trace id {id}");
            }
        }
    }
}
