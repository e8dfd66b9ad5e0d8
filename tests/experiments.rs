//! Every built-in experiment's quick protocol runs, writes its JSON record, CSV and PNG plots,
//! and shows a property that must hold; the same seeds give the same record.

mod common;

use common::device_rng;
use kanerva::experiment::{ExperimentRecord, built_in, find, run};

fn quick(name: &str) -> (ExperimentRecord, tempfile::TempDir) {
    let _turn = device_rng();
    let spec = find(name).unwrap();
    let record = run(&spec, true, &format!("kanerva experiment run {name} --quick"), &mut |_| true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let written = record.write(dir.path()).unwrap();
    // The record reads back as written; the CSV has a row a point; every plot is a PNG.
    let back: ExperimentRecord = serde_json::from_slice(&std::fs::read(&written.json).unwrap()).unwrap();
    assert_eq!(back, record);
    let rows = std::fs::read_to_string(&written.csv).unwrap().lines().count() - 1;
    assert_eq!(rows, record.series.iter().map(|s| s.points.len()).sum::<usize>());
    assert_eq!(written.pngs.len(), record.plots.len());
    for png in &written.pngs {
        let image = image::open(png).unwrap();
        assert_eq!((image.width(), image.height()), (960, 540), "{}", png.display());
    }
    for plot in &record.plots {
        assert!(record.series_of(&plot.id).any(|s| !s.points.is_empty()), "{name}: plot {} is empty", plot.id);
    }
    (record, dir)
}

/// The points of series `name` of plot `plot`.
fn points(record: &ExperimentRecord, plot: &str, name: &str) -> Vec<[f64; 2]> {
    record.series_of(plot).find(|s| s.name == name).unwrap_or_else(|| panic!("no series {name:?} in {plot}: {:?}", record.series_of(plot).map(|s| &s.name).collect::<Vec<_>>())).points.clone()
}

#[test]
fn at_least_the_six_experiments_are_listed_each_with_the_papers_protocol_and_ours() {
    let all = built_in();
    for name in ["iterative-reading", "capacity-bound", "distortion-rate", "classical-capacity", "product-machines", "conditional-likelihood"] {
        let spec = all.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name} is missing"));
        assert!(spec.protocol_paper.len() > 40 && spec.protocol_ours.len() > 40 && spec.paper.len() > 20, "{name}");
    }
}

#[test]
fn iterative_reading_the_dkm_reads_below_its_query_error_and_guarded_reads_never_rise() {
    let (record, _dir) = quick("iterative-reading");
    // The optimised read descends the energy further but ends farther from the stored items
    // on this protocol (0.078 -> 0.086 in the quick run): a lower energy is not a better recall.
    for addressing in ["amortised", "guarded"] {
        let error = points(&record, "pixel-error-salt-pepper-0.15", &format!("dkm {addressing}"));
        assert_eq!(error.len(), 11);
        assert!(error[10][1] < error[0][1], "{addressing}: {error:?}");
    }
    for addressing in ["guarded", "optimised"] {
        let held = record.scalars[&format!("dkm {addressing} · salt-pepper:0.15 · share of steps whose energy did not rise")];
        assert_eq!(held, 1.0, "{addressing}");
    }
    assert_eq!(record.checkpoints.len(), 2, "the DKM's and the KM's weights: {:?}", record.checkpoints);
}

#[test]
fn classical_capacity_pseudo_inverse_recalls_and_hebb_breaks_down_with_the_load() {
    let (record, _dir) = quick("classical-capacity");
    let plot = "random-flip-0.1";
    let hebb = points(&record, plot, "hopfield");
    let pinv = points(&record, plot, "hopfield-pinv");
    assert_eq!(pinv[0][1], 0.0, "{pinv:?}");
    assert!(hebb[2][1] > hebb[0][1] + 0.05, "160 random patterns are past 0.138 N: {hebb:?}");
    assert!((hebb[0][0] - 10.0 / 784.0).abs() < 1e-12, "x is the load");
    // The trivial answers are there.
    assert_eq!(points(&record, plot, "return the query (reference)").len(), 3);
}

#[test]
fn distortion_rate_puts_every_memory_on_its_floats() {
    let (record, _dir) = quick("distortion-rate");
    for plot in ["data-occlude-10-4", "data-occlude-10-16"] {
        for name in ["hopfield", "modern-hopfield β=20", "dkm", "ebmm"] {
            let p = points(&record, plot, name);
            assert!(p.len() == 1 && p[0][0] > 0.0 && (0.0..=1.0).contains(&p[0][1]), "{name}: {p:?}");
        }
    }
    // A memory that keeps the patterns holds 4 times the numbers for 4 times the patterns, and
    // recalls 4 at least as well as 16.
    let (four, sixteen) = (points(&record, "data-occlude-10-4", "modern-hopfield β=20")[0], points(&record, "data-occlude-10-16", "modern-hopfield β=20")[0]);
    assert_eq!(sixteen[0], 4.0 * four[0]);
    assert!(four[1] <= sixteen[1], "{four:?} {sixteen:?}");
    assert!(record.plots[0].log_x);
    // The answers come from what was written: with nothing written, or another episode
    // written, each memory that remembers recalls 4 stored digits worse; a control sits at its
    // measurement's floats.
    for name in ["modern-hopfield β=20", "dkm", "ebmm"] {
        let measured = points(&record, "data-occlude-10-4", name)[0];
        for control in ["no-write", "other-episode"] {
            let controlled = points(&record, "data-occlude-10-4", &format!("{name} ({control} control)"))[0];
            assert_eq!(controlled[0], measured[0], "{name} {control}");
            assert!(controlled[1] > measured[1] + 0.03, "{name}: {control} control {controlled:?} against {measured:?}");
        }
    }
}

#[test]
fn corruption_memories_clean_up_mild_noise_and_not_from_another_episode() {
    let (record, _dir) = quick("corruption");
    let plot = &record.plots[0];
    assert_eq!(plot.id, "data-flip-0.1");
    let query = points(&record, &plot.id, "return the query (reference)");
    assert_eq!(query.iter().map(|p| p[0]).collect::<Vec<_>>(), vec![0.0, 0.1, 0.3], "x is the bit-flip probability");
    for name in ["hopfield-pinv", "modern-hopfield β=20", "dkm"] {
        let measured = points(&record, &plot.id, name);
        let other = points(&record, &plot.id, &format!("{name} (other-episode control)"));
        assert!(measured[1][1] < query[1][1] * 0.5, "{name} at 10% flips: {measured:?} against the query's {query:?}");
        for (m, o) in measured.iter().zip(&other) {
            assert!(o[1] > m[1], "{name}: other episode {o:?} against {m:?}");
        }
    }
}

#[test]
fn bounds_the_conditional_bound_is_below_the_joint_and_the_importance_weighted_below_the_elbo() {
    let (capacity, _a) = quick("capacity-bound");
    for name in ["dkm", "km", "pkm"] {
        let joint = points(&capacity, "joint", name);
        let conditional = points(&capacity, "conditional", name);
        for (j, c) in joint.iter().zip(&conditional) {
            assert!(c[1] < j[1], "{name}: conditional {c:?} against joint {j:?} (the joint adds KL(M)/T)");
        }
    }
    assert!(capacity.series_of("joint").all(|s| s.name != "kpp"), "K++ has no joint bound");
    let (likelihood, _b) = quick("conditional-likelihood");
    for name in ["kpp", "dkm"] {
        let elbo = points(&likelihood, "conditional", name);
        let iw = points(&likelihood, "importance-weighted", name);
        for (e, w) in elbo.iter().zip(&iw) {
            assert!(w[1] < e[1] + 1.0, "{name}: importance-weighted {w:?} against the ELBO {e:?}");
        }
    }
    let (machines, _c) = quick("product-machines");
    assert_eq!(points(&machines, "conditional", "2 machines x 16 rows").len(), 2);
}

#[test]
fn product_machines_cluster_digits_by_class_far_above_chance() {
    let (record, _dir) = quick("product-machines");
    assert!(record.checkpoints.contains_key("pkm2x16_mnist.ckpt"), "{:?}", record.checkpoints);
    let family = "N machines x 32/N rows, 5000 steps each";
    let nmi = points(&record, "clustering", family);
    let chance = points(&record, "clustering", &format!("{family}, classes shuffled (chance)"));
    assert_eq!(nmi.len(), 1, "the quick protocol has the 2-machine PKM of the family");
    assert_eq!(nmi[0][0], 2.0, "x is the machine count");
    assert!(nmi[0][1] > 5.0 * chance[0][1] && nmi[0][1] > 0.05, "{nmi:?} against {chance:?}");
    let shipped = points(&record, "clustering", "shipped PKM, 4 x 8 (19194 steps)");
    assert_eq!(shipped[0][0], 4.0);
}

/// A quick run of `name` as JSON, its timing zeroed.
fn record_without_timing(name: &str) -> String {
    let _turn = device_rng();
    let mut record = run(&find(name).unwrap(), true, "same", &mut |_| true).unwrap();
    record.seconds = 0.0;
    serde_json::to_string(&record).unwrap()
}

#[test]
fn the_same_seeds_give_the_same_record_apart_from_its_timing() {
    // A recall protocol (classical and trained memories) and a bound (sampled latents).
    for name in ["distortion-rate", "capacity-bound"] {
        assert_eq!(record_without_timing(name), record_without_timing(name), "{name}");
    }
}

#[test]
fn a_run_can_be_cancelled_from_its_progress() {
    let spec = find("classical-capacity").unwrap();
    let mut seen = 0;
    let error = run(&spec, true, "cancel", &mut |_| {
        seen += 1;
        seen < 3
    })
    .unwrap_err();
    assert_eq!((error.as_str(), seen), ("cancelled", 3));
}
