//! Summary statistics over timing samples.

use std::time::Duration;

/// The median of `samples`: the middle value, or the mean of the two middle
/// values when there is an even number of them. `None` when empty.
pub fn median(samples: &[Duration]) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { Some(sorted[mid]) } else { Some((sorted[mid - 1] + sorted[mid]) / 2) }
}

/// The geometric mean of positive, finite `values`; `None` when there are
/// none or one of them is not positive and finite.
pub fn geometric_mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return None;
    }
    let log_sum: f64 = values.iter().map(|v| v.ln()).sum();
    Some((log_sum / values.len() as f64).exp())
}

/// A duration as fractional milliseconds.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn median_of_nothing_is_none() {
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn median_of_one() {
        assert_eq!(median(&ms(&[7])), Some(Duration::from_millis(7)));
    }

    #[test]
    fn median_of_odd_count_is_middle_of_sorted() {
        assert_eq!(median(&ms(&[50, 10, 40, 20, 30])), Some(Duration::from_millis(30)));
    }

    #[test]
    fn median_of_even_count_is_mean_of_middle_two() {
        assert_eq!(median(&ms(&[40, 10, 30, 20])), Some(Duration::from_millis(25)));
        assert_eq!(
            median(&[Duration::from_nanos(1), Duration::from_nanos(2)]),
            Some(Duration::from_nanos(1))
        );
    }

    #[test]
    fn median_ignores_outliers() {
        assert_eq!(median(&ms(&[100, 101, 5000, 99, 1])), Some(Duration::from_millis(100)));
    }

    #[test]
    fn geometric_mean_basics() {
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
        assert_eq!(geometric_mean(&[f64::NAN]), None);
        let g = geometric_mean(&[2.0, 8.0]).unwrap();
        assert!((g - 4.0).abs() < 1e-12);
        let g = geometric_mean(&[0.5]).unwrap();
        assert!((g - 0.5).abs() < 1e-12);
    }

    #[test]
    fn millis_is_fractional() {
        assert_eq!(millis(Duration::from_micros(1500)), 1.5);
    }
}
