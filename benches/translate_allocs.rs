//! Allocator calls and JSON bytes per span for the variants of the `translate` bench (same
//! batches, same code paths; see `common/mod.rs`).
//!
//! Kept apart from `translate` because counting needs a wrapping global allocator (`stats_alloc`:
//! the workspace forbids `unsafe_code`, so the bench cannot implement `GlobalAlloc` itself) whose
//! atomic counters would slow down every allocation of the timed code.
//!
//! `cargo bench --bench translate_allocs` (or with `-- --test`, or `cargo test --benches`) prints
//! the table; each figure is exact (the code is deterministic once buffers have grown).

mod common;

use std::alloc::System;

use common::{BATCH, Fixture, Variant};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Batches counted per variant, after one warm-up batch.
const BATCHES: usize = 10;

fn main() {
    let mut fixtures = Fixture::both();
    for fx in &mut fixtures {
        fx.check();
        println!("{}", common::describe(fx));
    }
    println!();
    println!(
        "Allocator calls per span, {BATCHES} batches of {BATCH} spans after one warm-up batch \
         (buffers reused from batch to batch):"
    );
    println!(
        "{:<6} {:<28} {:>11} {:>12} {:>14} {:>14} {:>13}",
        "batch", "variant", "bytes/span", "allocs/span", "reallocs/span", "alloc B/span", "docs/span"
    );
    for fx in &mut fixtures {
        for variant in Variant::ALL {
            fx.run(variant);
            let region = Region::new(GLOBAL);
            let mut docs = 0;
            let mut bytes = 0;
            for _ in 0..BATCHES {
                let (d, b) = fx.run(variant);
                docs += d;
                bytes += b;
            }
            let stats = region.change();
            let spans = (BATCHES * BATCH) as f64;
            println!(
                "{:<6} {:<28} {:>11.0} {:>12.2} {:>14.2} {:>14.0} {:>13.2}",
                fx.name,
                variant.id(),
                bytes as f64 / spans,
                stats.allocations as f64 / spans,
                stats.reallocations as f64 / spans,
                stats.bytes_allocated as f64 / spans,
                docs as f64 / spans,
            );
        }
    }
}
