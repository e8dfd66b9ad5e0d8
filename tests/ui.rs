//! The explorer driven as a person would (egui_kittest, headless): draw, write, step, errors.

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kanerva::app::{ExplorerApp, Settings};
use kanerva::catalog::MemorySpec;
use kanerva::app::worker::Command;
use kanerva::data::Corruption;
use kanerva::egui;
use kanerva::memory::hopfield::HopfieldConfig;

fn harness() -> Harness<'static, ExplorerApp> {
    let settings = Settings { model: Some(MemorySpec::Hopfield(HopfieldConfig::default())), show_help: false, ..Settings::default() };
    let app = ExplorerApp::new(&egui::Context::default(), settings);
    let mut h = Harness::builder().with_size([1500.0, 1000.0]).build_ui_state(|ui, app: &mut ExplorerApp| app.show(ui), app);
    wait_for(&mut h, "the model to load", |app| app.memory.name().starts_with("Hopfield"));
    h
}

/// Runs frames until `done` holds (the worker answers asynchronously); gives up after a minute
/// so a slow CI machine does not fail a test that is merely slow.
fn wait_for(h: &mut Harness<'static, ExplorerApp>, what: &str, done: impl Fn(&ExplorerApp) -> bool) {
    wait_up_to(h, what, 60, done);
}

/// [`wait_for`] with another time limit, for work that takes long in a debug build (sweeps).
fn wait_up_to(h: &mut Harness<'static, ExplorerApp>, what: &str, seconds: u64, done: impl Fn(&ExplorerApp) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        h.step();
        if done(h.state()) {
            // One more frame so the layout settles before the test looks up widgets.
            h.step();
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let app = h.state();
    panic!("timed out waiting for {what}; errors: {:?}; iterates {}, pending {}, stored {}", app.messages.errors, app.read.iterates.len(), app.read.pending, app.memory.stored.len());
}

fn write_random_episode(h: &mut Harness<'static, ExplorerApp>) {
    h.get_by_label("Fill random").click();
    h.step();
    assert_eq!(h.state().episode.items.len(), 16);
    h.get_by_label("Write to memory").click();
    wait_for(h, "the write", |app| app.memory.stored.len() == 16);
}

/// Puts `query` on the canvas and waits for its evaluation (iterate 0).
fn start_read(h: &mut Harness<'static, ExplorerApp>, query: kanerva::data::Image) {
    h.state_mut().canvas.set_image(query);
    wait_for(h, "the query's evaluation", |app| app.read.iterates.len() == 1);
}

/// Presses S and waits for the next iterate.
fn step_by_key(h: &mut Harness<'static, ExplorerApp>) {
    let n = h.state().read.iterates.len() + 1;
    h.key_press(egui::Key::S);
    wait_for(h, "a step", move |app| app.read.iterates.len() == n);
}

#[test]
fn drawing_on_the_canvas_changes_the_28x28_image_under_the_stroke() {
    let mut h = harness();
    h.step();
    let rect = h.get_by_label("query canvas").rect();
    let at = |fx: f32, fy: f32| rect.min + egui::vec2(rect.width() * fx, rect.height() * fy);
    let start = at(0.25, 0.5);
    h.event(egui::Event::PointerMoved(start));
    h.event(egui::Event::PointerButton { pos: start, button: egui::PointerButton::Primary, pressed: true, modifiers: Default::default() });
    h.step();
    for i in 1..=10 {
        h.event(egui::Event::PointerMoved(at(0.25 + 0.05 * i as f32, 0.5)));
        h.step();
    }
    let end = at(0.75, 0.5);
    h.event(egui::Event::PointerButton { pos: end, button: egui::PointerButton::Primary, pressed: false, modifiers: Default::default() });
    h.step();
    let image = &h.state().canvas.image;
    let inked: Vec<usize> = (0..28).filter(|&c| image.get(14, c) > 0.5).collect();
    // A stroke along y = 14.0 from x = 7.0 to 21.0 inks pixels 6..=21 of row 14 (pixel
    // centres within half a pixel of the path), without gaps.
    assert_eq!(inked.first(), Some(&6), "{inked:?}");
    assert_eq!(inked.last(), Some(&21), "{inked:?}");
    assert_eq!(inked.len(), 16, "gaps in the stroke: {inked:?}");
    assert_eq!(image.get(2, 14), 0.0, "ink far from the stroke");
    assert_eq!(image.get(14, 2), 0.0, "ink before the stroke started");
    // Undo takes the whole stroke back.
    h.get_by_label("Undo").click();
    h.step();
    assert!(h.state().canvas.image.pixels.iter().all(|&v| v == 0.0));
}

#[test]
fn writing_an_episode_then_stepping_three_times_gives_four_iterates_with_energies() {
    let mut h = harness();
    write_random_episode(&mut h);
    let query = Corruption::BitFlip { p: 0.1 }.apply(&h.state().memory.stored[0], 3);
    h.state_mut().canvas.set_image(query);
    wait_for(&mut h, "the query's evaluation", |app| app.read.iterates.len() == 1);
    for n in 2..=4 {
        h.get_by_label("Step").click();
        wait_for(&mut h, "a step", |app| app.read.iterates.len() == n);
    }
    let app = h.state();
    assert_eq!(app.read.iterates.len(), 4, "filmstrip: the query and three iterates");
    let energies: Vec<f64> = app.read.iterates.iter().map(|it| it.evaluation.energy.expect("Hopfield has an energy")).collect();
    assert_eq!(energies.len(), 4);
    assert!(energies.windows(2).all(|w| w[1] <= w[0] + 1e-6), "asynchronous Hopfield energy rose: {energies:?}");
    assert_eq!(app.read.distances.len(), 4);
    assert_eq!(app.read.distances[0].len(), 16, "a distance to every stored image");
    // The filmstrip label reflects it, and the weights plot says what its bars are.
    h.get_by_label("filmstrip (4 iterates)");
    h.get_by_label("Overlap m with each stored pattern of the current iterate");
}

#[test]
fn keyboard_shortcuts_step_and_reset_the_read() {
    let mut h = harness();
    write_random_episode(&mut h);
    let query = h.state().memory.stored[1].clone();
    start_read(&mut h, query);
    step_by_key(&mut h);
    h.key_press(egui::Key::R);
    wait_for(&mut h, "a reset by key", |app| app.read.iterates.len() == 1);
}

#[test]
fn opening_a_corrupt_file_shows_an_error_naming_it_and_keeps_the_data() {
    let mut h = harness();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.img1");
    std::fs::write(&bad, b"IMG1\x08\x00\x00\x00truncated").unwrap();
    let before = h.state().episode.data.as_ref().map(|b| b.set.len());
    h.state().send(Command::LoadData(bad));
    wait_for(&mut h, "the error", |app| !app.messages.errors.is_empty());
    let error = h.state().messages.errors.last().unwrap().clone();
    assert!(error.contains("broken.img1") && error.contains("truncated"), "{error}");
    assert_eq!(h.state().episode.data.as_ref().map(|b| b.set.len()), before, "the loaded data must survive a bad file");
    h.get_by_label_contains("broken.img1");
}

#[test]
fn a_worker_panic_becomes_an_error_and_the_app_carries_on() {
    let mut h = harness();
    h.state().send(Command::Crash);
    wait_for(&mut h, "the crash report", |app| app.messages.errors.iter().any(|e| e.contains("crashed")));
    write_random_episode(&mut h);
    assert!(h.state().memory.stored.len() == 16, "the worker still works after a panic");
}

#[test]
fn switching_the_model_keeps_the_episode_written() {
    let mut h = harness();
    write_random_episode(&mut h);
    h.state().send(Command::SelectModel(MemorySpec::ModernHopfield { beta: 30.0 }));
    wait_for(&mut h, "the new model", |app| app.memory.name().starts_with("Modern Hopfield"));
    wait_for(&mut h, "the rewritten episode", |app| app.memory.stored.len() == 16);
    let query = h.state().memory.stored[2].clone();
    h.state_mut().canvas.set_image(query);
    wait_for(&mut h, "the evaluation", |app| app.read.iterates.len() == 1);
    let weights = h.state().read.iterates[0].evaluation.weights.clone().unwrap();
    assert_eq!(weights.len(), 16, "one attention weight per stored pattern");
}

#[test]
fn training_runs_on_the_worker_shows_progress_and_can_be_cancelled() {
    let mut h = harness();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ui.ckpt");
    {
        let app = h.state_mut();
        app.jobs.train.steps = 100_000;
        app.jobs.train.batch = 2;
        app.jobs.train.episode_size = 8;
        app.jobs.train.out = out.display().to_string();
    }
    h.get_by_label("Train a model").click();
    h.run_steps(3);
    // The Kanerva Machine here (the DKM trains through the same loop and panel).
    h.get_by_label("KM").click();
    h.run_steps(2);
    // The panel trains on the MNIST training split, which the worker loads in the background.
    wait_for(&mut h, "the training split", |app| app.jobs.train.training_set.as_ref().is_some_and(|s| s.len() == 60_000));
    h.get_by_label("Start training").click();
    wait_for(&mut h, "training progress", |app| app.jobs.train.history.len() >= 2);
    // The UI keeps answering while the worker trains: a read still works.
    write_random_episode(&mut h);
    h.get_by_label("Cancel training").click();
    wait_for(&mut h, "the cancelled run", |app| !app.jobs.train.job.is_running());
    let message = h.state().jobs.train.message.clone();
    assert!(message.contains("cancelled at step"), "{message}");
    h.run_steps(2);
    assert!(h.query_by_label_contains("ETA").is_none(), "a cancelled run shows no ETA");
    h.get_by_label_contains("stopped");
    assert!(out.is_file(), "a cancelled run saves its checkpoint");
    let card = kanerva::train::CheckpointFile::read(&out).unwrap().card;
    assert_eq!(card.data, "embedded:mnist-train", "the panel trains on the training split, not the test set shown");
    let steps = h.state().jobs.train.history.last().unwrap().0;
    assert!(steps < 100_000);
    // The trained model can be loaded as the current memory; the previous model's write
    // history goes with it.
    let before = h.state().memory.write_history.clone();
    assert!(!before.is_empty());
    h.get_by_label("Use trained model").click();
    wait_for(&mut h, "the trained model", |app| app.memory.name().starts_with("KM"));
    wait_for(&mut h, "the episode written into it", |app| !app.memory.stored.is_empty());
    assert_eq!(h.state().memory.write_history.len(), 1, "one write into the new model, none of the old one's: {:?} then {:?}", before, h.state().memory.write_history);
    assert!(h.state().memory.capabilities().generative);
    assert!(h.state().jobs.train.history.iter().any(|(_, m)| m.terms.get("kl_code_nats").is_some_and(|v| v > 0.0)), "the KM reports KL(z)");
    // It reads like any memory: write an episode, step once.
    write_random_episode(&mut h);
    let query = Corruption::BitFlip { p: 0.1 }.apply(&h.state().memory.stored[0], 5);
    start_read(&mut h, query);
    step_by_key(&mut h);
    assert!(h.state().read.iterates[1].evaluation.energy.is_some_and(f64::is_finite));
}

#[test]
fn the_basin_map_and_exports_work_from_the_app() {
    let mut h = harness();
    // An addressing left from a DKM session: a Hopfield network reads its own way, no error.
    h.state_mut().settings.read.addressing = kanerva::memory::Addressing::Optimised;
    write_random_episode(&mut h);
    let query = Corruption::BitFlip { p: 0.1 }.apply(&h.state().memory.stored[0], 3);
    start_read(&mut h, query);
    step_by_key(&mut h);
    h.get_by_label("Basins").click();
    h.run_steps(3);
    h.state_mut().jobs.basins.columns = 5;
    h.get_by_label("Compute basin map").click();
    wait_for(&mut h, "the basin map", |app| app.jobs.basins.result.is_some());
    let (a, b, alphas, noises, cells) = h.state().jobs.basins.result.clone().unwrap();
    assert!(h.state().messages.errors.is_empty(), "{:?}", h.state().messages.errors);
    assert_eq!((a, b, alphas.len()), (0, 1, 5));
    assert_eq!(cells.len(), alphas.len() * noises.len());
    // Exports of the current read.
    let dir = tempfile::tempdir().unwrap();
    for (kind, name) in [(kanerva::app::ExportKind::FilmstripPng, "s.png"), (kanerva::app::ExportKind::FilmstripGif, "s.gif"), (kanerva::app::ExportKind::EnergyCsv, "e.csv")] {
        h.state().export_read(kind, &dir.path().join(name)).unwrap();
        assert!(std::fs::metadata(dir.path().join(name)).unwrap().len() > 0);
    }
    let csv = std::fs::read_to_string(dir.path().join("e.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "header + two iterates");
}

#[test]
fn a_finished_checkpoint_can_be_copied_and_a_damaged_one_is_refused() {
    use kanerva::app::views::train_panel::copy_checkpoint;
    let dir = tempfile::tempdir().unwrap();
    let shipped = kanerva::catalog::shipped_checkpoints();
    let source = shipped.first().expect("the repository ships assets/dkm_mnist.ckpt");
    let dest = dir.path().join("copy.ckpt");
    copy_checkpoint(source, &dest).unwrap();
    assert_eq!(std::fs::read(source).unwrap(), std::fs::read(&dest).unwrap());
    let broken = dir.path().join("broken.ckpt");
    std::fs::write(&broken, b"KNVCKPT1 not really").unwrap();
    let err = copy_checkpoint(&broken, &dir.path().join("out.ckpt")).unwrap_err().to_string();
    assert!(err.contains("broken.ckpt"), "{err}");
    assert!(!dir.path().join("out.ckpt").exists());
}

#[test]
fn the_dkm_basin_map_is_drawn_in_code_space() {
    let checkpoint = kanerva::catalog::shipped_checkpoints().into_iter().next().expect("the repository ships assets/dkm_mnist.ckpt");
    let settings = Settings { model: Some(MemorySpec::trained(checkpoint)), show_help: false, ..Settings::default() };
    let app = ExplorerApp::new(&egui::Context::default(), settings);
    let mut h = Harness::builder().with_size([1500.0, 1000.0]).build_ui_state(|ui, app: &mut ExplorerApp| app.show(ui), app);
    wait_for(&mut h, "the DKM", |app| app.memory.name().starts_with("DKM"));
    write_random_episode(&mut h);
    let codes = h.state().memory.stored_embeddings.clone().expect("a DKM embeds its items");
    assert_eq!((codes.len(), codes[0].len()), (16, 100));
    let query = h.state().memory.stored[0].clone();
    h.state_mut().canvas.set_image(query);
    wait_for(&mut h, "the query", |app| app.read.iterates.len() == 1);
    assert_eq!(h.state().read.embeddings[0].as_ref().map(Vec::len), Some(100));
    h.get_by_label("Basins").click();
    h.run_steps(2);
    h.get_by_label("PCA of the stored items (codes e(x)) with the read's trajectory");
}

#[test]
fn a_second_memory_reads_the_same_episode_and_query_side_by_side() {
    let mut h = harness();
    h.state_mut().set_compare(Some(MemorySpec::ModernHopfield { beta: 30.0 }));
    write_random_episode(&mut h);
    wait_for(&mut h, "the comparison's write", |app| app.compare.as_ref().is_some_and(|c| c.stored == 16));
    let query = Corruption::BitFlip { p: 0.1 }.apply(&h.state().memory.stored[0], 3);
    h.state_mut().canvas.set_image(query.clone());
    wait_for(&mut h, "both evaluations", |app| app.read.iterates.len() == 1 && app.compare.as_ref().is_some_and(|c| c.read.iterates.len() == 1));
    for n in 2..=3 {
        h.key_press(egui::Key::S);
        wait_for(&mut h, "both steps", |app| app.read.iterates.len() == n && app.compare.as_ref().is_some_and(|c| c.read.iterates.len() == n));
    }
    let app = h.state();
    let compare = app.compare.as_ref().unwrap();
    assert!(compare.name.starts_with("Modern Hopfield"));
    assert_eq!(compare.read.iterates[0].image, query, "both start from the same query");
    assert_eq!(app.read.iterates[0].image, query);
    // Modern Hopfield at β = 30 retrieves the stored pattern in one step.
    assert_eq!(compare.read.iterates[1].image.pixel_error(&app.memory.stored[0]), 0.0);
    h.get_by_label_contains("Comparison: Modern Hopfield");
    // Each energy plot has its own scale until the two are put on one.
    assert!(!app.compare.as_ref().unwrap().shared_scale);
    h.get_by_label("same energy scale").click();
    h.run();
    assert!(h.state().compare.as_ref().unwrap().shared_scale);
}

#[test]
fn a_capacity_sweep_runs_from_the_app_and_leaves_the_episode_in_memory() {
    let mut h = harness();
    write_random_episode(&mut h);
    // One read step before the sweep...
    let query = Corruption::BitFlip { p: 0.1 }.apply(&h.state().memory.stored[3], 9);
    start_read(&mut h, query);
    step_by_key(&mut h);
    let before = h.state().read.iterates[1].clone();
    h.get_by_label("Sweeps: capacity and corruption").click();
    h.run_steps(3);
    h.state_mut().jobs.sweep.counts = "5,10".into();
    h.get_by_label("Run sweep").click();
    wait_for(&mut h, "the sweep", |app| !app.jobs.sweep.job.is_running());
    let result = h.state().jobs.sweep.results.first().cloned().expect("a finished sweep");
    assert!(result.name.starts_with("Hopfield") && result.name.contains("random"), "{}", result.name);
    assert_eq!(result.points.iter().map(|p| p.stored).collect::<Vec<_>>(), vec![5, 10]);
    assert!(result.points.iter().all(|p| p.recall_error < 0.01), "{:?}", result.points);
    // The corruption axis: 10 stored patterns, flips at 0 and 0.3.
    h.get_by_label("corruption level").click();
    h.run_steps(2);
    h.state_mut().jobs.sweep.counts = "10".into();
    h.state_mut().jobs.sweep.levels = "0,0.3".into();
    h.get_by_label("Run sweep").click();
    wait_for(&mut h, "the corruption sweep", |app| !app.jobs.sweep.job.is_running());
    let result = h.state().jobs.sweep.results.last().cloned().expect("a finished corruption sweep");
    assert_eq!(result.axis, kanerva::eval::SweepAxis::NoiseLevel);
    assert_eq!(result.points.iter().map(|p| (p.stored, p.noise_level)).collect::<Vec<_>>(), vec![(10, 0.0), (10, 0.30000001192092896)]);
    assert_eq!(result.points[0].query_error, 0.0);
    assert!((result.points[1].query_error - 0.3).abs() < 0.02, "{:?}", result.points);
    assert!(result.points[0].recall_error < 0.01, "stored patterns are fixed points: {:?}", result.points);
    // The no-write control: nothing written, a Hopfield network's fields are zero and it
    // answers with the query; the reference lines and the distortion/rate plot are drawn.
    h.state_mut().jobs.sweep.control = kanerva::eval::SweepControl::NoWrite;
    h.get_by_label("Run sweep").click();
    wait_for(&mut h, "the no-write sweep", |app| !app.jobs.sweep.job.is_running());
    let result = h.state().jobs.sweep.results.last().cloned().expect("a finished control sweep");
    assert!(result.name.contains("control: no-write"), "{}", result.name);
    assert!(result.points.iter().all(|p| p.recall_error == p.query_error && p.blank_error > 0.3 && p.memory_floats == 784 * 784), "{:?}", result.points);
    h.run_steps(2);
    h.get_by_label_contains("return the query (reference)");
    h.get_by_label_contains("return the blank page (reference)");
    h.get_by_label("error against memory size");
    h.state_mut().jobs.sweep.control = kanerva::eval::SweepControl::None;
    // ...and the same step after it: the episode is back in memory, so the read is identical.
    h.key_press(egui::Key::R);
    wait_for(&mut h, "the reset", |app| app.read.iterates.len() == 1);
    step_by_key(&mut h);
    assert_eq!(h.state().read.iterates[1], before);
}

/// A PKM loaded in the explorer shows which machine each stored item went to, its gate matrix
/// and usage in the memory panel, and each machine's own read of the current iterate beside the
/// combined one.
#[test]
fn a_product_kanerva_machine_shows_its_gates_and_each_machines_read() {
    use kanerva::model::PkmConfig;
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("pkm.ckpt");
    let mut config = PkmConfig::new().with_machines(3);
    config.memory.slots = 4;
    config.memory.code_size = 8;
    tiny_checkpoint_of(kanerva::train::ModelSpec::of::<kanerva::model::Pkm>(&config), &checkpoint);
    let settings = Settings { model: Some(MemorySpec::trained(checkpoint)), show_help: false, ..Settings::default() };
    let app = ExplorerApp::new(&egui::Context::default(), settings);
    let mut h = Harness::builder().with_size([1500.0, 1000.0]).build_ui_state(|ui, app: &mut ExplorerApp| app.show(ui), app);
    wait_for(&mut h, "the PKM", |app| app.memory.name().starts_with("PKM"));
    write_random_episode(&mut h);
    let titles: Vec<String> = h.state().memory.panels.iter().map(|p| match p {
        kanerva::memory::Panel::Heatmap { title, .. } | kanerva::memory::Panel::Images { title, .. } | kanerva::memory::Panel::Curves { title, .. } => title.clone(),
    }).collect();
    assert!(titles[0].starts_with("machine 0: the stored items"), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("gates")), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("machine usage")), "{titles:?}");
    let query = Corruption::BitFlip { p: 0.1 }.apply(&h.state().memory.stored[0], 5);
    start_read(&mut h, query);
    step_by_key(&mut h);
    assert_eq!(h.state().read.iterates.last().unwrap().evaluation.parts.len(), 3, "one read per machine");
    h.get_by_label("each part's own read of the current iterate:");
}

/// An EBMM loaded in the explorer shows its write step by step: one energy curve per stored item
/// over the write's steps (W̄ first), falling, above the rows the write moved.
#[test]
fn an_ebmm_shows_each_stored_items_energy_along_its_write() {
    use kanerva::memory::Panel;
    use kanerva::model::EbmmConfig;
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("ebmm.ckpt");
    tiny_checkpoint_of(kanerva::train::ModelSpec::of::<kanerva::model::Ebmm>(&EbmmConfig::new().with_hidden(32).with_write_steps(3).with_read_steps(2)), &checkpoint);
    let settings = Settings { model: Some(MemorySpec::trained(checkpoint)), show_help: false, ..Settings::default() };
    let app = ExplorerApp::new(&egui::Context::default(), settings);
    let mut h = Harness::builder().with_size([1500.0, 1000.0]).build_ui_state(|ui, app: &mut ExplorerApp| app.show(ui), app);
    wait_for(&mut h, "the EBMM", |app| app.memory.name().starts_with("EBMM"));
    write_random_episode(&mut h);
    let Panel::Curves { title, lines, .. } = &h.state().memory.panels[0] else { panic!("the write's curves first") };
    assert_eq!(lines.len(), 16, "one curve per stored item");
    for (name, energies) in lines {
        assert_eq!(energies.len(), 4, "{name}: W̄ and three steps");
        assert!(energies.last() < energies.first(), "{name}: the write lowers the item's energy {energies:?}");
    }
    let title = title.clone();
    h.run();
    h.get_by_label(&title);
    assert!(matches!(&h.state().memory.panels[1], Panel::Images { title, .. } if title.contains("rows of W the write moved")));
}

/// Writes a checkpoint of `spec` after one training step on 64 images.
fn tiny_checkpoint_of(spec: kanerva::train::ModelSpec, out: &std::path::Path) {
    let data = kanerva::data::Embedded::MnistTest.load().unwrap();
    let data = data.subset(&(0..64).collect::<Vec<_>>());
    let job = kanerva::train::TrainJob {
        model: spec,
        train: kanerva::train::TrainConfig { steps: 1, batch: 2, episode_size: 8, ..Default::default() },
        data: std::sync::Arc::new(data),
        data_name: "test".into(),
        start: kanerva::train::TrainStart::Fresh,
        out: out.to_path_buf(),
    };
    kanerva::catalog::train(&job, &kanerva::backend::training_device(), &std::sync::atomic::AtomicBool::new(false), &mut |_| {}).unwrap();
}

/// The energy plot's range shows the descent after the query: iteration 0's energy is left out.
#[test]
fn the_energy_plot_is_fitted_to_the_descent_after_the_query() {
    use kanerva::app::views::plots::{descent_range, union_range};
    use kanerva::memory::{Evaluation, Iterate};
    let iterate = |e: f64| Iterate::new(kanerva::data::Image::new(28, 28, vec![0.0; 784]), Evaluation { energy: Some(e), ..Default::default() });
    let read = vec![iterate(884.0), iterate(93.0), iterate(70.0), iterate(63.0)];
    let (lo, hi) = descent_range(&read).unwrap();
    assert!(lo < 63.0 && lo > 55.0 && hi > 93.0 && hi < 100.0, "fitted to the descent (its key sits above the plot), not to the query: {lo}..{hi}");
    assert!(descent_range(&read[..1]).is_none(), "the query alone has no descent");
    assert_eq!(union_range(Some((1.0, 2.0)), Some((0.5, 1.5))), Some((0.5, 2.0)));
}

/// In "query" mode a click on an episode thumbnail makes that stored item the query (it no
/// longer removes it); editing the episode after a write says the memory holds the older one.
#[test]
fn a_stored_item_is_one_click_from_the_query_and_a_stale_memory_says_so() {
    let mut h = harness();
    write_random_episode(&mut h);
    h.get_by_label("query").click();
    h.step();
    let below = h.get_by_label("Fill random").rect();
    let first = egui::pos2(below.left() - 40.0, below.bottom() + 26.0);
    let thumbnail = h.state().episode.items.iter().position(|_| true).unwrap();
    h.event(egui::Event::PointerMoved(first));
    h.event(egui::Event::PointerButton { pos: first, button: egui::PointerButton::Primary, pressed: true, modifiers: Default::default() });
    h.event(egui::Event::PointerButton { pos: first, button: egui::PointerButton::Primary, pressed: false, modifiers: Default::default() });
    h.run_steps(2);
    assert_eq!(h.state().episode.items.len(), 16, "query mode does not remove");
    assert_eq!(h.state().canvas.image, h.state().episode.items[thumbnail], "the first stored item became the query");
    assert!(!h.state().episode.is_stale(&h.state().memory.stored));
    h.state_mut().episode.items.pop();
    h.run_steps(2);
    assert!(h.state().episode.is_stale(&h.state().memory.stored));
    h.get_by_label_contains("changed since the last write");
}

/// The read panel's addressing choice: a DKM read with the optimised address step never
/// rises, every iterate says how its address was chosen, and the plot's summary says so; a
/// memory without an address keeps the choice disabled.
#[test]
fn the_optimised_addressing_reads_downhill_and_shows_its_half_steps() {
    let mut h = harness();
    h.get_by_label("optimised").click();
    h.step();
    assert_eq!(h.state().settings.read.addressing, kanerva::memory::Addressing::Amortised, "Hopfield holds no address: the choice is disabled");

    let checkpoint = kanerva::catalog::shipped_checkpoints().into_iter().next().expect("the repository ships assets/dkm_mnist.ckpt");
    let settings = Settings { model: Some(MemorySpec::trained(checkpoint)), show_help: false, ..Settings::default() };
    let app = ExplorerApp::new(&egui::Context::default(), settings);
    let mut h = Harness::builder().with_size([1500.0, 1000.0]).build_ui_state(|ui, app: &mut ExplorerApp| app.show(ui), app);
    wait_for(&mut h, "the DKM", |app| app.memory.name().starts_with("DKM") && app.memory.capabilities().holds_address);
    write_random_episode(&mut h);
    h.get_by_label("optimised").click();
    h.step();
    assert_eq!(h.state().settings.read.addressing, kanerva::memory::Addressing::Optimised);
    let query = Corruption::SaltPepper { p: 0.15 }.apply(&h.state().memory.stored[2], 5);
    start_read(&mut h, query);
    for _ in 0..3 {
        step_by_key(&mut h);
    }
    let read = &h.state().read.iterates;
    for pair in read.windows(2) {
        assert!(matches!(pair[1].address_step, Some(kanerva::memory::AddressStep::Optimised { .. })));
        let (pixel, address) = pair[1].half_steps(&pair[0]).expect("both half-steps are reported");
        assert!(pixel <= 1e-9 && address <= 1e-9, "a half-step rose: {pixel} {address}");
    }
    h.get_by_label_contains("energy fell or held in 3 of 3 steps");
}

/// The sweep panel stores the loaded data in a trained memory (it cannot store random
/// patterns), random patterns in a classical one, unless the person chose.
#[test]
fn sweeps_default_to_the_loaded_data_for_trained_memories() {
    use kanerva::app::views::sweep_panel::SweepPanel;
    let mut panel = SweepPanel::default();
    assert!(panel.uses_data(true) && !panel.uses_data(false));
    panel.use_data = Some(false);
    assert!(!panel.uses_data(true), "a person's choice wins");
}

/// The drawing can join the episode, and a classical memory can store random patterns from
/// the app and recall one from a corrupted query.
#[test]
fn the_drawing_and_random_patterns_can_be_stored() {
    let mut h = harness();
    let drawing = Corruption::BitFlip { p: 0.3 }.apply(&kanerva::data::Image::new(28, 28, vec![0.0; 784]), 1);
    h.state_mut().canvas.set_image(drawing.clone());
    h.get_by_label("Add drawing").click();
    h.step();
    assert_eq!(h.state().episode.items, vec![drawing]);
    h.get_by_label("Random patterns").click();
    h.step();
    let episode = h.state().episode.items.clone();
    assert_eq!(episode.len(), 16);
    let on = episode.iter().flat_map(|im| im.pixels.iter()).filter(|&&v| v > 0.5).count() as f64 / (16.0 * 784.0);
    assert!((on - 0.5).abs() < 0.02, "unbiased patterns: {on}");
    h.get_by_label("Write to memory").click();
    wait_for(&mut h, "the write", |app| app.memory.stored.len() == 16);
    start_read(&mut h, Corruption::BitFlip { p: 0.1 }.apply(&episode[3], 9));
    step_by_key(&mut h);
    step_by_key(&mut h);
    assert_eq!(h.state().read.iterates.last().unwrap().image.pixel_error(&episode[3]), 0.0, "16 random patterns are far under the Hebbian network's 0.138 N");
}

/// Where no file dialog can open, "Open data..." says so and offers a path field; the path
/// opened there loads and is offered again among the recent paths.
#[test]
fn without_a_file_dialog_a_typed_path_opens_data_and_is_remembered() {
    let mut h = harness();
    h.state_mut().files.dialogs = kanerva::app::views::path_prompt::Dialogs::Unavailable;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.png");
    image::GrayImage::from_fn(28, 28, |x, _| image::Luma([if x < 14 { 255 } else { 0 }])).save(&path).unwrap();
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Open data...").click();
    // A window's first frame only measures it.
    h.run_steps(4);
    assert_eq!(h.state().files.prompt.purpose, Some(kanerva::app::views::path_prompt::PathPurpose::OpenData), "status: {}", h.state().messages.status);
    h.get_by_label_contains("No file dialog could open here");
    // A typo keeps the prompt open, says why, and is not remembered.
    let typo = dir.path().join("onee.png");
    h.state_mut().files.prompt.text = typo.display().to_string();
    h.run_steps(1);
    h.get_by_label("Open").click();
    h.run_steps(2);
    assert_eq!(h.state().files.prompt.purpose, Some(kanerva::app::views::path_prompt::PathPurpose::OpenData), "the prompt stays open");
    h.get_by_label_contains("onee.png: no such file or folder");
    // A file that exists but is not data fails on the worker: an error, not a recent path.
    let bad = dir.path().join("notes.txt");
    std::fs::write(&bad, "not an image").unwrap();
    h.state_mut().use_path(kanerva::app::views::path_prompt::PathPurpose::OpenData, bad.clone());
    wait_for(&mut h, "the bad file's error", |app| !app.messages.errors.is_empty());
    h.state_mut().files.prompt.text = path.display().to_string();
    h.run_steps(1);
    h.get_by_label("Open").click();
    wait_for(&mut h, "the typed data", |app| app.episode.data.as_ref().is_some_and(|b| b.set.len() == 1));
    let recent = &h.state().settings.recent;
    assert_eq!(recent.data, vec![path.display().to_string()], "only the path that worked");
    assert!(recent.checkpoints.is_empty() && recent.scenes.is_empty());
    assert!(h.state().messages.errors.is_empty(), "the earlier error went with the success: {:?}", h.state().messages.errors);
    assert!(h.state().files.prompt.purpose.is_none(), "the prompt closed");
    // The prompt opened on purpose offers the recent path.
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Type a path...").click();
    h.run_steps(4);
    h.get_by_label(&path.display().to_string()).click();
    h.run_steps(1);
    assert_eq!(h.state().files.prompt.text, path.display().to_string());
    h.get_by_label("Cancel").click();
    h.run_steps(1);
    assert!(h.state().files.prompt.purpose.is_none());
}

/// Save scene records what is on screen; opening it in a fresh explorer puts back the
/// memory, the episode, the query and the read settings, and stepping it gives the recorded
/// energies.
#[test]
fn a_saved_scene_opens_in_a_fresh_explorer_and_steps_to_the_recorded_energies() {
    use kanerva::app::views::path_prompt::PathPurpose;
    let mut h = harness();
    write_random_episode(&mut h);
    h.state_mut().settings.read.iterations = 4;
    let query = Corruption::BitFlip { p: 0.15 }.apply(&h.state().memory.stored[2], 7);
    start_read(&mut h, query.clone());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scene.json");
    h.state_mut().use_path(PathPurpose::SaveScene, path.clone());
    wait_for(&mut h, "the scene file", |app| app.messages.status.starts_with("saved scene"));
    let scene = kanerva::scene::Scene::read(&path).unwrap();
    assert_eq!(scene.recorded.len(), 5);
    assert!(kanerva::scene::replay(&scene, &path).unwrap().matches);

    let mut fresh = harness();
    fresh.state_mut().send(kanerva::app::worker::Command::OpenScene(path.clone()));
    wait_for(&mut fresh, "the scene's episode", |app| app.memory.stored.len() == 16 && app.messages.status.starts_with("opened scene"));
    fresh.run_steps(3);
    wait_for(&mut fresh, "the scene's read", |app| !app.read.pending && !app.read.iterates.is_empty());
    let first = fresh.state().read.iterates[0].image.clone();
    assert_eq!(first.pixel_error(&query), 0.0, "canvas {} / query", fresh.state().canvas.image.pixel_error(&query));
    assert_eq!(fresh.state().settings.read.iterations, 4);
    for _ in 0..4 {
        step_by_key(&mut fresh);
    }
    let energies: Vec<Option<f64>> = fresh.state().read.iterates.iter().map(|it| it.evaluation.energy).collect();
    let recorded: Vec<Option<f64>> = scene.recorded.iter().map(|s| s.energy).collect();
    assert_eq!(energies, recorded, "the explorer's read of the scene is the recorded read");
}

/// Every lesson (built in, and in assets/lessons) walks through all its steps with Next:
/// each step's scene, memory, episode, query, read, sweep or basin map lands without an error,
/// and every claim the step makes about the screen holds (its checks), ticked in the window.
#[test]
fn every_lesson_walks_through_all_its_steps_and_its_claims_hold() {
    use kanerva::scene::lesson::{all_lessons, lessons_dir};
    let lessons = all_lessons(lessons_dir().as_deref()).unwrap();
    assert!(lessons.len() >= 3);
    for found in lessons {
        let name = found.lesson.name.clone();
        let steps = found.lesson.steps.len();
        let mut h = harness();
        h.state_mut().lessons.start(found, false);
        for step in 0..steps {
            if step > 0 {
                h.get_by_label("Next").click();
                h.run_steps(2);
                assert_eq!(h.state().lessons.session.as_ref().map(|l| l.step), Some(step), "{name}: Next went to the next step");
            }
            let started = std::time::Instant::now();
            wait_up_to(&mut h, &format!("{name}, step {}", step + 1), 600, move |app| app.lessons.session.as_ref().is_some_and(|l| l.step == step) && app.lesson_idle());
            eprintln!("{name}, step {}: {:.1} s", step + 1, started.elapsed().as_secs_f64());
            assert!(h.state().messages.errors.is_empty(), "{name}, step {}: {:?}", step + 1, h.state().messages.errors);
            h.get_by_label_contains(&format!("step {} of {steps}", step + 1));
            let checks = h.state().lessons.session.as_ref().unwrap().found.lesson.steps[step].checks.clone();
            let outcomes = kanerva::app::lesson_checks::judge(&checks, h.state());
            for outcome in &outcomes {
                eprintln!("  {} {} ({})", if outcome.holds { "holds" } else { "FAILS" }, outcome.claim, outcome.seen);
            }
            let failed: Vec<_> = outcomes.iter().filter(|o| !o.holds).collect();
            assert!(failed.is_empty(), "{name}, step {}: the screen does not show what the text claims: {failed:?}", step + 1);
            if let Some(first) = outcomes.first() {
                h.run_steps(3);
                h.get_by_label_contains(&format!("shown: {}", first.claim));
            }
        }
        // What the steps set up is there at the end: a memory with an episode and a read (an
        // experiment's lesson leaves its records instead).
        let app = h.state();
        if app.jobs.experiment.live.is_some() {
            assert!(app.jobs.experiment.live.as_ref().is_some_and(|l| !l.series.is_empty()), "{name}: an experiment with no points");
        } else {
            assert!(!app.memory.stored.is_empty() && !app.read.iterates.is_empty(), "{name}: stored {}, iterates {}, pending {}, status {}", app.memory.stored.len(), app.read.iterates.len(), app.read.pending, app.messages.status);
        }
        h.get_by_label("Close lesson").click();
        h.run_steps(2);
        assert!(h.state().lessons.session.is_none());
    }
}

/// A lesson whose text claims what the screen does not show fails its check, crossed in the
/// window with what the screen shows instead.
#[test]
fn a_lesson_claim_the_screen_does_not_show_fails() {
    use kanerva::scene::lesson::{FoundLesson, Lesson};
    let text = r#"{"name": "wrong", "title": "A wrong claim", "steps": [
        {"text": "16 random patterns; pattern 0 read back from a 10%-flipped copy ends at pattern 5.",
         "actions": [{"memory": "hopfield"}, {"fill": {"with": "patterns", "count": 16}}, "write",
                     {"query": {"stored": 0, "noise": "flip:0.1"}}, "play"],
         "checks": [{"stored": 16}, {"read_ends_at": [5]}, "a_rise_is_marked"]}]}"#;
    let lesson = Lesson::parse(text, "wrong lesson").unwrap();
    let mut h = harness();
    h.state_mut().lessons.start(FoundLesson { lesson: lesson.clone(), dir: None }, false);
    wait_up_to(&mut h, "the step", 120, |app| app.lesson_idle() && app.read.iterates.len() > 1);
    let outcomes = kanerva::app::lesson_checks::judge(&lesson.steps[0].checks, h.state());
    let holds: Vec<bool> = outcomes.iter().map(|o| o.holds).collect();
    assert_eq!(holds, vec![true, false, false], "{outcomes:?}");
    assert_eq!(outcomes[1].seen.split(',').next(), Some("item 0"), "{outcomes:?}");
    h.run_steps(1);
    h.get_by_label_contains("NOT shown: the read ends at item 5 (item 0");
    // A check that names an item past any episode is refused with the lesson.
    let bad = text.replace("[5]", "[100000]");
    assert!(Lesson::parse(&bad, "bad").unwrap_err().to_string().contains("read_ends_at"));
}

/// A step whose scene cannot load stops there with the reason shown, instead of playing a
/// read that never starts (found by the lesson fuzzer: `{"scene": "/dev/zero"}, "play"` kept
/// the step busy for ever).
#[test]
fn a_lesson_step_whose_scene_fails_stops_with_the_reason() {
    use kanerva::scene::lesson::{FoundLesson, Lesson};
    let text = r#"{"name": "broken", "title": "A broken lesson", "steps": [
        {"text": "A scene that is not a file, then play.", "actions": [{"scene": "/dev/zero"}, "play"]},
        {"text": "Another addressing, then play: still nothing written.", "actions": [{"addressing": "amortised"}, "play"]},
        {"text": "A write of an empty episode (the fuzzer removed the fill).", "actions": ["write", "play"]},
        {"text": "Random patterns, written and read.", "actions": [{"fill": {"with": "patterns", "count": 8}}, "write", {"query": {"stored": 1, "noise": "flip:0.1"}}, "play"]}
    ]}"#;
    let lesson = Lesson::parse(text, "broken lesson").unwrap();
    let mut h = harness();
    h.state_mut().lessons.start(FoundLesson { lesson, dir: None }, false);
    wait_up_to(&mut h, "the failed step to stop", 60, |app| app.lesson_idle());
    let errors = h.state().messages.errors.join(" | ");
    assert!(errors.contains("/dev/zero") && errors.contains("step 1 stopped"), "{errors}");
    // A step that plays with nothing written says so instead of waiting for a read that
    // cannot start (the fuzzer's next find: the same lesson's step 2).
    h.get_by_label("Next").click();
    h.run_steps(2);
    wait_up_to(&mut h, "the play with nothing written to stop", 60, |app| app.lessons.session.as_ref().is_some_and(|l| l.step == 1) && app.lesson_idle());
    assert!(h.state().messages.errors.iter().any(|e| e.contains("nothing to read")), "{:?}", h.state().messages.errors);
    // A write with an empty episode says so instead of waiting for an answer that never comes.
    h.get_by_label("Next").click();
    h.run_steps(2);
    wait_up_to(&mut h, "the empty write to stop", 60, |app| app.lessons.session.as_ref().is_some_and(|l| l.step == 2) && app.lesson_idle());
    assert!(h.state().messages.errors.iter().any(|e| e.contains("the episode is empty")), "{:?}", h.state().messages.errors);
    // The next step still works.
    h.get_by_label("Next").click();
    h.run_steps(2);
    wait_up_to(&mut h, "step 4", 120, |app| app.lessons.session.as_ref().is_some_and(|l| l.step == 3) && app.lesson_idle());
    assert_eq!(h.state().memory.stored.len(), 8);
    assert!(!h.state().read.iterates.is_empty());
}

/// The energy landscape from the app: on the plane through three stored patterns of a
/// Hopfield network, computed on the worker, with the read's trajectory projected on it.
#[test]
fn the_energy_landscape_is_computed_on_the_worker_with_the_reads_trajectory() {
    let mut h = harness();
    h.get_by_label("Random patterns").click();
    h.step();
    h.get_by_label("Write to memory").click();
    wait_for(&mut h, "the write", |app| app.memory.stored.len() == 16);
    let query = Corruption::BitFlip { p: 0.1 }.apply(&h.state().memory.stored[1], 2);
    start_read(&mut h, query);
    step_by_key(&mut h);
    h.get_by_label("Basins").click();
    h.run_steps(3);
    h.state_mut().jobs.landscape.resolution = 11;
    h.get_by_label("Compute landscape").click_accesskit();
    wait_for(&mut h, "the landscape", |app| app.jobs.landscape.result.is_some());
    let map = h.state().jobs.landscape.result.clone().unwrap();
    assert_eq!((map.items.clone(), map.energies.len(), map.trajectory.len()), (vec![0, 1, 2], 121, 2));
    // The read from a corrupted item 1 ends at item 1's point, (1, 0) on this plane.
    let end = map.trajectory[1];
    assert!((end[0] - 1.0).abs() < 1e-9 && end[1].abs() < 1e-9, "{end:?}");
    assert!(h.state().messages.errors.is_empty(), "{:?}", h.state().messages.errors);
}

#[test]
fn a_failing_landscape_ends_only_its_own_job_while_a_sweep_runs() {
    let mut h = harness();
    write_random_episode(&mut h);
    // A landscape through an item that is not stored fails on the worker; the sweep asked for
    // right after it is still running when the failure comes back.
    let bad = h.state_mut().jobs.landscape.start(vec![0, 99], &[]);
    h.state().send(bad);
    h.get_by_label("Sweeps: capacity and corruption").click();
    h.run_steps(3);
    h.state_mut().jobs.sweep.counts = "5,10,20,40".into();
    h.get_by_label("Run sweep").click();
    wait_for(&mut h, "the landscape's failure", |app| app.jobs.landscape.job.error().is_some());
    let app = h.state();
    assert!(!app.jobs.landscape.job.is_running());
    assert!(app.jobs.landscape.job.error().unwrap().contains("two or three"), "{:?}", app.jobs.landscape.job.error());
    assert!(app.messages.errors.iter().any(|e| e.contains("two or three")), "the failure reaches the status bar too");
    assert!(app.jobs.sweep.job.is_running(), "the sweep goes on");
    assert_eq!(app.read.iterates.len(), 1, "the read of the current query is untouched");
    wait_up_to(&mut h, "the sweep", 300, |app| !app.jobs.sweep.job.is_running());
    let app = h.state();
    assert_eq!(app.jobs.sweep.job.error(), None);
    assert_eq!(app.jobs.sweep.results.last().map(|r| r.points.len()), Some(4), "the sweep finished all its points");
}

#[test]
fn the_lessons_menu_starts_a_lesson_and_page_down_turns_its_steps() {
    let mut h = harness();
    let titles: Vec<String> = h.state().lessons.available.iter().map(|l| l.lesson.title.clone()).collect();
    assert!(titles.len() >= 3 && !h.state().lessons.available.iter().any(|l| l.lesson.name.starts_with("demo-")), "{titles:?}");
    let basins = h.state().lessons.available.iter().find(|l| l.lesson.name == "basins").unwrap().lesson.title.clone();
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    h.get_by_label(&basins).click();
    h.run_steps(2);
    assert_eq!(h.state().lessons.session.as_ref().map(|l| (l.found.lesson.name.as_str(), l.step)), Some(("basins", 0)));
    h.key_press(egui::Key::PageDown);
    h.run_steps(1);
    assert_eq!(h.state().lessons.session.as_ref().unwrap().step, 1, "Page Down: the next step");
    h.key_press(egui::Key::ArrowLeft);
    h.run_steps(1);
    assert_eq!(h.state().lessons.session.as_ref().unwrap().step, 0, "←: the step before");
}

#[test]
fn a_scene_recorded_with_another_checkpoint_or_kind_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenes/dkm-denoise.json")).unwrap();
    let mut scene: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    let checkpoint = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/dkm_mnist.ckpt");
    scene["memory"]["trained"]["checkpoint"] = checkpoint.into();
    let write = |name: &str, scene: &serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string(scene).unwrap()).unwrap();
        path
    };
    let mut other_hash = scene.clone();
    other_hash["memory"]["trained"]["sha256"] = "00".repeat(32).into();
    let mut other_kind = scene.clone();
    other_kind["memory"]["trained"]["kind"] = "km".into();
    let mut h = harness();
    for (path, says) in [(write("hash.json", &other_hash), "SHA-256"), (write("kind.json", &other_kind), "km")] {
        let errors_before = h.state().messages.errors.len();
        h.state().send(kanerva::app::worker::Command::OpenScene(path.clone()));
        wait_for(&mut h, "the refusal", |app| app.messages.errors.len() > errors_before);
        let error = h.state().messages.errors.last().unwrap().clone();
        assert!(error.contains(says), "{error}");
        assert!(h.state().memory.name().starts_with("Hopfield"), "the memory in use stays: {}", h.state().memory.name());
        assert!(!h.state().messages.status.starts_with("opened scene"));
    }
    // The same scene with its own checkpoint opens.
    h.state().send(kanerva::app::worker::Command::OpenScene(write("good.json", &scene)));
    wait_for(&mut h, "the scene", |app| app.messages.status.starts_with("opened scene"));
}

#[test]
fn a_scene_saved_after_a_grey_query_holds_the_read_on_screen_exactly() {
    use kanerva::app::views::path_prompt::PathPurpose;
    let mut h = harness();
    h.state().send(Command::SelectModel(MemorySpec::trained(kanerva::catalog::EMBEDDED_DKM.into())));
    wait_for(&mut h, "the DKM", |app| app.memory.name().starts_with("DKM"));
    h.state_mut().settings.read.iterations = 3;
    // Grey digits of the embedded test set are the episode; the query is a grey stroke drawn
    // over item 2 (pixels of 0.3, 0.55 and 0.8 beside the digit's own grey).
    write_random_episode(&mut h);
    let mut query = h.state().memory.stored[2].clone();
    for (i, p) in query.pixels.iter_mut().enumerate().filter(|(i, _)| i % 28 == 14) {
        *p = [0.3, 0.55, 0.8][i % 3];
    }
    assert!(query.pixels.iter().any(|&v| v > 0.0 && v < 1.0 && v != 0.5), "a grey query");
    // Drawn over item 2 as the episode strip puts it on the canvas: item 2 is the clean item.
    let clean = h.state().memory.stored[2].clone();
    h.state_mut().canvas.set_query(query.clone(), Some(clean.clone()));
    wait_for(&mut h, "the query's evaluation", |app| app.read.iterates.len() == 1);
    for _ in 0..3 {
        step_by_key(&mut h);
    }
    let on_screen: Vec<f64> = h.state().read.iterates.iter().map(|it| it.evaluation.energy.unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grey.json");
    h.state_mut().use_path(PathPurpose::SaveScene, path.clone());
    wait_for(&mut h, "the scene file", |app| app.messages.status.starts_with("saved scene"));
    let scene = kanerva::scene::Scene::read(&path).unwrap();
    let recorded: Vec<f64> = scene.recorded.iter().map(|s| s.energy.unwrap()).collect();
    assert_eq!(recorded.len(), on_screen.len());
    for (a, b) in recorded.iter().zip(&on_screen) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "recorded {recorded:?} against on screen {on_screen:?}");
    }
    assert!(kanerva::scene::replay(&scene, &path).unwrap().matches, "the CLI's replay matches");
    // Pixel errors are against the clean item, not against the drawn query.
    let against_clean = f64::from(query.pixel_error(&clean));
    assert!(against_clean > 0.0 && (scene.recorded[0].pixel_error - against_clean).abs() < 1e-9, "{} vs {against_clean}", scene.recorded[0].pixel_error);
    // Reopened, the query is the grey one, pixel for pixel, and the read steps to the same energies.
    let mut fresh = harness();
    fresh.state().send(Command::OpenScene(path.clone()));
    wait_for(&mut fresh, "the scene", |app| app.messages.status.starts_with("opened scene") && app.memory.stored.len() == 16);
    wait_for(&mut fresh, "the scene's read", |app| !app.read.pending && !app.read.iterates.is_empty());
    assert_eq!(fresh.state().read.iterates[0].image.pixels, query.pixels, "the same grey pixels");
    for _ in 0..3 {
        step_by_key(&mut fresh);
    }
    let reopened: Vec<f64> = fresh.state().read.iterates.iter().map(|it| it.evaluation.energy.unwrap()).collect();
    for (a, b) in reopened.iter().zip(&on_screen) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "reopened {reopened:?} against on screen {on_screen:?}");
    }
}

/// Projector mode: at 150% (View menu) the bar, the query and the read fit the window sideways
/// (the read goes under the query), the scale is kept in the settings, and F10 goes back.
#[test]
fn at_ui_scale_150_nothing_is_cut_off_sideways_and_f10_toggles_projector_mode() {
    let mut h = harness();
    write_random_episode(&mut h);
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("150%").click();
    h.run_steps(4);
    assert_eq!(h.state().settings.ui_scale, 1.5);
    let width = h.ctx.content_rect().width();
    assert!((width - 1000.0).abs() < 1.0, "1500 pixels at 150% are 1000 points: {width}");
    for label in ["Help", "View", "Lessons", "Step", "Play", "Invert", "Apply corruption", "Write to memory", "Random patterns"] {
        let rect = h.get_by_label(label).rect();
        assert!(rect.min.x >= 0.0 && rect.max.x <= width + 0.5, "{label} at {rect:?} in a window {width} points wide");
    }
    let (query, read) = (h.get_by_label("Invert").rect(), h.get_by_label("Step").rect());
    assert!(read.min.y > query.max.y, "the read is under the query: {read:?} / {query:?}");
    h.key_press(egui::Key::F10);
    h.run_steps(3);
    assert_eq!(h.state().settings.ui_scale, 1.0, "F10 from 150%: back to 100%");
    h.key_press(egui::Key::F10);
    h.run_steps(3);
    assert_eq!(h.state().settings.ui_scale, 1.5, "F10: projector scale");
}

/// Switching the memory does not move the query panel's buttons on any frame (a warning
/// that came and went for a frame moved them, and the next click hit Invert).
#[test]
fn a_model_switch_does_not_move_the_query_panel() {
    let mut h = harness();
    h.state_mut().settings.show_help = true;
    // The help opens with an animation.
    h.run_steps(20);
    write_random_episode(&mut h);
    h.run_steps(3);
    let before = (h.get_by_label("Invert").rect(), h.get_by_label("Apply corruption").rect());
    let dkm = MemorySpec::trained(kanerva::catalog::EMBEDDED_DKM.into());
    for (spec, name) in [(MemorySpec::ModernHopfield { beta: 100.0 }, "Modern"), (dkm, "DKM"), (MemorySpec::Hopfield(Default::default()), "Hopfield")] {
        h.state().send(Command::SelectModel(spec));
        for _ in 0..2000 {
            h.step();
            assert_eq!((h.get_by_label("Invert").rect(), h.get_by_label("Apply corruption").rect()), before, "the query panel moved while switching to {name}");
            if h.state().memory.name().starts_with(name) && !h.state().episode.is_stale(&h.state().memory.stored) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(h.state().memory.name().starts_with(name), "{}", h.state().memory.name());
        h.run_steps(3);
        assert_eq!((h.get_by_label("Invert").rect(), h.get_by_label("Apply corruption").rect()), before, "after switching to {name}");
    }
}

/// Every text the explorer shows from data (the memory cards, the help, the lessons) draws with
/// the fonts it has: a missing glyph is a box on screen (the help's arrows were).
#[test]
fn the_cards_help_and_lessons_have_every_glyph_in_the_fonts() {
    use kanerva::catalog::{MemoryName, cards::card};
    let ctx = egui::Context::default();
    let mut output = ctx.run_ui(Default::default(), |_| {});
    output.textures_delta.clear();
    let mut texts: Vec<String> = MemoryName::all().into_iter().map(|n| card(n).text()).collect();
    texts.push(kanerva::app::views::help::HOW_TO.to_string());
    for found in kanerva::scene::lesson::all_lessons(None).unwrap() {
        texts.push(found.lesson.title.clone());
        texts.extend(found.lesson.steps.iter().map(|s| s.text.clone()));
        texts.extend(found.lesson.steps.iter().flat_map(|s| s.checks.iter().map(|c| c.claim())));
    }
    let font = egui::FontId::proportional(14.0);
    for text in texts {
        let missing: String = text.chars().filter(|c| !c.is_control() && !ctx.fonts_mut(|f| f.has_glyphs(&font, &c.to_string()))).collect();
        assert!(missing.is_empty(), "no glyph for {missing:?} in {text:?}");
    }
}

/// The memory column says what the memory is (its card), and a trained memory says how far the
/// written episode is from its training data: digits are near the MNIST DKM's, random binary
/// patterns far.
#[test]
fn a_trained_memory_says_what_it_is_and_when_the_data_is_far_from_its_training_data() {
    use kanerva::catalog::{MemoryName, ModelKind, cards::card};
    let mut h = harness();
    h.get_by_label_contains(card(MemoryName::Hopfield(Default::default())).what);
    h.state().send(Command::SelectModel(MemorySpec::trained(kanerva::catalog::EMBEDDED_DKM.into())));
    wait_for(&mut h, "the DKM", |app| app.memory.name().starts_with("DKM"));
    assert!(!h.state().memory.name().contains('/'), "no folder in the header: {}", h.state().memory.name());
    h.get_by_label_contains(card(MemoryName::Trained(ModelKind::Dkm)).what);
    write_random_episode(&mut h);
    wait_for(&mut h, "the familiarity", |app| app.memory.familiarity.is_some());
    let digits = h.state().memory.familiarity.clone().unwrap();
    assert!(!digits.is_far(), "{digits:?}");
    h.get_by_label_contains("Near its training data");
    h.get_by_label("Random patterns").click();
    h.step();
    h.get_by_label("Write to memory").click();
    wait_for(&mut h, "the patterns' familiarity", |app| app.memory.familiarity.as_ref().is_some_and(|f| f.episode != digits.episode));
    let patterns = h.state().memory.familiarity.clone().unwrap();
    assert!(patterns.is_far() && patterns.episode > 2.0 * digits.episode, "{patterns:?} against digits {digits:?}");
    eprintln!("digits: {}; random patterns: {}", digits.summary(), patterns.summary());
    h.run_steps(2);
    h.get_by_label_contains("Far from its training data");
}

/// The Experiments section runs an experiment on its own thread, the curves fill in as its
/// points land, and Save writes the same files as `kanerva experiment run`.
#[test]
fn an_experiment_runs_from_the_explorer_with_live_curves_and_saves_its_record() {
    use kanerva::app::views::path_prompt::PathPurpose;
    let mut h = harness();
    h.get_by_label("Experiments: the papers' results").click();
    h.run_steps(3);
    let choice = h.state().jobs.experiment.experiments.iter().position(|e| e.name == "distortion-rate").unwrap();
    h.state_mut().jobs.experiment.choice = choice;
    h.run_steps(1);
    h.get_by_label("Run experiment").click();
    wait_up_to(&mut h, "the experiment", 300, |app| !app.jobs.experiment.job.is_running());
    let live = h.state().jobs.experiment.live.clone().unwrap();
    assert!(h.state().jobs.experiment.job.error().is_none(), "{:?}", h.state().jobs.experiment.job.error());
    assert_eq!(live.experiment, "distortion-rate");
    assert!(!live.program.is_empty(), "the finished record replaced the live one");
    let points: usize = live.series.iter().map(|s| s.points.len()).sum();
    assert!(points >= 8, "{points} points");
    // A point that lands joins the live curves at once, its plot with it.
    let mut panel = kanerva::app::views::experiment_panel::ExperimentPanel::default();
    let _command = panel.start();
    let plot = live.plots[0].clone();
    panel.on_progress(kanerva::experiment::Progress { done: 1, total: 9, plot: plot.clone(), series: "hopfield".into(), point: [1.0, 0.5], origin: None, size: None, level: None });
    let partial = panel.live.as_ref().unwrap();
    assert_eq!((partial.plots.len(), partial.series[0].points.clone()), (1, vec![[1.0, 0.5]]));
    assert_eq!(panel.job.progress(), Some((1, 9)));
    h.run_steps(2);
    h.get_by_label(&live.plots[0].title);
    let dir = tempfile::tempdir().unwrap();
    h.state_mut().use_path(PathPurpose::SaveExperiment, dir.path().join("run"));
    assert!(dir.path().join("run/distortion-rate.json").is_file() && dir.path().join("run/distortion-rate-data-occlude-10-4.png").is_file());
    assert_eq!(h.state().settings.recent.exports, vec![dir.path().join("run").display().to_string()]);
    // A point of a read opens as a scene: its episode written, its query on the canvas.
    let (plot_id, size) = {
        let dkm = live.series.iter().find(|s| s.name == "dkm" && s.origin.is_some()).expect("a dkm series with its origin");
        (dkm.plot.clone(), dkm.sizes[0])
    };
    h.state_mut().jobs.experiment.selected = Some(kanerva::app::views::experiment_panel::SelectedPoint { plot: plot_id, series: "dkm".into(), index: 0 });
    h.run_steps(2);
    h.get_by_label("Open as scene").click();
    wait_up_to(&mut h, "the point's scene", 120, |app| app.messages.status.starts_with("opened scene distortion-rate"));
    assert_eq!(h.state().memory.stored.len(), size, "the point's episode is written");
    let canvas = &h.state().canvas;
    assert!(canvas.clean.as_ref().is_some_and(|clean| canvas.image.pixel_error(clean) > 0.01), "the query is the corrupted item");
}

/// A lesson step can run one of the papers' experiments; its claims see the result.
#[test]
fn a_lesson_step_runs_an_experiment() {
    use kanerva::scene::lesson::{FoundLesson, Lesson};
    let text = r#"{"name": "exp", "title": "An experiment", "steps": [
        {"text": "Distortion against rate.", "actions": [{"experiment": {"name": "distortion-rate", "quick": true}}, "wait"]}]}"#;
    let lesson = Lesson::parse(text, "experiment lesson").unwrap();
    let mut h = harness();
    h.state_mut().lessons.start(FoundLesson { lesson, dir: None }, false);
    wait_up_to(&mut h, "the experiment", 300, |app| app.lesson_idle() && app.jobs.experiment.live.as_ref().is_some_and(|l| !l.program.is_empty()));
    assert!(h.state().messages.errors.is_empty(), "{:?}", h.state().messages.errors);
    assert_eq!(h.state().jobs.experiment.live.as_ref().unwrap().experiment, "distortion-rate");
    let unknown = text.replace("distortion-rate", "no-such-experiment");
    let mut h = harness();
    h.state_mut().lessons.start(FoundLesson { lesson: Lesson::parse(&unknown, "x").unwrap(), dir: None }, false);
    wait_up_to(&mut h, "the refusal", 60, |app| !app.messages.errors.is_empty());
    assert!(h.state().messages.errors[0].contains("no-such-experiment"), "{:?}", h.state().messages.errors);
}
