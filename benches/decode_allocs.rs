//! Allocator calls per span of the two paths of the `decode` bench (prost decoding +
//! `translate_otlp`, and the wire decoder), counted with a wrapping global allocator (kept apart
//! from the timed bench, as `translate_allocs` is). `cargo bench --bench decode_allocs`.

mod common;

use std::alloc::System;

use common::BATCH;
use common::decode::{DecodeFixture, Path};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Requests counted per path, after one warm-up request.
const BATCHES: usize = 10;

fn main() {
    let mut fixtures = DecodeFixture::both();
    println!("Allocator calls per span, {BATCHES} requests of {BATCH} spans after one warm-up request:");
    println!(
        "{:<6} {:<22} {:>12} {:>14} {:>14}",
        "batch", "path", "allocs/span", "reallocs/span", "alloc B/span"
    );
    for fx in &mut fixtures {
        fx.check();
        for path in Path::ALL {
            fx.run(path);
            let region = Region::new(GLOBAL);
            for _ in 0..BATCHES {
                fx.run(path);
            }
            let stats = region.change();
            let spans = (BATCHES * BATCH) as f64;
            println!(
                "{:<6} {:<22} {:>12.2} {:>14.2} {:>14.0}",
                fx.name,
                path.id(),
                stats.allocations as f64 / spans,
                stats.reallocations as f64 / spans,
                stats.bytes_allocated as f64 / spans,
            );
        }
    }
}
