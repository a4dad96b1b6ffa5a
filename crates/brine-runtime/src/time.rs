//! The clock behind `clock()` and the collector's timing.
//!
//! On every native target this is `std::time::Instant`. On
//! `wasm32-unknown-unknown`, whose `std` has no clock (`Instant::now`
//! panics there), it is a monotonic clock the host provides: the import
//! `now_ms` of wasm module `brine`, milliseconds as an `f64` (the
//! playground's glue passes `performance.now()`). A host that has no
//! clock may return any non-decreasing count, a counter say; `clock()`
//! then measures that instead of seconds.

#[cfg(not(target_arch = "wasm32"))]
pub use std::time::Instant;

#[cfg(target_arch = "wasm32")]
pub use host::Instant;

#[cfg(target_arch = "wasm32")]
mod host {
    use std::time::Duration;

    #[link(wasm_import_module = "brine")]
    unsafe extern "C" {
        /// Milliseconds since some fixed point, never decreasing.
        safe fn now_ms() -> f64;
    }

    /// A point in time, in the host's milliseconds.
    #[derive(Copy, Clone, Debug)]
    pub struct Instant(f64);

    impl Instant {
        pub fn now() -> Instant {
            Instant(now_ms())
        }

        /// The time since `self` (zero if the host's clock went back).
        pub fn elapsed(&self) -> Duration {
            Duration::from_secs_f64(((now_ms() - self.0) / 1000.0).max(0.0))
        }
    }
}
