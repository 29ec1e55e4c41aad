//! How many live 32-byte secrets this process can hold, in dedicated, pooled or sealed storage,
//! and what it costs in locked memory, in memory and in time.
//!
//! ```text
//! cargo run --release --example capacity -- --storage <dedicated|pooled|sealed|plain> --count N [--fill HEX] [--hold]
//! ```
//!
//! Makes `N` live `SecretBox<[u8; 32], S>`s, each random, or starting with the bytes of `HEX`
//! (at most 32, two hex digits each) and random after them, and prints one line:
//!
//! ```text
//! N live, VmLck K kB, storage S, VmRSS +R kB (B bytes each), T ns per new
//! ```
//!
//! `--storage` is `dedicated` (a page range per secret), `pooled` (85 to a locked page),
//! `sealed` (ciphertext in ordinary memory; only the key page and the scratch pages are
//! locked), or `plain`: the control, a `Vec<[u8; 32]>` in ordinary memory with no protection
//! at all, which shows what an outside search finds when nothing is guarded.
//!
//! `VmLck` is the process's locked memory as `/proc/self/status` reports it; `VmRSS` grew by
//! `R` kB while the secrets were made (the list that holds them included), `B` bytes a secret;
//! making them took `T` ns a secret. With `--hold` the secrets stay alive until standard input
//! is closed (end of file), so that outside tools can inspect the process meanwhile
//! (`/proc/PID/smaps`, `gcore`, a search for the `--fill` bytes: the program zeroes its own
//! parsed copy of them once the secrets are made). Such a search finds every `plain` secret,
//! and no `sealed` one (only ciphertext rests in memory; the plaintext exists only in a
//! scratch slot during a borrow, and the program holds none).
//!
//! Exit status: 0 when all `N` were made; 1 at a limit (the lock limit, the map count, ...),
//! after printing the typed error that names it and how many secrets were live; 2 for bad
//! arguments, after the usage message.
//!
//! To see the lock limit as an ordinary user does, drop `CAP_IPC_LOCK` (root ignores the
//! limit) and set the limit, e.g. to the usual 8 MiB:
//!
//! ```text
//! setpriv --bounding-set -ipc_lock prlimit --memlock=8388608:8388608 \
//!     target/release/examples/capacity --storage pooled --count 1000000
//! ```
//!
//! or to the 64 KiB of a container, where a million sealed secrets fit:
//!
//! ```text
//! setpriv --bounding-set -ipc_lock prlimit --memlock=65536:65536 \
//!     target/release/examples/capacity --storage sealed --count 1000000
//! ```

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use secrets_core::{Dedicated, Error, Pooled, Randomizable, Sealed, SecretBox, Storage};

const USAGE: &str =
    "usage: capacity --storage <dedicated|pooled|sealed|plain> --count N [--fill HEX] [--hold]\n\
     \n\
     Makes N live 32-byte secrets (starting with the bytes of HEX when given, the rest random),\n\
     prints `N live, VmLck K kB, storage S, VmRSS +R kB (B bytes each), T ns per new`, and\n\
     with --hold keeps them until stdin is closed. `plain` is the control: unguarded memory.\n\
     Exit status: 0 done, 1 at a limit (the error is printed), 2 bad arguments.";

/// The size of every secret made, in bytes.
const SECRET_LEN: usize = 32;

/// Where the secrets are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Dedicated,
    Pooled,
    Sealed,
    /// The control: ordinary heap memory, no protection.
    Plain,
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Choice::Dedicated => "dedicated",
            Choice::Pooled => "pooled",
            Choice::Sealed => "sealed",
            Choice::Plain => "plain",
        })
    }
}

/// The parsed command line.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    storage: Choice,
    count: usize,
    fill: Vec<u8>,
    hold: bool,
}

/// Parses the arguments after the program name. The error says what is wrong; the caller
/// prints it with the usage message.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut storage = None;
    let mut count = None;
    let mut fill = None;
    let mut hold = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--storage" if storage.is_none() => {
                storage = Some(match value("--storage")?.as_str() {
                    "dedicated" => Choice::Dedicated,
                    "pooled" => Choice::Pooled,
                    "sealed" => Choice::Sealed,
                    "plain" => Choice::Plain,
                    other => {
                        return Err(format!(
                            "--storage must be `dedicated`, `pooled`, `sealed` or `plain`, not \
                             `{other}`"
                        ))
                    }
                })
            }
            "--count" if count.is_none() => {
                let text = value("--count")?;
                // Digits only: `usize::from_str` would also take a leading `+`.
                if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("--count must be a decimal number, not `{text}`"));
                }
                count = Some(
                    text.parse::<usize>()
                        .map_err(|err| format!("--count `{text}`: {err}"))?,
                );
            }
            "--fill" if fill.is_none() => fill = Some(parse_hex(&value("--fill")?)?),
            "--hold" if !hold => hold = true,
            "--storage" | "--count" | "--fill" | "--hold" => {
                return Err(format!("{arg} given twice"))
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(Options {
        storage: storage.ok_or("--storage is required")?,
        count: count.ok_or("--count is required")?,
        fill: fill.unwrap_or_default(),
        hold,
    })
}

/// Strict hex: 1 to 32 bytes, two digits (`0-9`, `a-f`, `A-F`) per byte, nothing else (no
/// `0x`, no spaces, no odd digit).
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.as_bytes();
    if digits.is_empty() || !digits.len().is_multiple_of(2) || digits.len() / 2 > SECRET_LEN {
        return Err(format!(
            "--fill must be 1 to {SECRET_LEN} bytes as an even number of hex digits, not `{text}`"
        ));
    }
    let digit = |d: u8| match d {
        b'0'..=b'9' => Ok(d - b'0'),
        b'a'..=b'f' => Ok(d - b'a' + 10),
        b'A'..=b'F' => Ok(d - b'A' + 10),
        _ => Err(format!(
            "--fill must be hex digits only, not `{text}` (`{}`)",
            char::from(d).escape_default()
        )),
    };
    digits
        .chunks_exact(2)
        .map(|pair| Ok(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// What stopped the secrets being made: how many were live, and the typed error.
#[derive(Debug)]
struct Stopped {
    live: usize,
    error: Error,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} live, then: {}", self.live, self.error)
    }
}

/// `count` live secrets in `storage`, each random with `fill` over its first bytes.
fn make<S: Storage + Copy>(
    storage: S,
    count: usize,
    fill: &[u8],
) -> Result<Vec<SecretBox<[u8; SECRET_LEN], S>>, Stopped> {
    let mut live = Vec::new();
    for _ in 0..count {
        let secret = SecretBox::<[u8; SECRET_LEN], S>::new_in(storage, |value| {
            value.randomize();
            value[..fill.len()].copy_from_slice(fill);
        });
        match secret {
            Ok(secret) => live.push(secret),
            Err(error) => {
                return Err(Stopped {
                    live: live.len(),
                    error,
                })
            }
        }
    }
    Ok(live)
}

/// `count` plain secrets in ordinary memory: the control.
fn make_plain(count: usize, fill: &[u8]) -> Vec<[u8; SECRET_LEN]> {
    (0..count)
        .map(|_| {
            let mut value = [0u8; SECRET_LEN];
            value.randomize();
            value[..fill.len()].copy_from_slice(fill);
            value
        })
        .collect()
}

/// The live secrets of any storage, kept until dropped.
enum Live {
    Dedicated(Vec<SecretBox<[u8; SECRET_LEN], Dedicated>>),
    Pooled(Vec<SecretBox<[u8; SECRET_LEN], Pooled>>),
    Sealed(Vec<SecretBox<[u8; SECRET_LEN], Sealed>>),
    Plain(Vec<[u8; SECRET_LEN]>),
}

impl Live {
    fn len(&self) -> usize {
        match self {
            Live::Dedicated(live) => live.len(),
            Live::Pooled(live) => live.len(),
            Live::Sealed(live) => live.len(),
            Live::Plain(live) => live.len(),
        }
    }
}

/// The secrets made, and what making them cost.
struct Made {
    live: Live,
    /// How much `VmRSS` grew while they were made, in kB.
    rss_kb: u64,
    /// How long making them took.
    took: Duration,
}

/// Makes the secrets the options ask for.
fn run(options: &Options) -> Result<Made, Stopped> {
    // Without /proc the figure is left out (0) rather than the secrets.
    let rss_before = status_kb("VmRSS").unwrap_or(0);
    let began = Instant::now();
    let live = match options.storage {
        Choice::Dedicated => Live::Dedicated(make(Dedicated, options.count, &options.fill)?),
        Choice::Pooled => Live::Pooled(make(Pooled, options.count, &options.fill)?),
        Choice::Sealed => Live::Sealed(make(Sealed, options.count, &options.fill)?),
        Choice::Plain => Live::Plain(make_plain(options.count, &options.fill)),
    };
    let took = began.elapsed();
    let rss_kb = status_kb("VmRSS").map_or(0, |kb| kb.saturating_sub(rss_before));
    Ok(Made { live, rss_kb, took })
}

/// A field of `/proc/self/status` given in kB (`VmLck`, `VmRSS`).
fn status_kb(field: &str) -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse().ok())
        .ok_or_else(|| io::Error::other(format!("no {field} line in /proc/self/status")))
}

/// The line printed once the secrets are made.
fn report(made: &Made, storage: Choice) -> io::Result<String> {
    let count = made.live.len();
    let each = |total: f64| {
        if count == 0 {
            0.0
        } else {
            total / count as f64
        }
    };
    Ok(format!(
        "{count} live, VmLck {} kB, storage {storage}, VmRSS +{} kB ({:.0} bytes each), {:.0} ns \
         per new",
        status_kb("VmLck")?,
        made.rss_kb,
        each(made.rss_kb as f64 * 1024.0),
        each(made.took.as_nanos() as f64),
    ))
}

fn main() -> ExitCode {
    let mut options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("capacity: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let made = match run(&options) {
        Ok(made) => made,
        Err(stopped) => {
            eprintln!("capacity: {stopped}");
            return ExitCode::from(1);
        }
    };
    // The fill bytes are now only in the secrets: an outside search for them (with --hold)
    // finds no plain copy of ours. `black_box` keeps the zeroing from being optimised away.
    options.fill.fill(0);
    std::hint::black_box(&options.fill);
    let line = match report(&made, options.storage) {
        Ok(line) => line,
        Err(err) => {
            eprintln!("capacity: {err}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = io::stdout();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    if options.hold {
        // Until end of file; whatever is written meanwhile is read and ignored.
        if let Err(err) = io::copy(&mut io::stdin().lock(), &mut io::sink()) {
            eprintln!("capacity: reading stdin: {err}");
            return ExitCode::from(1);
        }
    }
    drop(made);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    // Drops CAP_IPC_LOCK to apply a lock limit: Linux capabilities (the tests that use it are
    // Linux-only).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    use secrets_integration_tests::caps;
    // Re-executes the test binary as a child: the harness is POSIX (tests/src/child.rs).
    #[cfg(unix)]
    use secrets_integration_tests::in_child;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_the_documented_command_line() {
        assert_eq!(
            parse_args(args(
                "--storage pooled --count 1000000 --fill 00ff7A --hold"
            )),
            Ok(Options {
                storage: Choice::Pooled,
                count: 1_000_000,
                fill: vec![0x00, 0xff, 0x7a],
                hold: true,
            })
        );
        assert_eq!(
            parse_args(args("--count 0 --storage dedicated")),
            Ok(Options {
                storage: Choice::Dedicated,
                count: 0,
                fill: Vec::new(),
                hold: false,
            })
        );
        for (name, storage) in [("sealed", Choice::Sealed), ("plain", Choice::Plain)] {
            let line = format!("--storage {name} --count 7 --fill 5ec2");
            assert_eq!(
                parse_args(args(&line)),
                Ok(Options {
                    storage,
                    count: 7,
                    fill: vec![0x5e, 0xc2],
                    hold: false,
                })
            );
            assert_eq!(storage.to_string(), name);
        }
    }

    #[test]
    fn refuses_bad_arguments() {
        for bad in [
            "",
            "--storage pooled",
            "--count 3",
            "--storage shared --count 3",
            "--storage Sealed --count 3",
            "--storage sealed --storage plain --count 3",
            "--storage pooled --count",
            "--storage pooled --count -1",
            "--storage pooled --count +3",
            "--storage pooled --count 3x",
            "--storage pooled --count 99999999999999999999999",
            "--storage pooled --storage dedicated --count 3",
            "--storage pooled --count 3 --hold --hold",
            "--storage pooled --count 3 --fill",
            "--storage pooled --count 3 --verbose",
        ] {
            assert!(parse_args(args(bad)).is_err(), "accepted `{bad}`");
        }
    }

    #[test]
    fn parses_hex_strictly() {
        assert_eq!(parse_hex("deadBEEF"), Ok(vec![0xde, 0xad, 0xbe, 0xef]));
        assert_eq!(parse_hex(&"ab".repeat(32)).map(|v| v.len()), Ok(32));
        for bad in [
            "",
            "a",
            "abc",
            "0x12",
            "12 34",
            "+1",
            "gg",
            "é1",
            &"ab".repeat(33),
        ] {
            assert!(parse_hex(bad).is_err(), "accepted `{bad}`");
        }
    }

    /// Every secret is live, starts with the fill bytes, and is random after them (two secrets
    /// whose random parts agreed would be a broken CSPRNG, or a fill that overwrote all).
    fn check_made<S: Storage + Copy>(storage: S) {
        let fill = [0x5e, 0xc2, 0xe7];
        let live = make(storage, 300, &fill).expect("300 secrets");
        assert_eq!(live.len(), 300);
        let tails: std::collections::HashSet<Vec<u8>> = live
            .iter()
            .map(|secret| {
                let value = secret.borrow();
                assert_eq!(value[..fill.len()], fill);
                value[fill.len()..].to_vec()
            })
            .collect();
        assert_eq!(tails.len(), 300, "random tails repeat");
    }

    #[test]
    fn makes_secrets_that_start_with_the_fill() {
        check_made(Dedicated);
        check_made(Pooled);
        check_made(Sealed);
        let fill = [0x5e, 0xc2, 0xe7];
        let plain = make_plain(300, &fill);
        assert!(plain.iter().all(|value| value[..fill.len()] == fill));
        let tails: std::collections::HashSet<&[u8]> =
            plain.iter().map(|value| &value[fill.len()..]).collect();
        assert_eq!(tails.len(), 300, "random tails repeat");
    }

    /// The report line's figures: count, VmLck, storage, VmRSS growth, bytes and ns each.
    fn report_of(line: &str) -> (usize, u64, String, u64, u64, u64) {
        let number = |text: &str| text.parse::<u64>().expect(text);
        let (count, rest) = line.split_once(" live, VmLck ").expect("line format");
        let (locked, rest) = rest.split_once(" kB, storage ").expect("line format");
        let (storage, rest) = rest.split_once(", VmRSS +").expect("line format");
        let (rss, rest) = rest.split_once(" kB (").expect("line format");
        let (each, rest) = rest.split_once(" bytes each), ").expect("line format");
        let ns = rest.strip_suffix(" ns per new").expect("line format");
        (
            count.parse().expect("count"),
            number(locked),
            storage.to_owned(),
            number(rss),
            number(each),
            number(ns),
        )
    }

    #[test]
    fn reports_the_count_the_storage_and_locked_memory() {
        let options = parse_args(args("--storage pooled --count 200")).expect("options");
        let made = run(&options).expect("200 pooled secrets");
        let line = report(&made, options.storage).expect("VmLck");
        let (count, locked, storage, _, _, ns) = report_of(&line);
        assert_eq!(count, 200);
        assert!(locked >= 4, "a pooled data page is locked: {line}");
        assert_eq!(storage, "pooled");
        assert!(ns > 0, "{line}");
    }

    /// The figures add up: 20,000 plain secrets (32 bytes each, in one `Vec`) make `VmRSS` grow
    /// by at least that (measured: 39 bytes each, the `Vec`'s earlier buffers included; 212
    /// under ASan, whose quarantine keeps them). In a child, where no other test allocates
    /// meanwhile.
    // POSIX-only: runs in a child process (the harness is POSIX).
    #[cfg(unix)]
    #[test]
    fn reports_memory_per_secret() {
        in_child("tests::reports_memory_per_secret", || {
            let options = parse_args(args("--storage plain --count 20000")).expect("options");
            let made = run(&options).expect("plain secrets");
            let line = report(&made, options.storage).expect("VmLck");
            println!("{line}");
            let (count, _, storage, rss, each, _) = report_of(&line);
            assert_eq!((count, storage.as_str()), (20_000, "plain"), "{line}");
            assert!((32..=1024).contains(&each), "{line}");
            assert!((rss * 1024 / 20_000).abs_diff(each) <= 1, "{line}");
        })
        .assert_success();
    }

    /// Under a 64 KiB lock limit and without `CAP_IPC_LOCK`, a million pooled secrets stop at
    /// the limit with `Error::Lock`, after far more than dedicated pages allow (16: one locked
    /// page each; pooled: 85 per locked page, 1,275 measured), and the message names the limit.
    // Linux-only: drops CAP_IPC_LOCK (Linux capabilities) to apply the lock limit.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn stops_at_the_lock_limit_with_the_typed_error() {
        const LIMIT: u64 = 64 * 1024;
        in_child(
            "tests::stops_at_the_lock_limit_with_the_typed_error",
            || {
                caps::drop_ipc_lock();
                caps::set_memlock_limit(LIMIT);
                let options =
                    parse_args(args("--storage pooled --count 1000000")).expect("options");
                let Err(stopped) = run(&options) else {
                    panic!("a million pooled secrets fit under {LIMIT} bytes");
                };
                println!("{stopped}");
                assert!(
                    matches!(stopped.error, Error::Lock { .. }),
                    "{:?}",
                    stopped.error
                );
                assert!(stopped.to_string().contains("RLIMIT_MEMLOCK"), "{stopped}");
                assert!(stopped.live > 1_000, "{stopped}");
            },
        )
        .assert_success();
    }

    /// Under the same 64 KiB, sealed secrets go far past where pooled ones stop (1,275): a
    /// million fit in release (see the module's doc); 20,000 here, in the debug build.
    // Linux-only: drops CAP_IPC_LOCK (Linux capabilities) to apply the lock limit.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn sealed_secrets_go_past_the_64_kib_lock_limit() {
        const LIMIT: u64 = 64 * 1024;
        in_child(
            "tests::sealed_secrets_go_past_the_64_kib_lock_limit",
            || {
                caps::drop_ipc_lock();
                caps::set_memlock_limit(LIMIT);
                let options = parse_args(args("--storage sealed --count 20000")).expect("options");
                let made = run(&options).unwrap_or_else(|stopped| panic!("{stopped}"));
                let line = report(&made, options.storage).expect("VmLck");
                println!("{line}");
                let (count, locked, storage, _, _, _) = report_of(&line);
                assert_eq!((count, storage.as_str()), (20_000, "sealed"), "{line}");
                assert!(locked <= LIMIT / 1024, "{line}");
            },
        )
        .assert_success();
    }
}
