//! The library exporter end to end (issue "library", item 8): `SpanExporter::export` of a
//! realistic 512-span batch, otel-xray's `XrayExporter` writing newline-delimited documents to
//! `std::io::sink()`, next to opentelemetry-aws 0.21's `XrayExporter` with a client that drops the
//! documents (no-op, the comparison) and with one that serializes them (the work its UDP
//! client does before the send). See `common/export.rs` for the variants; allocations per span
//! come from the `export_allocs` bench, instructions per span from `benches/export_instructions.sh`.
//!
//! * `taskset -c 0 cargo bench --bench export` runs criterion (CPU time per 512-span batch and
//!   throughput in spans/s), then prints a summary measured with the variants interleaved round by
//!   round (so that other load on the machine hits them alike): CPU ns/span (median and best
//!   round), wall ns/span, and the median over rounds of the per-round ratios opentelemetry-aws
//!   CPU time / otel-xray CPU time.
//! * `cargo bench --bench export -- --test` (or `cargo test --benches`) exports once per variant and
//!   checks the outputs: a quick CI check.
//! * `EXPORT_BENCH_ONLY=otel-xray|aws-noop|aws-serializing|drop-only [EXPORT_BENCH_BATCHES=20]`
//!   exports that many fresh clones with that variant only, inside `profile_loop`, for profilers
//!   (`valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profile_loop*'`).
//!
//! Every export consumes a fresh clone of the batch made before timing starts (all the clones of a
//! round are made before the round's first timed export). Dropping the consumed spans is part of
//! every export (the exporter owns the batch); the `drop-only` baseline measures that part alone.
//!
//! Time is the CPU time of the bench thread (`CLOCK_THREAD_CPUTIME_ID`): time other processes take
//! on the core is not counted (their contention for caches and host cores still is); the summary
//! shows wall-clock time too.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::BATCH;
use common::cpu::{Mode, ThreadCpu, median};
use common::export::{ExportFixture, ExportVariant};
use cpu_time::ThreadTime;
use criterion::{BatchSize, Criterion, Throughput};
use opentelemetry_sdk::trace::SpanData;

// ------------------------------------------------------------------------------------------------
// Summary
// ------------------------------------------------------------------------------------------------

const ROUNDS: usize = 41;
const BATCHES_PER_ROUND: usize = 20;

struct Row {
    variant: ExportVariant,
    cpu_median: f64,
    cpu_min: f64,
    wall_median: f64,
    /// Median over the rounds of (opentelemetry-aws no-op CPU time / this CPU time), same round.
    noop_ratio: f64,
    /// The same for the serializing client.
    serializing_ratio: f64,
    /// The same as `noop_ratio` with the round's `drop-only` time taken off both sides.
    noop_ratio_ex_drop: f64,
}

fn position(variant: ExportVariant) -> usize {
    ExportVariant::ALL.iter().position(|v| *v == variant).expect("variant")
}

/// Exports `batches` (consumed); all must succeed.
fn export_all(fx: &ExportFixture, variant: ExportVariant, batches: &mut Vec<Vec<SpanData>>) {
    let mut ok = true;
    for spans in batches.drain(..) {
        ok &= black_box(fx.export(variant, spans)).is_ok();
    }
    assert!(ok, "{}: an export failed", variant.label());
}

/// Times every variant in turn, `rounds` times `batches` exports each, so that whatever else runs
/// on the machine hits all variants alike; returns per-span figures. Each round first clones all
/// its inputs, then times the variants in an order rotated from round to round (so that no variant
/// always runs first, or always gets the most recently cloned batches).
fn measure_interleaved(fx: &ExportFixture, rounds: usize, batches: usize) -> Vec<Row> {
    let variants = ExportVariant::ALL;
    let n = variants.len();
    let spans = (batches * BATCH) as f64;
    // samples[variant][round] = (cpu ns/span, wall ns/span)
    let mut samples = vec![Vec::with_capacity(rounds); n];
    for variant in variants {
        let mut warm_up = fx.clone_batches(batches.min(5));
        export_all(fx, variant, &mut warm_up);
    }
    for round in 0..rounds {
        let order: Vec<usize> = (0..n).map(|i| (round + i) % n).collect();
        let mut inputs: Vec<Vec<Vec<SpanData>>> = order.iter().map(|_| fx.clone_batches(batches)).collect();
        for (input, &v) in inputs.iter_mut().zip(&order) {
            let (cpu, wall) = (ThreadTime::now(), Instant::now());
            export_all(fx, variants[v], input);
            samples[v].push((
                cpu.elapsed().as_nanos() as f64 / spans,
                wall.elapsed().as_nanos() as f64 / spans,
            ));
        }
    }
    let noop = &samples[position(ExportVariant::AwsNoop)];
    let serializing = &samples[position(ExportVariant::AwsSerializing)];
    let dropping = &samples[position(ExportVariant::DropOnly)];
    variants
        .into_iter()
        .zip(&samples)
        .map(|(variant, s)| {
            let cpu: Vec<f64> = s.iter().map(|x| x.0).collect();
            let ratio = |theirs: &[(f64, f64)]| median(theirs.iter().zip(s).map(|(t, o)| t.0 / o.0).collect());
            Row {
                variant,
                cpu_median: median(cpu.clone()),
                cpu_min: cpu.iter().copied().fold(f64::INFINITY, f64::min),
                wall_median: median(s.iter().map(|x| x.1).collect()),
                noop_ratio: ratio(noop),
                serializing_ratio: ratio(serializing),
                noop_ratio_ex_drop: median(
                    noop.iter()
                        .zip(s)
                        .zip(dropping)
                        .map(|((t, o), d)| (t.0 - d.0) / (o.0 - d.0))
                        .collect(),
                ),
            }
        })
        .collect()
}

fn print_summary(fx: &ExportFixture, rows: &[Row], full: bool) {
    println!();
    if full {
        println!(
            "Summary: variants interleaved, {ROUNDS} rounds of {BATCHES_PER_ROUND} exports of a fresh \
             {BATCH}-span `{}` batch each; cpu = CPU time of the bench thread (median, min over rounds), \
             wall = wall-clock (median); noop/this, ser/this = median over rounds of opentelemetry-aws \
             (no-op, serializing client) cpu / this cpu in the same round; ex-drop = noop/this with the \
             round's drop-only time taken off both.",
            fx.name
        );
    } else {
        println!("Summary (test mode: one export per variant, times are not meaningful):");
    }
    println!(
        "{:<42} {:>12} {:>9} {:>10} {:>13} {:>10} {:>9} {:>8}",
        "variant", "cpu ns/span", "min", "spans/s", "wall ns/span", "noop/this", "ser/this", "ex-drop"
    );
    for row in rows {
        let ex_drop = if row.variant == ExportVariant::DropOnly {
            "-".to_string()
        } else {
            format!("{:.2}x", row.noop_ratio_ex_drop)
        };
        println!(
            "{:<42} {:>12.0} {:>9.0} {:>10.0} {:>13.0} {:>9.2}x {:>8.2}x {:>8}",
            row.variant.label(),
            row.cpu_median,
            row.cpu_min,
            1e9 / row.cpu_median,
            row.wall_median,
            row.noop_ratio,
            row.serializing_ratio,
            ex_drop,
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Profiling mode
// ------------------------------------------------------------------------------------------------

/// `EXPORT_BENCH_ONLY=<variant>`: after one warm-up export, exports `EXPORT_BENCH_BATCHES`
/// (default 20) fresh clones, all made beforehand, inside [`profile_loop`] and nothing else, so
/// that `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profile_loop*'` counts
/// exactly those exports.
fn profile_only(fx: &ExportFixture, only: &str) {
    let batches = std::env::var("EXPORT_BENCH_BATCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let variant = ExportVariant::from_id(only).unwrap_or_else(|| {
        let ids: Vec<_> = ExportVariant::ALL.iter().map(|v| v.id()).collect();
        panic!("EXPORT_BENCH_ONLY={only:?}: expected one of {ids:?}")
    });
    fx.export(variant, fx.clone_batch()).expect("warm-up export");
    let inputs = fx.clone_batches(batches);
    let (cpu, wall) = (ThreadTime::now(), Instant::now());
    profile_loop(fx, variant, inputs);
    println!(
        "{only}: {batches} exports of {BATCH} spans, {:?} CPU, {:?} wall",
        cpu.elapsed(),
        wall.elapsed()
    );
}

#[inline(never)]
fn profile_loop(fx: &ExportFixture, variant: ExportVariant, mut inputs: Vec<Vec<SpanData>>) {
    export_all(fx, variant, &mut inputs);
    black_box(inputs);
}

// ------------------------------------------------------------------------------------------------
// main
// ------------------------------------------------------------------------------------------------

fn main() {
    let mode = Mode::from_args();
    let full = mode.full();

    let fx = ExportFixture::java();
    fx.check();
    if let Ok(only) = std::env::var("EXPORT_BENCH_ONLY") {
        profile_only(&fx, &only);
        return;
    }
    if full {
        println!("{}", common::describe_workload(fx.name, &fx.workload));
    }

    let mut criterion = Criterion::default()
        .with_measurement(ThreadCpu)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group(format!("export_{BATCH}/{}", fx.name));
    group.throughput(Throughput::Elements(BATCH as u64));
    for variant in ExportVariant::EXPORTERS {
        group.bench_function(variant.label(), |b| {
            b.iter_batched(
                || fx.clone_batch(),
                |spans| fx.export(variant, spans),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    criterion.final_summary();

    if mode.criterion_only() {
        return;
    }
    let (rounds, batches) = if full { (ROUNDS, BATCHES_PER_ROUND) } else { (1, 1) };
    let rows = measure_interleaved(&fx, rounds, batches);
    print_summary(&fx, &rows, full);
}
