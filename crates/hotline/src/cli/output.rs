//! How the CLI prints: one line at a time to standard output (the lints forbid `println!`),
//! use-case errors as messages an operator can act on, and the statistics (percentiles,
//! median) that the measuring commands (`nlu eval`, `bench flow`) report.

use std::io::Write;

/// Writes one line to standard output, the CLI's output channel.
pub(super) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// Writes one line to standard error, for usage problems.
pub(super) fn err(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The `p` quantile (0–1) of ascending samples, nearest rank; NaN when there are none.
pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// The median of ascending samples (the mean of the middle two of an even number); NaN
/// when there are none.
pub(super) fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// A use case's error as the CLI reports it: every field problem of a validation error,
/// the cause chain of an internal one, the short text of the others.
pub(super) fn app_error(err: app::AppError) -> anyhow::Error {
    match err {
        app::AppError::Validation(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        app::AppError::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{median, percentile};

    #[test]
    fn percentile_is_the_nearest_rank() {
        let samples = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&samples, 0.0), 1.0);
        assert_eq!(percentile(&samples, 0.5), 3.0);
        assert_eq!(percentile(&samples, 0.99), 5.0);
        assert_eq!(percentile(&samples, 1.0), 5.0);
        assert_eq!(percentile(&[1.0, 2.0], 0.5), 2.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 3.0, 9.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
        assert!(median(&[]).is_nan());
    }
}
