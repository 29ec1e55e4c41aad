//! Who can read a secret out of a live process, with the tools an attacker would use: a read of
//! `/proc/PID/mem` (the way a debugger or a memory scraper peeks), `gcore` (a core dump as gdb
//! writes it by default) and gdb with `set dump-excluded-mappings on` (a dump that ignores
//! `MADV_DONTDUMP`).
//!
//! Each test starts a *holder*: the test binary re-executed, which puts a random 32-byte marker
//! in one container, prints its pid, the marker in hex and the marker's address, and then waits
//! on stdin while the parent attacks it. The holder also keeps a second random marker, the
//! *witness*, in a plain `Vec<u8>`: every attack must find the witness, so a marker that is not
//! found was hidden, not missed by a broken read or an empty dump.
//!
//! Each dump is written into a private (0700) directory of its own, is searched as a stream
//! (it is never read into memory whole), and is removed before the next one is taken; the
//! directory's guard removes it on every other path. Its size is bounded twice: the holder's
//! address space is checked first, and the tool runs with `RLIMIT_FSIZE` set.
//!
//! | container | `/proc/PID/mem` | `gcore` | `gcore` + dump-excluded |
//! |---|---|---|---|
//! | plain `Vec<u8>` (the control) | found | found | found |
//! | `SecretBox`, `Backend::MemfdSecret` | EIO | not found | not found |
//! | `SecretBox`, `Backend::Sodium` | found | not found | found (the documented limit) |

// Linux-only: attacks with gdb, gcore and /proc/PID/mem.
#![cfg(target_os = "linux")]

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use secrets_core::{set_backend, Backend, SecretBox};
use secrets_integration_tests::{child_command, is_child_of, scan, PrivateDir};

/// The line a holder prints once its secret is in place.
const READY: &str = "HOLDER:";
const MARKER_LEN: usize = 32;
/// How long a holder or a dumping tool may take before the test gives up on it.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// What a holder keeps its marker in.
#[derive(Clone, Copy, Debug)]
enum Container {
    PlainVec,
    SecretBox(Backend),
}

fn hex(bytes: impl IntoIterator<Item = u8>) -> String {
    bytes.into_iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex from the holder"))
        .collect()
}

/// A plain heap buffer of `MARKER_LEN` random bytes.
fn random_vec() -> Vec<u8> {
    let mut bytes = vec![0u8; MARKER_LEN];
    // SAFETY: `sodium_init` takes no arguments and may be called any number of times.
    assert!(unsafe { libsodium_sys::sodium_init() } >= 0, "sodium_init");
    // SAFETY: `bytes` is a valid, writable buffer of `bytes.len()` bytes.
    unsafe { libsodium_sys::randombytes_buf(bytes.as_mut_ptr().cast(), bytes.len()) };
    bytes
}

/// The holder's side: puts a marker in `container`, reports it, and waits until stdin closes
/// (the parent kills it before that).
fn hold(container: Container) -> ! {
    let witness = random_vec();
    let (marker_hex, marker_addr, keep_alive): (String, usize, Box<dyn std::any::Any>) =
        match container {
            Container::PlainVec => {
                let marker = random_vec();
                (
                    hex(marker.iter().copied()),
                    marker.as_ptr() as usize,
                    Box::new(marker),
                )
            }
            Container::SecretBox(backend) => {
                set_backend(backend).expect("choose the backend before the first secret");
                // The marker is born in guarded memory and read once, a byte at a time, into
                // hex: no 32-byte copy of it exists outside the box to be found by mistake.
                let marker = SecretBox::<[u8; MARKER_LEN]>::random().expect("a secret");
                let (marker_hex, marker_addr) = {
                    let opened = marker.borrow();
                    (hex(opened.iter().copied()), opened.as_ptr() as usize)
                };
                (marker_hex, marker_addr, Box::new(marker))
            }
        };
    println!(
        "{READY} pid={} marker={marker_hex} addr={marker_addr:x} witness={} witness_addr={:x}",
        std::process::id(),
        hex(witness.iter().copied()),
        witness.as_ptr() as usize,
    );
    let mut line = String::new();
    let _ = io::stdin().read_line(&mut line);
    drop(keep_alive);
    drop(witness);
    std::process::exit(0);
}

/// A holder process seen from the parent; killed and reaped when dropped, so a failed assertion
/// leaves no process behind.
struct Holder {
    child: Child,
    pid: u32,
    marker: Vec<u8>,
    marker_addr: u64,
    witness: Vec<u8>,
    witness_addr: u64,
}

impl Holder {
    fn start(test_name: &str) -> Holder {
        let child = child_command(test_name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the holder");
        // Owned by a `Holder` at once, so that any panic below kills the child.
        let mut holder = Holder {
            child,
            pid: 0,
            marker: Vec::new(),
            marker_addr: 0,
            witness: Vec::new(),
            witness_addr: 0,
        };
        let stdout = holder.child.stdout.take().expect("holder stdout");
        // Read on a thread, so that a holder that never reports fails the test instead of
        // hanging it. libtest prints `test NAME ... ` on the same line, before the report.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let ready = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find_map(|line| Some(line[line.find(READY)?..].to_owned()));
            let _ = sender.send(ready);
        });
        let ready = receiver
            .recv_timeout(TOOL_TIMEOUT)
            .expect("the holder reports its secret in time")
            .expect("the holder ended before reporting its secret");
        for field in ready.split_whitespace().skip(1) {
            let (key, value) = field.split_once('=').expect("key=value");
            match key {
                "pid" => holder.pid = value.parse().expect("pid"),
                "marker" => holder.marker = unhex(value),
                "addr" => holder.marker_addr = u64::from_str_radix(value, 16).expect("addr"),
                "witness" => holder.witness = unhex(value),
                "witness_addr" => {
                    holder.witness_addr = u64::from_str_radix(value, 16).expect("witness_addr")
                }
                _ => panic!("unexpected field in {ready:?}"),
            }
        }
        assert_eq!(holder.pid, holder.child.id(), "{ready}");
        assert_eq!(holder.marker.len(), MARKER_LEN, "{ready}");
        assert_eq!(holder.witness.len(), MARKER_LEN, "{ready}");
        holder
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The most bytes a dump may hold. The core of a holder (a small test binary waiting on
/// stdin) is a few MiB; a dump that reaches this bound was cut short by `RLIMIT_FSIZE` and is
/// not scanned. Built with AddressSanitizer, the holder maps terabytes of shadow memory and its
/// core would be tens of GB: these tests are left out of the ASan run (`.ci/asan-skip`).
const MAX_DUMP_BYTES: u64 = 512 << 20;
/// The most address space (`VmSize`) a holder may have before the test refuses to dump it:
/// a dump is at most the readable part of it, and a holder this large is not the small
/// process the test expects.
const MAX_HOLDER_VM_BYTES: u64 = 4 << 30;

/// Reads `VmSize` of process `pid`, in bytes.
fn address_space(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("read /proc/PID/status of the holder");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmSize:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmSize in /proc/PID/status")
}

/// Reads `len` bytes at `addr` of process `pid` through `/proc/PID/mem`.
fn read_proc_mem(pid: u32, addr: u64, len: usize) -> io::Result<Vec<u8>> {
    let mem = std::fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut bytes = vec![0; len];
    mem.read_exact_at(&mut bytes, addr)?;
    Ok(bytes)
}

/// How a dump is taken.
#[derive(Clone, Copy, Debug)]
enum Dump {
    /// `gcore -o PREFIX PID`, which writes `PREFIX.PID` and honours `MADV_DONTDUMP`.
    Gcore,
    /// gdb's `gcore` with `set dump-excluded-mappings on`: dumps `MADV_DONTDUMP` mappings too.
    ExcludedToo,
}

/// What one dump held of the holder's two markers.
#[derive(Debug)]
struct Found {
    witness: bool,
    marker: bool,
}

/// Dumps the holder the way `dump` says into a private directory, scans the dump as a stream
/// for the witness and the marker, and removes it (the directory's guard removes it on every
/// other path, a failed assertion included). The dumping tool runs under coreutils' `timeout`,
/// which kills it (and the gdb that `gcore` starts: the whole process group) if it hangs, and
/// under `prlimit`, which caps the file it writes at [`MAX_DUMP_BYTES`].
fn dump_and_scan(dump: Dump, holder: &Holder) -> Found {
    let vm = address_space(holder.pid);
    assert!(
        vm <= MAX_HOLDER_VM_BYTES,
        "the holder has {vm} bytes of address space, more than the {MAX_HOLDER_VM_BYTES} this \
         test dumps (a sanitizer build? its shadow memory makes cores of tens of GB)"
    );
    let dir = PrivateDir::new("exposure-dump");
    let mut command = Command::new("timeout");
    command
        .arg(format!("{}s", TOOL_TIMEOUT.as_secs()))
        .arg("prlimit")
        .arg(format!("--fsize={MAX_DUMP_BYTES}:{MAX_DUMP_BYTES}"))
        .arg("--core=0:0");
    let pid = holder.pid.to_string();
    let core = match dump {
        Dump::Gcore => {
            let prefix = dir.join("gcore");
            command.arg("gcore").arg("-o").arg(&prefix).arg(&pid);
            dir.join(format!("gcore.{pid}"))
        }
        Dump::ExcludedToo => {
            let core = dir.join("gdb-excluded");
            command
                .args(["gdb", "-batch", "-nx", "-p", &pid])
                .args(["-ex", "set dump-excluded-mappings on"])
                .arg("-ex")
                .arg(format!("gcore {}", core.display()));
            core
        }
    };
    let output = command
        .stdin(Stdio::null())
        .output()
        .expect("run the dumping tool");
    let explain = || {
        format!(
            "{command:?} ended with {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        )
    };
    let len = match std::fs::metadata(&core) {
        Ok(meta) => meta.len(),
        Err(err) => panic!("no core file at {} ({err}): {}", core.display(), explain()),
    };
    assert!(
        len < MAX_DUMP_BYTES,
        "the {dump:?} dump reached the bound of {MAX_DUMP_BYTES} bytes and was cut short: {}",
        explain()
    );
    let found = scan::find_in_file(&core, &[&holder.witness, &holder.marker], MAX_DUMP_BYTES)
        .unwrap_or_else(|err| panic!("scan {}: {err}", core.display()));
    println!("{dump:?} dump: {len} bytes, holder VmSize {vm} bytes");
    dir.remove().expect("remove the dump");
    Found {
        witness: found[0],
        marker: found[1],
    }
}

/// What each attack found of the holder's marker.
#[derive(Debug)]
struct Exposure {
    /// Whether the bytes at the marker's address were the marker, or the error of the read.
    proc_mem: io::Result<bool>,
    gcore: bool,
    gcore_excluded: bool,
}

/// Attacks the holder of `test_name`'s marker three ways, or, in the holder itself, holds the
/// marker in `container`. The witness must be found by all three attacks, or the attack itself
/// is broken and the test says so.
fn expose(test_name: &str, container: Container) -> Exposure {
    if is_child_of(test_name) {
        hold(container);
    }
    let holder = Holder::start(test_name);

    let witness = read_proc_mem(holder.pid, holder.witness_addr, MARKER_LEN)
        .expect("/proc/PID/mem reads ordinary memory of the holder");
    assert_eq!(witness, holder.witness, "/proc/PID/mem read the witness");
    let proc_mem = read_proc_mem(holder.pid, holder.marker_addr, MARKER_LEN)
        .map(|bytes| bytes == holder.marker);

    let gcore = dump_and_scan(Dump::Gcore, &holder);
    assert!(
        gcore.witness,
        "gcore's dump lacks the witness: the dump, not the container, failed"
    );
    let gcore = gcore.marker;

    let excluded = dump_and_scan(Dump::ExcludedToo, &holder);
    assert!(
        excluded.witness,
        "gdb's dump-excluded dump lacks the witness: the dump, not the container, failed"
    );
    let gcore_excluded = excluded.marker;

    let seen = |found| if found { "found" } else { "not found" };
    let read = match &proc_mem {
        Ok(found) => seen(*found).to_owned(),
        Err(err) => format!("error: {err}"),
    };
    println!(
        "| {container:?} | /proc/PID/mem: {read} | gcore: {} | gcore + dump-excluded: {} |",
        seen(gcore),
        seen(gcore_excluded),
    );
    Exposure {
        proc_mem,
        gcore,
        gcore_excluded,
    }
}

#[test]
fn plain_vec_is_read_by_every_tool() {
    let exposure = expose("plain_vec_is_read_by_every_tool", Container::PlainVec);
    // The control: each attack works and the search recognises the marker.
    assert!(matches!(exposure.proc_mem, Ok(true)), "{exposure:?}");
    assert!(exposure.gcore, "{exposure:?}");
    assert!(exposure.gcore_excluded, "{exposure:?}");
}

#[test]
fn memfd_secret_box_is_read_by_no_tool() {
    let exposure = expose(
        "memfd_secret_box_is_read_by_no_tool",
        Container::SecretBox(Backend::MemfdSecret),
    );
    let errno = exposure
        .proc_mem
        .as_ref()
        .err()
        .and_then(io::Error::raw_os_error);
    assert_eq!(
        errno,
        Some(libc::EIO),
        "/proc/PID/mem must fail with EIO on memfd_secret pages: {exposure:?}"
    );
    assert!(!exposure.gcore, "{exposure:?}");
    assert!(!exposure.gcore_excluded, "{exposure:?}");
}

#[test]
fn sodium_box_is_kept_out_of_default_dumps_only() {
    let exposure = expose(
        "sodium_box_is_kept_out_of_default_dumps_only",
        Container::SecretBox(Backend::Sodium),
    );
    // The documented limit of the Sodium backend: its pages are ordinary anonymous memory,
    // PROT_NONE and MADV_DONTDUMP. /proc/PID/mem ignores the protection (it reads with
    // FOLL_FORCE), and a debugger told to ignore MADV_DONTDUMP dumps them; only the default
    // dump leaves them out. Against the process's owner or root, use MemfdSecret.
    assert!(matches!(exposure.proc_mem, Ok(true)), "{exposure:?}");
    assert!(!exposure.gcore, "{exposure:?}");
    assert!(exposure.gcore_excluded, "{exposure:?}");
}
