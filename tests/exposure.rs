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
//! | container | `/proc/PID/mem` | `gcore` | `gcore` + dump-excluded |
//! |---|---|---|---|
//! | plain `Vec<u8>` (the control) | found | found | found |
//! | `SecretBox`, `Backend::MemfdSecret` | EIO | not found | not found |
//! | `SecretBox`, `Backend::Sodium` | found | not found | found (the documented limit) |

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read as _};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrets_core::{set_backend, Backend, SecretBox};

/// Marks a re-executed test binary as the holder of the test it names.
const HOLDER_ENV: &str = "SECRETS_EXPOSURE_HOLDER";
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
        let exe = std::env::current_exe().expect("path of the test binary");
        let child = Command::new(exe)
            .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
            .env(HOLDER_ENV, test_name)
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

/// A file path under the temp dir, unique to this process and call, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(label: &str) -> TempPath {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        TempPath(std::env::temp_dir().join(format!(
            "secrets-exposure-{}-{nanos}-{label}",
            std::process::id()
        )))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    haystack
        .iter()
        .enumerate()
        .filter(|&(_, &byte)| byte == first)
        .any(|(at, _)| haystack[at + 1..].starts_with(rest))
}

/// Reads `len` bytes at `addr` of process `pid` through `/proc/PID/mem`.
fn read_proc_mem(pid: u32, addr: u64, len: usize) -> io::Result<Vec<u8>> {
    let mem = std::fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut bytes = vec![0; len];
    mem.read_exact_at(&mut bytes, addr)?;
    Ok(bytes)
}

/// Runs a dumping command and returns the core file it wrote.
fn run_dump(mut command: Command, core: &Path) -> Vec<u8> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .expect("run the dumping tool");
    let mut bytes = Vec::new();
    match std::fs::File::open(core) {
        Ok(mut file) => {
            file.read_to_end(&mut bytes).expect("read the core file");
        }
        Err(err) => panic!(
            "{command:?} wrote no core file at {} ({err}); it ended with {:?}\nstdout:\n{}\nstderr:\n{}",
            core.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        ),
    }
    bytes
}

/// `program`, run under coreutils' `timeout`, which kills it (and the gdb that `gcore` starts:
/// the whole process group) if it hangs.
fn within_timeout(program: &str) -> Command {
    let mut command = Command::new("timeout");
    command
        .arg(format!("{}s", TOOL_TIMEOUT.as_secs()))
        .arg(program);
    command
}

/// `gcore -o PREFIX PID`, which writes `PREFIX.PID` and honours `MADV_DONTDUMP`.
fn gcore_default(pid: u32) -> Vec<u8> {
    let prefix = TempPath::new("gcore");
    let core = TempPath(PathBuf::from(format!("{}.{pid}", prefix.0.display())));
    let mut command = within_timeout("gcore");
    command.arg("-o").arg(&prefix.0).arg(pid.to_string());
    run_dump(command, &core.0)
}

/// gdb's `gcore` with `set dump-excluded-mappings on`: dumps `MADV_DONTDUMP` mappings too.
fn gcore_dump_excluded(pid: u32) -> Vec<u8> {
    let core = TempPath::new("gdb-excluded");
    let mut command = within_timeout("gdb");
    command
        .args(["-batch", "-nx", "-p", &pid.to_string()])
        .args(["-ex", "set dump-excluded-mappings on"])
        .arg("-ex")
        .arg(format!("gcore {}", core.0.display()));
    run_dump(command, &core.0)
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
    if std::env::var(HOLDER_ENV).as_deref() == Ok(test_name) {
        hold(container);
    }
    let holder = Holder::start(test_name);

    let witness = read_proc_mem(holder.pid, holder.witness_addr, MARKER_LEN)
        .expect("/proc/PID/mem reads ordinary memory of the holder");
    assert_eq!(witness, holder.witness, "/proc/PID/mem read the witness");
    let proc_mem = read_proc_mem(holder.pid, holder.marker_addr, MARKER_LEN)
        .map(|bytes| bytes == holder.marker);

    let core = gcore_default(holder.pid);
    assert!(
        contains(&core, &holder.witness),
        "gcore's dump lacks the witness: the dump, not the container, failed"
    );
    let gcore = contains(&core, &holder.marker);
    drop(core);

    let core = gcore_dump_excluded(holder.pid);
    assert!(
        contains(&core, &holder.witness),
        "gdb's dump-excluded dump lacks the witness: the dump, not the container, failed"
    );
    let gcore_excluded = contains(&core, &holder.marker);

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
