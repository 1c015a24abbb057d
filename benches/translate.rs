//! Speed of translation + serialization of a realistic 512-span batch: otel-xray (OTLP and SDK
//! input) side by side with opentelemetry-aws 0.21's X-Ray exporter on the same batch. See
//! `common/mod.rs` for the variants and batches, and BENCHMARKS.md for results.
//!
//! * `taskset -c 0 cargo bench --bench translate` runs criterion (time per 512-span batch and
//!   throughput in spans/s), then prints a summary measured with the variants interleaved (so that
//!   other load on the machine hits them alike): ns/span, spans/s, JSON bytes/span and the ratio
//!   to opentelemetry-aws. Allocations per span come from the `translate_allocs` bench, which needs
//!   a counting global allocator that would slow the timed code here.
//! * `cargo bench --bench translate -- --test` (or `cargo test --benches`) runs each variant once and
//!   checks the outputs: a quick CI check.
//! * `TRANSLATE_BENCH_ONLY=java/otel-xray/otlp [TRANSLATE_BENCH_BATCHES=50]` runs only that variant
//!   inside `profile_loop`, for profilers (see BENCHMARKS.md).
//!
//! Time is the CPU time of the bench thread (`CLOCK_THREAD_CPUTIME_ID`): time other processes take
//! on the core is not counted (their contention for caches and host cores still is); the summary
//! shows wall-clock time too.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::cpu::{Mode, ThreadCpu, median};
use common::{BATCH, Fixture, Variant};
use cpu_time::ThreadTime;
use criterion::{Criterion, Throughput};

// ------------------------------------------------------------------------------------------------
// Summary
// ------------------------------------------------------------------------------------------------

const ROUNDS: usize = 41;
const BATCHES_PER_ROUND: usize = 20;

struct Row {
    batch: &'static str,
    variant: Variant,
    cpu_median: f64,
    cpu_min: f64,
    wall_median: f64,
    /// Median over the rounds of (opentelemetry-aws CPU time / this CPU time) in the same round.
    paired_ratio: f64,
    bytes_per_span: f64,
}

/// Times every variant of every batch in turn, `rounds` times `batches` batches each, so that
/// whatever else runs on the machine hits all variants alike; returns per-span figures.
fn measure_interleaved(fixtures: &mut [Fixture], rounds: usize, batches: usize) -> Vec<Row> {
    let spans = (batches * BATCH) as f64;
    let cells = fixtures.len() * Variant::ALL.len();
    // samples[cell][round] = (cpu ns/span, wall ns/span)
    let mut samples = vec![Vec::with_capacity(rounds); cells];
    for fx in fixtures.iter_mut() {
        for variant in Variant::ALL {
            for _ in 0..batches.min(20) {
                black_box(fx.run(variant));
            }
        }
    }
    for _ in 0..rounds {
        for (f, fx) in fixtures.iter_mut().enumerate() {
            for (v, variant) in Variant::ALL.into_iter().enumerate() {
                let (cpu, wall) = (ThreadTime::now(), Instant::now());
                for _ in 0..batches {
                    black_box(fx.run(variant));
                }
                samples[f * Variant::ALL.len() + v].push((
                    cpu.elapsed().as_nanos() as f64 / spans,
                    wall.elapsed().as_nanos() as f64 / spans,
                ));
            }
        }
    }
    let theirs_index = Variant::ALL
        .iter()
        .position(|v| *v == Variant::OpentelemetryAws)
        .expect("variant");
    let mut rows = Vec::with_capacity(cells);
    for (f, fx) in fixtures.iter_mut().enumerate() {
        let theirs = &samples[f * Variant::ALL.len() + theirs_index];
        for (v, variant) in Variant::ALL.into_iter().enumerate() {
            let s = &samples[f * Variant::ALL.len() + v];
            let cpu: Vec<f64> = s.iter().map(|x| x.0).collect();
            let (_, bytes) = fx.run(variant);
            rows.push(Row {
                batch: fx.name,
                variant,
                cpu_median: median(cpu.clone()),
                cpu_min: cpu.iter().copied().fold(f64::INFINITY, f64::min),
                wall_median: median(s.iter().map(|x| x.1).collect()),
                paired_ratio: median(theirs.iter().zip(s).map(|(t, o)| t.0 / o.0).collect()),
                bytes_per_span: bytes as f64 / BATCH as f64,
            });
        }
    }
    rows
}

fn print_summary(rows: &[Row], full: bool) {
    println!();
    if full {
        println!(
            "Summary: variants interleaved, {ROUNDS} rounds of {BATCHES_PER_ROUND} {BATCH}-span batches each; \
             cpu = CPU time of the bench thread (median, min over rounds), wall = wall-clock (median); \
             aws/this = median over rounds of opentelemetry-aws cpu / this cpu in the same round."
        );
    } else {
        println!("Summary (test mode: one batch per variant, times are not meaningful):");
    }
    println!(
        "{:<6} {:<28} {:>12} {:>9} {:>10} {:>13} {:>11} {:>9}",
        "batch", "variant", "cpu ns/span", "min", "spans/s", "wall ns/span", "bytes/span", "aws/this"
    );
    for row in rows {
        println!(
            "{:<6} {:<28} {:>12.0} {:>9.0} {:>10.0} {:>13.0} {:>11.0} {:>8.2}x",
            row.batch,
            row.variant.id(),
            row.cpu_median,
            row.cpu_min,
            1e9 / row.cpu_median,
            row.wall_median,
            row.bytes_per_span,
            row.paired_ratio,
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Profiling mode
// ------------------------------------------------------------------------------------------------

/// `TRANSLATE_BENCH_ONLY=<batch>/<variant>`: runs that variant `TRANSLATE_BENCH_BATCHES` times
/// (default 50) inside [`profile_loop`] and nothing else, so that e.g.
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profile_loop*'` counts exactly
/// those batches.
fn profile_only(fixtures: &mut [Fixture], only: &str) {
    let batches = std::env::var("TRANSLATE_BENCH_BATCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let (name, id) = only.split_once('/').expect("TRANSLATE_BENCH_ONLY=<batch>/<variant>");
    let fx = fixtures
        .iter_mut()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no batch {name:?} (java, rust)"));
    let variant = Variant::ALL
        .into_iter()
        .find(|v| v.id() == id)
        .unwrap_or_else(|| panic!("no variant {id:?}"));
    let (cpu, wall) = (ThreadTime::now(), Instant::now());
    profile_loop(fx, variant, batches);
    println!(
        "{only}: {batches} batches of {BATCH} spans, {:?} CPU, {:?} wall",
        cpu.elapsed(),
        wall.elapsed()
    );
}

#[inline(never)]
fn profile_loop(fx: &mut Fixture, variant: Variant, batches: usize) {
    for _ in 0..batches {
        black_box(fx.run(variant));
    }
}

// ------------------------------------------------------------------------------------------------
// main
// ------------------------------------------------------------------------------------------------

fn main() {
    let mode = Mode::from_args();
    let full = mode.full();

    let mut fixtures = Fixture::both();
    for fx in &mut fixtures {
        fx.check();
    }
    if let Ok(only) = std::env::var("TRANSLATE_BENCH_ONLY") {
        profile_only(&mut fixtures, &only);
        return;
    }
    if full {
        for fx in &fixtures {
            println!("{}", common::describe(fx));
        }
    }

    let mut criterion = Criterion::default()
        .with_measurement(ThreadCpu)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for fx in &mut fixtures {
        let mut group = criterion.benchmark_group(format!("translate_{BATCH}/{}", fx.name));
        group.throughput(Throughput::Elements(BATCH as u64));
        for variant in Variant::ALL {
            group.bench_function(variant.id(), |b| b.iter(|| fx.run(variant)));
        }
        group.finish();
    }
    criterion.final_summary();

    if mode.criterion_only() {
        return;
    }
    let (rounds, batches) = if full { (ROUNDS, BATCHES_PER_ROUND) } else { (1, 1) };
    let rows = measure_interleaved(&mut fixtures, rounds, batches);
    print_summary(&rows, full);
}
