//! Runtime objects named before they exist.
//!
//! Specialized IR names runtime objects by their addresses (a `u64`: the
//! prototype of `call_direct` and `guard_function`, say). Code compiled
//! ahead of time is specialized before any runtime object exists, so there
//! such a field may hold a *symbol* instead: a value that is never an
//! address (user-space addresses are below 2^47), which the code
//! generator resolves through the executable's link table.
//!
//! Two kinds of symbols: a function's prototype ([`function`]), which the
//! executable makes at start-up, and a *class link* ([`link`]), a slot
//! that the executable fills when the script has declared a class whose
//! layout the optimizer predicted ([`ClassLinks`]): the class itself, its
//! shapes and its methods.

use crate::{FuncId, GlobalId, Inst, StrId, Value};

/// The tag of a symbol naming a function's prototype; its low 32 bits are
/// the function id.
const FUNCTION: u64 = 0xB700_0000_0000_0000;
/// The tag of a symbol naming a class link; its low 32 bits are the slot.
const LINK: u64 = 0xB600_0000_0000_0000;
const TAG: u64 = 0xFF00_0000_0000_0000;

/// The symbol of function `id`'s prototype.
pub fn function(id: FuncId) -> u64 {
    FUNCTION | id.0 as u64
}

/// The function whose prototype `bits` names, if they are its symbol.
pub fn as_function(bits: u64) -> Option<FuncId> {
    (bits & TAG == FUNCTION).then_some(FuncId((bits & 0xFFFF_FFFF) as u32))
}

/// Whether `bits` are a symbol (of either kind), not an address or value.
pub fn is_symbol(bits: u64) -> bool {
    matches!(bits & TAG, FUNCTION | LINK)
}

/// The symbol of class link slot `slot` (counted over every class's
/// slots, in [`ClassLinks`] order).
pub fn link(slot: u32) -> u64 {
    LINK | slot as u64
}

/// The class link slot `bits` names, if they are its symbol.
pub fn as_link(bits: u64) -> Option<u32> {
    (bits & TAG == LINK).then_some((bits & 0xFFFF_FFFF) as u32)
}

/// The runtime objects of one class that optimized code names before they
/// exist: the class a top-level declaration makes once (global `global`),
/// which script `func` (the program's, or the standard library's) has
/// complete after instruction `after` (its last `method`, `inherit` or
/// `define_global`), as IR value `value`.
///
/// Its slots, from `first` on: the class value; its shape after each
/// prefix of `path` (the fields its initializer adds, in order: the
/// root shape first, then one more field each); the closure of each
/// method of `methods`. A slot stays 0 (which no object's shape or
/// value is) until the class exists, or if the runtime finds it other
/// than predicted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassLinks {
    pub global: GlobalId,
    pub func: FuncId,
    pub value: Value,
    pub after: Inst,
    pub first: u32,
    pub path: Vec<StrId>,
    pub methods: Vec<StrId>,
}

impl ClassLinks {
    /// How many slots the class has.
    pub fn slots(&self) -> u32 {
        (1 + self.path.len() + 1 + self.methods.len()) as u32
    }

    /// The symbol of the class value.
    pub fn class(&self) -> u64 {
        link(self.first)
    }

    /// The symbol of its shape after the first `fields` fields of `path`.
    pub fn shape(&self, fields: usize) -> u64 {
        debug_assert!(fields <= self.path.len());
        link(self.first + 1 + fields as u32)
    }

    /// The symbol of the closure of method `methods[k]`.
    pub fn method(&self, k: usize) -> u64 {
        link(self.first + 2 + self.path.len() as u32 + k as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_symbol_is_never_an_address_and_names_its_function() {
        let s = function(FuncId(7));
        assert_eq!(as_function(s), Some(FuncId(7)));
        assert!(s >= 1 << 47);
        assert_eq!(as_function(0x7fff_1234_5678), None);
        assert_eq!(as_function(0), None);
        let l = link(3);
        assert_eq!((as_link(l), as_function(l), as_link(s)), (Some(3), None, None));
        assert!(is_symbol(l) && is_symbol(s) && !is_symbol(0x7fff_1234_5678));
        assert!(l >= 1 << 47);
    }
}
