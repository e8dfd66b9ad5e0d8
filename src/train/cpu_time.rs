//! The CPU time this process has used, for a checkpoint's card: training cost in CPU-hours
//! says more than wall time on a machine whose other work and speed change from hour to hour.

/// User + system CPU seconds of the whole process (every thread) so far, from
/// `/proc/self/stat`; None where that file is missing or unreadable (not Linux).
pub fn process_cpu_seconds() -> Option<f64> {
    parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line, in seconds. Both are in
/// USER_HZ ticks, which the kernel fixes at 100 a second for this interface on the
/// architectures this program builds for. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from its closing parenthesis.
fn parse_stat(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, so utime (14) is the 12th and stime (15) the 13th.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utime_and_stime_after_a_name_with_spaces_and_parentheses() {
        let line = "4242 (kanerva (x) y) R 1 2 3 4 5 6 7 8 9 10 1234 566 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_stat(line), Some(18.0));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_uses_cpu_time_on_linux() {
        if cfg!(target_os = "linux") {
            let before = process_cpu_seconds().expect("/proc/self/stat on Linux");
            let mut x = 0u64;
            let start = std::time::Instant::now();
            while start.elapsed().as_millis() < 50 {
                x = x.wrapping_add(std::hint::black_box(1));
            }
            assert!(x > 0 && process_cpu_seconds().unwrap() >= before);
        }
    }
}
