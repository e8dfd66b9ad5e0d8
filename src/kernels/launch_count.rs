//! Counting the GPU's kernel launches (the `wgpu` build): cubecl's profiling logger, at its
//! "minimal" level, writes one "Executing <kernel>" line a launch, without timing them. It is
//! configured once, before the first GPU device starts, and counts for the whole process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cubecl::config::profiling::ProfilingLogLevel;
use cubecl::config::{CubeClRuntimeConfig, RuntimeConfig};

/// The log the launches are counted in.
pub struct LaunchCounter {
    log: PathBuf,
}

impl LaunchCounter {
    /// Logs every launch to `log` (truncated first). Must run before the first GPU tensor:
    /// cubecl reads its configuration once, when the device starts.
    pub fn start(log: &Path) -> std::io::Result<Self> {
        std::fs::write(log, b"")?;
        // What cubecl would read itself (cubecl.toml, CUBECL_* variables), plus the counting.
        let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
        config.profiling.logger.level = ProfilingLogLevel::Minimal;
        config.profiling.logger.file = Some(log.to_path_buf());
        config.profiling.logger.append = true;
        if !CubeClRuntimeConfig::try_set(config) {
            return Err(std::io::Error::other("cubecl's configuration was read before the launch counter started"));
        }
        Ok(Self { log: log.to_path_buf() })
    }

    /// Launches logged so far. The logger writes from its own task, so this waits until the
    /// count holds still for 100 ms (call it after the work has been synchronised).
    pub fn launches(&self) -> usize {
        let count = || std::fs::read_to_string(&self.log).map(|s| s.lines().filter(|l| l.contains("Executing")).count()).unwrap_or(0);
        let mut last = count();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let now = count();
            if now == last {
                return now;
            }
            last = now;
        }
    }
}
