//! One footing for the trained memories' bounds: every kind with a bound (DKM, KM, K++, PKM)
//! has a memory-conditional bound and its importance-weighted form, which starts at the
//! conditional −ELBO with one sample and tightens with more; a joint bound differs from the
//! conditional one by the memory's KL where the memory is written the same way (DKM, PKM);
//! K++ says it has no joint bound. Small untrained models on the embedded MNIST test images:
//! nothing beside the repository is needed.

mod common;

use std::process::Command;

use common::device_rng;

use kanerva::backend::inference_device;
use kanerva::data::{ImageSet, load_named, to_model_size};
use kanerva::eval::{Scoring, evaluate_bound, evaluate_importance_weighted};
use kanerva::memory::dkm::WriteMode;
use kanerva::model::{Dkm, DkmConfig, HeadlineBound, Km, KmConfig, Kpp, KppConfig, Pkm, PkmConfig};
use kanerva::train::{Trained, TrainedModel, every_image_test_episodes, standard_test_episodes};

const EPISODES: usize = 16;
const T: usize = 8;


fn images() -> ImageSet {
    let set = to_model_size(load_named("embedded:mnist-test").unwrap());
    set.subset(&(0..EPISODES * T).collect::<Vec<_>>())
}

fn dkm() -> Box<dyn TrainedModel> {
    let mut config = DkmConfig::new().with_seed(3);
    config.memory.slots = 8;
    config.memory.code_size = 12;
    config.memory.write_mode = WriteMode::StaticBatched;
    Box::new(Trained::<Dkm> { model: config.init(&inference_device()), config })
}

fn km() -> Box<dyn TrainedModel> {
    let mut config = KmConfig::new().with_seed(5).with_address_size(6).with_hidden_size(16);
    config.memory.slots = 8;
    config.memory.code_size = 12;
    Box::new(Trained::<Km> { model: config.init(&inference_device()), config })
}

fn kpp() -> Box<dyn TrainedModel> {
    let config = KppConfig::new().with_feature_size(24).with_code_size(8).with_memory_channels(4).with_memory_side(6).with_window(3).with_seed(2);
    Box::new(Trained::<Kpp> { model: config.init(&inference_device()), config })
}

fn pkm() -> Box<dyn TrainedModel> {
    let mut config = PkmConfig::new().with_seed(3).with_machines(3);
    config.memory.slots = 4;
    config.memory.code_size = 12;
    Box::new(Trained::<Pkm> { model: config.init(&inference_device()), config })
}

/// The test's episodes: EPISODES of T.
fn episodes(data: &ImageSet) -> Vec<Vec<usize>> {
    standard_test_episodes(data, T, EPISODES)
}

fn bound(model: &dyn TrainedModel, data: &ImageSet, scoring: Scoring) -> kanerva::eval::ElboReport {
    let dev = inference_device();
    dev.seed(7);
    evaluate_bound(model, data, &episodes(data), true, scoring, &dev).expect("a bound")
}

/// IWAE_1 is the conditional −ELBO in expectation (here averaged over 128 images) and K = 20
/// samples tighten it.
#[test]
fn every_trained_kind_has_a_conditional_bound_and_an_importance_weighted_one_below_it() {
    let _rng = device_rng();
    let data = images();
    let dev = inference_device();
    for model in [dkm(), km(), kpp(), pkm()] {
        let kind = model.kind();
        let conditional = bound(model.as_ref(), &data, Scoring::Conditional).headline();
        dev.seed(11);
        let iwae_1 = evaluate_importance_weighted(model.as_ref(), &data, &episodes(&data), 1, &dev).unwrap();
        dev.seed(11);
        let iwae_20 = evaluate_importance_weighted(model.as_ref(), &data, &episodes(&data), 20, &dev).unwrap();
        assert!(conditional.is_finite() && conditional > 0.0, "{kind}: {conditional}");
        assert!((iwae_1 - conditional).abs() < 0.02 * conditional, "{kind}: IWAE_1 {iwae_1} vs conditional −ELBO {conditional}");
        assert!(iwae_20 < iwae_1, "{kind}: IWAE_20 {iwae_20} should be below IWAE_1 {iwae_1}");
    }
}

/// The DKM and the PKM read the same posterior mean in both bounds and draw the same w (same
/// seed): the joint bound is the conditional one plus KL(M)/T, to rounding.
#[test]
fn the_joint_bound_is_the_conditional_one_plus_the_memorys_kl() {
    let _rng = device_rng();
    let data = images();
    for model in [dkm(), pkm()] {
        assert_eq!(model.headline_bound(), HeadlineBound::Joint);
        let joint = bound(model.as_ref(), &data, Scoring::ModelTerms);
        let conditional = bound(model.as_ref(), &data, Scoring::Conditional).headline();
        let kl_m = joint.terms.get("kl_memory_nats").unwrap();
        assert!(kl_m > 0.0);
        let gap = joint.headline() - kl_m - conditional;
        assert!(gap.abs() < 1e-3 * joint.headline(), "{}: joint {} − KL(M)/T {kl_m} − conditional {conditional} = {gap}", model.kind(), joint.headline());
    }
}

/// K++'s memory has no prior: its own terms are the conditional bound, and it says so.
#[test]
fn kanerva_plus_plus_reports_a_conditional_bound_and_no_joint_one() {
    let _rng = device_rng();
    let data = images();
    let model = kpp();
    assert_eq!(model.headline_bound(), HeadlineBound::Conditional);
    let own = bound(model.as_ref(), &data, Scoring::ModelTerms).headline();
    let conditional = bound(model.as_ref(), &data, Scoring::Conditional).headline();
    assert!((own - conditional).abs() < 1e-3 * own, "{own} vs {conditional}");
}

/// The KM's joint bound writes with sampled addresses and pays KL(M); its conditional bound
/// writes at the means and holds M fixed, with p(z | y, M) = N(Mᵀw, σξ²) (no read variance).
/// Both exist, and the conditional one is the sum of its terms.
#[test]
fn the_km_has_both_bounds() {
    let _rng = device_rng();
    let data = images();
    let model = km();
    let joint = bound(model.as_ref(), &data, Scoring::ModelTerms);
    let conditional = bound(model.as_ref(), &data, Scoring::Conditional);
    assert!(joint.headline().is_finite() && conditional.headline().is_finite());
    let sum: f64 = ["recon_nats", "kl_addressing_nats", "kl_code_nats"].iter().map(|k| conditional.terms.get(k).unwrap()).sum();
    assert!((sum - conditional.headline()).abs() < 1e-3 * sum, "the conditional bound is the sum of its terms");
}

/// The other-episode control exists for every kind with a bound and scores the same images.
#[test]
fn another_episodes_memory_can_be_scored_for_every_kind_with_a_bound() {
    let _rng = device_rng();
    let data = images();
    for model in [dkm(), km(), kpp(), pkm()] {
        let other = bound(model.as_ref(), &data, Scoring::OtherEpisodeMemory);
        assert!(other.headline().is_finite(), "{}", model.kind());
        assert_eq!(other.episodes, EPISODES);
    }
}

fn eval(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kanerva")).arg("eval").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn eval_names_both_bounds_and_refuses_what_a_model_cannot_do() {
    let _rng = device_rng();
    let (ok, out, err) = eval(&["--checkpoint", "assets/dkm_mnist.ckpt", "--data", "embedded:mnist-test", "--episodes", "2", "--memory-gain", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (joint, conditional, kl_m) = (v["joint_nats_per_image"].as_f64().unwrap(), v["conditional_nats_per_image"].as_f64().unwrap(), v["kl_memory_nats"].as_f64().unwrap());
    assert!((joint - kl_m - conditional).abs() < 1e-3 * joint, "{v}");
    assert!(v["memory_gain_nats"].as_f64().unwrap().is_finite());
    // Plug-in values are named as such.
    let (ok, out, err) = eval(&["--checkpoint", "assets/dkm_mnist.ckpt", "--data", "embedded:mnist-test", "--episodes", "2", "--mean-w", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("joint_nats_per_image").is_none() && v["joint_plug_in_nats_per_image"].is_f64(), "{v}");
    assert!(v["estimate"].as_str().unwrap().contains("not a bound"));
    // The memory drawn from q(M): the same KLs, a worse reconstruction (measured about 100
    // nats per image worse than the mean read, docs/family.md).
    let (ok, out, err) = eval(&["--checkpoint", "assets/dkm_mnist.ckpt", "--data", "embedded:mnist-test", "--episodes", "1", "--sample-memory", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let strict = &v["sampled_memory_terms"];
    assert!(v["joint_sampled_memory_nats_per_image"].as_f64().unwrap() > v["joint_nats_per_image"].as_f64().unwrap() + 20.0, "{v}");
    for key in ["kl_addressing_nats", "kl_memory_nats"] {
        assert!((strict[key].as_f64().unwrap() - v[key].as_f64().unwrap()).abs() < 1e-3 * v[key].as_f64().unwrap().abs().max(1.0), "{key}: {v}");
    }
    // Refined posteriors: both bounds again, tighter, beside the amortised ones.
    let (ok, out, err) = eval(&["--checkpoint", "assets/dkm_mnist.ckpt", "--data", "embedded:mnist-test", "--episodes", "1", "--refine-addresses", "30", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let refined = &v["refined_addresses"];
    assert_eq!(refined["steps"].as_u64(), Some(30), "{v}");
    assert!(refined["nats_per_image"].as_f64().unwrap() < v["joint_nats_per_image"].as_f64().unwrap(), "{v}");
    assert!(refined["conditional_nats_per_image"].as_f64().unwrap() < v["conditional_nats_per_image"].as_f64().unwrap(), "{v}");
    // K++ says why it has no joint bound.
    let (ok, out, err) = eval(&["--checkpoint", "assets/kpp_mnist.ckpt", "--data", "embedded:mnist-test", "--episodes", "2", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("joint_nats_per_image").is_none() && v["joint_bound"].as_str().unwrap().starts_with("none:"), "{v}");
    for (args, expected) in [
        (vec!["--checkpoint", "assets/dkm_mnist.ckpt", "--importance-samples", "0"], "--importance-samples"),
        (vec!["--checkpoint", "assets/ebmm_mnist.ckpt", "--memory-gain"], "not a bound"),
        (vec!["--checkpoint", "assets/dkm_mnist.ckpt", "--memory-gain"], "another episode's memory"),
        (vec!["--checkpoint", "assets/kpp_mnist.ckpt", "--refine-addresses", "1"], "no addressing posterior"),
        (vec!["--checkpoint", "assets/km_mnist.ckpt", "--sample-memory"], "the DKM's"),
        (vec!["--checkpoint", "assets/dkm_mnist.ckpt", "--sample-memory", "--mean-w"], "--sample-memory"),
        (vec!["--checkpoint", "assets/dkm_mnist.ckpt", "--refine-addresses", "1", "--mean-w"], "--refine-addresses"),
    ] {
        let mut all = args.clone();
        all.extend(["--data", "embedded:mnist-test", "--episodes", "1"]);
        let (ok, _, err) = eval(&all);
        assert!(!ok && err.contains(expected) && err.trim().lines().count() == 1, "{args:?}: {err}");
    }
    // --every-image scores each image once, a shorter last episode included.
    let subset = "embedded:mnist-test#labels=1..2";
    let count = to_model_size(load_named(subset).unwrap()).len();
    let size = if count % 32 == 0 { "31" } else { "32" };
    let (ok, out, err) = eval(&["--checkpoint", "assets/dkm_mnist.ckpt", "--data", subset, "--episode-size", size, "--every-image", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["images"].as_u64(), Some(count as u64), "{v}");
    assert!(v["joint_nats_per_image"].as_f64().unwrap().is_finite() && v["conditional_nats_per_image"].as_f64().unwrap().is_finite(), "{v}");
    let (ok, _, err) = eval(&["--checkpoint", "assets/dkm_mnist.ckpt", "--data", subset, "--episodes", "3", "--every-image"]);
    assert!(!ok && err.contains("--every-image"), "{err}");
}

/// On a PKM small enough to integrate (2 machines of one slot, so each w_c is a scalar), the
/// exact −ln p(x | M) = −ln (1/N) Σ_c ∫ p(x | d(w M_c)) N(w; 0, σp²) dw by quadrature lies below
/// the enumerated conditional bound (−ELBO, averaged over 64 draws) and below the
/// importance-weighted bound with 64 samples, which lies below the −ELBO (0.2 nats for the
/// Monte Carlo noise; measured: exact 569.51, IWAE-64 574.37, −ELBO 576.71).
#[test]
fn the_pkm_bound_lies_above_the_exact_likelihood_of_a_model_small_enough_to_integrate() {
    let _rng = device_rng();
    use burn::tensor::{Tensor, TensorData};
    use kanerva::model::TrainableModel;
    use kanerva::model::bernoulli_log_likelihood;
    let dev = inference_device();
    let mut config = PkmConfig::new().with_seed(9).with_machines(2);
    config.memory.slots = 1;
    config.memory.code_size = 4;
    let model = config.init(&dev);
    let t = 4;
    let data = images().subset(&(0..t).collect::<Vec<_>>());
    let x: Vec<f32> = (0..t).flat_map(|i| data.binary_image(i).pixels).collect();
    let episode = Tensor::<3>::from_data(TensorData::new(x.clone(), [1, t, 784]), &dev);
    // The machines' memory means M_c (K = 1: one row of C each).
    let means = model.write(episode.clone(), &config).state.mean; // [N, 1, C]
    let m: Vec<f32> = means.into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
    let (n, c, prior_std) = (2, 4, config.memory.w_prior_std);
    // Quadrature over w in ±8σp.
    let points = 801;
    let step = 16.0 * prior_std / (points - 1) as f64;
    let grid: Vec<f64> = (0..points).map(|g| -8.0 * prior_std + g as f64 * step).collect();
    let log_prior: Vec<f64> = grid.iter().map(|w| -0.5 * (w / prior_std).powi(2) - prior_std.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()).collect();
    let mut exact = 0.0;
    for i in 0..t {
        let image = &x[i * 784..(i + 1) * 784];
        let mut terms = Vec::with_capacity(n * points);
        for machine in 0..n {
            let row = &m[machine * c..(machine + 1) * c];
            let codes: Vec<f32> = grid.iter().flat_map(|&w| row.iter().map(move |&v| (w as f32) * v)).collect();
            let logits = model.decoder.forward(Tensor::<2>::from_data(TensorData::new(codes, [points, c]), &dev));
            let targets = Tensor::<2>::from_data(TensorData::new(image.repeat(points), [points, 784]), &dev);
            let ll: Vec<f64> = bernoulli_log_likelihood(targets, logits).into_data().convert::<f64>().try_into_vec::<f64>().unwrap();
            terms.extend(ll.iter().zip(&log_prior).map(|(l, p)| l + p + step.ln() - (n as f64).ln()));
        }
        let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        exact -= max + terms.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
    }
    let exact = exact / t as f64;
    let draws = 64;
    // The sampled conditional −ELBO under `config`, averaged over the draws.
    let mean_bound = |config: &PkmConfig| {
        (0..draws)
            .map(|_| {
                let terms = model.conditional_terms(episode.clone(), episode.clone(), config, true).unwrap();
                terms.terms[0].1.clone().into_data().convert::<f64>().try_into_vec::<f64>().unwrap()[0]
            })
            .sum::<f64>()
            / draws as f64
    };
    dev.seed(3);
    let elbo = mean_bound(&config);
    let log_w = model.log_importance_weights(episode.clone(), &config, 64).unwrap();
    let rows: Vec<f64> = log_w.into_data().convert::<f64>().try_into_vec::<f64>().unwrap();
    let iwae = -rows.chunks(64).map(|r| {
        let max = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        max + (r.iter().map(|v| (v - max).exp()).sum::<f64>() / 64.0).ln()
    }).sum::<f64>() / t as f64;
    eprintln!("exact −ln p(x|M) {exact:.3}, IWAE-64 {iwae:.3}, −ELBO {elbo:.3} (nats per image)");
    assert!(elbo.is_finite() && exact.is_finite() && iwae.is_finite());
    assert!(elbo >= exact - 0.2, "−ELBO {elbo} below the exact −ln p {exact}");
    assert!(iwae >= exact - 0.2, "IWAE-64 {iwae} below the exact −ln p {exact}");
    assert!(iwae <= elbo + 0.2, "IWAE-64 {iwae} above the −ELBO {elbo}");
    // q(c | x) restricted to each item's most likely machine (the write unchanged: the restriction
    // is the bound's, not the memory's) is another variational posterior: still above −ln p.
    let restricted = mean_bound(&config.clone().with_scored_machines(Some(1)));
    eprintln!("−ELBO with q on each item's top machine {restricted:.3}");
    assert!(restricted >= exact - 0.2, "restricted −ELBO {restricted} below the exact −ln p {exact}");
    // With k = N the restriction is no restriction.
    let all = config.clone().with_scored_machines(Some(2));
    dev.seed(5);
    let a = model.conditional_terms(episode.clone(), episode.clone(), &all, false).unwrap();
    dev.seed(5);
    let b = model.conditional_terms(episode.clone(), episode.clone(), &config, false).unwrap();
    let v = |t: &kanerva::model::LossTerms| t.terms[0].1.clone().into_data().convert::<f64>().try_into_vec::<f64>().unwrap()[0];
    assert!((v(&a) - v(&b)).abs() < 1e-6 * v(&b).abs(), "k = N: {} vs {}", v(&a), v(&b));
}

/// Every image scored once: 16 whole episodes and a last one of the 3 images left over, the
/// mean per image weighing each episode by its images; the other-episode control needs two
/// episodes, never scores an episode against its own memory, and writes whole episodes'
/// memories from whole episodes.
#[test]
fn every_image_scores_the_leftover_images_as_a_shorter_episode() {
    let _rng = device_rng();
    let set = to_model_size(load_named("embedded:mnist-test").unwrap());
    let data = set.subset(&(0..EPISODES * T + 3).collect::<Vec<_>>());
    let dev = inference_device();
    let model = dkm();
    let all = every_image_test_episodes(&data, T);
    assert_eq!((all.len(), all.last().unwrap().len()), (EPISODES + 1, 3));
    let score = |episodes: &[Vec<usize>], scoring| evaluate_bound(model.as_ref(), &data, episodes, false, scoring, &dev);
    let every = score(&all, Scoring::ModelTerms).unwrap();
    assert_eq!(every.images, EPISODES * T + 3);
    let whole = score(&all[..EPISODES], Scoring::ModelTerms).unwrap().headline();
    let rest = score(&all[EPISODES..], Scoring::ModelTerms).unwrap().headline();
    let expected = (whole * (EPISODES * T) as f64 + rest * 3.0) / (EPISODES * T + 3) as f64;
    assert!((every.headline() - expected).abs() < 1e-3 * expected, "{} against {expected}", every.headline());
    assert!(rest > whole, "a 3-image episode pays KL(M) over 3 images: {rest} against {whole}");
    assert!(score(&all[..1], Scoring::OtherEpisodeMemory).is_none());
    // The whole episode before the short one is scored against a whole one, not the 3 images.
    assert_eq!(score(&all, Scoring::OtherEpisodeMemory).unwrap().images, EPISODES * T + 3);
    let last_three = &all[EPISODES - 2..];
    let own = score(last_three, Scoring::Conditional).unwrap().headline();
    let other = score(last_three, Scoring::OtherEpisodeMemory).unwrap().headline();
    // Latents at their means, so the own memory would give the very same number (this
    // untrained memory matters little, hence no margin).
    assert_ne!(own, other, "the other episode's memory scored like the own one");
}
