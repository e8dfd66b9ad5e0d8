//! The lesson window: the step's text, where the person is, Back / Next / Close.

use eframe::egui;

use crate::app::lesson_run::LessonSession;
use crate::scene::lesson::CheckOutcome;

/// What the person pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonNav {
    Back,
    Next,
    Close,
}

/// `outcomes`: the step's claims judged against the screen, once it has set up.
pub fn ui(ctx: &egui::Context, lesson: &LessonSession, busy: bool, outcomes: Option<&[CheckOutcome]>) -> Option<LessonNav> {
    let mut nav = None;
    let steps = lesson.found.lesson.steps.len();
    // The title inside, wrapped: in the title bar a long one was cut.
    egui::Window::new("Lesson")
        .id(egui::Id::unique("lesson_window"))
        // At the foot of the data column, clear of the filmstrip and the plots, at any UI scale;
        // as wide as the data column at 100%.
        .pivot(egui::Align2::LEFT_BOTTOM)
        .default_pos([6.0, ctx.content_rect().bottom() - 40.0])
        .default_width(330.0)
        .collapsible(true)
        .show(ctx, |ui| {
            ui.label(egui::RichText::new(&lesson.found.lesson.title).strong().size(15.0));
            ui.label(egui::RichText::new(format!("step {} of {steps} · Page Down / Page Up", lesson.step + 1)).small().weak());
            ui.label(&lesson.found.lesson.steps[lesson.step].text);
            // What the text claims, ticked against the screen: a teacher sees at once when a
            // read went another way than the lesson says (another checkpoint, other data).
            for outcome in outcomes.unwrap_or_default() {
                let (mark, color) = if outcome.holds { ("shown:", egui::Color32::from_rgb(120, 200, 120)) } else { ("NOT shown:", egui::Color32::from_rgb(255, 120, 100)) };
                ui.label(egui::RichText::new(format!("{mark} {} ({})", outcome.claim, outcome.seen)).small().color(color));
            }
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
