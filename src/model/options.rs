//! The options that shape a new model, shared by `kanerva train` and the explorer's train
//! panel. Each model kind reads the ones it uses ([`super::TrainableModel::config_from`]); the
//! defaults live here and nowhere else.

use crate::memory::dkm::WriteMode;

use super::Arch;

#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct ModelOptions {
    /// Encoder/decoder architecture: simple (two strided convolutions) or resnet (strided convolutions between residual blocks).
    #[arg(long, default_value_t = ModelOptions::default().arch)]
    pub arch: Arch,
    /// K, the number of memory slots (rows).
    #[arg(long, default_value_t = ModelOptions::default().slots)]
    pub slots: usize,
    /// C, the code size (columns of the memory).
    #[arg(long, default_value_t = ModelOptions::default().code_size)]
    pub code_size: usize,
    /// DKM: how an episode is written: static (one batched write, permutation invariant) or
    /// sequential (the official rank-one writes with dynamic addressing).
    #[arg(long, value_enum, default_value_t = ModelOptions::default().write_mode)]
    pub write_mode: WriteMode,
    /// PKM: N, the number of machines.
    #[arg(long, default_value_t = ModelOptions::default().machines)]
    pub machines: usize,
    /// PKM: K per machine, the slots of each machine's memory.
    #[arg(long, default_value_t = ModelOptions::default().slots_per_machine)]
    pub slots_per_machine: usize,
    /// K++: C_m, channels of the spatial memory.
    #[arg(long, default_value_t = ModelOptions::default().memory_channels)]
    pub memory_channels: usize,
    /// K++: S, side of the spatial memory (S × S cells).
    #[arg(long, default_value_t = ModelOptions::default().memory_side)]
    pub memory_side: usize,
    /// K++: k, side of the read window (k × k cells).
    #[arg(long, default_value_t = ModelOptions::default().window)]
    pub window: usize,
    /// EBMM: H, rows of the energy's fast weights (its memory: H × 785 floats, the rows and their offsets).
    #[arg(long, default_value_t = ModelOptions::default().hidden)]
    pub hidden: usize,
    /// EBMM: gradient steps of a write.
    #[arg(long, default_value_t = ModelOptions::default().write_steps)]
    pub write_steps: usize,
    /// EBMM: read steps in meta-training.
    #[arg(long, default_value_t = ModelOptions::default().read_steps)]
    pub read_steps: usize,
    /// KM: S, the size of the addressing latent y.
    #[arg(long, default_value_t = ModelOptions::default().address_size)]
    pub address_size: usize,
    /// DKM: weight of KL(w) in the training loss (unset: 1, the ELBO). The reported bound keeps
    /// weight 1.
    #[arg(long)]
    pub kl_addressing_weight: Option<f64>,
    /// DKM, PKM: weight of the autoencoder term in the training loss.
    #[arg(long, default_value_t = ModelOptions::default().ae_weight)]
    pub ae_weight: f64,
    /// DKM: σξ, the memory's observation noise (std in code space; also sets the addressing's
    /// ridge λ = σξ²/σp²). Unset: 1, or the source's with --fine-tune-from. Smaller values
    /// store the written codes more exactly and cost more KL(M).
    #[arg(long)]
    pub obs_noise_std: Option<f64>,
    /// DKM, training only (our design, not the paper's): address each item's reconstruction
    /// from a copy with this share of its pixels set to random bits (salt and pepper), the
    /// memory written from the clean episode; the loss stays a bound. Unset: none.
    #[arg(long)]
    pub query_noise: Option<f64>,
    /// DKM, training only: read each item from one draw M ~ q(M) per episode instead of the
    /// memory's posterior mean R (the paper's `sample_M` option), so the loss is the joint
    /// −ELBO strict in M (`eval --sample-memory` scores it). Unset: the mean read, every model
    /// before it. A resume repeats it (the card's config must match).
    #[arg(long)]
    pub sample_memory: bool,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            arch: Arch::Simple,
            slots: 32,
            code_size: 100,
            write_mode: WriteMode::default(),
            machines: 4,
            slots_per_machine: 8,
            memory_channels: 16,
            memory_side: 8,
            window: 4,
            hidden: 128,
            write_steps: 3,
            read_steps: 3,
            address_size: 32,
            kl_addressing_weight: None,
            ae_weight: 1.0,
            obs_noise_std: None,
            query_noise: None,
            sample_memory: false,
        }
    }
}
