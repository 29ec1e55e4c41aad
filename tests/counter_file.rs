//! `CounterFile` against real processes, crashes and disks: one holder at a time, no nonce
//! repeated after a `kill -9` at any point, every reservation synced before its first nonce is
//! used, and a file of another key, another algorithm or damaged refused.
//!
//! Each process-level scenario runs the test binary again as a child ([`child_command`]) that
//! seals with the counter and prints every nonce it used, one line each, as soon as it used it.
//! Where the syncs matter, the child runs under `counter_sync_shim.c` (compiled with `cc` into
//! the test's private directory and loaded with `LD_PRELOAD`), which logs each `fsync` and
//! `fdatasync` of the counter to the same stream, kills the child right after the Nth, or makes
//! them fail with `EIO`. The order of the lines is the order of the events: the child's
//! `println!` and the shim's `write(2)` go to one pipe.

// Linux-only: checks inherited descriptors in /proc/self/fd.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};

use secrets_core::prelude::*;
use secrets_core::Randomizable;
use secrets_integration_tests::inherited::{borrow_refused, PARENT_MESSAGE};
use secrets_integration_tests::probe::{fork_and_wait, Ended};
use secrets_integration_tests::{
    child_command, disable_core_dumps, for_each_backend, in_child, is_child_of, PrivateDir,
};
use secrets_nonce::{
    open, Aes256GcmKey, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, CounterFile, Error,
    UsedNonce,
};

/// The documented layout (`secrets-nonce/src/counter/format.rs`): where slots A and B start, and
/// the file's length.
const SLOT_A: u64 = 4096;
const SLOT_B: u64 = 8192;
const FILE_LEN: u64 = 8192 + 64;

/// The child's settings, passed in its environment.
const PATH_ENV: &str = "COUNTER_TEST_PATH";
const BLOCK_ENV: &str = "COUNTER_TEST_BLOCK";
const COUNT_ENV: &str = "COUNTER_TEST_COUNT";
const MODE_ENV: &str = "COUNTER_TEST_MODE";

/// The key every scenario counts for, the same in parent and children (it stands for a key
/// that is stored or derived, so comes back in every process).
fn key() -> ChaCha20Poly1305IetfKey {
    ChaCha20Poly1305IetfKey::from_bytes(&mut [0x42; 32]).expect("a key in guarded memory")
}

/// The number of a counted nonce: its last 8 bytes, big-endian.
fn number(nonce: &UsedNonce<ChaCha20Poly1305Ietf>) -> u64 {
    let bytes = nonce.as_bytes();
    let at = bytes.len() - 8;
    assert!(
        bytes[..at].iter().all(|&b| b == 0),
        "a counted nonce: {nonce:?}"
    );
    u64::from_be_bytes(bytes[at..].try_into().expect("8 bytes"))
}

/// A new counter file for [`key`] in `dir`.
fn new_counter(dir: &PrivateDir, name: &str) -> PathBuf {
    let path = dir.join(name);
    drop(CounterFile::create(&path, &key()).expect("create the counter file"));
    path
}

/// In the child: seals as the parent asked in the environment and prints what it used.
///
/// `MODE` `seal` (the default): open the counter at `PATH` with block `BLOCK`, print
/// `OPENED <reserved>`, seal `COUNT` messages printing `USED <n>` after each, then `DONE`; a
/// failed seal prints `FAILED <error>`, and the next seal's result `AGAIN <error>` (or `USED`).
/// `create`: create the counter at `PATH` and print `CREATED`. `hold`: as `seal`, then print `HELD <reserved>` and wait for stdin to close. `try`: open and
/// print `REFUSED <error>` or `OPENED`. An `open` that fails prints `OPEN-FAILED <error>`.
fn child_scenario() -> ! {
    disable_core_dumps();
    // libtest has printed "test NAME ... " without a newline: end that line first.
    println!();
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let path = PathBuf::from(var(PATH_ENV));
    let block = var(BLOCK_ENV)
        .parse()
        .unwrap_or(CounterFile::<ChaCha20Poly1305IetfKey>::DEFAULT_BLOCK);
    let count: u64 = var(COUNT_ENV).parse().unwrap_or(0);
    let mode = var(MODE_ENV);
    let key = key();
    if mode == "create" {
        drop(CounterFile::create(&path, &key).expect("create"));
        println!("CREATED");
        std::process::exit(0);
    }
    let mut counter = match CounterFile::open(&path, &key) {
        Ok(counter) => counter.with_block(block),
        Err(err) if mode == "try" => {
            println!("REFUSED {err:?}");
            std::process::exit(0);
        }
        Err(err) => {
            println!("OPEN-FAILED {err:?}");
            std::process::exit(3);
        }
    };
    println!("OPENED {}", counter.reserved());
    if mode == "try" {
        std::process::exit(0);
    }
    for i in 0..count {
        match counter.seal(b"counter test", &i.to_be_bytes()) {
            Ok((nonce, _)) => println!("USED {}", number(&nonce)),
            Err(err) => {
                println!("FAILED {err:?}");
                match counter.seal(b"counter test", b"again") {
                    Ok((nonce, _)) => println!("USED {}", number(&nonce)),
                    Err(err) => println!("AGAIN {err:?}"),
                }
                std::process::exit(0);
            }
        }
    }
    if mode == "hold" {
        println!("HELD {}", counter.reserved());
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    }
    println!("DONE");
    std::process::exit(0);
}

/// How the parent runs a child: its settings, the shim's, and when to kill it.
#[derive(Default)]
struct Run<'a> {
    path: PathBuf,
    block: u64,
    count: u64,
    mode: &'a str,
    /// `LD_PRELOAD` this shim, with these of its settings.
    shim: Option<(&'a Path, Vec<(&'a str, String)>)>,
    /// Send `SIGKILL` once the child has printed this many `USED` lines.
    kill_after: Option<usize>,
}

/// What a child printed, line by line, and how it ended.
#[derive(Debug)]
struct Ran {
    lines: Vec<String>,
    status: ExitStatus,
}

impl Ran {
    /// The nonces it printed as used, in order.
    fn used(&self) -> Vec<u64> {
        self.lines
            .iter()
            .filter_map(|line| line.strip_prefix("USED "))
            .map(|n| n.parse().expect("a nonce number"))
            .collect()
    }

    fn line_starting(&self, prefix: &str) -> Option<&str> {
        self.lines.iter().find_map(|line| line.strip_prefix(prefix))
    }

    fn killed(&self) -> bool {
        self.status.signal() == Some(libc::SIGKILL)
    }
}

impl Run<'_> {
    fn spawn(&self, test_name: &str) -> Child {
        let mut command = child_command(test_name);
        command
            .env(PATH_ENV, &self.path)
            .env(BLOCK_ENV, self.block.to_string())
            .env(COUNT_ENV, self.count.to_string())
            .env(MODE_ENV, self.mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((shim, settings)) = &self.shim {
            command.env("LD_PRELOAD", shim);
            for (name, value) in settings {
                command.env(name, value);
            }
        }
        command.spawn().expect("start the child")
    }

    /// Runs the child to its end (or kills it as asked) and returns what it printed.
    fn run(&self, test_name: &str) -> Ran {
        let mut child = Reaped(self.spawn(test_name));
        let stdin = child.0.stdin.take();
        let stdout = child.0.stdout.take().expect("the child's stdout");
        let mut lines = Vec::new();
        let mut used = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line from the child");
            if line.starts_with("USED ") {
                used += 1;
            }
            lines.push(line);
            if Some(used) == self.kill_after {
                // Whatever it is doing now: sealing, writing the reservation, syncing it.
                let _ = child.0.kill();
            }
        }
        drop(stdin);
        let status = child.0.wait().expect("wait for the child");
        Ran { lines, status }
    }
}

/// A child that is killed and reaped when the test is done with it, on every path out.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the tests of this file one at a time. While a test thread starts a child, the child
/// holds a copy of every descriptor of the process until it `exec`s, the lock of an open
/// counter file included: another test that closed its counter and opened it again in that
/// moment would be refused with `CounterInUse` (as `CounterFile::open` documents).
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Compiles `counter_sync_shim.c` into `dir`, and returns the library's path.
fn shim(dir: &PrivateDir) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("counter_sync_shim.c");
    let library = dir.join("counter_sync_shim.so");
    let output = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&library)
        .arg(&source)
        .arg("-ldl")
        .output()
        .expect("run cc (a C compiler is needed to build the fsync shim)");
    assert!(
        output.status.success(),
        "cc {}: {}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    library
}

/// The shim's directory setting: the real path, as `/proc/self/fd` shows it.
fn shim_dir(dir: &PrivateDir) -> (&'static str, String) {
    let real = std::fs::canonicalize(dir.path()).expect("the directory's real path");
    ("COUNTER_SHIM_DIR", real.to_string_lossy().into_owned())
}

/// Opens the counter in this process and seals `count` messages: the nonces used.
fn seal_here(path: &Path, count: usize) -> Vec<u64> {
    let key = key();
    let mut counter = CounterFile::open(path, &key).expect("open the counter");
    (0..count)
        .map(|_| number(&counter.seal(b"", b"after").expect("seal").0))
        .collect()
}

/// Fails if any nonce appears twice in `used`.
#[track_caller]
fn assert_no_repeat(used: &[u64], context: &str) {
    let mut seen = BTreeSet::new();
    for &n in used {
        assert!(seen.insert(n), "nonce {n} was used twice ({context})");
    }
}

/// A small random number below `bound`, printed so a failure can be followed.
fn random_below(bound: usize) -> usize {
    let mut bytes = [0u8; 8];
    bytes.randomize();
    (u64::from_le_bytes(bytes) % bound as u64) as usize
}

// 1. One holder at a time.

#[test]
fn a_second_process_cannot_hold_the_counter_until_the_first_is_killed() {
    const NAME: &str = "a_second_process_cannot_hold_the_counter_until_the_first_is_killed";
    if is_child_of(NAME) {
        child_scenario();
    }
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-lock");
    let path = new_counter(&dir, "counter");
    let holder = Run {
        path: path.clone(),
        block: 10,
        count: 3,
        mode: "hold",
        ..Run::default()
    };
    let mut child = Reaped(holder.spawn(NAME));
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let mut used = Vec::new();
    let held_reservation: u64 = loop {
        let line = lines
            .next()
            .expect("the holder ended before it held the counter")
            .expect("a line");
        if let Some(n) = line.strip_prefix("USED ") {
            used.push(n.parse::<u64>().expect("a number"));
        }
        if let Some(reserved) = line.strip_prefix("HELD ") {
            break reserved.parse().expect("a number");
        }
    };
    assert_eq!(used, [0, 1, 2]);
    assert_eq!(held_reservation, 10);

    // This process is refused...
    let key = key();
    let refused = CounterFile::open(&path, &key).unwrap_err();
    assert_eq!(refused, Error::CounterInUse { path: path.clone() });
    // ...and so is another child.
    let other = Run {
        path: path.clone(),
        mode: "try",
        ..Run::default()
    }
    .run(NAME);
    assert!(other.status.success(), "{other:?}");
    assert_eq!(
        other.line_starting("REFUSED "),
        Some(format!("{:?}", Error::CounterInUse { path: path.clone() }).as_str()),
        "{other:?}"
    );

    child.0.kill().expect("kill the holder");
    let status = child.0.wait().expect("wait for the holder");
    assert_eq!(status.signal(), Some(libc::SIGKILL));

    // Its lock went with it; the next holder starts above all it could have used.
    let mut counter = CounterFile::open(&path, &key).expect("open after the holder died");
    let (first, _) = counter.seal(b"", b"next").expect("seal");
    assert!(number(&first) >= held_reservation, "{first:?}");
    assert!(used.iter().all(|&n| n < number(&first)));
}

#[test]
fn a_second_open_in_the_same_process_is_refused() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-lock-self");
    let path = new_counter(&dir, "counter");
    let key = key();
    let first = CounterFile::open(&path, &key).expect("the first open");
    assert_eq!(
        CounterFile::open(&path, &key).unwrap_err(),
        Error::CounterInUse { path: path.clone() }
    );
    // Through another path to the same file, too: the lock is the file's.
    let other_path = dir.path().join(".").join("counter");
    assert!(matches!(
        CounterFile::open(&other_path, &key),
        Err(Error::CounterInUse { .. })
    ));
    drop(first);
    CounterFile::open(&path, &key).expect("open once the first is dropped");
}

#[test]
fn create_holds_the_counter_it_made() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-lock-create");
    let path = dir.join("counter");
    let key = key();
    let created = CounterFile::create(&path, &key).expect("create");
    assert_eq!(
        CounterFile::open(&path, &key).unwrap_err(),
        Error::CounterInUse { path: path.clone() }
    );
    drop(created);
    CounterFile::open(&path, &key).expect("open");
}

// 2. A crash never repeats a nonce.

#[test]
fn a_kill_between_reservation_and_use_repeats_no_nonce() {
    const NAME: &str = "a_kill_between_reservation_and_use_repeats_no_nonce";
    if is_child_of(NAME) {
        child_scenario();
    }
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-kill-at-sync");
    let shim = shim(&dir);
    for block in [1u64, 3, 64] {
        let path = new_counter(&dir, &format!("counter-{block}"));
        let mut all_used = Vec::new();
        let mut reserved = 0;
        // Each round is killed right after its `kill_at`th reservation is durable, before
        // the first nonce of that block is used.
        for kill_at in [1u64, 2, 4, 3] {
            let ran = Run {
                path: path.clone(),
                block,
                count: kill_at * block + 10,
                shim: Some((
                    &shim,
                    vec![
                        shim_dir(&dir),
                        ("COUNTER_SHIM_KILL_AT", kill_at.to_string()),
                    ],
                )),
                ..Run::default()
            }
            .run(NAME);
            assert!(ran.killed(), "block {block}, kill at {kill_at}: {ran:?}");
            let opened: u64 = ran
                .line_starting("OPENED ")
                .expect("opened")
                .parse()
                .expect("a number");
            assert_eq!(
                opened, reserved,
                "each round starts where the last reserved"
            );
            let used = ran.used();
            // Every nonce of the blocks before the last was used, none of the last.
            let expected: Vec<u64> = (opened..opened + (kill_at - 1) * block).collect();
            assert_eq!(used, expected, "block {block}, kill at {kill_at}");
            reserved = opened + kill_at * block;
            all_used.extend(used);
        }
        let after = seal_here(&path, 5);
        assert_eq!(after[0], reserved, "block {block}");
        all_used.extend(after);
        assert_no_repeat(&all_used, &format!("block {block}"));
    }
}

#[test]
fn a_kill_at_any_point_repeats_no_nonce() {
    const NAME: &str = "a_kill_at_any_point_repeats_no_nonce";
    if is_child_of(NAME) {
        child_scenario();
    }
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-kill-anywhere");
    for (block, count) in [(1u64, 60u64), (7, 400), (4096, 3000)] {
        let path = new_counter(&dir, &format!("counter-{block}"));
        let mut all_used = Vec::new();
        for round in 0..6 {
            let kill_after = 1 + random_below(count as usize);
            let ran = Run {
                path: path.clone(),
                block,
                count,
                kill_after: Some(kill_after),
                ..Run::default()
            }
            .run(NAME);
            let used = ran.used();
            println!(
                "block {block}, round {round}: killed after {kill_after} nonces printed, {} \
                 printed in all, {:?}",
                used.len(),
                ran.status
            );
            assert!(
                ran.killed() || ran.status.success(),
                "block {block}, round {round}: {ran:?}"
            );
            assert!(used.len() >= kill_after.min(count as usize));
            all_used.extend(used);
            assert_no_repeat(&all_used, &format!("block {block}, round {round}"));
        }
        let after = seal_here(&path, 5);
        let highest = all_used.iter().max().copied().unwrap_or(0);
        assert!(
            after[0] > highest,
            "block {block}: {after:?} after {highest}"
        );
        all_used.extend(after);
        assert_no_repeat(&all_used, &format!("block {block}, after the rounds"));
    }
}

// 3. Each reservation is synced before its first nonce is used.

#[test]
fn every_block_is_synced_before_its_first_nonce_is_used() {
    const NAME: &str = "every_block_is_synced_before_its_first_nonce_is_used";
    if is_child_of(NAME) {
        child_scenario();
    }
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-sync-order");
    let shim = shim(&dir);
    for block in [1u64, 4, 50] {
        let path = new_counter(&dir, &format!("counter-{block}"));
        let real_path = std::fs::canonicalize(&path).expect("real path");
        let ran = Run {
            path: path.clone(),
            block,
            count: 120,
            shim: Some((
                &shim,
                vec![shim_dir(&dir), ("COUNTER_SHIM_LOG", "1".into())],
            )),
            ..Run::default()
        }
        .run(NAME);
        assert!(ran.status.success(), "block {block}: {ran:?}");
        let start: u64 = ran
            .line_starting("OPENED ")
            .expect("opened")
            .parse()
            .expect("number");
        let real_path = real_path.to_string_lossy();
        // "SYNC <function> <count> <path>", written by the shim after the sync returned.
        let is_counter_sync = |line: &str| {
            let fields: Vec<&str> = line.splitn(4, ' ').collect();
            fields.len() == 4
                && fields[0] == "SYNC"
                && fields[1] == "fdatasync"
                && fields[3] == real_path
        };
        let mut syncs = 0u64;
        let mut synced_since_last_use = false;
        let mut used = 0;
        for line in &ran.lines {
            if is_counter_sync(line) {
                syncs += 1;
                synced_since_last_use = true;
            } else if let Some(n) = line.strip_prefix("USED ") {
                let n: u64 = n.parse().expect("number");
                used += 1;
                if (n - start).is_multiple_of(block) {
                    assert!(
                        synced_since_last_use,
                        "block {block}: nonce {n} opens a block, but no sync of the counter \
                         came between it and the nonce before\n{}",
                        ran.lines.join("\n")
                    );
                }
                assert!(
                    n < start + syncs * block,
                    "block {block}: nonce {n} used with only {syncs} reservations synced"
                );
                synced_since_last_use = false;
            }
        }
        assert_eq!(used, 120);
        assert_eq!(
            syncs,
            120u64.div_ceil(block),
            "block {block}: one sync per block"
        );
    }
}

#[test]
fn create_syncs_the_file_then_its_directory() {
    const NAME: &str = "create_syncs_the_file_then_its_directory";
    if is_child_of(NAME) {
        child_scenario();
    }
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-create-sync");
    let shim = shim(&dir);
    let (name, real_dir) = shim_dir(&dir);
    let ran = Run {
        path: dir.join("counter"),
        mode: "create",
        shim: Some((
            &shim,
            vec![(name, real_dir.clone()), ("COUNTER_SHIM_LOG", "1".into())],
        )),
        ..Run::default()
    }
    .run(NAME);
    assert!(ran.status.success(), "{ran:?}");
    let events: Vec<&str> = ran
        .lines
        .iter()
        .filter(|line| line.starts_with("SYNC ") || *line == "CREATED")
        .map(String::as_str)
        .collect();
    // The new file under its temporary name (with its length: `fsync`), then the directory
    // that now names it, then the counter is handed over.
    let file_sync = format!("SYNC fsync 1 {real_dir}/.counter.new-");
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events[0].starts_with(&file_sync), "{events:?}");
    assert_eq!(events[1], format!("SYNC fsync 2 {real_dir}"), "{events:?}");
    assert_eq!(events[2], "CREATED");
    assert_eq!(seal_here(&dir.join("counter"), 1), [0]);
}

#[test]
fn a_failed_sync_fails_the_seal_and_issues_no_nonce() {
    const NAME: &str = "a_failed_sync_fails_the_seal_and_issues_no_nonce";
    if is_child_of(NAME) {
        child_scenario();
    }
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-eio");
    let shim = shim(&dir);
    for (block, fail_at) in [(1u64, 1u64), (5, 3), (64, 2)] {
        let path = new_counter(&dir, &format!("counter-{block}"));
        let ran = Run {
            path: path.clone(),
            block,
            count: 1000,
            shim: Some((
                &shim,
                vec![
                    shim_dir(&dir),
                    ("COUNTER_SHIM_FAIL_AT", fail_at.to_string()),
                ],
            )),
            ..Run::default()
        }
        .run(NAME);
        assert!(ran.status.success(), "{ran:?}");
        let used = ran.used();
        let expected: Vec<u64> = (0..(fail_at - 1) * block).collect();
        assert_eq!(
            used, expected,
            "block {block}: only the blocks synced before"
        );
        let eio = format!(
            "{:?}",
            Error::CounterIo {
                path: path.clone(),
                operation: "sync",
                kind: std::io::ErrorKind::Other,
                errno: Some(libc::EIO),
            }
        );
        let failed = ran.line_starting("FAILED ").expect("a failed seal");
        assert!(
            failed.contains("operation: \"sync\"") && failed.contains("errno: Some(5)"),
            "{failed} (like {eio})"
        );
        assert_eq!(
            ran.line_starting("AGAIN "),
            Some(failed),
            "the counter seals no more after a failed reservation"
        );
        let after = seal_here(&path, 3);
        assert!(after[0] >= (fail_at - 1) * block, "{after:?}");
        let mut all = used;
        all.extend(after);
        assert_no_repeat(&all, &format!("block {block}"));
    }
}

// 4. The file: its key, its algorithm, its integrity, its mode.

#[test]
fn the_counter_of_another_key_or_algorithm_is_refused() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-other-key");
    let path = new_counter(&dir, "counter");
    let other = ChaCha20Poly1305IetfKey::from_bytes(&mut [0x43; 32]).expect("key");
    assert_eq!(
        CounterFile::open(&path, &other).unwrap_err(),
        Error::CounterOfAnotherKey { path: path.clone() }
    );
    // The same 32 bytes as an AES-256-GCM key.
    let same_bytes = Aes256GcmKey::from_bytes(&mut [0x42; 32]).expect("key");
    assert_eq!(
        CounterFile::open(&path, &same_bytes).unwrap_err(),
        Error::CounterOfAnotherKey { path: path.clone() }
    );
    // A refused open leaves it unlocked for its own key.
    CounterFile::open(&path, &key()).expect("its own key");
}

/// A counter at reservation 10 in slot B and 20 in slot A (A the newest).
fn counter_with_two_reservations(dir: &PrivateDir) -> PathBuf {
    let path = new_counter(dir, "counter");
    let key = key();
    let mut counter = CounterFile::open(&path, &key).expect("open").with_block(10);
    for _ in 0..11 {
        counter.seal(b"", b"").expect("seal");
    }
    assert_eq!(counter.reserved(), 20);
    path
}

fn flip(path: &Path, at: u64) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at as usize] ^= 0x10;
    std::fs::write(path, bytes).expect("write");
}

fn corrupt(path: &Path) -> &'static str {
    match CounterFile::open(path, &key()) {
        Err(Error::CounterCorrupt { reason, .. }) => reason,
        other => panic!("expected CounterCorrupt, got {other:?}"),
    }
}

#[test]
fn a_torn_newest_slot_falls_back_to_the_older_one() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-torn");
    let path = counter_with_two_reservations(&dir);
    let intact = std::fs::read(&path).expect("read");
    // The newest (A, 20) torn: B's 10 is taken, and nothing below it is issued.
    for at in [SLOT_A, SLOT_A + 8, SLOT_A + 15, SLOT_A + 30] {
        std::fs::write(&path, &intact).expect("restore");
        flip(&path, at);
        assert_eq!(seal_here(&path, 2), [10, 11], "slot A torn at {at}");
    }
    // The older (B) torn: A's 20.
    std::fs::write(&path, &intact).expect("restore");
    flip(&path, SLOT_B + 9);
    assert_eq!(seal_here(&path, 1), [20]);
}

#[test]
fn a_damaged_counter_file_is_corrupt() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-corrupt");
    let path = counter_with_two_reservations(&dir);
    let intact = std::fs::read(&path).expect("read");
    let with = |change: &dyn Fn(&Path)| {
        std::fs::write(&path, &intact).expect("restore");
        change(&path);
        corrupt(&path)
    };
    assert_eq!(
        with(&|p| {
            flip(p, SLOT_A + 3);
            flip(p, SLOT_B + 3);
        }),
        "neither reservation slot is valid"
    );
    assert_eq!(with(&|p| flip(p, 0)), "not a counter file: wrong magic");
    assert_eq!(
        with(&|p| flip(p, 11)),
        "unknown format version: not written by this version of secrets-nonce"
    );
    assert_eq!(
        with(&|p| flip(p, 50)),
        "the header's checksum does not match"
    );
    for len in [0, 100, SLOT_A + 10, SLOT_B, FILE_LEN - 1] {
        assert_eq!(
            with(&|p| std::fs::File::options()
                .write(true)
                .open(p)
                .and_then(|f| f.set_len(len))
                .expect("truncate")),
            "truncated: shorter than a counter file",
            "{len} bytes"
        );
    }
    assert_eq!(
        with(&|p| {
            let mut file = std::fs::File::options().append(true).open(p).expect("open");
            file.write_all(b"x").expect("append");
        }),
        "longer than a counter file"
    );
    // Another kind of file altogether.
    std::fs::write(&path, b"not a counter\n").expect("write");
    assert_eq!(corrupt(&path), "not a counter file: wrong magic");
}

#[test]
fn create_refuses_an_existing_file_and_leaves_it_alone() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-exists");
    let path = counter_with_two_reservations(&dir);
    let before = std::fs::read(&path).expect("read");
    assert_eq!(
        CounterFile::create(&path, &key()).unwrap_err(),
        Error::CounterExists { path: path.clone() }
    );
    assert_eq!(std::fs::read(&path).expect("read"), before);
    let other = dir.file("notes.txt", b"some file", 0o644);
    assert_eq!(
        CounterFile::create(&other, &key()).unwrap_err(),
        Error::CounterExists {
            path: other.clone()
        }
    );
    assert_eq!(std::fs::read(&other).expect("read"), b"some file");
    // No temporary file is left behind.
    let mut entries = dir.entries();
    entries.sort();
    assert_eq!(entries, ["counter", "notes.txt"]);
}

#[test]
fn a_missing_counter_is_reported_as_missing() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-missing");
    let path = dir.join("counter");
    let err = CounterFile::open(&path, &key()).unwrap_err();
    assert_eq!(err, Error::CounterMissing { path: path.clone() });
    assert!(err.to_string().contains("only together with a new key"));
    assert!(dir.entries().is_empty(), "open creates nothing");
}

#[test]
fn the_counter_file_is_mode_0600_whatever_the_umask() {
    const NAME: &str = "the_counter_file_is_mode_0600_whatever_the_umask";
    let _serial = one_at_a_time();
    // The umask is per process: change it in a child.
    in_child(NAME, || {
        for umask in [0o000, 0o022, 0o077, 0o777] {
            // SAFETY: `umask` has no preconditions and cannot fail.
            unsafe { libc::umask(umask) };
            let dir = PrivateDir::new("counter-mode");
            let path = new_counter(&dir, "counter");
            let meta = std::fs::metadata(&path).expect("stat");
            assert_eq!(meta.mode() & 0o7777, 0o600, "umask {umask:o}");
            assert_eq!(meta.len(), FILE_LEN);
            assert_eq!(meta.permissions().mode() & 0o077, 0);
            seal_here(&path, 1);
        }
    })
    .assert_success();
}

/// Whoever can write a counter file can set it back, and its key then repeats nonces: shown
/// first with the owner's own copy of an earlier state (which no check can tell from the real
/// file; the documented limit), then every file someone else could write is refused: writable
/// by group or others, owned by another user, a symbolic link, a FIFO (refused at once, not
/// waited on). Removing a check makes its `unwrap_err` fail.
#[test]
fn a_counter_file_others_could_rewind_is_refused() {
    let _serial = one_at_a_time();
    let dir = PrivateDir::new("counter-private");
    let path = new_counter(&dir, "counter");

    // Control: a rewound file is accepted and repeats the nonces used after the copy.
    let earlier = std::fs::read(&path).expect("copy the file");
    let first = seal_here(&path, 3);
    std::fs::write(&path, &earlier).expect("set the file back");
    let again = seal_here(&path, 3);
    assert_eq!(first, again, "a rewound counter repeats its nonces");

    let refused = |path: &Path, why: &str| match CounterFile::open(path, &key()) {
        Err(Error::CounterNotPrivate { reason, .. }) => {
            assert!(reason.contains(why), "{reason:?} lacks {why:?}")
        }
        other => panic!("expected CounterNotPrivate ({why}): {other:?}"),
    };
    let set_mode = |mode: u32| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    for mode in [0o620, 0o602, 0o660, 0o666] {
        set_mode(mode);
        refused(&path, "may write it");
    }
    // Reading reveals nothing (the key's identity is a keyed hash): readable files are fine.
    set_mode(0o644);
    seal_here(&path, 1);
    set_mode(0o600);

    // SAFETY: `geteuid` has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&path, Some(65534), None).expect("chown to nobody");
        refused(&path, "owned by another user");
        std::os::unix::fs::chown(&path, Some(0), None).expect("chown back");
    }

    let link = dir.join("link");
    std::os::unix::fs::symlink(&path, &link).expect("symlink");
    refused(&link, "symbolic link");

    let fifo = dir.join("fifo");
    let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("no NUL");
    // SAFETY: `name` is a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
    refused(&fifo, "not a regular file");

    // Every refusal left the real file unlocked and usable.
    seal_here(&path, 1);
}

// Fork: a child that inherits a counter cannot seal with it, and the file is left alone.

#[test]
fn a_forked_child_cannot_seal_with_an_inherited_counter() {
    const NAME: &str = "a_forked_child_cannot_seal_with_an_inherited_counter";
    let _serial = one_at_a_time();
    for_each_backend(NAME, |_| {
        let dir = PrivateDir::new("counter-fork");
        let path = new_counter(&dir, "counter");
        let key = key();
        // Block 1: the child's seal would need a reservation of its own, so a counter that
        // moved before the key refused would show in the file.
        let mut counter = CounterFile::open(&path, &key).expect("open").with_block(1);
        let (first, sealed) = counter.seal(b"", b"parent").expect("seal");
        let before = std::fs::read(&path).expect("read");
        let forked = fork_and_wait(|| {
            // A fresh open is refused: the parent holds the lock (the child shares it only
            // through the inherited descriptor).
            match CounterFile::open(&path, &key) {
                Err(Error::CounterInUse { .. }) => {}
                other => {
                    eprintln!("the child's open: {other:?}");
                    return 20;
                }
            }
            match borrow_refused("seal", || counter.seal(b"", b"child").map_or(1, |_| 0)) {
                Ok(()) => 0,
                Err(code) => code,
            }
        });
        assert_eq!(forked.ended, Ended::Exited(0), "{}", forked.stderr);
        assert!(forked.stderr.contains(PARENT_MESSAGE), "{}", forked.stderr);
        assert_eq!(
            std::fs::read(&path).expect("read"),
            before,
            "the child moved the file"
        );
        // The parent goes on where it was.
        let (second, _) = counter.seal(b"", b"parent again").expect("seal");
        assert_eq!(number(&second), number(&first) + 1);
        assert_eq!(
            &*open(&key, &first, b"", &sealed).expect("open").borrow(),
            b"parent"
        );
    })
    .assert_success();
}
