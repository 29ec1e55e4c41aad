//! Shared by the bench targets (`#[path]`-included): runs one "ours vs raw floor" pair as a
//! criterion group and prints the table of ratios at the end of the run.
//!
//! Each pair is a criterion group `<pair>` with two benchmarks, `<pair>/ours` and
//! `<pair>/floor`. Every sample of either benchmark runs `iters` iterations of ours *and*
//! `iters` of the floor, split into up to `CHUNKS` chunks per side that alternate (ours, floor,
//! floor, ours, ...); it hands criterion the time of its own side and keeps both.
//!
//! The table's `ratio` is the median, over every chunk of every measured sample of both
//! benchmarks, of ours / floor for the two adjacent chunks of equal length. Taken that way it
//! holds up on a busy machine (other builds on 2 cores): a slow drift of load hits both halves
//! of a chunk pair alike, and a preemption inflates one chunk, whose ratio the median then
//! ignores. `[p25-p75]` is the spread of those chunk ratios: a wide bracket means a noisy
//! machine, not a slow library. `ours` and `floor` are the medians of the per-iteration times
//! of those samples (criterion's own estimates, printed above the table, use only the samples
//! of one benchmark each).
//!
//! Criterion sizes its samples by wall time, so each side gets about half of `MEASUREMENT`;
//! its own report (`time: [...]`) for `<pair>/ours` and `<pair>/floor` stays valid, as each
//! returns only its own side's time.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use criterion::Criterion;

/// Settings for every pair; modest, so the whole `cargo bench -p secrets-benches` finishes in a
/// few minutes on a small machine.
const SAMPLE_SIZE: usize = 50;
const WARM_UP: Duration = Duration::from_millis(500);
const MEASUREMENT: Duration = Duration::from_secs(4);
/// Chunks per side and sample that ours and the floor alternate in.
const CHUNKS: u64 = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Floor,
}

struct Sample {
    iters: u64,
    ours: Duration,
    floor: Duration,
    /// ours / floor for each pair of adjacent, equally long chunks.
    chunk_ratios: Vec<f64>,
}

struct Row {
    name: String,
    target: f64,
    /// Samples taken by `<pair>/ours` and by `<pair>/floor`; the last `SAMPLE_SIZE` of each are
    /// criterion's measurement, the ones before them its warm-up.
    by_side: [Vec<Sample>; 2],
}

/// The pairs measured by one bench target.
pub struct Ratios {
    rows: RefCell<Vec<Row>>,
}

impl Ratios {
    pub fn new() -> Self {
        Ratios {
            rows: RefCell::new(Vec::new()),
        }
    }

    /// Benchmarks `ours` against `floor` as criterion group `name`; the table will report it
    /// as met when the median ratio is at most `target`.
    pub fn compare(
        &self,
        c: &mut Criterion,
        name: &str,
        target: f64,
        mut ours: impl FnMut(),
        mut floor: impl FnMut(),
    ) {
        let row = {
            let mut rows = self.rows.borrow_mut();
            rows.push(Row {
                name: name.to_owned(),
                target,
                by_side: [Vec::new(), Vec::new()],
            });
            rows.len() - 1
        };
        let mut group = c.benchmark_group(name);
        group
            .sample_size(SAMPLE_SIZE)
            .warm_up_time(WARM_UP)
            .measurement_time(MEASUREMENT);
        for (side, id) in [(Side::Ours, "ours"), (Side::Floor, "floor")] {
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let mut rows = self.rows.borrow_mut();
                    let taken = &mut rows[row].by_side[side as usize];
                    let sample = interleaved(iters, &mut ours, &mut floor);
                    let own = match side {
                        Side::Ours => sample.ours,
                        Side::Floor => sample.floor,
                    };
                    taken.push(sample);
                    own
                })
            });
        }
        group.finish();
    }

    /// Prints one line per pair that was run (a filter may have skipped some).
    pub fn print(&self) {
        let rows = self.rows.borrow();
        let lines: Vec<[String; 6]> = rows.iter().filter_map(Row::line).collect();
        if lines.is_empty() {
            return;
        }
        let mut width = [0; 6];
        for line in &lines {
            for (w, cell) in width.iter_mut().zip(line) {
                *w = (*w).max(cell.len());
            }
        }
        println!();
        println!(
            "ratio = ours / floor: median of the ratios of adjacent, interleaved chunks of both \
             sides; [p25-p75] of those ratios"
        );
        for line in &lines {
            let [name, ours, floor, ratio, target, verdict] = line;
            println!(
                "{name:<w0$}  ours {ours:>w1$}  floor {floor:>w2$}  ratio {ratio:<w3$}  \
                 target <= {target:<w4$}  {verdict}",
                w0 = width[0],
                w1 = width[1],
                w2 = width[2],
                w3 = width[3],
                w4 = width[4],
            );
        }
        println!();
    }
}

impl Row {
    fn line(&self) -> Option<[String; 6]> {
        let mut samples: Vec<&Sample> = Vec::new();
        let mut fewest = usize::MAX;
        for taken in &self.by_side {
            let measured = &taken[taken.len().saturating_sub(SAMPLE_SIZE)..];
            fewest = fewest.min(measured.len());
            samples.extend(measured);
        }
        if fewest == 0 {
            return None;
        }
        let per_iter = |d: Duration, iters: u64| d.as_secs_f64() / iters.max(1) as f64;
        let ours = median(samples.iter().map(|s| per_iter(s.ours, s.iters)).collect());
        let floor = median(samples.iter().map(|s| per_iter(s.floor, s.iters)).collect());
        let ratios: Vec<f64> = samples
            .iter()
            .flat_map(|s| s.chunk_ratios.iter().copied())
            .collect();
        let (p25, p50, p75) = quartiles(ratios);
        let verdict = if fewest < SAMPLE_SIZE {
            format!("n/a ({fewest} sample(s) per side: run `cargo bench` without --test/--quick)")
        } else if p50 <= self.target {
            "PASS".to_owned()
        } else {
            "MISS".to_owned()
        };
        Some([
            self.name.clone(),
            seconds(ours),
            seconds(floor),
            format!("{p50:.2}x [{p25:.2}-{p75:.2}]"),
            format!("{:.2}x", self.target),
            verdict,
        ])
    }
}

/// Runs `iters` iterations of each side in up to `CHUNKS` chunks, alternating which side goes
/// first.
fn interleaved(iters: u64, ours: &mut impl FnMut(), floor: &mut impl FnMut()) -> Sample {
    let chunks = CHUNKS.min(iters).max(1);
    let mut sample = Sample {
        iters,
        ours: Duration::ZERO,
        floor: Duration::ZERO,
        chunk_ratios: Vec::with_capacity(chunks as usize),
    };
    for chunk in 0..chunks {
        let n = iters / chunks + u64::from(chunk < iters % chunks);
        let (o, f) = if chunk % 2 == 0 {
            let o = time(n, ours);
            (o, time(n, floor))
        } else {
            let f = time(n, floor);
            (time(n, ours), f)
        };
        sample.ours += o;
        sample.floor += f;
        sample
            .chunk_ratios
            .push(o.as_secs_f64() / f.as_secs_f64().max(1e-12));
    }
    sample
}

fn time(iters: u64, routine: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        routine();
    }
    start.elapsed()
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// The value at fraction `q` of the sorted, non-empty `values`, linearly interpolated.
fn quantile(values: &[f64], q: f64) -> f64 {
    let at = q * (values.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    values[low] + (values[high] - values[low]) * (at - low as f64)
}

fn median(values: Vec<f64>) -> f64 {
    quantile(&sorted(values), 0.5)
}

fn quartiles(values: Vec<f64>) -> (f64, f64, f64) {
    let values = sorted(values);
    (
        quantile(&values, 0.25),
        quantile(&values, 0.5),
        quantile(&values, 0.75),
    )
}

/// `seconds` with three significant digits and a unit.
fn seconds(seconds: f64) -> String {
    let (value, unit) = if seconds >= 1.0 {
        (seconds, "s")
    } else if seconds >= 1e-3 {
        (seconds * 1e3, "ms")
    } else if seconds >= 1e-6 {
        (seconds * 1e6, "us")
    } else {
        (seconds * 1e9, "ns")
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}
