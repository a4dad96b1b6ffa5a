//! The intern table: one string object per content.
//!
//! A hash set of string objects, hashed with the FNV-1a hash each object
//! caches, and looked up by bytes. The table is weak: the collector calls
//! [`StringTable::remove_unmarked`] between marking and sweeping.

use crate::object::ObjString;
use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The 32-bit FNV-1a hash of `bytes`, as cached in `ObjString::hash`.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in bytes {
        hash ^= b as u32;
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// A table entry: a live string object.
#[derive(Copy, Clone)]
struct Interned(*mut ObjString);

impl Interned {
    fn bytes(&self) -> &[u8] {
        // SAFETY: the table holds only live strings: dead ones are removed
        // before the sweep frees them.
        unsafe { ObjString::bytes(self.0) }
    }
}

impl Hash for Interned {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // SAFETY: as in `bytes`.
        state.write_u32(unsafe { (*self.0).hash });
    }
}

impl PartialEq for Interned {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}
impl Eq for Interned {}

/// Bytes, hashed as an `Interned` with these contents is.
#[derive(PartialEq, Eq)]
#[repr(transparent)]
struct Key([u8]);

impl Key {
    fn new(bytes: &[u8]) -> &Key {
        // SAFETY: `Key` is a transparent wrapper of `[u8]`.
        unsafe { &*(bytes as *const [u8] as *const Key) }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(fnv1a(&self.0));
    }
}

impl Borrow<Key> for Interned {
    fn borrow(&self) -> &Key {
        Key::new(self.bytes())
    }
}

/// Spreads the 32-bit FNV hash over 64 bits.
#[derive(Default)]
struct SpreadHasher(u64);

impl Hasher for SpreadHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[derive(Default)]
pub(crate) struct StringTable {
    set: HashSet<Interned, BuildHasherDefault<SpreadHasher>>,
}

impl StringTable {
    pub fn get(&self, bytes: &[u8]) -> Option<*mut ObjString> {
        self.set.get(Key::new(bytes)).map(|s| s.0)
    }
    /// Adds a live string whose contents are not in the table yet.
    pub fn insert(&mut self, string: *mut ObjString) {
        let fresh = self.set.insert(Interned(string));
        debug_assert!(fresh);
    }
    /// Drops the strings the mark phase did not reach.
    pub fn remove_unmarked(&mut self) {
        // SAFETY: entries are live until this sweep; the marks are current.
        self.set.retain(|s| unsafe { (*s.0).header.marked });
    }
    pub fn len(&self) -> usize {
        self.set.len()
    }
}
