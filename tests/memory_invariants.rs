//! Invariants of the DKM memory (spec §16, items 1-11), checked in f64 on the real tensor code
//! against an independent dense reference. Each test's name states its invariant.

mod common;

use burn::tensor::Tensor;
use common::dense::{Mat, gaussian_kl};
use common::{batch_item, device, max_abs_diff, randn, t64, values};
use kanerva::memory::dkm::{
    self, AddressingMode, MemoryConfig, MemoryState, WriteMode, kl_addressing, kl_memory, kl_memory_official,
};
use kanerva::rng::SplitMix64;
use proptest::prelude::*;

const B: usize = 2;
const K: usize = 8;
const C: usize = 5;
const T: usize = 6;

fn config(noise_std: f64) -> MemoryConfig {
    MemoryConfig {
        slots: K,
        code_size: C,
        obs_noise_std: noise_std,
        ..MemoryConfig::default()
    }
}

/// A prior with random R0 and u0 = exp(s) + 1e-6.
fn prior(rng: &mut SplitMix64, log_var: f64) -> (Tensor<2>, Tensor<1>, MemoryState) {
    let dev = device();
    let r0 = randn([K, C], rng, &dev);
    let s = t64(vec![log_var], [1], &dev);
    let state = MemoryState::prior(r0.clone(), s.clone(), B);
    (r0, s, state)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    #[test]
    fn batched_write_equals_sequential_rank_one_writes_and_information_form(seed in 0u64..1_000_000, noise in 0.2f64..2.0, log_var in -1.0f64..1.0) {
        let mut rng = SplitMix64::new(seed);
        let dev = device();
        let cfg = config(noise);
        let (_, _, state) = prior(&mut rng, log_var);
        let z = randn([B, T, C], &mut rng, &dev);
        let w = randn([B, T, K], &mut rng, &dev);
        let batched = dkm::write_batched(state.clone(), z.clone(), w.clone(), &cfg);
        let sequential = dkm::write_sequential_fixed(state.clone(), z.clone(), w.clone(), &cfg);
        prop_assert!(max_abs_diff(&values(&batched.mean), &values(&sequential.mean)) < 1e-10);
        prop_assert!(max_abs_diff(&values(&batched.cov), &values(&sequential.cov)) < 1e-10);
        prop_assert!(max_abs_diff(&values(&batched.logdet_cov), &values(&sequential.logdet_cov)) < 1e-10);
        // Information form: U' = (U⁻¹ + WᵀW/σξ²)⁻¹, R' = U'(U⁻¹R + WᵀZ/σξ²).
        for b in 0..B {
            let (u, r) = (batch_item(&state.cov, b), batch_item(&state.mean, b));
            let (wb, zb) = (batch_item(&w, b), batch_item(&z, b));
            let nv = noise * noise;
            let u_post = u.inv().add(&wb.t().mul(&wb).scale(1.0 / nv)).inv();
            let r_post = u_post.mul(&u.inv().mul(&r).add(&wb.t().mul(&zb).scale(1.0 / nv)));
            prop_assert!(max_abs_diff(&batch_item(&batched.cov, b).v, &u_post.v) < 1e-9);
            prop_assert!(max_abs_diff(&batch_item(&batched.mean, b).v, &r_post.v) < 1e-9);
        }
    }

    #[test]
    fn covariance_stays_symmetric_psd_with_exact_logdet_and_trace_never_increases(seed in 0u64..1_000_000, episodes in 1usize..5) {
        let mut rng = SplitMix64::new(seed);
        let dev = device();
        let cfg = config(0.5);
        let (_, _, mut state) = prior(&mut rng, 0.0);
        let mut trace_before: Vec<f64> = (0..B).map(|b| batch_item(&state.cov, b).trace()).collect();
        for _ in 0..episodes {
            let z = randn([B, T, C], &mut rng, &dev).mul_scalar(2.0);
            state = dkm::write(state, z, &cfg).0;
            for b in 0..B {
                let u = batch_item(&state.cov, b);
                prop_assert!(max_abs_diff(&u.v, &u.t().v) < 1e-12, "U not symmetric");
                let min_eig = u.sym_eigenvalues().into_iter().fold(f64::INFINITY, f64::min);
                prop_assert!(min_eig > -1e-10, "min eigenvalue {min_eig}");
                let trace = u.trace();
                prop_assert!(trace <= trace_before[b] + K as f64 * 1e-6, "trace rose {} -> {trace}", trace_before[b]);
                trace_before[b] = trace;
                let tracked = values(&state.logdet_cov)[b];
                prop_assert!((tracked - u.logdet_spd()).abs() < 1e-8, "tracked ln det {tracked} vs {}", u.logdet_spd());
            }
        }
    }

    #[test]
    fn memory_kl_matches_brute_force_matrix_normal_kl_and_bounds_the_diagonal_kl(seed in 0u64..1_000_000, log_var in -0.5f64..0.5) {
        let mut rng = SplitMix64::new(seed);
        let dev = device();
        let cfg = config(0.8);
        let (r0, s, state) = prior(&mut rng, log_var);
        let z = randn([B, T, C], &mut rng, &dev);
        let (post, _) = dkm::write(state, z, &cfg);
        let kl = values(&kl_memory(&post, r0.clone(), s.clone()));
        let official = values(&kl_memory_official(&post, r0.clone(), s.clone()));
        let u0 = log_var.exp() + 1e-6;
        let prior_cov = Mat::eye(C).kron(&Mat::eye(K).scale(u0));
        let vec_cols = |m: &Mat| (0..C).flat_map(|c| (0..K).map(move |k| (k, c))).map(|(k, c)| m.at(k, c)).collect::<Vec<_>>();
        let r0_dense = Mat::new(K, C, values(&r0));
        for b in 0..B {
            let post_cov = Mat::eye(C).kron(&batch_item(&post.cov, b));
            let brute = gaussian_kl(&vec_cols(&batch_item(&post.mean, b)), &post_cov, &vec_cols(&r0_dense), &prior_cov);
            prop_assert!((kl[b] - brute).abs() < 1e-8 * brute.abs().max(1.0), "KL {} vs brute force {brute}", kl[b]);
            prop_assert!(kl[b] >= 0.0);
            // Hadamard: Σ ln U_kk >= ln det U, so exact KL >= diagonal KL = official / 2.
            prop_assert!(kl[b] >= official[b] / 2.0 - 1e-9);
        }
    }

    #[test]
    fn address_solves_the_ridge_normal_equations_and_minimises_the_ridge_objective(seed in 0u64..1_000_000, noise in 0.1f64..2.0) {
        let mut rng = SplitMix64::new(seed);
        let dev = device();
        let cfg = config(noise);
        let r = randn([B, K, C], &mut rng, &dev);
        let z = randn([B, T, C], &mut rng, &dev);
        let w = dkm::address(z.clone(), r.clone(), &cfg);
        let lambda = cfg.ridge_lambda();
        for b in 0..B {
            let (rb, zb, wb) = (batch_item(&r, b), batch_item(&z, b), batch_item(&w, b));
            let closed = rb.mul(&rb.t()).add(&Mat::eye(K).scale(lambda)).inv().mul(&rb).mul(&zb.t()).t();
            prop_assert!(max_abs_diff(&wb.v, &closed.v) < 1e-9);
            let objective = |wt: &Mat, t: usize| -> f64 {
                let wrow = Mat::new(1, K, wt.v[t * K..(t + 1) * K].to_vec());
                let resid = Mat::new(1, C, zb.v[t * C..(t + 1) * C].to_vec()).sub(&wrow.mul(&rb));
                resid.v.iter().map(|x| x * x).sum::<f64>() + lambda * wrow.v.iter().map(|x| x * x).sum::<f64>()
            };
            for t in 0..T {
                let best = objective(&wb, t);
                for _ in 0..5 {
                    let mut nudged = wb.clone();
                    for k in 0..K {
                        nudged.v[t * K + k] += 1e-3 * rng.normal();
                    }
                    prop_assert!(objective(&nudged, t) >= best, "a perturbation lowered the ridge objective");
                }
            }
        }
    }
}

#[test]
fn cached_address_map_equals_the_substitution_solve() {
    let dev = device();
    let mut rng = SplitMix64::new(17);
    for mode in [AddressingMode::Ridge, AddressingMode::OfficialTf] {
        let cfg = MemoryConfig { addressing: mode, ..config(0.6) };
        let r = randn([B, K, C], &mut rng, &dev);
        let z = randn([B, T, C], &mut rng, &dev);
        let plain = dkm::Addresser::new(r.clone(), &cfg).address(z.clone());
        let cached = dkm::Addresser::new(r, &cfg).with_address_map().address(z);
        assert!(max_abs_diff(&values(&plain), &values(&cached)) < 1e-9, "{mode:?}");
    }
}

#[test]
fn memory_kl_is_zero_at_the_prior() {
    let mut rng = SplitMix64::new(1);
    let (r0, s, state) = prior(&mut rng, 0.3);
    for v in values(&kl_memory(&state, r0, s)) {
        assert!(v.abs() < 1e-9, "KL at the prior {v}");
    }
}

#[test]
fn writing_then_reading_recovers_the_codes_better_as_noise_shrinks() {
    let dev = device();
    let mut errors = Vec::new();
    for noise in [1.0, 0.3, 0.1, 0.01] {
        let mut rng = SplitMix64::new(42);
        let cfg = MemoryConfig {
            write_mode: WriteMode::StaticBatched,
            ..config(noise)
        };
        let (_, _, state) = prior(&mut rng, 0.0);
        let z = randn([B, T, C], &mut rng, &dev);
        // T = 6 <= K = 8 items with random (full row rank) weights.
        let w = randn([B, T, K], &mut rng, &dev);
        let post = dkm::write_batched(state, z.clone(), w, &cfg);
        let read_back = dkm::read(dkm::address(z.clone(), post.mean.clone(), &cfg), post.mean.clone());
        let err = max_abs_diff(&values(&read_back), &values(&z));
        let norm = values(&z).iter().map(|x| x.abs()).fold(0.0, f64::max);
        errors.push(err / norm);
    }
    assert!(errors.windows(2).all(|p| p[1] < p[0]), "not monotone: {errors:?}");
    assert!(*errors.last().unwrap() < 1e-3, "{errors:?}");
}

#[test]
fn ridge_and_official_addressing_agree_as_lambda_vanishes_and_recover_planted_weights() {
    let dev = device();
    let mut rng = SplitMix64::new(5);
    let r = randn([B, K, C + 4], &mut rng, &dev); // rank K <= C
    let w0 = randn([B, T, K], &mut rng, &dev);
    let z = w0.clone().matmul(r.clone());
    let mut gaps = Vec::new();
    for noise in [1.0, 0.1, 0.01, 0.001] {
        let ridge = dkm::address(z.clone(), r.clone(), &MemoryConfig { code_size: C + 4, ..config(noise) });
        let official = dkm::address(
            z.clone(),
            r.clone(),
            &MemoryConfig { code_size: C + 4, addressing: AddressingMode::OfficialTf, ..config(noise) },
        );
        gaps.push(max_abs_diff(&values(&ridge), &values(&official)));
        if noise == 0.001 {
            assert!(max_abs_diff(&values(&ridge), &values(&w0)) < 1e-4);
        }
    }
    assert!(gaps[0] > 1e-3, "the two forms should differ at λ = 1: {gaps:?}");
    assert!(gaps[3] < 1e-4 && gaps.windows(2).all(|p| p[1] < p[0]), "{gaps:?}");
}

#[test]
fn static_write_is_permutation_invariant_and_sequential_write_is_not() {
    let dev = device();
    let mut rng = SplitMix64::new(11);
    let (_, _, state) = prior(&mut rng, 0.0);
    let z = randn([B, T, C], &mut rng, &dev);
    let reversed = Tensor::cat((0..T).rev().map(|t| z.clone().slice([0..B, t..t + 1, 0..C])).collect(), 1);
    let run = |mode, codes: Tensor<3>| dkm::write(state.clone(), codes, &MemoryConfig { write_mode: mode, ..config(0.5) }).0;
    let (a, b) = (run(WriteMode::StaticBatched, z.clone()), run(WriteMode::StaticBatched, reversed.clone()));
    assert!(max_abs_diff(&values(&a.mean), &values(&b.mean)) < 1e-10);
    assert!(max_abs_diff(&values(&a.cov), &values(&b.cov)) < 1e-10);
    let (a, b) = (run(WriteMode::Sequential, z), run(WriteMode::Sequential, reversed));
    assert!(max_abs_diff(&values(&a.mean), &values(&b.mean)) > 1e-6, "order should matter with dynamic addressing");
}

#[test]
fn addressing_kl_matches_the_diagonal_gaussian_formula() {
    let dev = device();
    let mut rng = SplitMix64::new(3);
    let w = randn([B, T, K], &mut rng, &dev);
    let sigma_w: f64 = 0.3;
    let kl = values(&kl_addressing(w.clone(), t64(vec![sigma_w.ln()], [1], &dev), 1.0));
    let wv = values(&w);
    for i in 0..B * T {
        let expect: f64 = (0..K).map(|k| (1.0 / sigma_w).ln() + (sigma_w.powi(2) + wv[i * K + k].powi(2)) / 2.0 - 0.5).sum();
        assert!((kl[i] - expect).abs() < 1e-10);
        assert!(kl[i] >= 0.0);
    }
}

#[test]
fn sampled_memory_columns_have_covariance_u() {
    let dev = device();
    let mut rng = SplitMix64::new(8);
    let (_, _, state) = prior(&mut rng, 0.0);
    let z = randn([B, T, C], &mut rng, &dev);
    let post = dkm::write(state, z, &config(0.5)).0.episode(0);
    let u = batch_item(&post.cov, 0);
    // Many draws at once: a batch of S copies of the same state.
    let s = 4000;
    let tiled = MemoryState {
        mean: post.mean.clone().repeat_dim(0, s),
        cov: post.cov.clone().repeat_dim(0, s),
        logdet_cov: post.logdet_cov.clone().repeat_dim(0, s),
    };
    let draws = dkm::sample_memory(&tiled, randn([s, K, C], &mut rng, &dev)) - post.mean.clone().repeat_dim(0, s);
    let d = values(&draws); // [S, K, C]; every column is one N(0, U) draw
    let mut emp = Mat::zeros(K, K);
    for i in 0..s {
        for c in 0..C {
            for a in 0..K {
                for b in 0..K {
                    emp.v[a * K + b] += d[i * K * C + a * C + c] * d[i * K * C + b * C + c];
                }
            }
        }
    }
    let emp = emp.scale(1.0 / (s * C) as f64);
    let scale = u.v.iter().map(|x| x.abs()).fold(0.0, f64::max);
    assert!(max_abs_diff(&emp.v, &u.v) < 0.05 * scale, "{:?} vs {:?}", emp.v, u.v);
}

#[test]
fn linear_code_space_reading_never_increases_its_energy() {
    // Spec §8.3: E(z, w) = ½‖z − Rᵀw‖²/σξ² + ½‖w‖²/σp²; w <- ridge(z), z <- Rᵀw is exact
    // coordinate descent, so E is non-increasing at every half-step.
    let dev = device();
    let mut rng = SplitMix64::new(21);
    let cfg = config(0.7);
    let r = randn([1, K, C], &mut rng, &dev);
    let mut z = randn([1, 1, C], &mut rng, &dev).mul_scalar(3.0);
    let mut w = Tensor::zeros([1, 1, K], (&dev, burn::tensor::DType::F64));
    let energy = |z: &Tensor<3>, w: &Tensor<3>| {
        let resid = values(&(z.clone() - w.clone().matmul(r.clone())));
        let wn = values(w);
        0.5 * resid.iter().map(|x| x * x).sum::<f64>() / cfg.obs_noise_var() + 0.5 * wn.iter().map(|x| x * x).sum::<f64>()
    };
    let mut last = energy(&z, &w);
    for _ in 0..20 {
        w = dkm::address(z.clone(), r.clone(), &cfg);
        let e = energy(&z, &w);
        assert!(e <= last + 1e-12, "address step raised E: {last} -> {e}");
        z = dkm::read(w.clone(), r.clone());
        let e2 = energy(&z, &w);
        assert!(e2 <= e + 1e-12, "read step raised E: {e} -> {e2}");
        last = e2;
    }
}

#[test]
fn gradients_flow_to_the_prior_mean_and_log_variance_and_match_finite_differences() {
    let dev = device();
    let grad_dev = dev.clone().autodiff();
    let mut rng = SplitMix64::new(4);
    let cfg = config(0.9);
    let r0_vals: Vec<f64> = (0..K * C).map(|_| rng.normal()).collect();
    let z_vals: Vec<f64> = (0..B * T * C).map(|_| rng.normal()).collect();
    let s_val = 0.2;
    // Loss: KL(M) + read reconstruction error after a sequential write (all through the solves).
    let loss = |r0: Tensor<2>, s: Tensor<1>, d| -> Tensor<1> {
        let z = t64(z_vals.clone(), [B, T, C], d);
        let state = MemoryState::prior(r0.clone(), s.clone(), B);
        let (post, _) = dkm::write(state, z.clone(), &cfg);
        let zhat = dkm::read(dkm::address(z.clone(), post.mean.clone(), &cfg), post.mean.clone());
        kl_memory(&post, r0, s).sum() + (zhat - z).square().sum()
    };
    let r0 = t64(r0_vals.clone(), [K, C], &grad_dev).require_grad();
    let s = t64(vec![s_val], [1], &grad_dev).require_grad();
    let grads = loss(r0.clone(), s.clone(), &grad_dev).backward();
    let g_r0 = values(&r0.grad(&grads).expect("no gradient reached R0"));
    let g_s = values(&s.grad(&grads).expect("no gradient reached s"))[0];
    let eval = |r0v: Vec<f64>, sv: f64| values(&loss(t64(r0v, [K, C], &dev), t64(vec![sv], [1], &dev), &dev))[0];
    let h = 1e-6;
    let fd_s = (eval(r0_vals.clone(), s_val + h) - eval(r0_vals.clone(), s_val - h)) / (2.0 * h);
    assert!((g_s - fd_s).abs() < 1e-5 * fd_s.abs().max(1.0), "ds: autodiff {g_s} vs fd {fd_s}");
    for idx in [0, 7, K * C - 1] {
        let (mut plus, mut minus) = (r0_vals.clone(), r0_vals.clone());
        plus[idx] += h;
        minus[idx] -= h;
        let fd = (eval(plus, s_val) - eval(minus, s_val)) / (2.0 * h);
        assert!((g_r0[idx] - fd).abs() < 1e-5 * fd.abs().max(1.0), "dR0[{idx}]: autodiff {} vs fd {fd}", g_r0[idx]);
    }
}
