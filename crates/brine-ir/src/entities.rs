//! Typed indexes into the IR's tables.

macro_rules! entity {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
            #[inline]
            pub fn new(index: usize) -> Self {
                Self(u32::try_from(index).expect(concat!(stringify!($name), " index overflow")))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(self, f)
            }
        }
    };
}

entity!(
    /// A function in a [`crate::Module`].
    FuncId,
    "f"
);
entity!(
    /// A basic block in a [`crate::Function`].
    Block,
    "block"
);
entity!(
    /// An SSA value in a [`crate::Function`]: an instruction result or a block parameter.
    Value,
    "v"
);
entity!(
    /// An instruction in a [`crate::Function`].
    Inst,
    "i"
);
entity!(
    /// A dynamic operation's site: its source line, later its profile slot.
    SiteId,
    "@"
);
entity!(
    /// A string constant in a [`crate::Module`] (literals, property and global names).
    StrId,
    "s"
);
entity!(
    /// A global variable of a [`crate::Module`], by name.
    GlobalId,
    "g"
);
entity!(
    /// A frame state of a [`crate::Function`]: what a guard that fails
    /// needs to rebuild the interpreter frame ([`crate::FrameState`]).
    StateId,
    "fs"
);
entity!(
    /// A call inlined into a [`crate::Function`] ([`crate::InlinedCall`]):
    /// the interpreter frame its blocks run in.
    InlineId,
    "in"
);
