//! Playing a guided lesson (and the scripted demos, which are one-step lessons played without
//! the window): each step's actions run in order, one per frame, and an action that needs the
//! worker (a scene, a memory, a write, a read) holds the rest of the step until the worker has
//! answered. This file decides what each action asks of the explorer ([`LessonOrder`]); the
//! app carries the orders out.

use std::collections::VecDeque;

use crate::catalog::memories::DEFAULT_BETA;
use crate::catalog::{MemoryName, MemorySpec};
use crate::data::{Corruption, Image};
use crate::eval::SweepControl;
use crate::memory::Addressing;
use crate::memory::sdm::SdmConfig;
use crate::scene::lesson::{FoundLesson, LessonAction, lesson_scene};

use super::worker::Command;

/// What a lesson waits for before its next action: the worker's answer of a kind (counted in
/// [`Answers`], past the count when it was asked), a read with its query evaluated, or the
/// explorer at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonWait {
    Scene(Answers),
    Model(Answers),
    Write(Answers),
    ReadStarted(Answers),
    /// The read played out and no job running.
    Settled(Answers),
}

/// How many answers of each kind the worker has given (an error answers anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Answers {
    pub scenes: u64,
    pub models: u64,
    pub writes: u64,
    pub errors: u64,
}

/// A lesson in progress.
#[derive(Debug, Clone)]
pub struct LessonSession {
    pub found: FoundLesson,
    pub step: usize,
    pub queue: VecDeque<LessonAction>,
    pub wait: Option<LessonWait>,
    /// Played without the lesson window (a scripted demo).
    pub windowless: bool,
}

/// Panels a lesson can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonPanel {
    Basins,
    Sweeps,
    Train,
    Experiments,
}

/// What the explorer is like when a lesson's next action runs.
pub struct LessonView<'a> {
    /// What the memory holds.
    pub stored: &'a [Image],
    /// Images in the episode (a write of none is refused).
    pub episode_len: usize,
    /// A read of the query on the canvas has its query evaluated and no step outstanding.
    pub read_current: bool,
    /// The read has played out and no job is running.
    pub settled: bool,
    /// The read seed (it also seeds a query's corruption).
    pub seed: u64,
}

/// What a lesson action asks of the explorer.
#[derive(Debug, Clone)]
pub enum LessonOrder {
    /// A command for the worker as it is (a scene, a memory).
    Send(Command),
    /// Fill the episode with `count` items of the data shown, or random patterns.
    Fill { patterns: bool, count: usize },
    Write,
    /// Put this image on the canvas as the query.
    /// The query, and the clean item it was made from.
    Query { image: Image, clean: Image },
    Addressing(Addressing),
    Play,
    Open(LessonPanel),
    BasinMap { a: usize, b: usize },
    Landscape(Vec<usize>),
    Sweep { stored: Vec<usize>, data: bool, noise: Corruption, control: SweepControl },
    /// Read beside the first of these memories that is available.
    Compare(Vec<MemoryName>),
    Train,
    /// Run this experiment (quick or full) in the Experiments section.
    Experiment { name: String, quick: bool },
}

/// One lesson in the Lessons menu.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuEntry {
    pub name: String,
    pub title: String,
    /// What it needs that this binary lacks (then it is offered greyed out, saying so).
    pub lacks: Option<String>,
}

/// The lesson being played, if any, and the worker's answers it waits on.
#[derive(Default)]
pub struct Lessons {
    /// The lessons the Lessons menu offers (built in, and the lesson files beside the weights;
    /// the scripted demos left out).
    pub available: Vec<FoundLesson>,
    pub session: Option<LessonSession>,
    pub answers: Answers,
    /// A panel a lesson asked to open (applied once, scrolled into view).
    pub open_panel: Option<LessonPanel>,
}

impl Lessons {
    /// With the lessons found here; a folder of lessons that cannot be read is reported, the
    /// built-in ones are offered still.
    pub fn found(errors: &mut Vec<String>) -> Self {
        let dir = crate::scene::lesson::lessons_dir();
        let all = crate::scene::lesson::all_lessons(dir.as_deref()).or_else(|e| {
            errors.push(format!("lessons: {e}"));
            crate::scene::lesson::all_lessons(None)
        });
        let available = all.unwrap_or_default().into_iter().filter(|l| !l.lesson.name.starts_with("demo-")).collect();
        Self { available, ..Self::default() }
    }

    /// Plays lesson `i` of the menu from its first step.
    pub fn start_available(&mut self, i: usize) {
        if let Some(found) = self.available.get(i).cloned() {
            self.start(found, false);
        }
    }

    /// The menu's entries: each lesson's name, title, and what it needs that this binary
    /// lacks (None: it can be played).
    pub fn menu(&self) -> Vec<MenuEntry> {
        self.available
            .iter()
            .map(|l| {
                let missing = crate::scene::lesson::missing_weights(l);
                let lacks = (!missing.is_empty()).then(|| {
                    let what: Vec<String> = missing.iter().map(|(step, file)| format!("{file} (step {step})")).collect();
                    format!("needs weights this binary lacks: {}", what.join(", "))
                });
                MenuEntry { name: l.lesson.name.clone(), title: l.lesson.title.clone(), lacks }
            })
            .collect()
    }

    /// Moves the lesson shown in its window `by` steps (keys; a demo has no window to page).
    pub fn page(&mut self, forward: bool) {
        if let Some(lesson) = self.session.as_ref().filter(|l| !l.windowless) {
            let step = if forward { lesson.step + 1 } else { lesson.step.saturating_sub(1) };
            self.enter_step(step);
        }
    }

    /// Starts `found` at its first step (`windowless`: a demo, played without the window).
    pub fn start(&mut self, found: FoundLesson, windowless: bool) {
        self.session = Some(LessonSession { found, step: 0, queue: VecDeque::new(), wait: None, windowless });
        self.enter_step(0);
    }

    /// Goes to step `step` of the lesson and queues its actions.
    pub fn enter_step(&mut self, step: usize) {
        if let Some(lesson) = &mut self.session {
            let step = step.min(lesson.found.lesson.steps.len() - 1);
            lesson.step = step;
            lesson.queue = lesson.found.lesson.steps[step].actions.iter().cloned().collect();
            lesson.wait = None;
        }
    }

    /// True when the current step's actions are all done and answered.
    pub fn step_done(&self) -> bool {
        self.session.as_ref().is_none_or(|l| l.queue.is_empty() && l.wait.is_none())
    }

    /// Drops the rest of the current step's actions, saying why in `errors`.
    fn stop_step(&mut self, why: &str, errors: &mut Vec<String>) {
        if let Some(lesson) = &mut self.session {
            lesson.queue.clear();
            lesson.wait = None;
            errors.push(format!("lesson: step {} stopped: {why}", lesson.step + 1));
        }
    }

    /// The next action's order, once the last one is answered (call once a frame). A failed
    /// action, or a worker error in answer to one, stops the step with the reason in `errors`.
    pub fn next(&mut self, view: &LessonView<'_>, errors: &mut Vec<String>) -> Option<LessonOrder> {
        let lesson = self.session.as_ref()?;
        let now = self.answers;
        let (waiting, then) = match lesson.wait {
            Some(LessonWait::Scene(then)) => (now.scenes <= then.scenes, Some(then)),
            Some(LessonWait::Model(then)) => (now.models <= then.models, Some(then)),
            Some(LessonWait::Write(then)) => (now.writes <= then.writes, Some(then)),
            Some(LessonWait::ReadStarted(then)) => (!view.read_current, Some(then)),
            Some(LessonWait::Settled(then)) => (!view.settled, Some(then)),
            None => (false, None),
        };
        // The worker answered with an error: the step's later actions build on this one (a
        // play after a scene that did not load would wait for ever), so the step stops here.
        if then.is_some_and(|then| now.errors > then.errors) {
            self.stop_step("the worker reported an error", errors);
            return None;
        }
        if waiting {
            return None;
        }
        let lesson = self.session.as_mut()?;
        lesson.wait = None;
        let action = lesson.queue.pop_front()?;
        let dir = lesson.found.dir.clone();
        match order_for(action, view, dir.as_deref(), now) {
            Ok((order, wait)) => {
                if let Some(lesson) = &mut self.session {
                    lesson.wait = wait;
                    // A play waits for the read of the current query first, then comes again.
                    if matches!(wait, Some(LessonWait::ReadStarted(_))) && order.is_none() {
                        lesson.queue.push_front(LessonAction::Play);
                    }
                }
                if let Some(LessonOrder::Open(panel)) = &order {
                    self.open_panel = Some(*panel);
                }
                order
            }
            Err(problem) => {
                errors.push(format!("lesson: {problem}"));
                self.stop_step("an action failed", errors);
                None
            }
        }
    }
}

/// The order of `action` and what to wait for after it (`then`: the answers so far).
fn order_for(action: LessonAction, view: &LessonView<'_>, dir: Option<&std::path::Path>, then: Answers) -> Result<(Option<LessonOrder>, Option<LessonWait>), String> {
    let item = |i: usize| view.stored.get(i).cloned().ok_or_else(|| format!("no stored item {i} ({} stored)", view.stored.len()));
    Ok(match action {
        LessonAction::Scene(name) => {
            let (scene, path) = lesson_scene(&name, dir).map_err(|e| e.to_string())?;
            (Some(LessonOrder::Send(Command::UseScene { scene: Box::new(scene), path })), Some(LessonWait::Scene(then)))
        }
        LessonAction::Memory(name) => {
            let name: MemoryName = name.parse()?;
            let spec = MemorySpec::from_name(name, None, DEFAULT_BETA, SdmConfig::default().locations).map_err(|e| e.to_string())?;
            (Some(LessonOrder::Send(Command::SelectModel(spec))), Some(LessonWait::Model(then)))
        }
        LessonAction::Fill { with, count } => match with.as_str() {
            "random" => (Some(LessonOrder::Fill { patterns: false, count }), None),
            "patterns" => (Some(LessonOrder::Fill { patterns: true, count }), None),
            other => return Err(format!("fill with {other:?} (random or patterns)")),
        },
        // Nothing sent to the worker: no answer would come to wait for.
        LessonAction::Write if view.episode_len == 0 => return Err("write: the episode is empty, nothing was written (a fill or a scene comes first)".into()),
        LessonAction::Write => (Some(LessonOrder::Write), Some(LessonWait::Write(then))),
        LessonAction::Query { stored, noise } => {
            let image = item(stored)?;
            let noise: Option<Corruption> = noise.as_deref().map(str::parse).transpose().map_err(|e| format!("{e}"))?;
            (Some(LessonOrder::Query { image: noise.map_or(image.clone(), |c| c.apply(&image, view.seed)), clean: image.clone() }), Some(LessonWait::ReadStarted(then)))
        }
        LessonAction::Addressing(name) => {
            // With nothing written no read starts: nothing to wait for.
            let wait = (!view.stored.is_empty()).then_some(LessonWait::ReadStarted(then));
            (Some(LessonOrder::Addressing(name.parse()?)), wait)
        }
        LessonAction::Play if view.stored.is_empty() => return Err("play: no episode is written, so there is nothing to read".into()),
        // A read of the current query must be under way: wait for it, then play.
        LessonAction::Play if !view.read_current => (None, Some(LessonWait::ReadStarted(then))),
        LessonAction::Play => (Some(LessonOrder::Play), None),
        LessonAction::Open(panel) => (Some(LessonOrder::Open(panel_named(&panel)?)), None),
        LessonAction::BasinMap { a, b } => {
            if a.max(b) >= view.stored.len() || a == b {
                return Err(format!("a basin map between items {a} and {b} of {}", view.stored.len()));
            }
            (Some(LessonOrder::BasinMap { a, b }), None)
        }
        LessonAction::Landscape { items } => (Some(LessonOrder::Landscape(items)), None),
        LessonAction::Sweep { stored, patterns, noise, control } => {
            let noise = noise.parse().map_err(|e| format!("{e}"))?;
            let control = control.as_deref().map_or(Ok(SweepControl::None), str::parse)?;
            (Some(LessonOrder::Sweep { stored, data: patterns == "data", noise, control }), None)
        }
        LessonAction::Compare(names) => (Some(LessonOrder::Compare(names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?)), None),
        LessonAction::Train => (Some(LessonOrder::Train), None),
        LessonAction::Experiment { name, quick } => {
            crate::experiment::find(&name)?;
            (Some(LessonOrder::Experiment { name, quick }), None)
        }
        LessonAction::Wait => (None, Some(LessonWait::Settled(then))),
    })
}

fn panel_named(name: &str) -> Result<LessonPanel, String> {
    Ok(match name {
        "basins" => LessonPanel::Basins,
        "sweeps" => LessonPanel::Sweeps,
        "train" => LessonPanel::Train,
        "experiments" => LessonPanel::Experiments,
        other => return Err(format!("no panel {other:?} (basins, sweeps, train or experiments)")),
    })
}
