//! Corruptions applied to a query before reading. Each is a pure function of the image, its
//! parameters and a seed: the same inputs always give the same corrupted image.

use std::fmt;
use std::str::FromStr;

use crate::rng::SplitMix64;

use super::image_set::Image;

/// A rectangle of pixels: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    pub row: usize,
    pub col: usize,
    pub height: usize,
    pub width: usize,
}

/// Where a region corruption lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Region {
    /// A square of this side at a uniformly random position inside the image (seeded).
    RandomSquare(usize),
    /// This rectangle (clipped to the image).
    At(Rect),
}

/// One corruption with its parameters. Text form (CLI): `salt-pepper:0.15`, `flip:0.1`,
/// `occlude:10` or `occlude:ROW,COL,H,W`, `erase:10` or `erase:ROW,COL,H,W`, `gauss:0.3`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Corruption {
    /// Each pixel, with probability p, becomes salt (1) or pepper (0), equally likely.
    SaltPepper { p: f32 },
    /// Each pixel, with probability p, is flipped (v -> 1 - v). The PyTorch reference's
    /// `salt_pepper` is this one.
    BitFlip { p: f32 },
    /// A region painted with ink (1): an opaque patch over the query.
    Occlude { region: Region },
    /// A region set to background (0): part of the drawing removed.
    Erase { region: Region },
    /// Additive Gaussian noise with std sigma, clamped to [0, 1].
    Gaussian { sigma: f32 },
}

impl Corruption {
    /// The corrupted copy of `image`; `seed` fixes every random choice.
    pub fn apply(&self, image: &Image, seed: u64) -> Image {
        let mut rng = SplitMix64::new(seed);
        let mut out = image.clone();
        match *self {
            Corruption::SaltPepper { p } => {
                for v in &mut out.pixels {
                    if rng.bernoulli(p as f64) {
                        *v = if rng.bernoulli(0.5) { 1.0 } else { 0.0 };
                    }
                }
            }
            Corruption::BitFlip { p } => {
                for v in &mut out.pixels {
                    if rng.bernoulli(p as f64) {
                        *v = 1.0 - *v;
                    }
                }
            }
            Corruption::Occlude { region } => fill(&mut out, region, 1.0, &mut rng),
            Corruption::Erase { region } => fill(&mut out, region, 0.0, &mut rng),
            Corruption::Gaussian { sigma } => {
                for v in &mut out.pixels {
                    *v = (*v + sigma * rng.normal() as f32).clamp(0.0, 1.0);
                }
            }
        }
        out
    }

    /// The strength of the corruption on its own scale: the probability for salt-pepper and
    /// flip, the square's side for occlude and erase (the area's side for a rectangle), sigma
    /// for gauss.
    pub fn level(&self) -> f64 {
        match *self {
            Corruption::SaltPepper { p } | Corruption::BitFlip { p } => p as f64,
            Corruption::Occlude { region } | Corruption::Erase { region } => match region {
                Region::RandomSquare(side) => side as f64,
                Region::At(r) => ((r.height * r.width) as f64).sqrt(),
            },
            Corruption::Gaussian { sigma } => sigma as f64,
        }
    }

    /// The same kind at another level (a region becomes a random square of that side).
    /// Probabilities are clamped to [0, 1], sides rounded, sigma kept >= 0.
    pub fn with_level(&self, level: f64) -> Corruption {
        let level = level.max(0.0);
        match *self {
            Corruption::SaltPepper { .. } => Corruption::SaltPepper { p: level.min(1.0) as f32 },
            Corruption::BitFlip { .. } => Corruption::BitFlip { p: level.min(1.0) as f32 },
            Corruption::Occlude { .. } => Corruption::Occlude { region: Region::RandomSquare(level.round() as usize) },
            Corruption::Erase { .. } => Corruption::Erase { region: Region::RandomSquare(level.round() as usize) },
            Corruption::Gaussian { .. } => Corruption::Gaussian { sigma: level as f32 },
        }
    }

    /// Short name for plots and file names.
    pub fn kind(&self) -> &'static str {
        match self {
            Corruption::SaltPepper { .. } => "salt-pepper",
            Corruption::BitFlip { .. } => "flip",
            Corruption::Occlude { .. } => "occlude",
            Corruption::Erase { .. } => "erase",
            Corruption::Gaussian { .. } => "gauss",
        }
    }
}

/// Resolves a region to a rectangle inside a rows x cols image.
pub fn resolve_region(region: Region, rows: usize, cols: usize, rng: &mut SplitMix64) -> Rect {
    match region {
        Region::RandomSquare(side) => {
            let (h, w) = (side.min(rows), side.min(cols));
            Rect {
                row: rng.below(rows - h + 1),
                col: rng.below(cols - w + 1),
                height: h,
                width: w,
            }
        }
        Region::At(r) => {
            let row = r.row.min(rows);
            let col = r.col.min(cols);
            Rect {
                row,
                col,
                height: r.height.min(rows - row),
                width: r.width.min(cols - col),
            }
        }
    }
}

fn fill(image: &mut Image, region: Region, value: f32, rng: &mut SplitMix64) {
    let r = resolve_region(region, image.rows, image.cols, rng);
    for row in r.row..r.row + r.height {
        for col in r.col..r.col + r.width {
            image.set(row, col, value);
        }
    }
}

/// A corruption string that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad corruption {text:?}: {problem}. Use salt-pepper:P, flip:P, occlude:N, occlude:ROW,COL,H,W, erase:N, erase:ROW,COL,H,W or gauss:SIGMA")]
pub struct CorruptionParseError {
    pub text: String,
    pub problem: String,
}

impl FromStr for Corruption {
    type Err = CorruptionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |problem: &str| CorruptionParseError {
            text: text.to_string(),
            problem: problem.to_string(),
        };
        let (kind, arg) = text.split_once(':').ok_or_else(|| err("missing ':'"))?;
        let probability = || -> Result<f32, CorruptionParseError> {
            let p: f32 = arg.trim().parse().map_err(|_| err("not a number"))?;
            if (0.0..=1.0).contains(&p) { Ok(p) } else { Err(err("probability outside [0, 1]")) }
        };
        let region = || -> Result<Region, CorruptionParseError> {
            let parts: Vec<usize> = arg
                .split(',')
                .map(|s| s.trim().parse().map_err(|_| err("not a whole number")))
                .collect::<Result<_, _>>()?;
            // Regions of the 28x28 images: a square of 1..=28, a rectangle inside the image.
            let side = crate::data::SIDE;
            match parts.as_slice() {
                [n] if (1..=side).contains(n) => Ok(Region::RandomSquare(*n)),
                [_] => Err(err(&format!("a square's side must be 1 to {side}"))),
                [row, col, height, width] if *height >= 1 && *width >= 1 && row.saturating_add(*height) <= side && col.saturating_add(*width) <= side => {
                    Ok(Region::At(Rect { row: *row, col: *col, height: *height, width: *width }))
                }
                [_, _, _, _] => Err(err(&format!("the rectangle must have a height and width of at least 1 and lie inside the {side}x{side} image"))),
                _ => Err(err("expected N or ROW,COL,H,W")),
            }
        };
        match kind.trim() {
            "salt-pepper" | "saltpepper" | "sp" => Ok(Corruption::SaltPepper { p: probability()? }),
            "flip" | "bitflip" => Ok(Corruption::BitFlip { p: probability()? }),
            "occlude" => Ok(Corruption::Occlude { region: region()? }),
            "erase" => Ok(Corruption::Erase { region: region()? }),
            "gauss" | "gaussian" => {
                let sigma: f32 = arg.trim().parse().map_err(|_| err("not a number"))?;
                if sigma >= 0.0 && sigma.is_finite() {
                    Ok(Corruption::Gaussian { sigma })
                } else {
                    Err(err("sigma must be a finite number >= 0"))
                }
            }
            _ => Err(err("unknown kind")),
        }
    }
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let region = |r: &Region| match r {
            Region::RandomSquare(n) => format!("{n}"),
            Region::At(r) => format!("{},{},{},{}", r.row, r.col, r.height, r.width),
        };
        match self {
            Corruption::SaltPepper { p } => write!(f, "salt-pepper:{p}"),
            Corruption::BitFlip { p } => write!(f, "flip:{p}"),
            Corruption::Occlude { region: r } => write!(f, "occlude:{}", region(r)),
            Corruption::Erase { region: r } => write!(f, "erase:{}", region(r)),
            Corruption::Gaussian { sigma } => write!(f, "gauss:{sigma}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker() -> Image {
        Image::new(28, 28, (0..784).map(|i| ((i / 28 + i % 28) % 2) as f32).collect())
    }

    #[test]
    fn regions_outside_the_image_or_empty_are_refused() {
        for bad in ["erase:30,30,5,5", "occlude:0", "occlude:29", "erase:0,0,0,3", "occlude:20,20,10,5"] {
            assert!(bad.parse::<Corruption>().is_err(), "{bad} was accepted");
        }
        for good in ["erase:0,0,28,28", "occlude:10", "occlude:1", "erase:27,27,1,1"] {
            assert!(good.parse::<Corruption>().is_ok(), "{good} was refused");
        }
    }

    #[test]
    fn corruptions_are_pure_functions_of_image_params_and_seed() {
        let im = checker();
        for c in ["salt-pepper:0.2", "flip:0.1", "occlude:10", "erase:8", "gauss:0.3"] {
            let c: Corruption = c.parse().unwrap();
            assert_eq!(c.apply(&im, 5), c.apply(&im, 5), "{c}");
            assert_ne!(c.apply(&im, 5), im, "{c} changed nothing");
            assert_eq!(c.to_string().parse::<Corruption>().unwrap(), c);
        }
    }

    #[test]
    fn bit_flip_rate_matches_p_and_salt_pepper_touches_half_as_many() {
        let im = checker();
        let big = |c: Corruption| (0..50).map(|s| c.apply(&im, s).pixel_error(&im)).sum::<f32>() / 50.0;
        let flip = big(Corruption::BitFlip { p: 0.2 });
        let sp = big(Corruption::SaltPepper { p: 0.2 });
        assert!((flip - 0.2).abs() < 0.01, "flip {flip}");
        assert!((sp - 0.1).abs() < 0.01, "salt-pepper {sp}");
    }

    #[test]
    fn occlusion_fills_exactly_the_rectangle() {
        let im = Image::blank();
        let rect = Rect { row: 3, col: 4, height: 5, width: 6 };
        let out = Corruption::Occlude { region: Region::At(rect) }.apply(&im, 0);
        assert_eq!(out.pixels.iter().filter(|&&v| v == 1.0).count(), 30);
        assert_eq!(out.get(3, 4), 1.0);
        assert_eq!(out.get(8, 4), 0.0);
        // A rectangle hanging off the image is clipped, never a panic.
        let edge = Rect { row: 25, col: 25, height: 10, width: 10 };
        let out = Corruption::Occlude { region: Region::At(edge) }.apply(&im, 0);
        assert_eq!(out.pixels.iter().filter(|&&v| v == 1.0).count(), 9);
        let mut full = Image::blank();
        full.pixels.fill(1.0);
        let erased = Corruption::Erase { region: Region::RandomSquare(10) }.apply(&full, 1);
        assert_eq!(erased.pixels.iter().filter(|&&v| v == 0.0).count(), 100);
    }

    #[test]
    fn gaussian_noise_stays_in_unit_range() {
        let out = Corruption::Gaussian { sigma: 2.0 }.apply(&checker(), 3);
        assert!(out.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn bad_corruption_strings_are_clear_errors() {
        for bad in ["salt-pepper", "flip:1.5", "occlude:1,2", "blur:3", "gauss:-1"] {
            let e = bad.parse::<Corruption>().unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
