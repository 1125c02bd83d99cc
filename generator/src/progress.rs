//! Watching a build from outside: a counter of rendered pages (for the CLI's progress
//! line) and, only when asked, the time spent in each template (for `--verbose`).
//!
//! The build never prints; it bumps atomics and, when timing, adds to one map per rayon
//! worker (no lock is shared between workers), so an unobserved build pays nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shared between a build and whoever watches it (`Arc<Observer>`).
#[derive(Debug, Default)]
pub struct Observer {
    /// Pages to render, set once the site is loaded.
    pub total: AtomicUsize,
    /// Pages rendered so far.
    pub done: AtomicUsize,
    /// Per-worker sums of render time by template name; `None` when not timing.
    templates: Option<Vec<Mutex<Sums>>>,
}

/// Template name → (time spent, renders).
type Sums = HashMap<String, (Duration, usize)>;

/// Total time spent rendering one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateTime {
    /// Template name (`page.html`).
    pub name: String,
    /// Summed over every render (across threads, so it may exceed wall time).
    pub total: Duration,
    /// Number of renders.
    pub renders: usize,
}

impl Observer {
    /// An observer that also times templates when `time_templates` is set.
    pub fn new(time_templates: bool) -> Observer {
        let slots = rayon::current_num_threads() + 1;
        Observer {
            templates: time_templates.then(|| (0..slots).map(|_| Mutex::default()).collect()),
            ..Observer::default()
        }
    }

    /// Run `render` for `template`, adding its time when timing.
    pub fn time<T>(&self, template: &str, render: impl FnOnce() -> T) -> T {
        let Some(slots) = &self.templates else {
            return render();
        };
        let start = Instant::now();
        let out = render();
        let took = start.elapsed();
        // One slot per rayon worker (the last for any other thread): no contention.
        let slot =
            rayon::current_thread_index().map_or(slots.len() - 1, |i| i.min(slots.len() - 1));
        let mut map = slots[slot].lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(template.to_owned()).or_default();
        entry.0 += took;
        entry.1 += 1;
        out
    }

    /// One more page rendered.
    pub fn page_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// The `n` templates that took longest in total, slowest first (empty when not timing).
    pub fn slowest_templates(&self, n: usize) -> Vec<TemplateTime> {
        let mut sums = Sums::new();
        for slot in self.templates.iter().flatten() {
            for (name, (took, count)) in slot.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                let entry = sums.entry(name.clone()).or_default();
                entry.0 += *took;
                entry.1 += count;
            }
        }
        let mut all: Vec<TemplateTime> = sums
            .into_iter()
            .map(|(name, (total, renders))| TemplateTime {
                name,
                total,
                renders,
            })
            .collect();
        all.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_template_only_when_timing() {
        let off = Observer::new(false);
        assert_eq!(off.time("a", || 1), 1);
        assert!(off.slowest_templates(5).is_empty());
        let on = Observer::new(true);
        for _ in 0..3 {
            on.time("page.html", || std::thread::sleep(Duration::from_millis(2)));
        }
        on.time("home.html", || ());
        let slowest = on.slowest_templates(1);
        assert_eq!(
            (slowest[0].name.as_str(), slowest[0].renders),
            ("page.html", 3)
        );
        assert!(slowest[0].total >= Duration::from_millis(6));
        assert_eq!(on.slowest_templates(5).len(), 2);
    }
}
