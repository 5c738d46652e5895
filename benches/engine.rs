//! Engine benchmarks: one tick, each mechanism, one run, a 1,000-run batch
//! on 1 and 2 threads, and the cost per ordered pair of a tick on the
//! synthetic family of `benches/synthetic.sh` (8 to 256 actors).
//!
//! Run with `cargo bench --bench engine`; figures are recorded in
//! docs/PERFORMANCE.md with the command that produced them.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use detente::batch::{execute, Capture, Job, Pool};
use detente::engine::{Recorder, Simulator};
use detente::scenario::{load, Scenario};

fn scenario(path: &str) -> Scenario {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load(&root.join(path)).unwrap_or_else(|e| panic!("{e}"))
}

fn tick(c: &mut Criterion) {
    let s = scenario("scenarios/afghanistan/baseline.toml");
    let setup = &s.base;
    c.bench_function("tick/afghanistan", |b| {
        b.iter_batched_ref(
            || {
                let mut sim = Simulator::new();
                let mut rec = Recorder::new(false, false);
                sim.start(setup, 7, &mut rec);
                for _ in 0..60 {
                    sim.step(setup, &mut rec);
                }
                (sim, rec)
            },
            |(sim, rec)| sim.step(setup, rec),
            BatchSize::SmallInput,
        )
    });
}

/// Each mechanism on the Afghanistan world as it stands after five years.
fn mechanisms(c: &mut Criterion) {
    use detente::engine::{choice, factions, groups, ladder, prepare, threat, trust, Scratch};
    use rand::SeedableRng;
    let s = scenario("scenarios/afghanistan/baseline.toml");
    let setup = &s.base;
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(false, false);
    sim.start(setup, 7, &mut rec);
    for _ in 0..60 {
        sim.step(setup, &mut rec);
    }
    let world = sim.world().expect("a started run has a world").clone();
    let mut scratch = Scratch::default();
    prepare(&world, &mut scratch);
    threat::perceive(&world, &mut scratch);
    let fresh = || (world.clone(), scratch.clone(), rand_chacha::ChaCha8Rng::seed_from_u64(1));
    let mut group = c.benchmark_group("mechanism");
    group.bench_function("threat", |b| {
        b.iter_batched_ref(fresh, |(w, s, _)| threat::perceive(w, s), BatchSize::SmallInput)
    });
    group.bench_function("choice", |b| {
        b.iter_batched_ref(fresh, |(w, s, r)| choice::choose(w, r, s), BatchSize::SmallInput)
    });
    group.bench_function("trust", |b| {
        b.iter_batched_ref(fresh, |(w, s, _)| trust::update(w, s), BatchSize::SmallInput)
    });
    group.bench_function("ladder", |b| {
        b.iter_batched_ref(
            fresh,
            |(w, s, r)| ladder::move_stages(w, 61, r, s, &mut Recorder::default()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("factions", |b| {
        b.iter_batched_ref(fresh, |(w, s, r)| factions::update(w, r, s), BatchSize::SmallInput)
    });
    group.bench_function("groups", |b| {
        b.iter_batched_ref(fresh, |(w, s, _)| groups::grow(w, s), BatchSize::SmallInput)
    });
    group.finish();
}

fn run(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    for (name, path) in [
        ("afghanistan", "scenarios/afghanistan/baseline.toml"),
        ("vietnam", "scenarios/reference-class/us_vietnam_1975.toml"),
    ] {
        let s = scenario(path);
        let mut sim = Simulator::new();
        let mut rec = Recorder::new(false, false);
        let mut seed = 0;
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                sim.run(&s.base, seed, &mut rec)
            })
        });
    }
    group.finish();
}

/// The synthetic scenario of `n` actors that `benches/synthetic.sh` prints.
fn synthetic(n: usize) -> Scenario {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("benches/synthetic.sh");
    let out = std::process::Command::new("sh").arg(&script).arg(n.to_string()).output().expect("sh runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("the script prints UTF-8");
    detente::scenario::parse(&script, text).unwrap_or_else(|e| panic!("{e}"))
}

/// One tick of the synthetic family, averaged over whole runs (a new run
/// starts at the horizon: one start per 360 ticks); throughput in ordered
/// pairs, so criterion's rate is the inverse of the cost per ordered pair.
fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    for n in [8, 16, 32, 64, 128, 256] {
        let s = synthetic(n);
        let setup = &s.base;
        group.throughput(Throughput::Elements((n * (n - 1)) as u64));
        let mut sim = Simulator::new();
        let mut rec = Recorder::new(false, false);
        let mut seed = 7;
        sim.start(setup, seed, &mut rec);
        group.bench_function(format!("tick/{n}"), |b| {
            b.iter(|| {
                if !sim.step(setup, &mut rec) {
                    seed += 1;
                    sim.start(setup, seed, &mut rec);
                }
            })
        });
    }
    group.finish();
}

fn batch(c: &mut Criterion) {
    let s = scenario("scenarios/afghanistan/baseline.toml");
    let mut group = c.benchmark_group("batch_1000/afghanistan");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1000));
    for threads in [1, 2] {
        let job = Job {
            scenario: &s.name,
            variant: "baseline",
            setup: &s.base,
            point: 0,
            replications: 1000,
            seed: 7,
            first_replicate: 0,
        };
        let stop = AtomicBool::new(false);
        let pool = Pool::new(threads).expect("worker threads");
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| {
                let mut n = 0;
                execute(std::slice::from_ref(&job), &pool, Capture::default(), &stop, |_, runs| {
                    n += runs.len();
                    Ok::<(), std::convert::Infallible>(())
                })
                .expect("batch runs");
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, tick, mechanisms, run, batch, scaling);
criterion_main!(benches);
