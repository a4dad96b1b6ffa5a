//! A run's observations, saved for a build (`brine run --save-profile`,
//! `brine build -O2 --use-profile`).

use crate::Operands;
use brine_ir::{FuncId, Module, SiteId};

/// What a run observed of a program (`brine run --save-profile`), for
/// optimizing it ahead of time from that (`brine build -O2
/// --use-profile`): the operand kinds of its arithmetic and comparison
/// sites, and the one function each call site called, if it called one.
/// Only what names no runtime object: function ids, not shapes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// A hash of the module the profile is of (`module_hash`).
    pub module: u64,
    pub operands: Vec<(SiteId, Operands)>,
    pub calls: Vec<(SiteId, FuncId)>,
}

/// The first line of a profile's text.
const PROFILE_HEADER: &str = "brine profile 1";

impl Profile {
    /// The profile as text: a header line, `module HASH`, then one line per
    /// fact (`operands SITE NUMBERS OTHER`, `call SITE FUNCTION`).
    pub fn to_text(&self) -> String {
        let mut out = format!("{PROFILE_HEADER}\nmodule {:016x}\n", self.module);
        for (site, o) in &self.operands {
            out.push_str(&format!("operands {} {} {}\n", site.0, o.numbers as u8, o.other as u8));
        }
        for (site, func) in &self.calls {
            out.push_str(&format!("call {} {}\n", site.0, func.0));
        }
        out
    }

    /// Reads a profile's text; an error says which line is wrong.
    pub fn from_text(text: &str) -> Result<Profile, String> {
        let mut lines = text.lines().enumerate();
        if lines.next().map(|(_, l)| l) != Some(PROFILE_HEADER) {
            return Err(format!("not a Brine profile (its first line is not `{PROFILE_HEADER}`)"));
        }
        let mut profile = Profile::default();
        for (n, line) in lines {
            let bad = || format!("line {}: malformed: `{line}`", n + 1);
            let words: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| words.get(i).and_then(|w| w.parse::<u32>().ok()).ok_or_else(bad);
            match words.first() {
                Some(&"module") => {
                    let hash = words.get(1).and_then(|w| u64::from_str_radix(w, 16).ok()).ok_or_else(bad)?;
                    profile.module = hash;
                }
                Some(&"operands") => {
                    let flag =
                        |i: usize| number(i).and_then(|v| if v <= 1 { Ok(v == 1) } else { Err(bad()) });
                    let operands = Operands { numbers: flag(2)?, other: flag(3)? };
                    profile.operands.push((SiteId(number(1)?), operands));
                }
                Some(&"call") => profile.calls.push((SiteId(number(1)?), FuncId(number(2)?))),
                None => {}
                Some(_) => return Err(bad()),
            }
        }
        Ok(profile)
    }
}

/// The hash that ties a profile to its module: FNV-1a of the module's
/// binary encoding (the same source compiled by the same Brine).
pub fn module_hash(module: &Module) -> u64 {
    brine_ir::binary::encode(module)
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}
