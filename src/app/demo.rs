//! The scripted demos (`kanerva gui --demo NAME`): built-in one-step lessons
//! (`assets/lessons/demo-*.json`), played without the lesson window.

use crate::scene::lesson::{FoundLesson, find_lesson};

/// Which scripted demo runs at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Demo {
    /// Write a random episode, corrupt its first image into the query, play the read.
    Denoise,
    /// The denoising demo, then a basin map between the first two stored items.
    Basins,
    /// The denoising demo, then a training run with live curves.
    Train,
    /// The denoising demo with a second memory reading side by side: the shipped Kanerva
    /// Machine, else the pseudo-inverse Hopfield network.
    Compare,
    /// The denoising demo, then the energy landscape through the first three stored items
    /// with the finished read on it.
    Landscape,
    /// The denoising demo, then a capacity sweep on the loaded data and the same sweep with
    /// nothing written (the no-write control).
    Sweeps,
}

impl Demo {
    /// The built-in lesson that plays this demo.
    pub fn lesson(self) -> FoundLesson {
        let name = match self {
            Demo::Denoise => "demo-denoise",
            Demo::Basins => "demo-basins",
            Demo::Train => "demo-train",
            Demo::Compare => "demo-compare",
            Demo::Landscape => "demo-landscape",
            Demo::Sweeps => "demo-sweeps",
        };
        find_lesson(name, None).expect("the demo lessons are built in")
    }
}

#[cfg(test)]
mod tests {
    use super::Demo;
    use clap::ValueEnum;

    #[test]
    fn every_demo_is_a_built_in_lesson() {
        for demo in Demo::value_variants() {
            assert_eq!(demo.lesson().lesson.steps.len(), 1, "{demo:?}");
        }
    }
}
