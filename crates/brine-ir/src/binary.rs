//! The binary encoding of a module (DESIGN.md section 4): what an
//! executable that re-compiles its functions at run time carries of its
//! program. Compact and versioned: the magic bytes `BRIR`, the format
//! [`VERSION`] as a little-endian `u32`, a 64-bit FNV-1a checksum of the
//! rest (little-endian), then the module in postcard's encoding of the
//! IR's own data types (varints, no field names). Every field of a module
//! is encoded but the two name-to-id indexes, which [`decode`] rebuilds.
//! A decoder refuses bytes of another version or whose checksum does not
//! match (the verifier expects the indexes in a module to be in range, so
//! corrupt bytes must not reach it), and runs the verifier on the rest.

use crate::{Module, verifier};
use std::fmt;

/// The first four bytes of an encoded module.
pub const MAGIC: [u8; 4] = *b"BRIR";

/// The version of the encoding. Bump it with any change to the IR's data
/// types (an instruction, a field, their order): old bytes would decode
/// into the wrong thing. The `encoding_is_pinned` test fails until then.
pub const VERSION: u32 = 2;

/// Why bytes are not a module.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// They do not start with [`MAGIC`].
    NotIr,
    /// They are of another version of the encoding.
    Version { found: u32, expected: u32 },
    /// They are truncated or corrupt, or the module fails the verifier.
    Malformed(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotIr => write!(f, "not Brine IR (no BRIR header)"),
            DecodeError::Version { found, expected } => {
                write!(f, "Brine IR of format version {found}, but this runtime reads version {expected}")
            }
            DecodeError::Malformed(why) => write!(f, "malformed Brine IR: {why}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The bytes of `module`.
pub fn encode(module: &Module) -> Vec<u8> {
    // Encoding into a vector fails only when a type refuses itself, which
    // none of the IR's do.
    let payload = postcard::to_allocvec(module).expect("the IR's types all encode");
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&checksum(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes
}

/// The 64-bit FNV-1a hash of `bytes`.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The module `bytes` encode, verified.
pub fn decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    let Some(rest) = bytes.strip_prefix(&MAGIC) else { return Err(DecodeError::NotIr) };
    let Some((version, rest)) = rest.split_first_chunk::<4>() else {
        return Err(DecodeError::Malformed("no version".into()));
    };
    let found = u32::from_le_bytes(*version);
    if found != VERSION {
        return Err(DecodeError::Version { found, expected: VERSION });
    }
    let Some((sum, rest)) = rest.split_first_chunk::<8>() else {
        return Err(DecodeError::Malformed("no checksum".into()));
    };
    if u64::from_le_bytes(*sum) != checksum(rest) {
        return Err(DecodeError::Malformed("the checksum does not match".into()));
    }
    let (mut module, left): (Module, &[u8]) =
        postcard::take_from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if !left.is_empty() {
        return Err(DecodeError::Malformed(format!("{} bytes after the module", left.len())));
    }
    module.rebuild_indexes();
    verifier::verify_module(&module)
        .map_err(|errors| DecodeError::Malformed(format!("the module fails the verifier: {}", errors[0])))?;
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_module;
    use crate::printer::print_module;

    const SMALL: &str = "sites 1
function f0 \"\"(arity 0, captures 0, script, line 1) {
block0(v0: val, v1: val):
    v2 = number 1.5
    v3 = string \"hi\"
    v4 = add v2, v2 @0  ; line 1
    print v3
    return v4
}
";

    #[test]
    fn a_module_round_trips_and_its_indexes_are_rebuilt() {
        let module = parse_module(SMALL).unwrap();
        let bytes = encode(&module);
        let mut decoded = decode(&bytes).unwrap();
        assert_eq!(print_module(&decoded), print_module(&module));
        assert_eq!(decoded, module);
        // Interning finds what the encoded module had.
        assert_eq!(decoded.intern(b"hi"), module.clone().intern(b"hi"));
        assert_eq!(decoded.strings.len(), module.strings.len());
    }

    #[test]
    fn other_versions_and_bad_bytes_are_errors() {
        let bytes = encode(&parse_module(SMALL).unwrap());
        let mut other = bytes.clone();
        other[4..8].copy_from_slice(&(VERSION + 1).to_le_bytes());
        assert_eq!(decode(&other), Err(DecodeError::Version { found: VERSION + 1, expected: VERSION }));
        assert_eq!(
            decode(&other).unwrap_err().to_string(),
            format!("Brine IR of format version {}, but this runtime reads version {VERSION}", VERSION + 1)
        );
        assert_eq!(decode(b"ELF\x7f"), Err(DecodeError::NotIr));
        assert!(matches!(decode(&bytes[..6]), Err(DecodeError::Malformed(_))));
        for cut in 0..bytes.len() {
            let error = decode(&bytes[..cut]).unwrap_err();
            if cut < MAGIC.len() {
                assert_eq!(error, DecodeError::NotIr, "cut at {cut}");
            } else {
                assert!(matches!(error, DecodeError::Malformed(_)), "cut at {cut}: {error}");
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(decode(&longer), Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn corrupt_bytes_are_an_error() {
        let bytes = encode(&parse_module(SMALL).unwrap());
        // Every change of one byte is caught (by the magic, the version or
        // the checksum).
        for at in 0..bytes.len() {
            for delta in [1u8, 0x40, 0xff] {
                let mut bad = bytes.clone();
                bad[at] = bad[at].wrapping_add(delta);
                assert!(decode(&bad).is_err(), "byte {at} + {delta}");
            }
        }
    }

    #[test]
    fn encoding_is_pinned() {
        // The bytes of a small module, fixed: a change to the IR's data
        // types changes them, and must come with a new VERSION.
        let bytes = encode(&parse_module(SMALL).unwrap());
        assert_eq!(&bytes[..8], b"BRIR\x02\x00\x00\x00");
        let hex: String = bytes[16..].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, PINNED, "the encoding changed: bump VERSION and update PINNED");
    }

    const PINNED: &str = "01000000000101020001050001020304000502000000000000f83f010203000103050002020001041e0300350400050001000000010001000000000001000002010000000001026869000101000000";
}
