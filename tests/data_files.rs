//! The data layer on real files: the shared data sets, the embedded default, and bad input.

use std::path::{Path, PathBuf};

use kanerva::data::{DataError, Embedded, InkPolarity, load_images, load_model_images, read_img1};

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets").join(name)
}

#[test]
#[ignore = "reads ../shared/datasets, absent on a plain clone; .ci/run runs it where the data is laid beside the clone"]
fn binarized_mnist_test_split_has_10000_binary_images_with_the_documented_mean() {
    let set = read_img1(&shared("binarized_mnist_test.img1")).unwrap();
    assert_eq!((set.len(), set.rows, set.cols), (10_000, 28, 28));
    assert!(set.labels.is_none());
    assert!(set.is_binary());
    // README: mean pixel 0.132512.
    assert!((set.mean_pixel() - 0.132512).abs() < 5e-7, "{}", set.mean_pixel());
}

#[test]
#[ignore = "reads ../shared/datasets, absent on a plain clone; .ci/run runs it where the data is laid beside the clone"]
fn omniglot_background_gz_has_964_classes_of_20_drawers() {
    let set = read_img1(&shared("omniglot28_background.img1.gz")).unwrap();
    assert_eq!((set.len(), set.rows, set.cols), (19_280, 28, 28));
    assert_eq!(set.label_count(), 964);
    let labels = set.labels.as_ref().unwrap();
    assert_eq!((labels[0], labels[19], labels[20], labels[19_279]), (0, 0, 1, 963));
    assert!((set.mean_pixel() - 0.077938).abs() < 5e-7, "{}", set.mean_pixel());
    assert!(!set.is_binary(), "omniglot is stored as area-averaged grey");
}

#[test]
fn embedded_mnist_matches_the_original_counts_and_class_totals() {
    let train = Embedded::MnistTrain.load().unwrap();
    let test = Embedded::MnistTest.load().unwrap();
    assert_eq!((train.len(), test.len()), (60_000, 10_000));
    let counts = |set: &kanerva::data::ImageSet| {
        let mut c = [0usize; 10];
        set.labels.as_ref().unwrap().iter().for_each(|&l| c[l as usize] += 1);
        c
    };
    // ../shared/datasets/README.md, "MNIST from a registry package".
    assert_eq!(counts(&test), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert_eq!(counts(&train), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert!((train.mean_pixel() - 0.1307).abs() < 1e-4);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn err_text(r: Result<kanerva::data::ImageSet, DataError>) -> String {
    r.expect_err("should be an error").to_string()
}

#[test]
#[ignore = "reads ../shared/datasets, absent on a plain clone; .ci/run runs it where the data is laid beside the clone"]
fn bad_files_are_clear_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(shared("binarized_mnist_test.img1")).unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(dir.path(), "truncated.img1", &good[..good.len() / 2]), "truncated"),
        (write(dir.path(), "magic.img1", b"IMG2\x08\0\0\0"), "not an IMG1"),
        (write(dir.path(), "empty.img1", b""), "empty"),
        (write(dir.path(), "notes.txt", b"hello, this is not an image"), "not an IMG1"),
        (write(dir.path(), "broken.png", b"\x89PNG\r\n\x1a\n garbage"), "not a readable image"),
        (dir.path().join("missing.img1"), "No such file"),
    ];
    for (path, expect) in cases {
        let msg = err_text(load_images(&path, InkPolarity::Auto));
        assert!(msg.contains(expect), "{path:?}: {msg}");
        assert!(msg.contains(path.file_name().unwrap().to_str().unwrap()), "{msg} does not name the file");
    }
    // A header whose N*rows*cols disagrees with the size.
    let mut lying = good[..32].to_vec();
    lying.extend_from_slice(&[0u8; 98 * 3]);
    let msg = err_text(load_images(&write(dir.path(), "lying.img1", &lying), InkPolarity::Auto));
    assert!(msg.contains("header says 10000 images"), "{msg}");
}

#[test]
#[ignore = "reads ../shared/datasets, absent on a plain clone; .ci/run runs it where the data is laid beside the clone"]
fn a_gzipped_truncated_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let gz = std::fs::read(shared("omniglot28_background.img1.gz")).unwrap();
    let msg = err_text(load_images(&write(dir.path(), "cut.img1.gz", &gz[..gz.len() / 3]), InkPolarity::Auto));
    assert!(msg.contains("cut.img1.gz") && msg.contains("gzip"), "{msg}");
}

/// A PNG that declares width x height but carries no pixel data: enough to test that the size
/// is refused before anything is decoded or allocated.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey
    chunk(b"IHDR", &ihdr);
    // One compressed filter byte: the decoder reaches the first IDAT, so it knows the size.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, &[0]).unwrap();
    chunk(b"IDAT", &z.finish().unwrap());
    chunk(b"IEND", &[]);
    out
}

#[test]
fn a_huge_or_zero_size_picture_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let msg = err_text(load_images(&write(dir.path(), "huge.png", &png_header_only(10_000, 10_000)), InkPolarity::Auto));
    assert!(msg.contains("10000x10000") && msg.contains("limit") && msg.contains("huge.png"), "{msg}");
    let msg = err_text(load_images(&write(dir.path(), "zero.png", &png_header_only(0, 5)), InkPolarity::Auto));
    assert!(msg.contains("zero.png"), "{msg}");
}

#[test]
fn pictures_of_any_size_and_colour_become_28x28_ink_images() {
    let dir = tempfile::tempdir().unwrap();
    // A colour JPEG-free case: a wide RGB PNG with a dark vertical bar on white.
    let mut rgb = image::RgbImage::from_pixel(90, 60, image::Rgb([250, 250, 250]));
    for y in 10..50 {
        for x in 40..50 {
            rgb.put_pixel(x, y, image::Rgb([20, 30, 200]));
        }
    }
    rgb.save(dir.path().join("bar.png")).unwrap();
    image::GrayImage::from_pixel(20, 20, image::Luma([0])).save(dir.path().join("blank.png")).unwrap();
    std::fs::write(dir.path().join("readme.txt"), "skipped").unwrap();
    let set = load_model_images(dir.path(), InkPolarity::Auto).unwrap();
    assert_eq!((set.len(), set.rows, set.cols), (2, 28, 28));
    let bar = set.image(0);
    assert!(bar.get(14, 14) > 0.6, "bar centre {}", bar.get(14, 14));
    assert!(bar.get(14, 2) < 0.05);
    // The picture is padded to a square: the top rows are background.
    assert!(bar.pixels[..28].iter().all(|&v| v < 0.05));
    let single = load_images(&dir.path().join("bar.png"), InkPolarity::Auto).unwrap();
    assert_eq!(single.len(), 1);
    // A 105x105 IMG1 (Omniglot's native size) is resampled to 28x28 on request.
    let big = kanerva::data::ImageSet { rows: 105, cols: 105, pixels: vec![255; 105 * 105], labels: None, source: "x".into() };
    let p = write(dir.path(), "big.img1", &kanerva::data::to_img1_bytes(&big));
    let small = load_model_images(&p, InkPolarity::Auto).unwrap();
    assert_eq!((small.rows, small.cols), (28, 28));
    assert_eq!(small.bytes(0)[100], 255);
}

#[test]
fn a_bad_label_range_on_embedded_data_is_named_as_such() {
    let error = kanerva::data::load_named("embedded:mnist-test#labels=").unwrap_err().to_string();
    assert!(error.contains("labels=A..B") && !error.contains("no embedded data set"), "{error}");
    let subset = kanerva::data::load_named("embedded:mnist-test#labels=3..4").unwrap();
    assert!(subset.len() > 500 && subset.labels.as_ref().unwrap().iter().all(|&l| l == 3));
}
