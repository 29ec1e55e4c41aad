//! Shared by the bench targets (`#[path]`-included): runs one "ours vs raw floor" pair as a
//! criterion group and prints the table of ratios at the end of the run.
//!
//! Each pair is a criterion group `<pair>` with two benchmarks, `<pair>/ours` and
//! `<pair>/floor`. Every sample of either benchmark runs `iters` iterations of ours *and*
//! (unless balanced, below) `iters` of the floor, split into up to `CHUNKS` chunks per side that
//! alternate (ours, floor, floor, ours, ...); it hands criterion the time of its own side and
//! keeps both.
//!
//! The table's `ratio` is the median, over every chunk of every measured sample of both
//! benchmarks, of ours / floor per iteration for the two adjacent chunks. Taken that way it
//! holds up on a busy machine (other builds on 2 cores): a slow drift of load hits both halves
//! of a chunk pair alike, and a preemption inflates one chunk, whose ratio the median then
//! ignores. `[p25-p75]` is the spread of those chunk ratios: a wide bracket means a noisy
//! machine, not a slow library. `ours` and `floor` are the medians of the per-iteration times
//! of those samples (criterion's own estimates, printed above the table, use only the samples
//! of one benchmark each).
//!
//! Criterion sizes a benchmark's samples by the time of its own side only, so the other side
//! adds its own time on top. When the other side is known (from the pair's previous sample) to
//! be more than `BALANCE_ABOVE` times slower per iteration, as for a pair far off its target,
//! it runs fewer iterations, about as long in all as the measured side's (at least one per
//! chunk); otherwise both sides run the same iterations. So each benchmark of a pair takes at
//! most about `(1 + BALANCE_ABOVE)` times its warm-up and measurement time, however far the pair
//! is off its target, instead of `(1 + ratio)` times. Criterion's own report (`time: [...]`) for
//! `<pair>/ours` and `<pair>/floor` stays valid, as each returns only its own side's time.

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
/// The other side runs fewer iterations than the measured one when it is slower than this per
/// iteration (see the module comment).
const BALANCE_ABOVE: f64 = 2.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Floor,
}

struct Sample {
    ours_iters: u64,
    floor_iters: u64,
    ours: Duration,
    floor: Duration,
    /// ours / floor per iteration, for each pair of adjacent chunks.
    chunk_ratios: Vec<f64>,
}

struct Row {
    name: String,
    target: f64,
    /// Samples taken by `<pair>/ours` and by `<pair>/floor`; the last `SAMPLE_SIZE` of each are
    /// criterion's measurement, the ones before them its warm-up.
    by_side: [Vec<Sample>; 2],
    /// ours / floor per iteration in the latest sample: how to balance the next one.
    estimate: Option<f64>,
}

/// The pairs measured by one bench target.
pub struct Ratios {
    rows: RefCell<Vec<Row>>,
    warm_up: Duration,
    measurement: Duration,
}

impl Ratios {
    pub fn new() -> Self {
        Ratios {
            rows: RefCell::new(Vec::new()),
            warm_up: WARM_UP,
            measurement: MEASUREMENT,
        }
    }

    /// Other warm-up and measurement times per benchmark, for a target with more pairs than
    /// the default times fit in its time budget.
    #[allow(dead_code)] // not every target that includes this file needs it
    pub fn with_times(mut self, warm_up: Duration, measurement: Duration) -> Self {
        self.warm_up = warm_up;
        self.measurement = measurement;
        self
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
                estimate: None,
            });
            rows.len() - 1
        };
        let mut group = c.benchmark_group(name);
        group
            .sample_size(SAMPLE_SIZE)
            .warm_up_time(self.warm_up)
            .measurement_time(self.measurement);
        for (side, id) in [(Side::Ours, "ours"), (Side::Floor, "floor")] {
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let mut rows = self.rows.borrow_mut();
                    let row = &mut rows[row];
                    let sample = interleaved(iters, side, row.estimate, &mut ours, &mut floor);
                    let own = match side {
                        Side::Ours => sample.ours,
                        Side::Floor => sample.floor,
                    };
                    row.estimate = Some(median(sample.chunk_ratios.clone()));
                    row.by_side[side as usize].push(sample);
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
        let ours = median(
            samples
                .iter()
                .map(|s| per_iter(s.ours, s.ours_iters))
                .collect(),
        );
        let floor = median(
            samples
                .iter()
                .map(|s| per_iter(s.floor, s.floor_iters))
                .collect(),
        );
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

/// Runs `iters` iterations of the `measured` side, and as many of the other (fewer if
/// `estimate`, ours / floor per iteration, says it is more than `BALANCE_ABOVE` times slower),
/// in up to `CHUNKS` chunks per side, alternating which side goes first.
fn interleaved(
    iters: u64,
    measured: Side,
    estimate: Option<f64>,
    ours: &mut impl FnMut(),
    floor: &mut impl FnMut(),
) -> Sample {
    // How many times slower per iteration the other side is than the measured one.
    let slower = estimate.map_or(1.0, |ratio| match measured {
        Side::Ours => 1.0 / ratio,
        Side::Floor => ratio,
    });
    let other_iters = if slower > BALANCE_ABOVE {
        ((iters as f64 / slower).round() as u64).max(1)
    } else {
        iters
    };
    let (ours_iters, floor_iters) = match measured {
        Side::Ours => (iters, other_iters),
        Side::Floor => (other_iters, iters),
    };
    let chunks = CHUNKS.min(ours_iters).min(floor_iters).max(1);
    let share = |total: u64, chunk: u64| total / chunks + u64::from(chunk < total % chunks);
    let mut sample = Sample {
        ours_iters,
        floor_iters,
        ours: Duration::ZERO,
        floor: Duration::ZERO,
        chunk_ratios: Vec::with_capacity(chunks as usize),
    };
    for chunk in 0..chunks {
        let (n_ours, n_floor) = (share(ours_iters, chunk), share(floor_iters, chunk));
        let (o, f) = if chunk % 2 == 0 {
            let o = time(n_ours, ours);
            (o, time(n_floor, floor))
        } else {
            let f = time(n_floor, floor);
            (time(n_ours, ours), f)
        };
        sample.ours += o;
        sample.floor += f;
        let per_iter = |d: Duration, n: u64| d.as_secs_f64() / n.max(1) as f64;
        sample
            .chunk_ratios
            .push(per_iter(o, n_ours) / per_iter(f, n_floor).max(1e-12));
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
