//! Ingest and check throughput on generated returns (release profile: `cargo bench`).
//! The end-to-end figures for 10k/100k/700k children come from `benches/run.sh`.

use cinlint_check::{CheckOptions, Engine, RuleBook};
use cinlint_generate::{write_census_xml, GenerateOptions};
use cinlint_model::CollectionYear;
use divan::counter::BytesCount;
use divan::Bencher;

fn main() {
    divan::main();
}

fn generated(children: usize) -> Vec<u8> {
    let options = GenerateOptions { children, seed: 7, la: "201".into(), year: CollectionYear::new(2026), defect_rate: 0.2 };
    let mut out = Vec::new();
    write_census_xml(&options, &mut out).expect("generate");
    out
}

#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn ingest_xml(bencher: Bencher, children: usize) {
    let xml = generated(children);
    bencher
        .counter(BytesCount::new(xml.len()))
        .with_inputs(|| xml.clone())
        .bench_values(|xml| cinlint_ingest::xml::read_census_xml_bytes("bench.xml", xml).expect("reads"));
}

/// The reader on one thread: its throughput is the "MB/s per core" figure.
#[divan::bench(args = [10_000], sample_count = 10)]
fn ingest_xml_one_core(bencher: Bencher, children: usize) {
    let xml = generated(children);
    bencher
        .counter(BytesCount::new(xml.len()))
        .with_inputs(|| xml.clone())
        .bench_values(|xml| cinlint_ingest::xml::read_census_xml_bytes_split_from("bench.xml", xml, usize::MAX).expect("reads"));
}

#[divan::bench(args = [10_000], sample_count = 5)]
fn check_all_rules(bencher: Bencher, children: usize) {
    let xml = generated(children);
    let data = cinlint_ingest::xml::read_census_xml_bytes("bench.xml", xml).expect("reads");
    let book = RuleBook::embedded().expect("rules");
    let pack = book.pack(CollectionYear::new(2026));
    let engine = Engine::new().expect("engine");
    bencher.bench(|| engine.check(&data, &pack, &CheckOptions::default()).expect("checks"));
}

/// The tokeniser alone (no tables): what reading costs before any value is stored.
#[divan::bench(args = [10_000], sample_count = 10)]
fn lexer_only(bencher: Bencher, children: usize) {
    let xml = String::from_utf8(generated(children)).unwrap();
    bencher.counter(BytesCount::new(xml.len())).bench(|| {
        let mut lexer = cinlint_ingest::xml::lexer::Lexer::new(&xml);
        let mut n = 0usize;
        loop {
            match lexer.next_token().unwrap() {
                cinlint_ingest::xml::lexer::Token::Eof => break,
                _ => n += 1,
            }
        }
        n
    });
}
