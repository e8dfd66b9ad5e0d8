//! A lesson's orders carried out on the explorer: the next action of the step being played,
//! once the one before is answered.

use super::ExplorerApp;
use super::lesson_run::{LessonOrder, LessonPanel, LessonView};

/// Runs the lesson's next action, if the last one is done (once a frame).
pub fn run_lesson(app: &mut ExplorerApp) {
    let view = LessonView {
        stored: &app.memory.stored,
        episode_len: app.episode.items.len(),
        read_current: app.read.is_current(app.canvas.version),
        settled: app.read.is_settled(app.settings.read.iterations) && !app.jobs.busy(),
        seed: app.settings.read.seed,
    };
    let Some(order) = app.lessons.next(&view, &mut app.messages.errors) else { return };
    match order {
        LessonOrder::Send(command) => app.send(command),
        LessonOrder::Fill { patterns, count } => {
            app.settings.episode_size = count;
            app.fill_episode(patterns);
        }
        LessonOrder::Write => {
            app.write_episode();
        }
        LessonOrder::Query { image, clean } => app.canvas.set_query(image, Some(clean)),
        LessonOrder::Addressing(addressing) => {
            app.settings.read.addressing = addressing;
            app.reset_read();
        }
        LessonOrder::Play => app.read.playing = true,
        LessonOrder::Open(_) => {}
        LessonOrder::BasinMap { a, b } => {
            app.lessons.open_panel = Some(LessonPanel::Basins);
            let command = app.jobs.basins.start(a, b, app.memory.plan(&app.settings.read));
            app.send(command);
        }
        LessonOrder::Landscape(items) => {
            app.lessons.open_panel = Some(LessonPanel::Basins);
            let command = app.jobs.landscape.start(items, &app.read.iterates);
            app.send(command);
        }
        LessonOrder::Sweep { stored, data, noise, control } => {
            app.lessons.open_panel = Some(LessonPanel::Sweeps);
            app.jobs.sweep.set_capacity_sweep(&stored, data, noise, control);
            app.start_panel_sweep();
        }
        LessonOrder::Compare(names) => match app.memory.first_available(&names) {
            Some(partner) => app.set_compare(Some(partner)),
            None => app.messages.errors.push("lesson: none of the memories to compare with is available".into()),
        },
        LessonOrder::Experiment { name, quick } => {
            app.lessons.open_panel = Some(LessonPanel::Experiments);
            let panel = &mut app.jobs.experiment;
            panel.choice = panel.experiments.iter().position(|e| e.name == name).unwrap_or(0);
            panel.quick = quick;
            if let Some(command) = panel.start() {
                app.send(command);
            }
        }
        LessonOrder::Train => match app.episode.data_set() {
            Some(data) => {
                app.jobs.train.out = std::env::temp_dir().join("kanerva-lesson-train.ckpt").display().to_string();
                let command = app.jobs.train.start(data);
                app.send(command);
            }
            None => app.messages.errors.push("lesson: no data to train on".into()),
        },
    }
}
