//! Exports of a read: PNG filmstrip, animated GIF, energy CSV.

use kanerva::data::{Corruption, Image};
use kanerva::export::{energy_csv, write_energy_csv, write_filmstrip_gif, write_filmstrip_png};
use kanerva::memory::hopfield::{Hopfield, HopfieldConfig};
use kanerva::memory::{AttractorMemory, ReadPlan, ReadUpdate, read_iterations};
use kanerva::rng::SplitMix64;

fn a_read() -> (Vec<kanerva::memory::Iterate>, Vec<Vec<f32>>) {
    let mut rng = SplitMix64::new(1);
    let stored: Vec<Image> = (0..5).map(|_| Image::new(28, 28, (0..784).map(|_| if rng.bernoulli(0.5) { 1.0 } else { 0.0 }).collect())).collect();
    let mut net = Hopfield::new(HopfieldConfig::default());
    net.write(&stored).unwrap();
    let query = Corruption::BitFlip { p: 0.2 }.apply(&stored[0], 1);
    let iterates = read_iterations(&net, &query, &ReadPlan { iterations: 3, update: ReadUpdate::Mode, seed: 0, ..ReadPlan::default() }).unwrap();
    let distances = iterates.iter().map(|it| stored.iter().map(|s| it.image.pixel_error(s)).collect()).collect();
    (iterates, distances)
}

#[test]
fn filmstrip_png_and_gif_hold_every_iterate() {
    let (iterates, _) = a_read();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("strip.png");
    write_filmstrip_png(&iterates, &png).unwrap();
    let strip = image::open(&png).unwrap().to_luma8();
    assert_eq!(strip.width(), 4 + 4 * (112 + 4));
    assert_eq!(strip.height(), 112 + 8);
    // The last frame is the recalled pattern: its top-left pixel matches the iterate.
    let v = iterates[3].image.get(0, 0);
    assert_eq!(strip.get_pixel(4 + 3 * 116, 4).0[0], if v >= 0.5 { 255 } else { 0 });
    let gif = dir.path().join("read.gif");
    write_filmstrip_gif(&iterates, &gif, 300).unwrap();
    let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(std::fs::File::open(&gif).unwrap())).unwrap();
    let frames = image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap();
    assert_eq!(frames.len(), 4);
}

#[test]
fn energy_csv_has_a_row_per_iterate_with_terms_and_distances() {
    let (iterates, distances) = a_read();
    let csv = energy_csv(&iterates, &distances);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[0], "iteration");
    assert_eq!(header[1], "energy");
    assert_eq!(*header.last().unwrap(), "distance_to_item_4");
    for (n, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len());
        assert_eq!(cells[0], n.to_string());
        assert_eq!(cells[1].parse::<f64>().unwrap(), iterates[n].evaluation.energy.unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    write_energy_csv(&iterates, &distances, &dir.path().join("e.csv")).unwrap();
    assert!(write_energy_csv(&[], &[], &dir.path().join("none.csv")).unwrap_err().to_string().contains("nothing to export"));
    let bad = dir.path().join("no/such/dir/e.csv");
    assert!(write_energy_csv(&iterates, &distances, &bad).unwrap_err().to_string().contains("e.csv"));
}
