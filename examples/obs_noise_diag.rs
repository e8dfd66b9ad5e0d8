//! A trained DKM scored with its memory's σξ (observation noise, and with it the addressing's
//! ridge λ) overridden at evaluation time: a diagnostic of how much the memory could store, not
//! a model anyone trained (docs/results.md, "σξ trades the conditional bound ...").
//!
//! `cargo run --release --example obs_noise_diag -- CKPT DATA eval SIGMA EPISODES`: joint and
//! conditional bounds on EPISODES test episodes of 32;
//! `cargo run --release --example obs_noise_diag -- CKPT DATA NOISE SIGMA`: the pixel error of
//! 10 mode reads of 20 episodes of 32 corrupted by NOISE (e.g. salt-pepper:0.15).
use kanerva::backend::inference_device;
use kanerva::catalog::load_checkpoint;
use kanerva::data::{Corruption, load_named, to_model_size};
use kanerva::eval::{Scoring, evaluate_bound};
use kanerva::memory::ReadPlan;
use kanerva::model::{Dkm, DkmAttractor};
use kanerva::train::{Trained, standard_test_episodes};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: obs_noise_diag CKPT DATA (eval|NOISE) SIGMA [EPISODES]");
        std::process::exit(2);
    }
    let (ckpt, data, what, sigma): (&str, &str, &str, f64) = (&args[1], &args[2], &args[3], args[4].parse().expect("SIGMA: a number"));
    let device = inference_device();
    let loaded = load_checkpoint(std::path::Path::new(ckpt), &device).unwrap();
    let trained = loaded.model.into_any().downcast::<Trained<Dkm>>().ok().expect("a DKM checkpoint");
    let mut config = trained.config.clone();
    config.memory.obs_noise_std = sigma;
    let set = to_model_size(load_named(data).unwrap());
    if what == "eval" {
        let episodes: usize = args.get(5).and_then(|e| e.parse().ok()).expect("EPISODES: a count");
        let model = Trained::<Dkm> { model: trained.model, config };
        let eps = standard_test_episodes(&set, 32, episodes);
        device.seed(0);
        let j = evaluate_bound(&model, &set, &eps, true, Scoring::ModelTerms, &device).unwrap();
        device.seed(0);
        let c = evaluate_bound(&model, &set, &eps, true, Scoring::Conditional, &device).unwrap();
        println!("sigma {sigma}: joint {:.2} cond {:.2} | {}", j.headline(), c.headline(), j.terms.summary());
        return;
    }
    let noise: Corruption = what.parse().unwrap();
    let mut memory = DkmAttractor::explorable("dkm", trained.model, config, device);
    let plan = ReadPlan { iterations: 10, ..ReadPlan::default() };
    let r = kanerva::eval::denoise(&mut memory, &set, noise, &plan, 20, 32).unwrap();
    println!("sigma {sigma}: {:?}", r.steps.iter().map(|s| (s.pixel_error * 1e4).round() / 1e4).collect::<Vec<_>>());
}
