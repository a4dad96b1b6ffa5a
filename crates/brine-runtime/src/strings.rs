//! The intern table: one string object per content.
//!
//! Open addressing with linear probing over a power-of-two array of
//! one-word slots. A slot packs a string's address (the low 48 bits, as in
//! a NaN-boxed value) with the top 16 bits of its hash ([`hash_bytes`], cached in
//! the object as `ObjString::hash`), so a probe rejects almost every other
//! string without touching it: contents are compared only when the tags
//! match. Every operation is linear:
//! - lookup and insertion probe O(1) slots on average (the load stays at
//!   most 1/2; the index comes from a multiplicative hash of the 32-bit
//!   hash);
//! - growth doubles the array: each insertion pays O(1) moves, amortized;
//! - the table is weak: the collector calls
//!   [`StringTable::remove_unmarked`] between marking and sweeping, which
//!   rebuilds the table from the survivors when any string died, in time
//!   proportional to the table, and shrinks it when it became sparse, so the
//!   table stays proportional to the live strings.
//!
//! [`TableStats`] counts the work (probes, moves), so tests check these
//! bounds without timing anything.

use crate::object::ObjString;
use std::cell::Cell;

/// The 32-bit hash of `bytes` cached in `ObjString::hash`: eight bytes at
/// a time, each folded in by a 64 x 64 -> 128-bit multiply whose two
/// halves are xored (as wyhash does: every bit of the word moves every bit
/// of the state, where a plain multiply moves only higher ones), so hashing
/// a long string costs about a cycle per byte, not FNV-1a's four; then the
/// finalizer of MurmurHash3 (the table uses the top bits, the library's
/// `Map` the low ones).
pub fn hash_bytes(bytes: &[u8]) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mix = |h: u64, word: u64| {
        let m = ((h ^ word) as u128) * (K as u128);
        (m as u64) ^ ((m >> 64) as u64)
    };
    let mut h = 0x243F_6A88_85A3_08D3 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        h = mix(h, u64::from_le_bytes(chunk.try_into().expect("chunks of 8")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(last));
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h as u32
}

/// Bits of a slot that hold the string's address.
const ADDRESS_BITS: u32 = 48;
const ADDRESS_MASK: u64 = (1 << ADDRESS_BITS) - 1;
/// The smallest array (a power of two).
const MIN_CAPACITY: usize = 64;

/// What the table did so far.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Strings in the table.
    pub len: usize,
    /// Slots in the array.
    pub capacity: usize,
    /// Slots examined by lookups and insertions.
    pub probes: u64,
    /// Contents compared (the tag matched).
    pub compares: u64,
    /// Entries re-inserted by growth.
    pub grow_moves: u64,
    /// Entries re-inserted by `remove_unmarked` rebuilds.
    pub rebuild_moves: u64,
}

pub(crate) struct StringTable {
    /// 0 for an empty slot, else `tag << 48 | address`.
    slots: Vec<u64>,
    len: usize,
    /// `64 - log2(slots.len())`: the index of a hash is its product with a
    /// large odd constant, shifted right by this.
    shift: u32,
    probes: Cell<u64>,
    compares: Cell<u64>,
    grow_moves: u64,
    rebuild_moves: u64,
}

impl Default for StringTable {
    fn default() -> Self {
        StringTable::with_capacity(MIN_CAPACITY)
    }
}

/// The slot word for `string`.
///
/// # Safety
/// `string` must be a live string.
unsafe fn slot_word(string: *mut ObjString) -> u64 {
    debug_assert_eq!(string as u64 & !ADDRESS_MASK, 0, "a string address beyond 48 bits");
    // SAFETY: the caller's contract.
    let hash = unsafe { (*string).hash };
    tag(hash) << ADDRESS_BITS | string as u64
}

#[inline]
fn tag(hash: u32) -> u64 {
    (hash >> 16) as u64
}

#[inline]
fn address(slot: u64) -> *mut ObjString {
    (slot & ADDRESS_MASK) as *mut ObjString
}

impl StringTable {
    /// An empty table of `capacity` slots (a power of two).
    fn with_capacity(capacity: usize) -> StringTable {
        debug_assert!(capacity.is_power_of_two() && capacity >= MIN_CAPACITY);
        StringTable {
            slots: vec![0; capacity],
            len: 0,
            shift: 64 - capacity.trailing_zeros(),
            probes: Cell::new(0),
            compares: Cell::new(0),
            grow_moves: 0,
            rebuild_moves: 0,
        }
    }

    /// The first slot to probe for `hash`.
    #[inline]
    fn home(&self, hash: u32) -> usize {
        ((hash as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The interned string with these bytes, if any.
    pub fn get(&self, bytes: &[u8]) -> Option<*mut ObjString> {
        let hash = hash_bytes(bytes);
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        let mut probes = 1;
        let found = loop {
            let slot = self.slots[i];
            if slot == 0 {
                break None;
            }
            if slot >> ADDRESS_BITS == tag(hash) {
                self.compares.set(self.compares.get() + 1);
                let string = address(slot);
                // SAFETY: the table holds only live strings: dead ones are
                // removed before the sweep frees them.
                let same = unsafe { (*string).hash == hash && ObjString::bytes(string) == bytes };
                if same {
                    break Some(string);
                }
            }
            i = (i + 1) & mask;
            probes += 1;
        };
        self.probes.set(self.probes.get() + probes);
        found
    }

    /// Adds a live string whose contents are not in the table yet.
    pub fn insert(&mut self, string: *mut ObjString) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        // SAFETY: the caller passes a live string.
        let word = unsafe { slot_word(string) };
        let probes = self.place(word);
        self.probes.set(self.probes.get() + probes);
        self.len += 1;
    }

    /// Puts an entry (not in the table) in the first free slot of its
    /// probe sequence; returns the number of slots examined.
    fn place(&mut self, word: u64) -> u64 {
        // SAFETY: entries are live strings.
        let hash = unsafe { (*address(word)).hash };
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        let mut probes = 1;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
            probes += 1;
        }
        self.slots[i] = word;
        probes
    }

    /// Doubles the array.
    fn grow(&mut self) {
        let entries = self.rebuild(self.slots.len() * 2, |_| true);
        self.grow_moves += entries;
    }

    /// Replaces the array by one of `capacity` slots holding the entries
    /// that `keep` accepts. Returns how many were kept.
    fn rebuild(&mut self, capacity: usize, mut keep: impl FnMut(*mut ObjString) -> bool) -> u64 {
        let old = std::mem::replace(&mut self.slots, vec![0; capacity]);
        self.shift = 64 - capacity.trailing_zeros();
        let mut kept = 0;
        for word in old.into_iter().filter(|&w| w != 0) {
            if keep(address(word)) {
                self.place(word);
                kept += 1;
            }
        }
        self.len = kept as usize;
        kept
    }

    /// Drops the strings the mark phase did not reach. Costs time
    /// proportional to the table.
    pub fn remove_unmarked(&mut self) {
        // SAFETY: entries are live until this sweep; the marks are current.
        let marked = |s: *mut ObjString| unsafe { (*s).header.marked };
        let live = self.slots.iter().filter(|&&w| w != 0 && marked(address(w))).count();
        if live == self.len {
            return;
        }
        // Shrink while the load would stay below 1/8: after a rebuild it is
        // between 1/8 and 1/2, so growing and shrinking do not alternate.
        let mut capacity = self.slots.len();
        while capacity > MIN_CAPACITY && live * 8 < capacity {
            capacity /= 2;
        }
        let kept = self.rebuild(capacity, marked);
        self.rebuild_moves += kept;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    #[cfg_attr(not(test), allow(dead_code))]
    pub fn stats(&self) -> TableStats {
        TableStats {
            len: self.len,
            capacity: self.slots.len(),
            probes: self.probes.get(),
            compares: self.compares.get(),
            grow_moves: self.grow_moves,
            rebuild_moves: self.rebuild_moves,
        }
    }
}
