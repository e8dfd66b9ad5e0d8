//! Measuring the explorer's frame time headless: the app's own work per frame (UI code and
//! tessellation, not the GPU's rasterisation), paced at 60 frames per second while the worker
//! plays a read or trains. `kanerva bench --ui` prints the result.

use std::time::{Duration, Instant};

use eframe::egui::{self, RawInput};
use serde::Serialize;

use super::{ExplorerApp, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FrameScenario {
    /// A corrupted query read with Play, one step every 20 ms.
    PlayingRead,
    /// The train panel running a default-size DKM training on the embedded data.
    Training,
    /// The Basins panel open while the worker computes 81 x 81 energy landscapes, one after
    /// another (each finished one drawn).
    Landscape,
    /// The Experiments section open while the full distortion/rate experiment runs on its
    /// thread, its curves filling in (restarted when done).
    Experiment,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameStats {
    pub scenario: FrameScenario,
    pub model: String,
    pub frames: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Read iterates, training steps or landscapes completed during the measurement.
    pub progress: usize,
}

fn frame(ctx: &egui::Context, app: &mut ExplorerApp, time: f64) -> f64 {
    let input = RawInput {
        time: Some(time),
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1500.0, 940.0))),
        ..Default::default()
    };
    let start = Instant::now();
    let output = ctx.run_ui(input, |ui| app.show(ui));
    let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
    start.elapsed().as_secs_f64() * 1e3
}

/// Runs `frames` frames of `scenario` after a warm-up, pacing at 60 Hz.
pub fn measure(scenario: FrameScenario, frames: usize, settings: Settings) -> FrameStats {
    let ctx = egui::Context::default();
    let mut app = ExplorerApp::new(&ctx, settings);
    let started = Instant::now();
    let now = |s: &Instant| s.elapsed().as_secs_f64();
    // Warm up: model and data loaded, an episode written, the query read once.
    let mut warm = 0;
    while warm < 2000 && (!app.memory.is_ready() || app.episode.data.is_none()) {
        frame(&ctx, &mut app, now(&started));
        std::thread::sleep(Duration::from_millis(5));
        warm += 1;
    }
    app.settings.play_interval_s = 0.02;
    app.settings.read.iterations = 100_000;
    app.fill_episode(false);
    app.write_episode();
    while warm < 4000 && app.memory.stored.is_empty() {
        frame(&ctx, &mut app, now(&started));
        std::thread::sleep(Duration::from_millis(5));
        warm += 1;
    }
    match scenario {
        FrameScenario::PlayingRead => {
            let query = app.settings.corruption().apply(&app.memory.stored[0], 1);
            app.canvas.set_image(query);
            app.reset_read();
            app.read.playing = true;
        }
        FrameScenario::Landscape => start_landscape(&mut app),
        FrameScenario::Experiment => start_experiment(&mut app),
        FrameScenario::Training => {
            let data = app.episode.data_set().expect("data is loaded");
            app.jobs.train.out = std::env::temp_dir().join(format!("kanerva-frame-bench-{}.ckpt", std::process::id())).display().to_string();
            app.jobs.train.steps = 1_000_000;
            let command = app.jobs.train.start(data);
            app.send(command);
        }
    }
    let mut times = Vec::with_capacity(frames);
    let mut landscapes = 0;
    for _ in 0..frames {
        let t0 = Instant::now();
        times.push(frame(&ctx, &mut app, now(&started)));
        if scenario == FrameScenario::PlayingRead && !app.read.playing {
            app.read.playing = true;
        }
        if scenario == FrameScenario::Landscape && !app.jobs.landscape.job.is_running() {
            landscapes += 1;
            start_landscape(&mut app);
        }
        if scenario == FrameScenario::Experiment && !app.jobs.experiment.job.is_running() {
            landscapes += 1;
            start_experiment(&mut app);
        }
        let spent = t0.elapsed();
        std::thread::sleep(Duration::from_millis(16).saturating_sub(spent));
    }
    let progress = match scenario {
        FrameScenario::PlayingRead => app.read.iterates.len(),
        FrameScenario::Training => app.jobs.train.history.last().map_or(0, |h| h.0 as usize),
        FrameScenario::Landscape | FrameScenario::Experiment => landscapes,
    };
    if scenario == FrameScenario::Training {
        app.jobs.train.job.cancel();
    }
    if scenario == FrameScenario::Experiment {
        app.jobs.experiment.job.cancel();
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    FrameStats { scenario, model: app.memory.name().to_string(), frames, p50_ms: pick(0.5), p99_ms: pick(0.99), max_ms: *times.last().unwrap_or(&0.0), progress }
}

/// Opens the Experiments section and starts the full distortion/rate experiment.
fn start_experiment(app: &mut ExplorerApp) {
    app.lessons.open_panel = Some(super::lesson_run::LessonPanel::Experiments);
    let panel = &mut app.jobs.experiment;
    panel.choice = panel.experiments.iter().position(|e| e.name == "distortion-rate").unwrap_or(0);
    panel.quick = false;
    if let Some(command) = panel.start() {
        app.send(command);
    }
}

/// Opens the Basins panel and starts an 81 x 81 landscape through stored items 0, 1, 2.
fn start_landscape(app: &mut ExplorerApp) {
    app.lessons.open_panel = Some(super::lesson_run::LessonPanel::Basins);
    (app.jobs.landscape.resolution, app.jobs.landscape.extent) = (81, 0.5);
    let command = app.jobs.landscape.start(vec![0, 1, 2], &app.read.iterates);
    app.send(command);
}
