//! Files from anywhere: a newer checkpoint format and trailing bytes are refused with clear
//! errors, a multi-member gzip reads whole, a stream without end is cut at the limit, bombs,
//! sparse files and overflowing headers are refused from their first bytes.

use std::io::Write;

use kanerva::backend::inference_device;
use kanerva::model::{Dkm, DkmConfig};
use kanerva::train::checkpoint::{CheckpointFile, FORMAT_VERSION, encode_checkpoint};
use kanerva::train::{CheckpointCard, CheckpointError};

fn small_checkpoint(format_version: u32) -> Vec<u8> {
    let mut config = DkmConfig::new();
    config.memory.slots = 4;
    config.memory.code_size = 6;
    let model: Dkm = config.init(&inference_device());
    let card = CheckpointCard {
        format_version,
        model_kind: kanerva::model::ModelKind::Dkm,
        config: serde_json::to_value(&config).unwrap(),
        train: None,
        data: "test".into(),
        steps: 0,
        train_seconds: 0.0,
        cpu_seconds: None,
        cpu_seconds_from_step: 0,
        metrics: None,
        crate_version: "test".into(),
        origin: None,
    };
    encode_checkpoint(&card, &model, None).unwrap()
}

/// Recomputes the trailing CRC, as anyone editing a file can.
fn with_crc(mut body: Vec<u8>) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(&body);
    body.extend_from_slice(&crc.sum().to_le_bytes());
    body
}

#[test]
fn a_checkpoint_from_a_newer_format_is_named_as_newer() {
    let path = std::path::Path::new("newer.ckpt");
    assert!(CheckpointFile::parse(path, &small_checkpoint(FORMAT_VERSION)).is_ok());
    for version in [FORMAT_VERSION + 1, 99, u32::MAX] {
        let err = CheckpointFile::parse(path, &small_checkpoint(version)).err().unwrap();
        assert!(matches!(err, CheckpointError::NewerFormat { .. }), "{err}");
        assert!(err.to_string().contains("newer version"), "{err}");
    }
}

#[test]
fn bytes_after_the_last_section_are_refused() {
    let good = small_checkpoint(FORMAT_VERSION);
    let mut body = good[..good.len() - 4].to_vec();
    body.extend_from_slice(b"trailing");
    let err = CheckpointFile::parse(std::path::Path::new("t.ckpt"), &with_crc(body)).err().unwrap();
    assert!(err.to_string().contains("after the last section"), "{err}");
}

#[test]
fn a_multi_member_gzip_reads_every_member_and_an_endless_stream_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    // An IDX file of 3 images, its bytes split across two gzip members.
    let mut idx = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2];
    idx.extend((0..12u8).map(|i| i * 20));
    let path = dir.path().join("two.gz");
    std::fs::write(&path, [gz(&idx[..10]), gz(&idx[10..])].concat()).unwrap();
    assert_eq!(kanerva::data::read_file_bytes(&path).unwrap(), idx);
    // /dev/zero has no size and no end, a pipe blocks its reader: devices and pipes are
    // refused before they are opened instead of filling memory or waiting for ever.
    let zero = std::path::Path::new("/dev/zero");
    if zero.exists() {
        assert!(matches!(kanerva::data::read_bounded(zero, 1 << 20), Err(kanerva::data::BoundedReadError::Io(_))));
        let err = kanerva::data::read_file_bytes(zero).unwrap_err().to_string();
        assert!(err.contains("is a device, pipe or socket, not a file"), "{err}");
    }
    let fifo = dir.path().join("fifo");
    if std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        let err = kanerva::data::read_file_bytes(&fifo).unwrap_err().to_string();
        assert!(err.contains("not a file"), "{err}");
    }
    let err = kanerva::data::read_file_bytes(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is a folder, not a file"), "{err}");
}

/// The reproducers of the files issue: each ends in a clean error after reading a few bytes.
#[test]
fn bombs_sparse_files_and_overflowing_headers_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        kanerva::data::read_file_bytes(&path).unwrap_err().to_string()
    };
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    // A gzip bomb of zeros: neither IMG1 nor IDX inside, refused after its first bytes.
    let err = read("bomb.gz", &gz(&vec![0u8; 64 << 20]));
    assert!(err.contains("neither an IMG1 nor an IDX"), "{err}");
    // A bomb whose IMG1 header claims 2^32 − 1 images: refused by the declared size.
    let mut header = b"IMG1".to_vec();
    header.extend_from_slice(&[8, 0, 0, 0]);
    for v in [u32::MAX, 28, 28] {
        header.extend_from_slice(&v.to_le_bytes());
    }
    header.resize(32, 0);
    let err = read("claims.img1.gz", &gz(&[header.clone(), vec![0u8; 1 << 20]].concat()));
    assert!(err.contains("more than the"), "{err}");
    // IDX dimensions whose product would wrap a u64 (2^32 − 1 cubed).
    let mut idx = vec![0, 0, 8, 3];
    for _ in 0..3 {
        idx.extend_from_slice(&u32::MAX.to_be_bytes());
    }
    let err = read("wraps.idx3-ubyte", &idx);
    assert!(err.contains("more than the"), "{err}");
    // A sparse 2.5 GB file after an honest-looking IMG1 header: refused by its size, unread.
    let sparse = dir.path().join("sparse.img1");
    let mut small = header.clone();
    small[8..12].copy_from_slice(&10u32.to_le_bytes());
    std::fs::write(&sparse, &small).unwrap();
    std::fs::OpenOptions::new().write(true).open(&sparse).unwrap().set_len(5 << 29).unwrap();
    let err = kanerva::data::read_file_bytes(&sparse).unwrap_err().to_string();
    assert!(err.contains("but the file has 2684354560 bytes"), "{err}");
}
