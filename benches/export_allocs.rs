//! Allocator calls per span for the variants of the `export` bench (same batch, same exporters; see
//! `common/export.rs`).
//!
//! Kept apart from `export` because counting needs a wrapping global allocator (`stats_alloc`: the
//! workspace forbids `unsafe_code`, so the bench cannot implement `GlobalAlloc` itself) whose atomic
//! counters would slow down every allocation of the timed code.
//!
//! For each variant, on exporters that have not exported yet: the first export, then one warm-up
//! export, then `EXPORTS` exports counted one by one (the steady state: otel-xray's exporter keeps
//! its buffers from export to export). Every export consumes a fresh clone of the batch made
//! outside the counted region; frees (the consumed batch's included) are not shown.
//!
//! `cargo bench --bench export_allocs` (or with `-- --test`, or `cargo test --benches`) prints the
//! table; each figure is exact (the code is deterministic once buffers have grown).

mod common;

use std::alloc::System;

use common::BATCH;
use common::export::{ExportFixture, ExportVariant};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Exports counted per variant in the steady state, after the first and a warm-up export.
const EXPORTS: usize = 10;

/// Allocator calls and bytes requested over some exports.
#[derive(Default)]
struct Counts {
    allocations: usize,
    reallocations: usize,
    bytes_allocated: usize,
    exports: usize,
}

impl Counts {
    /// Counts one export of a fresh clone (the clone is made before counting starts).
    fn export(&mut self, fx: &ExportFixture, variant: ExportVariant) {
        let spans = fx.clone_batch();
        let region = Region::new(GLOBAL);
        let result = fx.export(variant, spans);
        let stats = region.change();
        result.unwrap_or_else(|e| panic!("{}: {e}", variant.label()));
        self.allocations += stats.allocations;
        self.reallocations += stats.reallocations;
        self.bytes_allocated += stats.bytes_allocated;
        self.exports += 1;
    }

    fn row(&self, variant: ExportVariant, when: &str) {
        let spans = (self.exports * BATCH) as f64;
        println!(
            "{:<42} {:<13} {:>12.2} {:>14.2} {:>14.0}",
            variant.label(),
            when,
            self.allocations as f64 / spans,
            self.reallocations as f64 / spans,
            self.bytes_allocated as f64 / spans,
        );
    }
}

fn main() {
    // A fresh fixture (no export yet) for the first-export figures; checked afterwards.
    let fx = ExportFixture::java();
    println!("{}", common::describe_workload(fx.name, &fx.workload));
    println!();
    println!(
        "Allocator calls per span, one export of a fresh clone of the {BATCH}-span batch (cloned outside \
         the count): the exporter's first export, then the mean of {EXPORTS} exports after one warm-up \
         export (buffers kept from export to export):"
    );
    println!(
        "{:<42} {:<13} {:>12} {:>14} {:>14}",
        "variant", "export", "allocs/span", "reallocs/span", "alloc B/span"
    );
    for variant in ExportVariant::ALL {
        let mut first = Counts::default();
        first.export(&fx, variant);
        first.row(variant, "first");
        Counts::default().export(&fx, variant);
        let mut steady = Counts::default();
        for _ in 0..EXPORTS {
            steady.export(&fx, variant);
        }
        steady.row(variant, "steady state");
    }
    fx.check();
}
