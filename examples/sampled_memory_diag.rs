//! How much the DKM's bounds owe to reading from the memory's posterior mean R instead of a
//! draw M ~ q(M): the reconstruction term −ln p(x | d(Mᵀw)) both ways, with the same draws of
//! w (addressed against R, a valid q(w | x)), on test episodes of 32. With M drawn, recon +
//! KL(w) + KL(M)/T is an unbiased one-draw estimate of the strict joint −ELBO; with M = R it is
//! what every DKM bound here (and the official code) reports.
//!
//! `cargo run --release --example sampled_memory_diag -- CKPT DATA EPISODES [DRAWS]`
use burn::tensor::{Distribution, Tensor};
use kanerva::backend::inference_device;
use kanerva::catalog::load_checkpoint;
use kanerva::data::{PIXELS, load_named, to_model_size};
use kanerva::memory::dkm as mem;
use kanerva::model::{Dkm, bernoulli_log_likelihood};
use kanerva::train::{Trained, evaluation_batch, standard_test_episodes};

fn mean_of(t: Tensor<1>) -> f64 {
    t.mean().into_data().convert::<f64>().try_into_vec::<f64>().expect("float")[0]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: sampled_memory_diag CKPT DATA EPISODES [DRAWS]");
        std::process::exit(2);
    }
    let episodes: usize = args[3].parse().expect("EPISODES: a count");
    let draws: usize = args.get(4).map_or(1, |d| d.parse().expect("DRAWS: a count"));
    let device = inference_device();
    let loaded = load_checkpoint(std::path::Path::new(&args[1]), &device).unwrap();
    let trained = loaded.model.into_any().downcast::<Trained<Dkm>>().ok().expect("a DKM checkpoint");
    let (model, config) = (trained.model, trained.config);
    let set = to_model_size(load_named(&args[2]).unwrap());
    let all = standard_test_episodes(&set, 32, episodes);
    device.seed(0);
    let (mut at_mean, mut drawn, mut count) = (0.0, 0.0, 0usize);
    let (mut read_variance, mut code_square) = (0.0, 0.0);
    for chunk in all.chunks(25) {
        let images = evaluation_batch(&set, chunk, &device);
        let [b, t, _] = images.dims();
        let (state, codes) = model.write(images.clone(), &config);
        let mu = mem::address(codes, state.mean.clone(), &config.memory);
        let k = mu.dims()[2];
        let c = state.mean.dims()[2];
        let targets = images.reshape([b * t, PIXELS]);
        let recon = |memory: Tensor<3>, w: Tensor<3>| -> f64 {
            let logits = model.decoder.forward(mem::read(w, memory).reshape([b * t, c]));
            -mean_of(bernoulli_log_likelihood(targets.clone(), logits))
        };
        // The scale of the read's noise under q(M) (wᵀUw per code coordinate) against the
        // codes' own (mean square of z).
        let read_var = (mu.clone().matmul(state.cov.clone()) * mu.clone()).sum_dim(2).reshape([b * t]);
        read_variance += mean_of(read_var) * (b * t) as f64;
        code_square += mean_of(mem::read(mu.clone(), state.mean.clone()).square().mean_dim(2).reshape([b * t])) * (b * t) as f64;
        for _ in 0..draws {
            let eps = Tensor::random([b, t, k], Distribution::Normal(0.0, 1.0), (&device, mu.dtype()));
            let w = mu.clone() + eps * model.log_w_std.val().exp().reshape([1, 1, 1]);
            let noise = Tensor::random(state.mean.dims(), Distribution::Normal(0.0, 1.0), (&device, mu.dtype()));
            at_mean += recon(state.mean.clone(), w.clone()) * (b * t) as f64;
            drawn += recon(mem::sample_memory(&state, noise), w) * (b * t) as f64;
        }
        count += b * t * draws;
    }
    let (at_mean, drawn) = (at_mean / count as f64, drawn / count as f64);
    let images = (count / draws) as f64;
    println!("recon nats per image: M = R {at_mean:.3}, M ~ q(M) {drawn:.3}, difference {:.3} ({images} images x {draws} draws)", drawn - at_mean);
    println!("read variance per code coordinate (μᵀUμ) {:.4}; mean square of the read code (Rᵀμ)² {:.4}", read_variance / images, code_square / images);
}
