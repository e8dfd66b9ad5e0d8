//! `kanerva bench --json`: medians of the hot paths after warm-up.

use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Distribution, Tensor};
use kanerva::backend::{inference_device, training_device};
use kanerva::memory::dkm::{self as mem, Addresser, WriteMode};
use kanerva::data::Image;
use kanerva::kernels::on_worker_thread;
use kanerva::memory::{AddressStep, AddressedRead, Addressing, AttractorMemory, ReadPlan};
use kanerva::model::{Arch, DkmAttractor, DkmConfig, bernoulli_log_likelihood, layer_shapes};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Encoder/decoder to time.
    #[arg(long, default_value = "simple")]
    pub arch: Arch,
    /// Write mode of the memory: static (one batched write, what `train` uses by default and
    /// the PyTorch reference's default) or sequential (official, dynamic addressing).
    #[arg(long, value_enum, default_value_t = WriteMode::default())]
    pub write_mode: WriteMode,
    /// Repetitions per measurement (after warm-up).
    #[arg(long, default_value_t = 20)]
    pub reps: usize,
    /// Also time the parts of a training step.
    #[arg(long)]
    pub breakdown: bool,
    /// Measure the explorer's frame time (headless) while playing a read and while training,
    /// instead of the model timings.
    #[arg(long)]
    pub ui: bool,
    /// Frames per UI scenario.
    #[arg(long, default_value_t = 600)]
    pub frames: usize,
    /// Time these trainable kinds instead (comma-separated, side by side in one run): a step
    /// of the real training loop, one read iteration, an episode write, peak resident memory.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub model: Vec<kanerva::catalog::ModelKind>,
    /// Time only the memory maths' forward + backward (write, address, read, KL), with the
    /// custom Cholesky/solve kernels and with their tensor-op forms, and nothing else.
    #[arg(long)]
    pub memory_maths: bool,
    /// Count the GPU kernel launches of a training step and of the memory maths (the `wgpu`
    /// build; the timings of such a run include the counting's logging).
    #[arg(long)]
    pub count_launches: bool,
    /// Print one JSON object (the table goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// The training batch the model timings use: B episodes of T images.
const EPISODES: usize = 16;
const EPISODE_LENGTH: usize = 32;

/// Median of `times` (the upper one of an even count).
pub(super) fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Median of `reps` timed runs of `f` after `warm` untimed ones, in ms.
pub(super) fn median_ms(reps: usize, warm: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..warm {
        f();
    }
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

/// With `on`, a counter of the GPU's kernel launches so far (set up before any device starts).
#[cfg(feature = "wgpu")]
fn start_counting_launches(on: bool) -> anyhow::Result<Option<impl Fn() -> usize>> {
    if !on {
        return Ok(None);
    }
    let log = std::env::temp_dir().join(format!("kanerva-launches-{}.log", std::process::id()));
    let counter = kanerva::kernels::launch_count::LaunchCounter::start(&log)?;
    Ok(Some(move || counter.launches()))
}

#[cfg(not(feature = "wgpu"))]
fn start_counting_launches(on: bool) -> anyhow::Result<Option<fn() -> usize>> {
    anyhow::ensure!(!on, "--count-launches needs the GPU build (cargo build --release --no-default-features --features wgpu): the CPU backend launches no kernels");
    Ok(None)
}

fn sync(t: Tensor<1>) {
    let _ = t.into_data();
}

/// Backward of `loss`, waiting until the device has run it (on a GPU, `backward` only queues
/// the work).
fn backward_synced(loss: Tensor<1>) {
    let device = loss.device();
    let _ = loss.backward();
    device.sync().expect("the device runs the backward");
}

/// Forward + backward of each "simple" layer at N images, burn's convolutions (flex's forward,
/// the generic backward) vs the fused im2col + GEMM ones (fast_conv.rs).
fn conv_layer_breakdown(n: usize, reps: usize, dev: &burn::tensor::Device, record: &mut dyn FnMut(&str, f64)) {
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use kanerva::kernels::fast_conv::{conv_transpose2d, conv2d, use_fused_convolutions};
    let strided = |cin, cout| Conv2dConfig::new([cin, cout], [4, 4]).with_stride([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(dev);
    let upsample = |cin, cout| ConvTranspose2dConfig::new([cin, cout], [4, 4]).with_stride([2, 2]).with_padding([1, 1]).init(dev);
    let (conv1, conv2, deconv1, deconv2) = (strided(1, 32), strided(32, 64), upsample(64, 32), upsample(32, 1));
    let input = |c: usize, side: usize| Tensor::<4>::random([n, c, side, side], Distribution::Normal(0.0, 1.0), dev).require_grad();
    let (x1, x2, x3, x4) = (input(1, 28), input(32, 14), input(64, 7), input(32, 14));
    for generic in [true, false] {
        use_fused_convolutions(!generic);
        let path = if generic { "generic" } else { "fused" };
        record(&format!("conv_1x32_{path}_fwd_bwd_ms"), median_ms(reps, 2, || { backward_synced(conv2d(&conv1, x1.clone()).sum()); }));
        record(&format!("conv_32x64_{path}_fwd_bwd_ms"), median_ms(reps, 2, || { backward_synced(conv2d(&conv2, x2.clone()).sum()); }));
        record(&format!("deconv_64x32_{path}_fwd_bwd_ms"), median_ms(reps, 2, || { backward_synced(conv_transpose2d(&deconv1, x3.clone()).sum()); }));
        record(&format!("deconv_32x1_{path}_fwd_bwd_ms"), median_ms(reps, 2, || { backward_synced(conv_transpose2d(&deconv2, x4.clone()).sum()); }));
    }
    use_fused_convolutions(true);
}

/// The memory maths of a training step (write, address, read, the memory's KL) forward and
/// backward, with the custom Cholesky/solve kernels and with burn's tensor-op forms; with a
/// launch counter, each one's kernel launches too.
fn memory_maths_breakdown(
    model: &kanerva::model::Dkm,
    cfg: &mem::MemoryConfig,
    [b, t]: [usize; 2],
    reps: usize,
    record: &mut dyn FnMut(&str, f64),
    counted: &dyn Fn(&str, &mut dyn FnMut()) -> Option<(String, usize)>,
) -> Vec<Option<(String, usize)>> {
    let codes = Tensor::<3>::random([b, t, cfg.code_size], Distribution::Normal(0.0, 1.0), &training_device()).require_grad();
    let mut memory_maths = || {
        let (state, _) = mem::write(model.memory_prior(b), codes.clone(), cfg);
        let w = mem::address(codes.clone(), state.mean.clone(), cfg);
        let loss = mem::read(w, state.mean.clone()).sum() + mem::kl_memory(&state, model.prior_mean.val(), model.prior_log_var.val()).sum();
        let grads = loss.backward();
        // Waits for the GPU's queue (a no-op wait on the CPU).
        sync(codes.grad(&grads).expect("the codes take a gradient").sum());
    };
    record("memory_fwd_bwd_ms", median_ms(reps, 2, &mut memory_maths));
    let with_kernels = counted("memory_fwd_bwd_launches", &mut memory_maths);
    kanerva::kernels::use_linalg_kernels(false);
    record("memory_fwd_bwd_tensor_ops_ms", median_ms(reps, 2, &mut memory_maths));
    let with_loops = counted("memory_fwd_bwd_tensor_ops_launches", &mut memory_maths);
    kanerva::kernels::use_linalg_kernels(true);
    vec![with_kernels, with_loops]
}

#[cfg(feature = "gui")]
fn run_ui(args: &BenchArgs) -> anyhow::Result<()> {
    use kanerva::app::frame_bench::{FrameScenario, measure};
    let mut all = Vec::new();
    for scenario in [FrameScenario::PlayingRead, FrameScenario::Training, FrameScenario::Landscape, FrameScenario::Experiment] {
        let stats = measure(scenario, args.frames, kanerva::app::Settings::default());
        eprintln!("{:?} ({}): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} frames; progress {}", stats.scenario, stats.model, stats.p50_ms, stats.p99_ms, stats.max_ms, stats.frames, stats.progress);
        all.push(stats);
    }
    if args.json {
        println!("{}", serde_json::json!({ "frame_time": all }));
    }
    Ok(())
}

#[cfg(not(feature = "gui"))]
fn run_ui(_args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("--ui needs the `gui` feature")
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.ui {
        return run_ui(&args);
    }
    if !args.model.is_empty() {
        let mut results = serde_json::Map::new();
        for &kind in &args.model {
            super::bench_models::bench_kind(kind, args.reps, &mut results)?;
        }
        if args.json {
            println!("{}", serde_json::Value::Object(results));
        }
        return Ok(());
    }
    let launches = start_counting_launches(args.count_launches)?;
    let (b, t) = (EPISODES, EPISODE_LENGTH);
    let mut config = DkmConfig::new().with_arch(args.arch);
    config.memory.write_mode = args.write_mode;
    let cfg = config.memory;
    let train_dev = training_device();
    let dev = inference_device();
    let mut results = serde_json::Map::new();
    let mut record = |name: &str, ms: f64| {
        // Times in ms, rates in GFLOP/s, counts without a unit.
        let unit = if name.ends_with("_ms") { " ms" } else if name.ends_with("gflops") { " GFLOP/s" } else if name.ends_with("_gflop") { " GFLOP" } else { "" };
        eprintln!("{name:<40} {ms:>9.3}{unit}");
        results.insert(name.to_string(), ms.into());
    };

    let images = |d| Tensor::<3>::random([b, t, 784], Distribution::Bernoulli(0.13), d);
    // One more run of `f`, its launches counted (nothing runs when not counting).
    let counted = |name: &str, f: &mut dyn FnMut()| -> Option<(String, usize)> {
        let count = launches.as_ref()?;
        let before = count();
        f();
        let n = count() - before;
        eprintln!("{name:<28} {n:>9} launches");
        Some((name.to_string(), n))
    };
    let mut model = config.init(&train_dev);
    if args.memory_maths {
        let counts = memory_maths_breakdown(&model, &cfg, [b, t], args.reps, &mut record, &counted);
        return print_results(args, &cfg, results, counts);
    }
    // (a) a full training step, B = 16 episodes of T = 32.
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let x = images(&train_dev);
    let mut train_step = || {
        let terms = model.episode_terms(x.clone(), &config, true);
        // As the training loop does (its NaN check): on a GPU this read also waits for the
        // previous step's queued work, so the median is the step's throughput, not its dispatch.
        sync(terms.loss.clone());
        let grads = GradientsParams::from_grads(terms.loss.backward(), &model);
        model = optim.step(3e-4, model.clone(), grads);
    };
    // On a rayon thread, as the training loop runs it (kernels::on_worker_thread).
    let step_ms = median_ms(args.reps, 3, || on_worker_thread(&mut train_step));
    record("train_step_ms", step_ms);
    // How close the step runs to the hardware: the networks' FLOPs (counted from the layer
    // shapes) over the step's time, and each layer alone on the step's B·T images.
    let step_gflop = layer_shapes::training_step_flops(args.arch, cfg.code_size, b * t) as f64 / 1e9;
    record("train_step_gflop", step_gflop);
    record("train_step_gflops", step_gflop / (step_ms / 1e3));
    let layers = super::bench_layers::time_layers(args.arch, cfg.code_size, b * t, args.reps);
    for l in &layers {
        record(&format!("layer.{}.fwd_bwd_ms", l.layer), l.fwd_bwd_ms);
        record(&format!("layer.{}.gflops", l.layer), l.gflops);
    }
    let layers_ms: f64 = layers.iter().map(|l| l.fwd_bwd_ms).sum();
    let layers_gflop: f64 = layers.iter().map(|l| l.gflop).sum();
    // Once each; the step runs the decoder twice, hence not the step's FLOPs.
    record("layers_once_fwd_bwd_ms", layers_ms);
    record("layers_once_gflops", layers_gflop / (layers_ms / 1e3));
    let mut launch_counts = vec![counted("train_step_launches", &mut train_step)];
    if args.breakdown {
        // The same step with burn's convolutions instead of the fused ones.
        kanerva::kernels::fast_conv::use_fused_convolutions(false);
        record("train_step_generic_conv_ms", median_ms(args.reps, 3, || on_worker_thread(&mut train_step)));
        kanerva::kernels::fast_conv::use_fused_convolutions(true);
        // The step without the optimizer (Adam's share is the difference).
        record(
            "train_fwd_bwd_ms",
            median_ms(args.reps, 3, || on_worker_thread(|| backward_synced(model.episode_terms(x.clone(), &config, true).loss))),
        );
        // Adam alone: each repetition's gradients made untimed, the optimizer step timed.
        let mut adam_ms = Vec::new();
        for rep in 0..args.reps + 3 {
            let grads = GradientsParams::from_grads(model.episode_terms(x.clone(), &config, true).loss.backward(), &model);
            let start = Instant::now();
            model = optim.step(3e-4, model.clone(), grads);
            sync(model.prior_mean.val().sum());
            if rep >= 3 {
                adam_ms.push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
        record("adam_step_ms", median(adam_ms));
        let activations = Tensor::<4>::random([b * t, 32, 14, 14], Distribution::Normal(0.0, 1.0), &train_dev).require_grad();
        record("relu_512x32x14x14_fwd_bwd_ms", median_ms(args.reps, 2, || { backward_synced(kanerva::kernels::parallel_relu::relu(activations.clone()).sum()); }));
        // The forward alone, burn's (one thread) and the threaded one the networks use.
        let plain = activations.clone().inner();
        record("relu_burn_512x32x14x14_fwd_ms", median_ms(args.reps, 2, || sync(burn::tensor::activation::relu(plain.clone()).slice([0..1, 0..1, 0..1, 0..1]).reshape([1]))));
        record("relu_threaded_512x32x14x14_fwd_ms", median_ms(args.reps, 2, || sync(kanerva::kernels::parallel_relu::relu(plain.clone()).slice([0..1, 0..1, 0..1, 0..1]).reshape([1]))));
        conv_layer_breakdown(b * t, args.reps, &train_dev, &mut record);
        let flat = x.clone().reshape([b * t, 784]);
        // The likelihood of 512 images, fused (fused_bernoulli.rs) and as tensor ops.
        let logits = Tensor::<2>::random([b * t, 784], Distribution::Normal(0.0, 3.0), &train_dev).require_grad();
        record("bernoulli_generic_fwd_bwd_ms", median_ms(args.reps, 2, || { backward_synced(kanerva::model::bernoulli_log_likelihood_generic(flat.clone(), logits.clone()).sum()); }));
        record("bernoulli_fused_fwd_bwd_ms", median_ms(args.reps, 2, || { backward_synced(bernoulli_log_likelihood(flat.clone(), logits.clone()).sum()); }));
        record(
            "autoencoder_fwd_bwd_ms",
            median_ms(args.reps, 2, || {
                let ll = bernoulli_log_likelihood(flat.clone(), model.decoder.forward(model.encoder.forward(flat.clone())));
                backward_synced(ll.sum());
            }),
        );
        launch_counts.extend(memory_maths_breakdown(&model, &cfg, [b, t], args.reps, &mut record, &counted));
        let gram = Tensor::<3>::random([b, 32, 32], Distribution::Normal(0.0, 1.0), &dev);
        let spd = gram.clone().matmul(gram.swap_dims(1, 2)).add_scalar(0.0) + Tensor::<2>::eye(32, &dev).unsqueeze_dim::<3>(0).mul_scalar(32.0);
        record(
            "cholesky_16x32_fwd_ms",
            median_ms(args.reps, 2, || {
                let _ = kanerva::memory::linalg::cholesky(spd.clone()).into_data();
            }),
        );
    }

    // (b) one reading step for one query: encode, address (cached factor), read, decode.
    let infer = config.init(&dev);
    let one = Tensor::<3>::random([1, t, 784], Distribution::Bernoulli(0.13), &dev);
    let (state, _) = infer.write(one, &config);
    // As the explorer does: the address map is cached with the written memory.
    let addresser = Addresser::new(state.mean.clone(), &cfg).with_address_map();
    let query = Tensor::<2>::random([1, 784], Distribution::Bernoulli(0.13), &dev);
    let read_ms = median_ms(args.reps * 10, 5, || {
        let z = infer.encoder.forward(query.clone());
        let c = z.dims()[1];
        let w = addresser.address(z.reshape([1, 1, c]));
        let zhat = mem::read(w, state.mean.clone()).reshape([1, c]);
        sync(infer.decoder.forward(zhat).sum());
    });
    record("read_step_ms", read_ms);
    record("read_step_gflops", layer_shapes::read_step_flops(args.arch, cfg.code_size) as f64 / 1e9 / (read_ms / 1e3));
    if args.breakdown {
        // The reading step's parts, each synchronised on its own.
        let z = infer.encoder.forward(query.clone());
        let c = z.dims()[1];
        let codes = z.clone().reshape([1, 1, c]);
        let zhat = mem::read(addresser.address(codes.clone()), state.mean.clone()).reshape([1, c]);
        record("read_encode_ms", median_ms(args.reps * 10, 5, || sync(infer.encoder.forward(query.clone()).sum())));
        record("read_address_and_read_ms", median_ms(args.reps * 10, 5, || sync(mem::read(addresser.address(codes.clone()), state.mean.clone()).sum())));
        record("read_decode_ms", median_ms(args.reps * 10, 5, || sync(infer.decoder.forward(zhat.clone()).sum())));
        record("tensor_op_overhead_ms", median_ms(args.reps * 10, 5, || sync(zhat.clone().add_scalar(1.0).sum())));
    }
    // (b') one read iteration of one query as the explorer steps it, per addressing: the
    // optimised one adds the search (target: at most 5 ms, so Play never waits).
    {
        let mut memory = DkmAttractor::explorable("dkm", infer.clone(), config.clone(), dev.clone());
        let episode: Vec<Image> = (0..t).map(|i| Image::new(28, 28, (0..784).map(|p| f32::from((p * 7 + i * 13) % 11 == 0)).collect())).collect();
        memory.write(&episode).expect("the bench episode writes");
        let query = kanerva::data::Corruption::SaltPepper { p: 0.15 }.apply(&episode[0], 1);
        for addressing in Addressing::ALL {
            let plan = ReadPlan { addressing, ..ReadPlan::default() };
            let start = memory.form().start_read(&query, &plan).expect("a read starts");
            let mut steps = Vec::new();
            let ms = median_ms(args.reps * 10, 2, || {
                let next = memory.form().read_step(&start, &plan, 0).expect("a read step");
                if let Some(AddressStep::Optimised { steps: s }) = next.address_step {
                    steps.push(s as f64);
                }
            });
            record(&format!("read_iteration_{}_ms", addressing.name()), ms);
            if addressing == Addressing::Optimised {
                record("optimised_search_steps_taken", steps.iter().sum::<f64>() / steps.len().max(1) as f64);
            }
        }
    }
    // (c) write an episode of 32 images into a fresh memory (encode + address + update).
    let episode = Tensor::<3>::random([1, t, 784], Distribution::Bernoulli(0.13), &dev);
    record(
        "write_episode_ms",
        median_ms(args.reps * 5, 3, || {
            let (s, _) = infer.write(episode.clone(), &config);
            sync(s.logdet_cov);
        }),
    );
    print_results(args, &cfg, results, launch_counts)
}

/// Prints the results as one JSON object (with `--json`), launch counts and settings added.
fn print_results(args: BenchArgs, cfg: &mem::MemoryConfig, mut results: serde_json::Map<String, serde_json::Value>, launch_counts: Vec<Option<(String, usize)>>) -> anyhow::Result<()> {
    let (b, t) = (EPISODES, EPISODE_LENGTH);
    for (name, n) in launch_counts.into_iter().flatten() {
        results.insert(name, n.into());
    }
    if args.json {
        results.insert("arch".into(), args.arch.to_string().into());
        results.insert("B".into(), b.into());
        results.insert("T".into(), t.into());
        results.insert("write_mode".into(), format!("{:?}", cfg.write_mode).into());
        println!("{}", serde_json::Value::Object(results));
    }
    Ok(())
}
