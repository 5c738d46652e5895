//! Output benchmarks: writing `--timeseries full` rows through detente's CSV
//! writer against writing the same rows with the bare csv crate and serde.
//!
//! Run with `cargo bench --bench output`; the ratio is recorded in
//! docs/PERFORMANCE.md (target: detente at least 80 % of the bare throughput).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use detente::engine::{Recorder, Simulator, TickRecord};
use detente::output::CsvFile;

#[derive(serde::Serialize)]
struct BareRow<'a> {
    scenario: &'a str,
    variant: &'a str,
    replicate: u64,
    run_seed: u64,
    dyad: &'a str,
    month: u32,
    date: &'a str,
    stage: u8,
    trust_ab: f32,
    trust_ba: f32,
    net_cooperation: f32,
}

const HEADER: [&str; 11] = [
    "scenario",
    "variant",
    "replicate",
    "run_seed",
    "dyad",
    "month",
    "date",
    "stage",
    "trust_ab",
    "trust_ba",
    "net_cooperation",
];

fn rows() -> (Vec<TickRecord>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s =
        detente::scenario::load(&root.join("scenarios/afghanistan/baseline.toml")).expect("scenario loads");
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(true, false);
    let mut all = Vec::new();
    for seed in 0..100 {
        sim.run(&s.base, seed, &mut rec);
        all.extend(rec.series.as_ref().expect("series kept").iter().copied());
    }
    let dates = (0..=s.base.horizon).map(|t| s.base.month(t).first_day().to_string()).collect();
    (all, dates)
}

fn write(c: &mut Criterion) {
    let (records, dates) = rows();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("timeseries_full_rows");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(10);
    let write_detente = |commit: bool| {
        let mut f = CsvFile::create(&dir.path().join("detente.csv"), &HEADER).expect("create");
        for r in &records {
            f.text("afghanistan").text("baseline").int(7u64).int(1234567890123u64);
            f.text("us-taliban").int(r.month).text(&dates[r.month as usize]);
            f.int(r.stage).num(r.trust_ab as f64).num(r.trust_ba as f64).num(r.net_cooperation as f64);
            f.end_row().expect("row");
        }
        if commit {
            f.commit().expect("commit");
        } else {
            f.sync().expect("flush");
        }
    };
    let write_bare = |durable: bool| {
        let file = std::fs::File::create(dir.path().join("bare.csv")).expect("create");
        let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, file));
        for r in &records {
            w.serialize(BareRow {
                scenario: "afghanistan",
                variant: "baseline",
                replicate: 7,
                run_seed: 1234567890123,
                dyad: "us-taliban",
                month: r.month,
                date: &dates[r.month as usize],
                stage: r.stage,
                trust_ab: r.trust_ab,
                trust_ba: r.trust_ba,
                net_cooperation: r.net_cooperation,
            })
            .expect("row");
        }
        let file = w.into_inner().expect("flush").into_inner().expect("flush");
        if durable {
            file.sync_all().expect("sync");
        }
    };
    // Rows handed to the operating system, no fsync: the formatting and writing cost.
    group.bench_function("detente_csv_file", |b| b.iter(|| write_detente(false)));
    group.bench_function("bare_csv_serde", |b| b.iter(|| write_bare(false)));
    // Durable: detente's commit (fsync and rename) against the bare writer with an fsync.
    group.bench_function("detente_csv_file_committed", |b| b.iter(|| write_detente(true)));
    group.bench_function("bare_csv_serde_synced", |b| b.iter(|| write_bare(true)));
    group.finish();
}

criterion_group!(benches, write);
criterion_main!(benches);
