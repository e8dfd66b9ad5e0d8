//! Reads that hold an address (the DKM's): the guarded and optimised reads never raise the
//! energy, the optimised address is no worse than the encoder's, and each step's two
//! half-steps add up to the whole step. Checked on an untrained model (where the encoder's
//! address is poor) and on the shipped MNIST weights.

mod common;

use common::training::train_images;
use kanerva::backend::inference_device;
use kanerva::data::{Corruption, Embedded, Image};
use kanerva::memory::dkm::WriteMode;
use kanerva::memory::{AddressStep, Addressing, AttractorMemory, Iterate, ReadPlan, read_iterations, start_read};
use kanerva::model::{DkmAttractor, DkmConfig, Explorable};

/// Energies are compared in f64 from the same logits: a rise this small is rounding.
const ROUNDING: f64 = 1e-9;

fn untrained() -> Explorable<DkmAttractor> {
    let mut c = DkmConfig::new().with_seed(3);
    c.memory.slots = 8;
    c.memory.code_size = 12;
    c.memory.write_mode = WriteMode::StaticBatched;
    let dev = inference_device();
    DkmAttractor::explorable("dkm", c.init(&dev), c, dev)
}

fn shipped() -> Box<dyn AttractorMemory> {
    let dev = inference_device();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/dkm_mnist.ckpt");
    let loaded = kanerva::catalog::load_checkpoint(&path, &dev).expect("the shipped DKM loads");
    loaded.model.into_attractor("dkm", dev)
}

fn images(n: usize, offset: usize) -> Vec<Image> {
    let set = train_images(n + offset);
    (offset..offset + n).map(|i| set.binary_image(i)).collect()
}

fn energy(it: &Iterate) -> f64 {
    it.evaluation.energy.expect("the DKM has an energy")
}

/// Reads every corrupted item of `episode` with `plan` and checks what every read must hold.
fn reads(memory: &mut dyn AttractorMemory, episode: &[Image], plan: &ReadPlan) -> Vec<Vec<Iterate>> {
    memory.write(episode).unwrap();
    episode
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let query = Corruption::SaltPepper { p: 0.2 }.apply(item, i as u64);
            let read = read_iterations(memory, &query, &plan.with_seed(i as u64)).unwrap();
            assert_eq!(read.len(), plan.iterations + 1);
            for pair in read.windows(2) {
                let (pixel, address) = pair[1].half_steps(&pair[0]).expect("every step after the query is split");
                let whole = energy(&pair[1]) - energy(&pair[0]);
                assert!((pixel + address - whole).abs() <= 1e-9 * whole.abs().max(1.0), "halves {pixel} + {address} != {whole}");
                assert!(pixel <= ROUNDING, "the mode's pixel step raised F(., mu) by {pixel}");
            }
            read
        })
        .collect()
}

fn plan(addressing: Addressing) -> ReadPlan {
    ReadPlan { iterations: 6, addressing, ..ReadPlan::default() }
}

fn assert_monotone(reads: &[Vec<Iterate>], what: &str) {
    for (q, read) in reads.iter().enumerate() {
        for (n, pair) in read.windows(2).enumerate() {
            assert!(energy(&pair[1]) <= energy(&pair[0]) + ROUNDING, "{what}: query {q} rose at step {n}: {} -> {}", energy(&pair[0]), energy(&pair[1]));
        }
    }
}

#[test]
fn guarded_and_optimised_reads_never_raise_the_energy_of_an_untrained_model() {
    let mut memory = untrained();
    let episode = images(12, 0);
    // The amortised read's rises on an untrained model: tests/dkm_model.rs. Here its halves.
    reads(&mut memory, &episode, &plan(Addressing::Amortised));
    assert_monotone(&reads(&mut memory, &episode, &plan(Addressing::Guarded)), "guarded");
    let optimised = reads(&mut memory, &episode, &plan(Addressing::Optimised));
    assert_monotone(&optimised, "optimised");
    assert!(optimised.iter().flatten().all(|it| matches!(it.address_step, Some(AddressStep::Optimised { .. }))));
}

#[test]
fn guarded_and_optimised_reads_never_raise_the_energy_of_the_shipped_model() {
    let mut memory = shipped();
    for (e, offset) in [0, 16].into_iter().enumerate() {
        let episode = images(16, offset);
        assert_monotone(&reads(memory.as_mut(), &episode, &plan(Addressing::Guarded)), &format!("guarded, episode {e}"));
        assert_monotone(&reads(memory.as_mut(), &episode, &plan(Addressing::Optimised)), &format!("optimised, episode {e}"));
    }
}

#[test]
fn the_optimised_address_is_no_worse_than_the_encoders_and_usually_better() {
    for mut memory in [Box::new(untrained()) as Box<dyn AttractorMemory>, shipped()] {
        memory.write(&images(16, 0)).unwrap();
        let mut better = 0;
        let probes = images(20, 100);
        for (i, image) in probes.iter().enumerate() {
            let image = Corruption::BitFlip { p: 0.1 }.apply(image, i as u64);
            let amortised = start_read(memory.as_ref(), &image, &plan(Addressing::Amortised)).unwrap();
            let optimised = start_read(memory.as_ref(), &image, &plan(Addressing::Optimised)).unwrap();
            assert_eq!(optimised.image, image);
            assert!(energy(&optimised) <= energy(&amortised) + ROUNDING, "{} > {}", energy(&optimised), energy(&amortised));
            better += usize::from(energy(&optimised) < energy(&amortised) - 0.1);
        }
        assert!(better >= probes.len() / 2, "{}: the search lowered F by 0.1 nats on only {better} of {} images", memory.about().name, probes.len());
    }
}

#[test]
fn the_guarded_read_keeps_the_held_address_exactly_when_the_encoders_is_worse() {
    let mut memory = untrained();
    let episode = images(10, 0);
    for read in reads(&mut memory, &episode, &plan(Addressing::Guarded)) {
        for pair in read.windows(2) {
            let after_pixels = pair[1].pixel_step_energy.unwrap();
            match pair[1].address_step {
                // Kept: the energy is the pixel step's, the address the previous one.
                Some(AddressStep::Kept) => {
                    assert_eq!(energy(&pair[1]), after_pixels);
                    assert_eq!(pair[1].held.as_ref().unwrap().weights, pair[0].held.as_ref().unwrap().weights);
                }
                Some(AddressStep::Amortised) => assert!(energy(&pair[1]) <= after_pixels),
                other => panic!("a guarded read reported {other:?}"),
            }
        }
    }
}

#[test]
fn memories_without_an_address_refuse_guarded_and_optimised_reads() {
    let mut hopfield = kanerva::memory::hopfield::Hopfield::new(Default::default());
    let episode = images(3, 0);
    hopfield.write(&episode).unwrap();
    assert!(hopfield.addressed().is_none());
    assert!(read_iterations(&hopfield, &episode[0], &plan(Addressing::Amortised)).is_ok());
    let error = read_iterations(&hopfield, &episode[0], &plan(Addressing::Optimised)).unwrap_err().to_string();
    assert!(error.contains("optimised"), "{error}");
}

/// The embedded MNIST test digits, written and read by the shipped weights with every
/// addressing: clean stored items drift less under the optimised read.
#[test]
fn the_optimised_read_holds_clean_stored_items_closer_than_the_amortised_read() {
    let set = Embedded::MnistTest.load().unwrap();
    let episode: Vec<Image> = (0..16).map(|i| set.binary_image(i)).collect();
    let mut memory = shipped();
    memory.write(&episode).unwrap();
    let drift = |addressing| {
        episode.iter().map(|item| read_iterations(memory.as_ref(), item, &plan(addressing)).unwrap().last().unwrap().image.pixel_error(item) as f64).sum::<f64>() / episode.len() as f64
    };
    let (amortised, optimised) = (drift(Addressing::Amortised), drift(Addressing::Optimised));
    assert!(optimised < amortised, "clean items drift {optimised} (optimised) vs {amortised} (amortised)");
}
