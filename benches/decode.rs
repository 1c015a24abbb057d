//! Speed of the gateway's work on a binary protobuf OTLP request of 512 spans, from its bytes to
//! the encoded documents: prost decoding + `translate_otlp` against the wire decoder
//! (`translate_otlp_bytes`). See `common/decode.rs` for the paths and BENCHMARKS.md for results.
//!
//! * `taskset -c 0 cargo bench --bench decode` runs criterion (wall-clock time per request), then
//!   prints a summary measured with the paths interleaved (so that other load on the machine hits
//!   both alike): CPU time of the bench thread per span and the paired ratio prost / wire.
//! * `cargo bench --bench decode -- --test` runs each path once and checks the outputs.
//! * `DECODE_BENCH_ONLY=java/wire [DECODE_BENCH_BATCHES=50]` runs only that path inside
//!   `profile_loop`, for profilers: `benches/instructions.sh` counts its instructions.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::BATCH;
use common::decode::{DecodeFixture, Path};
use cpu_time::ThreadTime;
use criterion::{Criterion, Throughput};

const ROUNDS: usize = 31;
const BATCHES_PER_ROUND: usize = 20;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times both paths in turn, `rounds` times `batches` requests each; prints per-span figures.
fn summary(fixtures: &mut [DecodeFixture], rounds: usize, batches: usize) {
    let spans = (batches * BATCH) as f64;
    println!();
    println!(
        "Summary: paths interleaved, {rounds} rounds of {batches} {BATCH}-span requests; cpu = CPU time \
         of the bench thread (median, min over rounds); prost/wire = median over rounds of the ratio \
         in the same round."
    );
    println!(
        "{:<6} {:<22} {:>12} {:>9} {:>10} {:>13} {:>11}",
        "batch", "path", "cpu ns/span", "min", "spans/s", "wall ns/span", "prost/wire"
    );
    for fx in fixtures.iter_mut() {
        for path in Path::ALL {
            for _ in 0..batches.min(10) {
                black_box(fx.run(path));
            }
        }
        let mut samples: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (i, path) in Path::ALL.into_iter().enumerate() {
                let (cpu, wall) = (ThreadTime::now(), Instant::now());
                for _ in 0..batches {
                    black_box(fx.run(path));
                }
                samples[i].push((
                    cpu.elapsed().as_nanos() as f64 / spans,
                    wall.elapsed().as_nanos() as f64 / spans,
                ));
            }
        }
        let ratio = median(samples[0].iter().zip(&samples[1]).map(|(p, w)| p.0 / w.0).collect());
        for (i, path) in Path::ALL.into_iter().enumerate() {
            let cpu: Vec<f64> = samples[i].iter().map(|s| s.0).collect();
            let med = median(cpu.clone());
            println!(
                "{:<6} {:<22} {:>12.0} {:>9.0} {:>10.0} {:>13.0} {:>10.2}x",
                fx.name,
                path.id(),
                med,
                cpu.iter().copied().fold(f64::INFINITY, f64::min),
                1e9 / med,
                median(samples[i].iter().map(|s| s.1).collect()),
                if path == Path::Wire { ratio } else { 1.0 },
            );
        }
    }
}

#[inline(never)]
fn profile_loop(fx: &mut DecodeFixture, path: Path, batches: usize) {
    for _ in 0..batches {
        black_box(fx.run(path));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let full = has("--bench") && !has("--test") && !has("--list") && !has("--profile-time");

    let mut fixtures = DecodeFixture::both();
    for fx in &mut fixtures {
        fx.check();
    }
    if let Ok(only) = std::env::var("DECODE_BENCH_ONLY") {
        let batches = std::env::var("DECODE_BENCH_BATCHES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(50);
        let (name, id) = only.split_once('/').expect("DECODE_BENCH_ONLY=<batch>/<path>");
        let fx = fixtures
            .iter_mut()
            .find(|f| f.name == name)
            .expect("batch java or rust");
        let path = Path::ALL.into_iter().find(|p| p.id() == id).expect("path");
        let cpu = ThreadTime::now();
        profile_loop(fx, path, batches);
        println!("{only}: {batches} requests of {BATCH} spans, {:?} CPU", cpu.elapsed());
        return;
    }
    if full {
        for fx in &fixtures {
            println!(
                "Request `{}`: {BATCH} spans, {} protobuf bytes.",
                fx.name,
                fx.bytes.len()
            );
        }
    }
    let mut criterion = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for fx in &mut fixtures {
        let mut group = criterion.benchmark_group(format!("decode_translate_{BATCH}/{}", fx.name));
        group.throughput(Throughput::Elements(BATCH as u64));
        for path in Path::ALL {
            group.bench_function(path.id(), |b| b.iter(|| fx.run(path)));
        }
        group.finish();
    }
    criterion.final_summary();
    if has("--list") || has("--profile-time") {
        return;
    }
    let (rounds, batches) = if full { (ROUNDS, BATCHES_PER_ROUND) } else { (1, 1) };
    summary(&mut fixtures, rounds, batches);
}
