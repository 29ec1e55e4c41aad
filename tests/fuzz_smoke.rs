//! Runs the fuzz targets' bodies (`secrets_integration_tests::fuzz`) briefly on every test run:
//! structured edge cases, then a few thousand random inputs. The long runs are
//! `cargo fuzz run TARGET` in `fuzz/`, which `.ci/run` does for every target.

// POSIX-only: runs each backend in a child and writes cases with Unix permissions (POSIX helpers).
#![cfg(unix)]

use secrets_core::Randomizable;
use secrets_integration_tests::fuzz::{self, LengthClass};
use secrets_integration_tests::{for_each_backend, PrivateDir};

fn random_case(max_len: usize) -> Vec<u8> {
    let mut len = [0u8; 2];
    len.randomize();
    let mut case = vec![0u8; usize::from(u16::from_le_bytes(len)) % max_len];
    case.randomize();
    case
}

#[test]
fn key_file_loader_never_panics() {
    let dir = PrivateDir::new("fuzz-key");
    let mut cases: Vec<Vec<u8>> =
        vec![vec![], vec![0], vec![0o44], [vec![0], vec![7; 32]].concat()];
    cases.extend((0..400).map(|_| random_case(80)));
    // Bias towards the interesting length: a mode byte and 32 bytes.
    cases.extend((0..100).map(|_| {
        let mut case = vec![0u8; 33];
        case.randomize();
        case
    }));
    for case in &cases {
        fuzz::key_file(dir.path(), case);
    }
}

#[test]
fn password_reader_never_panics() {
    let mut cases: Vec<Vec<u8>> = vec![
        vec![],
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        b"pass\r\n".to_vec(),
        b"\xff\xfe\n".to_vec(),
        b"caf\xc3\xa9\n".to_vec(),
        b"caf\xc3".to_vec(),
        vec![b'a'; 1024],
        vec![b'a'; 1025],
    ];
    cases.extend((0..1000).map(|_| random_case(2048)));
    // Mostly-ASCII lines, to get past the UTF-8 check and into the length and newline logic.
    cases.extend((0..1000).map(|_| {
        random_case(1500)
            .into_iter()
            .map(|b| b % 0x60 + 0x0a)
            .collect()
    }));
    for case in &cases {
        fuzz::password_line(case);
    }
}

#[test]
fn stream_readers_never_panic() {
    let pem = b"-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n".to_vec();
    let mut cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0, 0],
        vec![1, 0],
        [&[1, 3][..], &pem].concat(),
        [&[0, 255][..], &pem].concat(),
        [&[1, 0][..], &[b'a'; 32][..]].concat(),
        [&[1, 0][..], &[b'a'; 33][..]].concat(),
        [&[200, 0][..], &[0xff; 6000][..]].concat(),
        [&[255, 7][..], "caf\u{e9}".repeat(2000).as_bytes()].concat(),
    ];
    cases.extend((0..300).map(|_| random_case(9000)));
    for case in &cases {
        fuzz::secret_stream(case);
    }
}

#[test]
fn secret_string_from_bytes_never_panics() {
    let mut cases: Vec<Vec<u8>> = vec![
        vec![],
        b"hunter2".to_vec(),
        "p\u{e4}ss \u{1f511}".as_bytes().to_vec(),
        b"ok\xff".to_vec(),
        b"\xc3".to_vec(),
        b"\xed\xa0\x80".to_vec(), // a UTF-16 surrogate, not UTF-8
        vec![b'a'; 5000],
    ];
    cases.extend((0..500).map(|_| random_case(300)));
    cases.extend((0..500).map(|_| {
        random_case(300)
            .into_iter()
            .map(|b| b & 0x7f | (b & 0x80) >> 1)
            .collect()
    }));
    for case in &cases {
        fuzz::secret_string(case);
    }
}

#[test]
fn used_nonce_from_bytes_never_panics() {
    let mut cases: Vec<Vec<u8>> = (0..=40).map(|len| vec![0xa5; len]).collect();
    cases.extend((0..300).map(|_| random_case(48)));
    for case in &cases {
        fuzz::used_nonce(case);
    }
}

#[test]
fn aead_open_never_panics_and_never_accepts_a_forgery() {
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for selector in [0u8, 1, 2, 0x80, 0x81, 0x82] {
        // Right and wrong nonce lengths, empty and short bodies, a body of exactly a tag.
        for (nonce_len, body_len) in [(24, 0), (12, 15), (12, 16), (24, 16), (11, 40), (0, 64)] {
            let mut case = vec![selector, nonce_len, 3];
            case.extend(std::iter::repeat_n(
                0x11,
                usize::from(nonce_len) + 3 + body_len,
            ));
            cases.push(case);
        }
    }
    cases.extend((0..600).map(|_| random_case(200)));
    // Well-formed nonces, so that most cases get past the nonce to the tag check.
    cases.extend((0..300).map(|i: u16| {
        let mut case = random_case(200);
        case.resize(case.len().max(3), 0);
        case[1] = if i.is_multiple_of(3) { 24 } else { 12 };
        case
    }));
    for case in &cases {
        fuzz::aead_open(case);
    }
}

/// In a child per backend (the fuzz target runs under the default one only): the review's
/// lengths killed the process (SIGSEGV in release builds), and a crash here must fail this
/// test, not the whole binary.
#[test]
fn constructors_refuse_impossible_lengths_with_a_typed_error() {
    for_each_backend(
        "constructors_refuse_impossible_lengths_with_a_typed_error",
        |_backend| lengths_cases(),
    )
    .assert_success();
}

fn lengths_cases() {
    let page = secrets_integration_tests::page_size();
    let mut cases: Vec<Vec<u8>> = Vec::new();
    let case = |class: u8, raw: u64| [vec![class], raw.to_le_bytes().to_vec()].concat();
    // The edges the review found: usize::MAX - 15 ..= usize::MAX.
    cases.extend((0..=16).map(|below| case(2, below)));
    // Page edges: a page less one, a page, a page and one; and small values.
    for pages in [0u64, 1, 2, 64] {
        for delta in [127u64, 128, 129] {
            cases.push(case(1, pages << 8 | delta));
        }
    }
    cases.extend([0, 1, 7, 8, 9, 4095, 4096, 8192].map(|len| case(0, len)));
    // Every impossible base, just below and just above.
    for base in 0u64..4 {
        for (delta, above) in [(0, false), (1, false), (1, true), (0xffff, true)] {
            cases.push(case(3, base << 32 | u64::from(above) << 16 | delta));
        }
    }
    cases.extend((0..200).map(|_| random_case(10)));
    let mut seen = [0usize; 4];
    for case in &cases {
        let (class, len) = fuzz::length_case(case);
        seen[class as usize] += 1;
        if class == LengthClass::PageEdge {
            assert!(len <= 64 * page + 128, "{len}");
        }
        fuzz::lengths(case);
    }
    assert!(seen.iter().all(|&n| n > 0), "every class tried: {seen:?}");
}

#[test]
fn pooled_storage_matches_its_model_under_any_program() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/pooled_ops");
    let mut cases: Vec<Vec<u8>> = std::fs::read_dir(&corpus)
        .expect("the pooled_ops seed corpus")
        .map(|entry| std::fs::read(entry.expect("a seed").path()).expect("read a seed"))
        .collect();
    assert!(cases.len() >= 3, "the seed corpus went missing");
    cases.extend((0..300).map(|_| random_case(600)));
    for case in &cases {
        fuzz::pooled_ops(case);
    }
}

#[test]
fn sealed_storage_matches_its_model_under_any_program() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/sealed_ops");
    let mut cases: Vec<Vec<u8>> = std::fs::read_dir(&corpus)
        .expect("the sealed_ops seed corpus")
        .map(|entry| std::fs::read(entry.expect("a seed").path()).expect("read a seed"))
        .collect();
    assert!(cases.len() >= 3, "the seed corpus went missing");
    cases.extend((0..300).map(|_| random_case(600)));
    for case in &cases {
        fuzz::sealed_ops(case);
    }
}

#[test]
fn phc_string_reader_never_panics() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/phc_string");
    let mut cases: Vec<Vec<u8>> = std::fs::read_dir(&corpus)
        .expect("the phc_string seed corpus")
        .map(|entry| std::fs::read(entry.expect("a seed").path()).expect("read a seed"))
        .collect();
    assert!(cases.len() >= 3, "the seed corpus went missing");
    let template = fuzz::PHC_TEMPLATE.as_bytes();
    // The template itself, cut at every length, and with every single byte changed to a few
    // values that matter ('$', ',', '=', '0', '9', '/', a non-ASCII byte).
    cases.extend((0..=template.len()).map(|len| [&[0, 0][..], &template[..len]].concat()));
    for at in 0..template.len() {
        for byte in [b'$', b',', b'=', b'0', b'9', b'/', 0xc3] {
            let at_byte = u8::try_from(at).expect("a short template");
            cases.push(vec![at_byte, 1, byte]);
        }
    }
    cases.extend((0..2000).map(|_| random_case(80)));
    for case in &cases {
        fuzz::phc_string(case);
    }
}
