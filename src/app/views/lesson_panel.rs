//! The lesson window: the step's text, where the person is, Back / Next / Close.

use eframe::egui;

use crate::app::lesson_run::LessonSession;

/// What the person pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonNav {
    Back,
    Next,
    Close,
}

pub fn ui(ctx: &egui::Context, lesson: &LessonSession, busy: bool) -> Option<LessonNav> {
    let mut nav = None;
    let steps = lesson.found.lesson.steps.len();
    egui::Window::new(format!("Lesson: {}", lesson.found.lesson.title))
        .id(egui::Id::unique("lesson_window"))
        // Over the free space below the data grid, clear of the canvas, filmstrip and plots.
        .default_pos([6.0, 680.0])
        .default_width(320.0)
        .collapsible(true)
        .show(ctx, |ui| {
            ui.label(egui::RichText::new(format!("step {} of {steps}", lesson.step + 1)).small().weak());
            ui.label(&lesson.found.lesson.steps[lesson.step].text);
            ui.horizontal(|ui| {
                if ui.add_enabled(lesson.step > 0, egui::Button::new("Back")).clicked() {
                    nav = Some(LessonNav::Back);
                }
                if ui.add_enabled(lesson.step + 1 < steps, egui::Button::new("Next")).clicked() {
                    nav = Some(LessonNav::Next);
                }
                if ui.button("Close lesson").clicked() {
                    nav = Some(LessonNav::Close);
                }
                // After the buttons, so that they never move when it comes and goes.
                if busy {
                    ui.label(egui::RichText::new("setting up...").small().weak());
                }
            });
        });
    nav
}
