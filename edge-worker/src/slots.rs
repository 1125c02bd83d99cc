//! The requests in progress in one isolate, each under a number the JS entry holds
//! (edge-worker/README.md, "Request plumbing").
//!
//! A number rather than a wasm-bindgen object per request: such an object costs a
//! `FinalizationRegistry` registration and an instance check on every call. Numbers
//! carry a generation, so a number whose slot was freed and reused never reaches the
//! new occupant: an answer meant for one request (say a member's full page) can never
//! be handed to another. A request the runtime abandoned (its client went away, so the
//! entry never resumes it) would otherwise hold its slot forever; slots older than
//! [`STALE_MS`] are reclaimed when a new request needs one.

/// How long after it began a request's slot may be reclaimed. Its steps wait only on
/// the assets binding, which answers in milliseconds; a request on the async path
/// (D1, email) leaves the table before its first await.
pub(crate) const STALE_MS: f64 = 60_000.0;

/// At most this many requests in progress at once (slot indexes fit in 16 bits).
const MAX_SLOTS: usize = 1 << 16;

/// A table of `T`s in progress, keyed by generation-tagged numbers.
pub(crate) struct Slots<T> {
    slots: Vec<Slot<T>>,
}

struct Slot<T> {
    generation: u16,
    /// When the occupant was stored (ms since the epoch).
    since: f64,
    value: Option<T>,
}

impl<T> Slots<T> {
    pub(crate) const fn new() -> Self {
        Slots { slots: Vec::new() }
    }

    /// Store `value` at time `now` (ms) and return its number; `None` when every slot
    /// is busy with a request younger than [`STALE_MS`].
    pub(crate) fn insert(&mut self, value: T, now: f64) -> Option<u32> {
        let free = |s: &Slot<T>| s.value.is_none() || now - s.since > STALE_MS;
        let index = match self.slots.iter().position(free) {
            Some(i) => i,
            None if self.slots.len() < MAX_SLOTS => {
                self.slots.push(Slot {
                    generation: 0,
                    since: now,
                    value: None,
                });
                self.slots.len() - 1
            }
            None => return None,
        };
        let slot = &mut self.slots[index];
        // A new occupant, a new generation: numbers handed out before are dead.
        slot.generation = slot.generation.wrapping_add(1);
        slot.since = now;
        slot.value = Some(value);
        Some(u32::from(slot.generation) << 16 | index as u32)
    }

    /// The value under `id`, if `id` is its current number.
    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        let (index, generation) = split(id);
        let slot = self.slots.get(index)?;
        (slot.generation == generation).then_some(slot.value.as_ref()?)
    }

    /// Take the value under `id` out (the slot is free until it is put back).
    pub(crate) fn take(&mut self, id: u32) -> Option<T> {
        let (index, generation) = split(id);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.take()
    }

    /// Put a value taken with [`Slots::take`] back under the same number, unless the
    /// slot was given to another request meanwhile (then the value is dropped).
    pub(crate) fn put_back(&mut self, id: u32, value: T) {
        let (index, generation) = split(id);
        if let Some(slot) = self.slots.get_mut(index) {
            if slot.generation == generation && slot.value.is_none() {
                slot.value = Some(value);
            }
        }
    }
}

/// `(index, generation)` of a number.
fn split(id: u32) -> (usize, u16) {
    ((id & 0xffff) as usize, (id >> 16) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_find_their_own_values() {
        let mut s = Slots::new();
        let a = s.insert("a", 0.0).unwrap();
        let b = s.insert("b", 0.0).unwrap();
        assert_ne!(a, b);
        assert_eq!(s.get(a), Some(&"a"));
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.take(a), Some("a"));
        s.put_back(a, "a2");
        assert_eq!(s.get(a), Some(&"a2"));
    }

    #[test]
    fn a_freed_and_reused_slot_never_answers_to_the_old_number() {
        let mut s = Slots::new();
        let old = s.insert("member's page", 0.0).unwrap();
        assert_eq!(s.take(old), Some("member's page"));
        // Freed (taken and not put back): the next request reuses the slot.
        let new = s.insert("anonymous", 1.0).unwrap();
        assert_eq!(new & 0xffff, old & 0xffff, "the slot is reused");
        assert_ne!(new, old);
        assert_eq!(s.get(old), None);
        assert_eq!(s.take(old), None);
        s.put_back(old, "member's page");
        assert_eq!(s.get(new), Some(&"anonymous"));
    }

    #[test]
    fn stale_requests_are_reclaimed_and_their_numbers_die() {
        let mut s = Slots::new();
        let abandoned = s.insert(1, 0.0).unwrap();
        // Still young: a second slot is used.
        let young = s.insert(2, STALE_MS).unwrap();
        assert_ne!(abandoned & 0xffff, young & 0xffff);
        // Past STALE_MS the first slot is given to a new request.
        let next = s.insert(3, STALE_MS + 1.0).unwrap();
        assert_eq!(next & 0xffff, abandoned & 0xffff);
        assert_eq!(s.get(abandoned), None);
        assert_eq!(s.take(abandoned), None);
        assert_eq!(s.get(next), Some(&3));
        assert_eq!(s.get(young), Some(&2));
    }

    #[test]
    fn a_reclaimed_slot_is_not_refilled_by_its_old_request() {
        let mut s = Slots::new();
        let old = s.insert("old", 0.0).unwrap();
        let taken = s.take(old).unwrap();
        let new = s.insert("new", 1.0).unwrap();
        s.put_back(old, taken);
        assert_eq!(s.get(new), Some(&"new"));
        assert_eq!(s.get(old), None);
    }

    #[test]
    fn generations_wrap_without_colliding_with_the_live_number() {
        let mut s = Slots::new();
        let mut last = s.insert(0u32, 0.0).unwrap();
        for i in 1..70_000u32 {
            s.take(last).unwrap();
            let id = s.insert(i, 0.0).unwrap();
            assert_ne!(id, last);
            assert_eq!(s.get(id), Some(&i));
            last = id;
        }
    }

    #[test]
    fn unknown_numbers_find_nothing() {
        let mut s: Slots<u8> = Slots::new();
        assert_eq!(s.get(0), None);
        assert_eq!(s.take(u32::MAX), None);
        s.put_back(7, 1);
        assert_eq!(s.get(7), None);
    }
}
