//! Playing a guided lesson in the explorer: each step's actions run in order, one per frame,
//! and an action that needs the worker (a scene, a memory, a write, a read) holds the rest of
//! the step until the worker has answered.

use std::collections::VecDeque;

use super::app::ExplorerApp;
use super::worker::Command;
use crate::catalog::memories::DEFAULT_BETA;
use crate::catalog::{MemoryName, MemorySpec};
use crate::data::Corruption;
use crate::memory::sdm::SdmConfig;
use crate::scene::lesson::{FoundLesson, LessonAction, lesson_scene};

/// What a lesson waits for before its next action: the worker's answer of a kind (counted in
/// [`Answers`], past the count when it was asked), or a read with its query evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonWait {
    Scene(Answers),
    Model(Answers),
    Write(Answers),
    ReadStarted(Answers),
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
}

/// Panels a lesson can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonPanel {
    Basins,
    Sweeps,
    Train,
}

impl ExplorerApp {
    /// Starts `found` at its first step.
    pub fn start_lesson(&mut self, found: FoundLesson) {
        self.lesson = Some(LessonSession { found, step: 0, queue: VecDeque::new(), wait: None });
        self.enter_lesson_step(0);
    }

    /// Goes to step `step` of the lesson and queues its actions.
    pub fn enter_lesson_step(&mut self, step: usize) {
        if let Some(lesson) = &mut self.lesson {
            let step = step.min(lesson.found.lesson.steps.len() - 1);
            lesson.step = step;
            lesson.queue = lesson.found.lesson.steps[step].actions.iter().cloned().collect();
            lesson.wait = None;
        }
    }

    /// True when the current step's actions are all done and the worker has answered them
    /// (sweeps, basin maps and the read's latest step included).
    pub fn lesson_idle(&self) -> bool {
        self.lesson.as_ref().is_none_or(|l| l.queue.is_empty() && l.wait.is_none()) && !self.sweep.running && !self.basins.pending && !self.landscape.running && !self.read.pending
    }

    /// Drops the rest of the current step's actions, saying why.
    fn stop_lesson_step(&mut self, why: &str) {
        if let Some(lesson) = &mut self.lesson {
            lesson.queue.clear();
            lesson.wait = None;
            self.errors.push(format!("lesson: step {} stopped: {why}", lesson.step + 1));
        }
    }

    /// A read of the query on the canvas has its query evaluated (no restart pending).
    fn read_is_current(&self) -> bool {
        !self.read.iterates.is_empty() && !self.read.pending && self.canvas.version == self.read_query_version
    }

    /// Runs the next action of the lesson's step, if the last one is done (once a frame).
    pub(super) fn run_lesson(&mut self) {
        let Some(lesson) = &self.lesson else { return };
        let (now, failed) = (self.answers, |then: &Answers| self.answers.errors > then.errors);
        let (waiting, then) = match &lesson.wait {
            Some(LessonWait::Scene(then)) => (now.scenes <= then.scenes, Some(then)),
            Some(LessonWait::Model(then)) => (now.models <= then.models, Some(then)),
            Some(LessonWait::Write(then)) => (now.writes <= then.writes, Some(then)),
            Some(LessonWait::ReadStarted(then)) => (!self.read_is_current(), Some(then)),
            None => (false, None),
        };
        // The worker answered with an error: the step's later actions build on this one (a
        // play after a scene that did not load would wait for ever), so the step stops here.
        if then.is_some_and(failed) {
            self.stop_lesson_step("the worker reported an error");
            return;
        }
        if waiting {
            return;
        }
        let dir = lesson.found.dir.clone();
        let Some(action) = self.lesson.as_mut().and_then(|l| {
            l.wait = None;
            l.queue.pop_front()
        }) else {
            return;
        };
        let wait = match self.run_lesson_action(action, dir.as_deref()) {
            Ok(wait) => wait,
            Err(problem) => {
                self.errors.push(format!("lesson: {problem}"));
                self.stop_lesson_step("an action failed");
                None
            }
        };
        if let Some(lesson) = &mut self.lesson {
            lesson.wait = wait;
        }
    }

    fn run_lesson_action(&mut self, action: LessonAction, dir: Option<&std::path::Path>) -> Result<Option<LessonWait>, String> {
        let then = self.answers;
        Ok(match action {
            LessonAction::Scene(name) => {
                let (scene, path) = lesson_scene(&name, dir).map_err(|e| e.to_string())?;
                self.send(Command::UseScene { scene: Box::new(scene), path });
                Some(LessonWait::Scene(then))
            }
            LessonAction::Memory(name) => {
                let name: MemoryName = name.parse()?;
                let spec = MemorySpec::from_name(name, None, DEFAULT_BETA, SdmConfig::default().locations).map_err(|e| e.to_string())?;
                self.send(Command::SelectModel(spec));
                Some(LessonWait::Model(then))
            }
            LessonAction::Fill { with, count } => {
                self.settings.episode_size = count;
                match with.as_str() {
                    "random" => self.fill_random_episode(),
                    "patterns" => self.fill_random_patterns(),
                    other => return Err(format!("fill with {other:?} (random or patterns)")),
                }
                None
            }
            LessonAction::Write => {
                // Nothing sent to the worker: no answer would come to wait for.
                if !self.write_episode() {
                    self.stop_lesson_step("nothing was written (a fill or a scene comes first)");
                    return Ok(None);
                }
                Some(LessonWait::Write(then))
            }
            LessonAction::Query { stored, noise } => {
                let item = self.stored.get(stored).cloned().ok_or_else(|| format!("no stored item {stored} ({} stored)", self.stored.len()))?;
                let noise: Option<Corruption> = noise.as_deref().map(str::parse).transpose().map_err(|e| format!("{e}"))?;
                self.canvas.set_image(noise.map_or(item.clone(), |c| c.apply(&item, self.settings.read.seed)));
                Some(LessonWait::ReadStarted(then))
            }
            LessonAction::Addressing(name) => {
                self.settings.read.addressing = name.parse()?;
                self.reset_read();
                // With nothing written no read starts: nothing to wait for.
                (!self.stored.is_empty()).then_some(LessonWait::ReadStarted(then))
            }
            LessonAction::Play => {
                if self.stored.is_empty() {
                    return Err("play: no episode is written, so there is nothing to read".into());
                }
                // A read of the current query must be under way: wait for it, then play.
                if !self.read_is_current() {
                    if let Some(lesson) = &mut self.lesson {
                        lesson.queue.push_front(LessonAction::Play);
                    }
                    return Ok(Some(LessonWait::ReadStarted(then)));
                }
                self.playing = true;
                None
            }
            LessonAction::Open(panel) => {
                self.open_panel = Some(match panel.as_str() {
                    "basins" => LessonPanel::Basins,
                    "sweeps" => LessonPanel::Sweeps,
                    "train" => LessonPanel::Train,
                    other => return Err(format!("no panel {other:?} (basins, sweeps or train)")),
                });
                None
            }
            LessonAction::BasinMap { a, b } => {
                if a.max(b) >= self.stored.len() || a == b {
                    return Err(format!("a basin map between items {a} and {b} of {}", self.stored.len()));
                }
                self.open_panel = Some(LessonPanel::Basins);
                let command = self.basins.start(a, b, super::settings::plan_for(self.holds_address, &self.settings.read));
                self.send(command);
                None
            }
            LessonAction::Landscape { items } => {
                self.open_panel = Some(LessonPanel::Basins);
                let command = self.landscape.start(items, &self.read.iterates);
                self.send(command);
                None
            }
            LessonAction::Sweep { stored, patterns, noise } => {
                self.open_panel = Some(LessonPanel::Sweeps);
                self.sweep.axis = crate::eval::SweepAxis::Stored;
                self.sweep.counts = stored.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
                self.sweep.noise = noise.parse().map_err(|e| format!("{e}"))?;
                self.sweep.use_data = Some(patterns == "data");
                self.start_panel_sweep();
                None
            }
        })
    }
}
