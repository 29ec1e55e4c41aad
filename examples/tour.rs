//! The tour: what a password manager or a key-management service does with `secrets`, end to
//! end, printing each protection it relies on.
//!
//! Run it with `cargo run --example tour`. It reads a passphrase from the terminal without
//! echo, or from stdin when stdin is not a terminal (so it runs unattended: `echo pw | cargo
//! run --example tour`); with no passphrase at all it uses a demonstration one.

use std::error::Error;
use std::path::{Path, PathBuf};

use secrets_core::kdf::{self, Argon2idParams};
use secrets_core::prelude::*;
use secrets_core::{active_backend, audit, harden_process, usage, Pooled, Sealed};
use secrets_nonce::{
    open, seal, Aegis256, Aegis256Key, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, CounterFile,
    SessionKey, UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key,
};

/// The vault's master key, kept on disk in a mode-0400 key file.
#[derive(Secret)]
#[secret(description = "vault master key, stored in master.key")]
struct MasterKey(SecretBox<[u8; 32]>);

/// The key that unlocks the vault, derived from the passphrase.
#[derive(Secret)]
#[secret(description = "derived from the passphrase with Argon2id")]
struct PassphraseKey(SecretBox<[u8; 32]>);

/// One key per vault item: thousands of them, so they share locked pages.
#[derive(Secret)]
#[secret(description = "one per vault item, pooled: 48 bytes of locked memory each")]
struct ItemKey(SecretBox<[u8; 32], Pooled>);

/// One token per client session: a hundred thousand of them, kept encrypted at rest.
#[derive(Secret)]
#[secret(description = "one per client session, sealed: ciphertext at rest, no locked memory each")]
struct SessionToken(SecretBox<[u8; 32], Sealed>);

fn main() -> Result<(), Box<dyn Error>> {
    println!("== secrets tour ==\n");

    let report = harden_process();
    println!("1. process hardening (harden_process):");
    print!("{}", indent(&report.to_string()));
    println!("   guarded memory comes from: {}\n", active_backend());

    let vault = TempVault::new()?;
    println!("2. vault directory: {}", vault.0.display());

    let passphrase = read_passphrase()?;
    let mut salt = [0u8; kdf::SALT_LEN];
    salt.randomize();
    let unlock: PassphraseKey = kdf::argon2id(
        passphrase.borrow().as_bytes(),
        &salt,
        Argon2idParams::OWASP_MINIMUM,
    )?;
    drop(passphrase);
    println!(
        "3. passphrase -> {unlock:?} with Argon2id (OWASP minimum: 19 MiB, 2 passes), \
         derived straight into guarded memory"
    );

    let master = MasterKey::random()?;
    let key_path = vault.0.join("master.key");
    master.store(&key_path)?;
    println!(
        "4. master key {master:?} stored in {} ({}, written to a temp file, fsync'd, \
         linked into place: never over an existing file)",
        key_path.display(),
        access_of(&key_path)?
    );
    let loaded = MasterKey::load(&key_path)?;
    println!(
        "   loaded back with read(2) straight into guarded memory; equal (constant time): {}",
        loaded == master
    );
    match MasterKey::random()?.store(&key_path) {
        Err(err) => println!("   a second master key stored at the same path is refused: {err}"),
        Ok(()) => println!("   a second master key replaced the first (unexpected)"),
    }
    // A loose Unix mode is what this shows; Windows checks the owner and DACL instead.
    #[cfg(unix)]
    refuse_loose_key_file(&vault.0)?;

    let items: XChaCha20Poly1305Key = kdf::derive_subkey(&loaded.borrow(), 1, b"items___")?;
    let index: Aegis256Key = kdf::derive_subkey(&loaded.borrow(), 2, b"index___")?;
    println!("5. subkeys {items:?} (id 1) and {index:?} (id 2) derived with crypto_kdf");

    // Both subkeys come back identical in every run (the master key is stored, the derivation
    // deterministic), so a counter started afresh in each run would repeat its nonces under
    // them, and one repeat gives away the XOR of two items. Random nonces long enough never to
    // repeat by chance need no memory of earlier runs:
    // item 1: XChaCha20-Poly1305 with a random 192-bit nonce;
    let (nonce1, sealed1) = seal(
        &items,
        UnusedNonce::<XChaCha20Poly1305>::random(),
        b"item:1",
        b"bank pin 4921",
    )?;
    // item 2: AEGIS-256 with a random 256-bit nonce.
    let (nonce2, sealed2) = seal(
        &index,
        UnusedNonce::<Aegis256>::random(),
        b"item:2",
        b"wifi: hunter2",
    )?;
    std::fs::write(
        vault.0.join("item1"),
        [nonce1.as_bytes(), &sealed1].concat(),
    )?;
    std::fs::write(
        vault.0.join("item2"),
        [nonce2.as_bytes(), &sealed2].concat(),
    )?;
    println!(
        "6. sealed two items under keys that every run derives again, so with random nonces: \
         XChaCha20-Poly1305 (192 bits) and AEGIS-256 (256 bits); each UnusedNonce was consumed \
         by seal (reusing one does not compile)"
    );

    let stored1 = std::fs::read(vault.0.join("item1"))?;
    let (n1, c1) = stored1.split_at(24);
    let plain1 = open(
        &items,
        &UsedNonce::<XChaCha20Poly1305>::from_bytes(n1)?,
        b"item:1",
        c1,
    )?;
    let stored2 = std::fs::read(vault.0.join("item2"))?;
    let (n2, c2) = stored2.split_at(32);
    let plain2 = open(
        &index,
        &UsedNonce::<Aegis256>::from_bytes(n2)?,
        b"item:2",
        c2,
    )?;
    println!(
        "7. reopened into guarded memory: {plain1:?} ({} bytes), {plain2:?} ({} bytes); \
         match: {}",
        plain1.len(),
        plain2.len(),
        &*plain1.borrow() == b"bank pin 4921" && &*plain2.borrow() == b"wifi: hunter2"
    );
    let mut tampered = c1.to_vec();
    tampered[0] ^= 1;
    let forged = open(
        &items,
        &UsedNonce::<XChaCha20Poly1305>::from_bytes(n1)?,
        b"item:1",
        &tampered,
    );
    println!("   a one-bit change is refused: {}", forged.unwrap_err());

    // A key that lives only in this run may count its nonces: 96-bit nonces
    // (ChaCha20-Poly1305, AES-256-GCM) are too short to draw at random, and a SessionKey can
    // never be stored, loaded or derived, so its counter is the only one under it.
    let session = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
    let (first, _) = session.seal(b"frame:1", b"sync request")?;
    let (second, sealed) = session.seal(b"frame:2", b"sync reply")?;
    let reply = open(&session, &second, b"frame:2", &sealed)?;
    println!(
        "   a session key made for this run counts its nonces ({first:?}, {second:?}) and \
         opens its own messages: {}; it cannot be stored (that does not compile)",
        &*reply.borrow() == b"sync reply"
    );

    // A derived (or stored) key with 96-bit nonces counts only through a counter file made
    // together with the key: blocks of nonces are reserved on disk, and synced, before use;
    // the file is locked and records which key it counts for.
    let sync: ChaCha20Poly1305IetfKey = kdf::derive_subkey(&loaded.borrow(), 3, b"sync____")?;
    let counter_path = vault.0.join("sync.counter");
    let mut counter = CounterFile::create(&counter_path, &sync)?;
    let (used, _) = counter.seal(b"frame:3", b"push")?;
    let second_holder_refused = matches!(
        CounterFile::open(&counter_path, &sync),
        Err(secrets_nonce::Error::CounterInUse { .. })
    );
    drop(counter);
    let mut next_run = CounterFile::open(&counter_path, &sync)?;
    let (resumed, _) = next_run.seal(b"frame:4", b"push again")?;
    println!(
        "   a derived key counts through its counter file: {used:?} first; a second holder \
         is refused while it is open: {second_holder_refused};\n   reopened, as the next run \
         would, it resumes above the block reserved on disk: {resumed:?}"
    );
    drop(next_run);

    const ITEMS: u64 = 10_000;
    let locked_before = locked_kb();
    let item_keys = (0..ITEMS)
        .map(|id| kdf::derive_subkey(&loaded.borrow(), 1000 + id, b"itemkeys"))
        .collect::<Result<Vec<ItemKey>, _>>()?;
    let locked_after = locked_kb();
    println!(
        "8. {ITEMS} per-item keys derived into pooled storage: {} kB more locked memory \
         (dedicated pages would lock {} kB);\n   their pages hold ItemKeys only, are PROT_NONE at rest, \
         and a borrow reads a copy in a locked scratch slot;\n   items 0 and 1 differ (constant time): {}",
        locked_after.saturating_sub(locked_before),
        ITEMS * 4,
        item_keys[0] != item_keys[1],
    );
    drop(item_keys);

    const SESSIONS: usize = 100_000;
    let (locked_before, resident_before) = (locked_kb(), resident_kb());
    let mut tokens = (0..SESSIONS)
        .map(|_| SessionToken::random())
        .collect::<Result<Vec<_>, _>>()?;
    let (locked_after, resident_after) = (locked_kb(), resident_kb());
    let first = *tokens[0].borrow();
    tokens[0].borrow_mut()[0] ^= 0xff;
    let rewritten = tokens[0].borrow()[0] == first[0] ^ 0xff;
    println!(
        "9. {SESSIONS} session tokens in sealed storage: {} kB more locked memory (the key page \
         and scratch, once), {} bytes of ordinary memory each;\n   each rests as \
         XChaCha20-Poly1305 ciphertext bound to its container, a borrow decrypts it into a \
         locked scratch slot,\n   and a write is sealed again under a new nonce: {}",
        locked_after.saturating_sub(locked_before),
        resident_after.saturating_sub(resident_before) * 1024 / SESSIONS as u64,
        rewritten,
    );
    // What a service checks at start-up and logs: what it holds, and what the lock limit
    // leaves (secrets_core::usage()).
    println!("   {}", usage().to_string().replace('\n', "\n   "));
    drop(tokens);

    println!("\n10. the master key's pages, as the kernel reports them (/proc/self/smaps):");
    let address = loaded.borrow().as_ptr() as usize;
    print!("{}", indent(&describe_pages(address)));

    println!("\n11. secret types linked into this program (secrets_core::audit):");
    print!("{}", indent(&audit::table()));

    println!("\nEverything above is zeroed before its memory is released.");
    Ok(())
}

/// The passphrase, from the terminal without echo (stdin, or /dev/tty when stdin is redirected),
/// or from stdin when the process has no terminal.
fn read_passphrase() -> Result<SecretString, Box<dyn Error>> {
    let passphrase = SecretString::read_password("vault passphrase: ")?;
    if passphrase.is_empty() {
        println!("   (no passphrase given: using a demonstration one)");
        return Ok(SecretString::from_bytes(
            &mut b"correct horse battery staple".to_vec(),
        )?);
    }
    println!(
        "   passphrase read into guarded memory ({} bytes)",
        passphrase.len()
    );
    Ok(passphrase)
}

/// Shows the refusal of a key file that others could read (a Unix mode).
#[cfg(unix)]
fn refuse_loose_key_file(dir: &Path) -> Result<(), Box<dyn Error>> {
    use std::os::unix::fs::PermissionsExt;
    let loose = dir.join("loose.key");
    std::fs::write(&loose, [0u8; 32])?;
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644))?;
    match MasterKey::load(&loose) {
        Err(err) => println!("   a mode-0644 key file is refused: {err}"),
        Ok(_) => println!("   a mode-0644 key file was accepted (unexpected)"),
    }
    Ok(())
}

/// `VmLck` of `/proc/self/status`: how much memory this process has locked, in kB.
fn locked_kb() -> u64 {
    status_kb("VmLck:")
}

/// A `kB` field of `/proc/self/status` (0 if it cannot be read).
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with(field))?;
            line.trim_start_matches(field)
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// `VmRSS` of `/proc/self/status`: how much memory this process has resident, in kB.
fn resident_kb() -> u64 {
    status_kb("VmRSS:")
}

/// Who may open the file at `path`: its Unix mode.
#[cfg(unix)]
fn access_of(path: &Path) -> std::io::Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    Ok(format!("mode {mode:04o}"))
}

/// Who may open the file at `path`: on Windows, a DACL for the current user alone, which
/// `store` sets and `load` checks.
#[cfg(not(unix))]
fn access_of(path: &Path) -> std::io::Result<String> {
    std::fs::metadata(path)?;
    Ok("a DACL for the current user alone".to_owned())
}

/// Permissions and flags of the mapping that holds `address` and of its neighbours.
fn describe_pages(address: usize) -> String {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return "(/proc/self/smaps not readable)\n".to_owned();
    };
    // (start, end, perms, flags) of every mapping.
    let mut vmas: Vec<(usize, usize, String, Vec<String>)> = Vec::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let range = first.split_once('-').and_then(|(start, end)| {
            Some((
                usize::from_str_radix(start, 16).ok()?,
                usize::from_str_radix(end, 16).ok()?,
            ))
        });
        if let Some((start, end)) = range {
            vmas.push((
                start,
                end,
                words.next().unwrap_or("").to_owned(),
                Vec::new(),
            ));
        } else if first == "VmFlags:" {
            if let Some(vma) = vmas.last_mut() {
                vma.3 = words.map(str::to_owned).collect();
            }
        }
    }
    let find = |addr: usize| vmas.iter().find(|v| v.0 <= addr && addr < v.1);
    let Some(data) = find(address) else {
        return "(no mapping holds the key)\n".to_owned();
    };
    let has = |flag: &str| data.3.iter().any(|f| f == flag);
    let perms_at = |addr: usize| find(addr).map_or("unmapped".to_owned(), |v| v.2.clone());
    format!(
        "page before: {} (guard page)\n\
         key's page:  {} at rest: no access{}{}{}\n\
         page after:  {} (guard page: one byte past the key faults)\n",
        perms_at(data.0 - 1),
        data.2,
        if has("lo") {
            ", locked in RAM (lo)"
        } else {
            ""
        },
        if has("dd") {
            ", left out of core dumps (dd)"
        } else {
            ""
        },
        if has("dc") {
            ", not inherited by fork (dc)"
        } else {
            ""
        },
        perms_at(data.1),
    )
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("   {line}\n")).collect()
}

/// A fresh directory for the tour's vault, removed at the end.
struct TempVault(PathBuf);

impl TempVault {
    fn new() -> std::io::Result<TempVault> {
        let mut tag = [0u8; 8];
        tag.randomize();
        let dir =
            std::env::temp_dir().join(format!("secrets-tour-{:016x}", u64::from_ne_bytes(tag)));
        std::fs::create_dir(&dir)?;
        Ok(TempVault(dir))
    }
}

impl Drop for TempVault {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
