//! The energy landscape: on a Hopfield network with two stored patterns, the two patterns are
//! the landscape's minima on the plane through them; a DKM's landscape is drawn in its address
//! space with the read's trajectory on it.

use kanerva::data::{Corruption, Image};
use kanerva::eval::{LandscapeRequest, landscape};
use kanerva::memory::hopfield::Hopfield;
use kanerva::memory::{AttractorMemory, ReadPlan, read_iterations};
use kanerva::rng::SplitMix64;

fn random_pattern(seed: u64) -> Image {
    let mut rng = SplitMix64::new(seed);
    Image::new(28, 28, (0..784).map(|_| if rng.next_f32() < 0.5 { 1.0 } else { 0.0 }).collect())
}

#[test]
fn two_stored_patterns_are_the_minima_of_the_plane_through_them() {
    let mut net = Hopfield::new(Default::default());
    let patterns = vec![random_pattern(1), random_pattern(2)];
    net.write(&patterns).unwrap();
    let request = LandscapeRequest { items: vec![0, 1], resolution: 21, extent: 0.5 };
    let query = Corruption::BitFlip { p: 0.2 }.apply(&patterns[0], 3);
    let read = read_iterations(&net, &query, &ReadPlan { iterations: 3, ..ReadPlan::default() }).unwrap();
    let map = landscape(&net, &request, &read, &mut |_, _| true).unwrap().unwrap();
    let n = map.axis.len();
    assert_eq!(map.energies.len(), n * n);
    // The relaxation clips spins to [−1, 1], so beyond a pattern the energy stays flat: the
    // minima are plateaus. The lowest energy of the grid is reached at both patterns' cells,
    // every cell that reaches it shows one of the two patterns, and the mixture between them
    // and the origin lie higher.
    let at = |(i, j): (usize, usize)| map.energies[j * n + i];
    let lowest = map.energies.iter().cloned().fold(f64::INFINITY, f64::min);
    let cells: Vec<(usize, usize)> = map.item_coords.iter().map(|&c| map.cell(c)).collect();
    for (&cell, pattern) in cells.iter().zip(&patterns) {
        assert!((at(cell) - lowest).abs() <= 1e-6 * lowest.abs(), "{} vs {lowest}", at(cell));
        assert_eq!(map.images[cell.1 * n + cell.0].pixel_error(pattern), 0.0);
    }
    for (k, e) in map.energies.iter().enumerate() {
        if (e - lowest).abs() <= 1e-6 * lowest.abs() {
            assert!(patterns.iter().any(|p| map.images[k].pixel_error(p) == 0.0), "cell {k} is as low as the patterns but shows neither");
        }
    }
    assert!(at(map.cell([0.5, 0.5])) > lowest + 1.0 && at(map.cell([0.0, 0.0])) > lowest + 1.0);
    // The read from a corrupted copy of pattern 0 ends at pattern 0's point.
    let end = *map.trajectory.last().unwrap();
    assert!((end[0] - 1.0).abs() < 1e-9 && end[1].abs() < 1e-9, "{end:?}");
}

#[test]
fn a_dkm_landscape_lies_in_its_address_space() {
    let dev = kanerva::backend::inference_device();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/dkm_mnist.ckpt");
    let mut memory = kanerva::catalog::load_checkpoint(&path, &dev).unwrap().model.into_attractor("dkm", dev);
    let set = kanerva::data::Embedded::MnistTest.load().unwrap();
    let episode: Vec<Image> = (0..8).map(|i| set.binary_image(i)).collect();
    memory.write(&episode).unwrap();
    let read = read_iterations(memory.as_ref(), &Corruption::SaltPepper { p: 0.1 }.apply(&episode[0], 1), &ReadPlan::default()).unwrap();
    let request = LandscapeRequest { items: vec![0, 1, 2], resolution: 9, extent: 0.25 };
    let map = landscape(memory.as_ref(), &request, &read, &mut |_, _| true).unwrap().unwrap();
    assert_eq!(map.energies.len(), 81);
    assert!(map.energies.iter().all(|e| e.is_finite()));
    assert_eq!(map.trajectory.len(), read.len());
    // Item 0's cell shows (nearly) item 0: the decoder's image at its address.
    let (i, j) = map.cell(map.item_coords[0]);
    assert!(map.images[j * 9 + i].pixel_error(&episode[0]) < 0.05);
    // Cancelling stops it.
    assert!(landscape(memory.as_ref(), &request, &read, &mut |done, _| done < 3).unwrap().is_none());
}

#[test]
fn memories_without_a_state_space_and_bad_requests_are_refused() {
    let mut sdm = kanerva::memory::sdm::Sdm::new(Default::default());
    sdm.write(&[random_pattern(1), random_pattern(2)]).unwrap();
    let request = LandscapeRequest { items: vec![0, 1], resolution: 5, extent: 0.5 };
    assert!(landscape(&sdm, &request, &[], &mut |_, _| true).unwrap_err().to_string().contains("no state space"));
    let mut net = Hopfield::new(Default::default());
    net.write(&[random_pattern(1), random_pattern(2)]).unwrap();
    let bad = LandscapeRequest { items: vec![0, 5], ..request };
    assert!(landscape(&net, &bad, &[], &mut |_, _| true).is_err());
}

/// The modern Hopfield network's landscape (its continuous state): each stored pattern is a
/// strict local minimum of the plane through two of them, and the lowest cell is one of them.
#[test]
fn the_modern_hopfield_networks_patterns_are_its_landscapes_minima() {
    let mut net = kanerva::memory::modern_hopfield::ModernHopfield::new(100.0);
    let patterns = vec![random_pattern(5), random_pattern(6), random_pattern(7)];
    net.write(&patterns).unwrap();
    let request = LandscapeRequest { items: vec![0, 1], resolution: 21, extent: 0.5 };
    let map = landscape(&net, &request, &[], &mut |_, _| true).unwrap().unwrap();
    let n = map.axis.len();
    let at = |i: usize, j: usize| map.energies[j * n + i];
    let lowest = map.energies.iter().cloned().fold(f64::INFINITY, f64::min);
    let cells: Vec<(usize, usize)> = map.item_coords.iter().map(|&c| map.cell(c)).collect();
    for &(i, j) in &cells {
        for (di, dj) in [(-1i32, 0i32), (1, 0), (0, -1), (0, 1)] {
            assert!(at((i as i32 + di) as usize, (j as i32 + dj) as usize) > at(i, j), "({i}, {j}) is a strict local minimum");
        }
    }
    assert!(cells.iter().any(|&(i, j)| at(i, j) == lowest));
}

/// The KM's (addresses), K++'s (keys) and the EBMM's (pixels) landscapes, from their shipped
/// MNIST weights: finite energies, the read's trajectory, and each item's cell showing an image
/// nearer that item than the other (the EBMM's: the item itself). The KM's and K++'s energy at a point is that of the image the memory reads there
/// (so it equals the image's own evaluation); the EBMM's stored items lie lower than the pixel
/// blend halfway between them. (The KM's and K++'s items need not: their energy is an image's
/// negative bound, and a plain blend can cost fewer nats than a stored digit.)
#[test]
fn the_km_kpp_and_ebmm_landscapes_lie_in_their_own_state_spaces() {
    let dev = kanerva::backend::inference_device();
    let set = kanerva::data::Embedded::MnistTest.load().unwrap();
    let episode: Vec<Image> = (0..8).map(|i| set.binary_image(i)).collect();
    for kind in ["km", "kpp", "ebmm"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/{kind}_mnist.ckpt"));
        let mut memory = kanerva::catalog::load_checkpoint(&path, &dev).unwrap().model.into_attractor(kind, dev.clone());
        assert!(memory.landscape().is_some(), "{kind}");
        memory.write(&episode).unwrap();
        let read = read_iterations(memory.as_ref(), &Corruption::SaltPepper { p: 0.1 }.apply(&episode[0], 1), &ReadPlan { iterations: 3, ..ReadPlan::default() }).unwrap();
        let request = LandscapeRequest { items: vec![0, 1], resolution: 11, extent: 0.0 };
        let map = landscape(memory.as_ref(), &request, &read, &mut |_, _| true).unwrap().unwrap();
        assert_eq!(map.energies.len(), 121, "{kind}");
        assert!(map.energies.iter().all(|e| e.is_finite()), "{kind}");
        assert_eq!(map.trajectory.len(), read.len(), "{kind}");
        // With no extent the grid runs 0..1 in steps of 0.1: the items sit on cells.
        let at = |c: [f64; 2]| {
            let (i, j) = map.cell(c);
            (map.energies[j * 11 + i], &map.images[j * 11 + i])
        };
        let (blend, _) = at([0.5, 0.5]);
        for (item, &coords) in map.item_coords.iter().enumerate() {
            let (energy, image) = at(coords);
            let (error, other) = (image.pixel_error(&episode[item]), image.pixel_error(&episode[1 - item]));
            eprintln!("{kind}: item {item} energy {energy:.2} (blend {blend:.2}), pixel error {error:.4} (to the other item {other:.4})");
            assert!(error < other, "{kind}: item {item}'s cell shows an image nearer the other item ({error} vs {other})");
            if kind == "ebmm" {
                assert_eq!(error, 0.0, "the EBMM's state is the image itself");
                assert!(energy < blend, "{kind}: item {item} at {energy} is not below the blend's {blend}");
            } else {
                let own = memory.evaluate(image).unwrap().energy.unwrap();
                assert!((energy - own).abs() <= 1e-9 * own.abs(), "{kind}: the cell's energy {energy} is not its image's {own}");
            }
        }
    }
}
