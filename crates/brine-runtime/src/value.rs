//! NaN-boxed Lox values.
//!
//! A [`Value`] is one 64-bit word:
//! - a double is stored as itself (every NaN that arithmetic produces is a
//!   canonical NaN, which never has all the `QNAN` bits set);
//! - `nil`, `false`, `true` are `QNAN | 1`, `QNAN | 2`, `QNAN | 3`;
//! - two internal markers that Lox code never sees: `UNDEF` (an undefined
//!   global slot) and `ERROR` (returned by any runtime entry point when a
//!   runtime error is pending, DESIGN.md section 7);
//! - a heap pointer is `SIGN | QNAN | address` (the address fits in 48 bits).
//!
//! Compiled code relies on these exact encodings: keep them in sync with the
//! code generator when they change.

use crate::object::{ObjHeader, ObjKind};

pub const SIGN_BIT: u64 = 0x8000_0000_0000_0000;
pub const QNAN: u64 = 0x7ffc_0000_0000_0000;
pub const TAG_NIL: u64 = 1;
pub const TAG_FALSE: u64 = 2;
pub const TAG_TRUE: u64 = 3;
pub const TAG_UNDEF: u64 = 4;
pub const TAG_ERROR: u64 = 5;
/// Mask that selects the tag bits of an object value.
pub const OBJ_TAG: u64 = SIGN_BIT | QNAN;

#[derive(Copy, Clone, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Value(pub u64);

impl Value {
    pub const NIL: Value = Value(QNAN | TAG_NIL);
    pub const FALSE: Value = Value(QNAN | TAG_FALSE);
    pub const TRUE: Value = Value(QNAN | TAG_TRUE);
    pub const UNDEF: Value = Value(QNAN | TAG_UNDEF);
    pub const ERROR: Value = Value(QNAN | TAG_ERROR);

    #[inline]
    pub fn number(n: f64) -> Value {
        Value(n.to_bits())
    }
    #[inline]
    pub fn bool(b: bool) -> Value {
        if b { Value::TRUE } else { Value::FALSE }
    }
    #[inline]
    pub fn object<T>(ptr: *const T) -> Value {
        debug_assert!(!ptr.is_null());
        debug_assert_eq!((ptr as u64) & OBJ_TAG, 0);
        Value(OBJ_TAG | ptr as u64)
    }

    #[inline]
    pub fn is_number(self) -> bool {
        self.0 & QNAN != QNAN
    }
    #[inline]
    pub fn as_number(self) -> f64 {
        debug_assert!(self.is_number());
        f64::from_bits(self.0)
    }
    #[inline]
    pub fn is_nil(self) -> bool {
        self == Value::NIL
    }
    #[inline]
    pub fn is_bool(self) -> bool {
        self.0 | 1 == Value::TRUE.0
    }
    #[inline]
    pub fn is_error(self) -> bool {
        self == Value::ERROR
    }
    #[inline]
    pub fn is_undef(self) -> bool {
        self == Value::UNDEF
    }
    #[inline]
    pub fn is_object(self) -> bool {
        self.0 & OBJ_TAG == OBJ_TAG
    }
    /// The object's address. Only meaningful when `is_object()`.
    #[inline]
    pub fn as_ptr<T>(self) -> *mut T {
        debug_assert!(self.is_object());
        (self.0 & !OBJ_TAG) as *mut T
    }
    /// Lox truthiness: `nil` and `false` are false, everything else is true.
    #[inline]
    pub fn is_truthy(self) -> bool {
        self != Value::NIL && self != Value::FALSE
    }

    /// The object's kind, or `None` for a non-object value.
    #[inline]
    pub fn obj_kind(self) -> Option<ObjKind> {
        if self.is_object() {
            // SAFETY: every object value points at a live heap object, whose
            // first field is its header (all object layouts are #[repr(C)]
            // with the header first). Values are only created from live
            // objects, and the GC keeps every reachable object alive.
            Some(unsafe { (*self.as_ptr::<ObjHeader>()).kind })
        } else {
            None
        }
    }
    #[inline]
    pub fn is_kind(self, kind: ObjKind) -> bool {
        self.obj_kind() == Some(kind)
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_number() {
            write!(f, "{}", self.as_number())
        } else if *self == Value::NIL {
            write!(f, "nil")
        } else if *self == Value::TRUE {
            write!(f, "true")
        } else if *self == Value::FALSE {
            write!(f, "false")
        } else if *self == Value::UNDEF {
            write!(f, "<undef>")
        } else if *self == Value::ERROR {
            write!(f, "<error>")
        } else if self.is_object() {
            write!(f, "<obj {:#x}>", self.0 & !OBJ_TAG)
        } else {
            write!(f, "<bad value {:#x}>", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_distinct() {
        let specials = [Value::NIL, Value::FALSE, Value::TRUE, Value::UNDEF, Value::ERROR];
        for (i, a) in specials.iter().enumerate() {
            assert!(!a.is_number());
            assert!(!a.is_object());
            for b in &specials[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(Value::TRUE.is_bool() && Value::FALSE.is_bool() && !Value::NIL.is_bool());
    }

    #[test]
    fn numbers_round_trip() {
        for n in [0.0, -0.0, 1.5, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN_POSITIVE] {
            let v = Value::number(n);
            assert!(v.is_number());
            assert_eq!(v.as_number().to_bits(), n.to_bits());
        }
        let zero = std::hint::black_box(0.0f64);
        let nan = Value::number(zero / zero);
        assert!(nan.is_number() && nan.as_number().is_nan());
        let nan2 = Value::number(-(zero / zero));
        assert!(nan2.is_number());
    }

    #[test]
    fn truthiness() {
        assert!(!Value::NIL.is_truthy());
        assert!(!Value::FALSE.is_truthy());
        assert!(Value::TRUE.is_truthy());
        assert!(Value::number(0.0).is_truthy());
    }
}
