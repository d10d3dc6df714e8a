//! Reading and printing YAML as kustomize does: `parse_documents` and `emit`
//! on a typical Deployment (tests/yaml/deployment, 69 lines). Target: parse
//! and print together on the order of 10–20 µs. The same Deployment with one
//! explicit tag is also measured: it takes the full event-based loader
//! instead of the fast reader, for comparison.
//! Run with `cargo bench --bench yaml`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use driftless::render::yaml::{emit, parse_documents};

// As in the driftless binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEPLOYMENT: &str = include_str!("../tests/yaml/deployment/in.yaml");

fn yaml(c: &mut Criterion) {
    let docs = parse_documents(DEPLOYMENT).expect("the fixture parses");
    let tagged = DEPLOYMENT.replace("replicas: 3", "replicas: !!int 3");
    assert_eq!(parse_documents(&tagged).expect("the tagged fixture parses"), docs);

    c.bench_function("yaml/parse deployment", |b| b.iter(|| parse_documents(black_box(DEPLOYMENT))));
    c.bench_function("yaml/emit deployment", |b| b.iter(|| emit(black_box(&docs))));
    c.bench_function("yaml/parse+emit deployment", |b| {
        b.iter(|| emit(&parse_documents(black_box(DEPLOYMENT)).unwrap_or_default()))
    });
    c.bench_function("yaml/parse deployment (full loader)", |b| b.iter(|| parse_documents(black_box(&tagged))));
}

criterion_group!(benches, yaml);
criterion_main!(benches);
