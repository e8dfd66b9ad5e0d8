//! A lesson step's claims judged against what the explorer shows now (see
//! [`crate::scene::lesson_check`]): the read's energies and where it ends, the last sweep, the
//! basin map, the landscape.

use crate::scene::lesson::{CheckOutcome, LessonCheck};
use crate::scene::lesson_check::FAR;

use super::ExplorerApp;
use super::views::plots::{energy_path, path_rises};

/// Each of `checks` judged against `app`.
pub fn judge(checks: &[LessonCheck], app: &ExplorerApp) -> Vec<CheckOutcome> {
    checks.iter().map(|check| judge_one(check, app)).collect()
}

fn judge_one(check: &LessonCheck, app: &ExplorerApp) -> CheckOutcome {
    let (holds, seen) = match observe(check, app) {
        Ok(seen) => seen,
        Err(missing) => (false, missing),
    };
    CheckOutcome { claim: check.claim(), holds, seen }
}

/// Whether the claim holds, and what the screen shows; Err: what it would need is not there.
fn observe(check: &LessonCheck, app: &ExplorerApp) -> Result<(bool, String), String> {
    let iterates = &app.read.iterates;
    let energies = || -> Result<(f64, f64), String> {
        let first = iterates.first().and_then(|it| it.evaluation.energy);
        let last = iterates.last().and_then(|it| it.evaluation.energy);
        first.zip(last).ok_or_else(|| "no read with energies".to_string())
    };
    // The last iterate's distances to the stored items, and the nearest item.
    let ending = || -> Result<(usize, f32), String> {
        let distances = app.read.distances.last().filter(|d| !d.is_empty()).ok_or("no read of a written memory")?;
        let (item, distance) = distances.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).expect("not empty");
        Ok((item, *distance))
    };
    let within = |value: f64, above: Option<f64>, below: Option<f64>| above.is_none_or(|a| value > a) && below.is_none_or(|b| value < b);
    Ok(match check {
        LessonCheck::Stored(n) => (app.memory.stored.len() == *n, format!("{} stored", app.memory.stored.len())),
        LessonCheck::EnergyFell => {
            let (first, last) = energies()?;
            (last < first, format!("{first:.2} to {last:.2}"))
        }
        LessonCheck::EnergyNeverRose | LessonCheck::ARiseIsMarked => {
            if iterates.len() < 2 {
                return Err("no read played".into());
            }
            let rises = path_rises(&energy_path(iterates)).len();
            let holds = if *check == LessonCheck::EnergyNeverRose { rises == 0 } else { rises > 0 };
            (holds, format!("{rises} rises marked"))
        }
        LessonCheck::FinalEnergy { above, below } => {
            let (_, last) = energies()?;
            (within(last, *above, *below), format!("{last:.2}"))
        }
        LessonCheck::ReadEndsAt(items) => {
            let (item, distance) = ending()?;
            (items.contains(&item), format!("item {item}, {distance:.3} away"))
        }
        LessonCheck::ReadEndsAwayFrom(items) => {
            let (item, distance) = ending()?;
            (!items.contains(&item), format!("item {item}, {distance:.3} away"))
        }
        LessonCheck::ReadEndsFar(far) => {
            let (item, distance) = ending()?;
            (f64::from(distance) >= *far, format!("nearest item {item}, {distance:.3} away"))
        }
        LessonCheck::RecallErrorBelow(limit) => {
            let clean = app.canvas.clean.as_ref().ok_or("no clean item for the query")?;
            let last = iterates.last().ok_or("no read")?;
            let error = f64::from(last.image.pixel_error(clean));
            (error < *limit, format!("{error:.4}"))
        }
        LessonCheck::Sweep { stored, error_above, error_below } => {
            let result = app.jobs.sweep.results.last().ok_or("no sweep")?;
            let point = result.points.iter().find(|p| p.stored == *stored).ok_or_else(|| format!("no sweep point at {stored} stored"))?;
            (within(point.recall_error, *error_above, *error_below), format!("{:.4}", point.recall_error))
        }
        LessonCheck::BasinsInclude(items) => {
            let (_, _, _, _, cells) = app.jobs.basins.result.as_ref().ok_or("no basin map")?;
            let mut ends: Vec<usize> = cells.iter().map(|c| c.attractor).collect();
            ends.sort_unstable();
            ends.dedup();
            (items.iter().all(|i| ends.contains(i)), format!("cells of items {ends:?}"))
        }
        LessonCheck::BasinMapFarAtLeast(fraction) => {
            let (_, _, _, _, cells) = app.jobs.basins.result.as_ref().ok_or("no basin map")?;
            let far = cells.iter().filter(|c| f64::from(c.distance) > FAR).count() as f64 / cells.len().max(1) as f64;
            (far >= *fraction, format!("{:.0}% far", 100.0 * far))
        }
        LessonCheck::LandscapeShown => {
            let map = app.jobs.landscape.result.as_ref().ok_or("no landscape")?;
            (!map.trajectory.is_empty(), format!("through items {:?}, read of {} points", map.items, map.trajectory.len()))
        }
    })
}
