//! Runtime objects named before they exist.
//!
//! Specialized IR names runtime objects by their addresses (a `u64`: the
//! prototype of `call_direct` and `guard_function`, say). Code compiled
//! ahead of time is specialized before any runtime object exists, so there
//! such a field may hold a *symbol* instead: a value that is never an
//! address (user-space addresses are below 2^47), which the code
//! generator resolves through the executable's link table.

use crate::FuncId;

/// The tag of a symbol naming a function's prototype; its low 32 bits are
/// the function id.
const FUNCTION: u64 = 0xB700_0000_0000_0000;
const TAG: u64 = 0xFF00_0000_0000_0000;

/// The symbol of function `id`'s prototype.
pub fn function(id: FuncId) -> u64 {
    FUNCTION | id.0 as u64
}

/// The function whose prototype `bits` names, if they are its symbol.
pub fn as_function(bits: u64) -> Option<FuncId> {
    (bits & TAG == FUNCTION).then_some(FuncId((bits & 0xFFFF_FFFF) as u32))
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
    }
}
