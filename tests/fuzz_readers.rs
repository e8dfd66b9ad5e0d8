//! A seeded, replayable mutation fuzzer over the data and checkpoint readers: real files
//! (IMG1, IDX, gzipped or not, PNG, GIF; a trained checkpoint with optimizer state) have bytes
//! flipped, overwritten with extreme integers, cut, duplicated or inserted, and every reader
//! must answer with a value or an error: never a panic. Checkpoint mutations are made inside
//! the sections and the checksum recomputed (anyone can), so they reach the card, record and
//! optimizer checks; a resume step runs on every mutant that loads.
//!
//! `KANERVA_FUZZ_CASES` sets the cases per target (CI runs the default) and `KANERVA_FUZZ_SEED`
//! the seed (same seed, same cases); a failure is saved
//! by proptest under `tests/fuzz_readers.proptest-regressions` and replayed first next time.

mod common;

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use common::checkpoint_bytes::{encode, sections};
use common::training::{small_train, train, train_images};
use kanerva::data::{InkPolarity, load_images};
use kanerva::model::{Dkm, DkmConfig};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("KANERVA_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96)
}

fn config() -> ProptestConfig {
    use proptest::test_runner::{FileFailurePersistence, RngSeed};
    ProptestConfig {
        cases: cases(),
        rng_seed: RngSeed::Fixed(std::env::var("KANERVA_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5EED_F022)),
        max_shrink_iters: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/fuzz_readers.proptest-regressions"))),
        ..ProptestConfig::default()
    }
}

/// One edit of a byte string; positions and values come from the fuzzer's integers.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: u32, mask: u8 },
    /// Overwrite 4 bytes with an integer that breaks sizes: 0, 1, 2^31 − 1, 2^32 − 1, ...
    Extreme { at: u32, which: u8 },
    Truncate { at: u32 },
    Insert { at: u32, bytes: Vec<u8> },
    Duplicate { from: u32, len: u16 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<u32>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<u32>(), any::<u8>()).prop_map(|(at, which)| Mutation::Extreme { at, which }),
        any::<u32>().prop_map(|at| Mutation::Truncate { at }),
        (any::<u32>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<u32>(), any::<u16>()).prop_map(|(from, len)| Mutation::Duplicate { from, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let at = |p: u32, len: usize| if len == 0 { 0 } else { p as usize % len };
    match mutation {
        Mutation::Flip { at: p, mask } if !bytes.is_empty() => {
            let i = at(*p, bytes.len());
            bytes[i] ^= mask;
        }
        Mutation::Extreme { at: p, which } if bytes.len() >= 4 => {
            const VALUES: [u32; 8] = [0, 1, 2, 255, 65_535, 0x7FFF_FFFF, 0x8000_0000, u32::MAX];
            let i = at(*p, bytes.len() - 3);
            let v = VALUES[*which as usize % VALUES.len()];
            // Little- or big-endian: the formats use both.
            let encoded = if which & 0x80 == 0 { v.to_le_bytes() } else { v.to_be_bytes() };
            bytes[i..i + 4].copy_from_slice(&encoded);
        }
        Mutation::Truncate { at: p } => {
            let i = at(*p, bytes.len() + 1);
            bytes.truncate(i);
        }
        Mutation::Insert { at: p, bytes: extra } => {
            let i = at(*p, bytes.len() + 1);
            bytes.splice(i..i, extra.iter().copied());
        }
        Mutation::Duplicate { from, len } if !bytes.is_empty() => {
            let i = at(*from, bytes.len());
            let end = (i + *len as usize % 4096).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(end..end, copy);
        }
        _ => {}
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Small real files of every format the data readers take.
fn data_seeds() -> &'static [(&'static str, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let set = train_images(12);
        // IMG1: 32-byte header, u8 pixels, 1-byte labels.
        let mut img1 = b"IMG1".to_vec();
        img1.extend_from_slice(&[8, 1, 0, 0]);
        for v in [12u32, 28, 28] {
            img1.extend_from_slice(&v.to_le_bytes());
        }
        img1.resize(32, 0);
        img1.extend_from_slice(&set.pixels);
        img1.extend((0..12u8).map(|i| i % 10));
        // IDX: 3 dimensions, big-endian.
        let mut idx = vec![0, 0, 8, 3];
        for v in [12u32, 28, 28] {
            idx.extend_from_slice(&v.to_be_bytes());
        }
        idx.extend_from_slice(&set.pixels);
        let picture = image::GrayImage::from_fn(20, 30, |x, y| image::Luma([((x * 13 + y * 7) % 256) as u8]));
        let encode = |format| {
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageLuma8(picture.clone()).to_rgba8().write_to(&mut out, format).unwrap();
            out.into_inner()
        };
        vec![
            ("img1", img1.clone()),
            ("img1.gz", gz(&img1)),
            ("idx3-ubyte", idx.clone()),
            ("idx3-ubyte.gz", gz(&idx)),
            ("png", encode(image::ImageFormat::Png)),
            ("gif", encode(image::ImageFormat::Gif)),
        ]
    })
}

fn tiny() -> DkmConfig {
    let mut c = DkmConfig::new().with_seed(2);
    c.memory.slots = 4;
    c.memory.code_size = 6;
    c
}

/// A trained checkpoint (two steps, optimizer state saved), as sections.
fn checkpoint_seed() -> &'static [Vec<u8>; 3] {
    static SEED: OnceLock<[Vec<u8>; 3]> = OnceLock::new();
    SEED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("seed.ckpt");
        train::<Dkm>(&tiny(), &small_train(2, 1e-3), &train_images(32), false, &out).unwrap();
        sections(&std::fs::read(&out).unwrap())
    })
}

/// Runs `f`, failing the case (with `what`) if it panics.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let message = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
        TestCaseError::fail(format!("{what} panicked: {message}"))
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_data_files_are_read_or_refused_never_a_panic(seed in 0..6usize, edits in prop::collection::vec(mutation(), 1..5)) {
        let (extension, original) = &data_seeds()[seed];
        let mut bytes = original.clone();
        for edit in &edits {
            apply(&mut bytes, edit);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("mutant.{extension}"));
        std::fs::write(&path, &bytes).unwrap();
        let result = no_panic("load_images", || load_images(&path, InkPolarity::Auto))?;
        if let Ok(set) = result {
            // Whatever loads is a consistent set.
            prop_assert_eq!(set.pixels.len(), set.len() * set.rows * set.cols);
        }
    }

    #[test]
    fn mutated_checkpoints_load_or_are_refused_and_resume_without_a_panic(section in 0..4usize, edits in prop::collection::vec(mutation(), 1..4)) {
        let mut parts = checkpoint_seed().clone();
        let bytes = if section < 3 {
            for edit in &edits {
                apply(&mut parts[section], edit);
            }
            encode(&parts)
        } else {
            // The file itself, checksum and all.
            let mut bytes = encode(&parts);
            for edit in &edits {
                apply(&mut bytes, edit);
            }
            bytes
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutant.ckpt");
        std::fs::write(&path, &bytes).unwrap();
        let loaded = no_panic("load_checkpoint", || kanerva::catalog::load_checkpoint(&path, &kanerva::backend::inference_device()))?;
        if loaded.is_ok() {
            // What loads also resumes, or says why not: two more steps.
            let _ = no_panic("train --resume", || train::<Dkm>(&tiny(), &small_train(4, 1e-3), &train_images(32), true, &path))?;
        }
    }
}
