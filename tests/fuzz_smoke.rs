//! Runs the fuzz targets' bodies (`secrets_integration_tests::fuzz`) briefly on every test run:
//! structured edge cases, then a few thousand random inputs. The long runs are
//! `cargo fuzz run key_file` / `password_line` in `fuzz/`.

use secrets_core::Randomizable;
use secrets_integration_tests::fuzz;

fn random_case(max_len: usize) -> Vec<u8> {
    let mut len = [0u8; 2];
    len.randomize();
    let mut case = vec![0u8; usize::from(u16::from_le_bytes(len)) % max_len];
    case.randomize();
    case
}

#[test]
fn key_file_loader_never_panics() {
    let dir = std::env::temp_dir().join(format!("secrets-fuzz-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
        fuzz::key_file(&dir, case);
    }
    std::fs::remove_dir_all(&dir).unwrap();
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
