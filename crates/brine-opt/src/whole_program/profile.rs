//! A run's observations, saved for a build (`brine run --save-profile`,
//! `brine build -O2 --use-profile`).

use crate::Operands;
use brine_ir::{FuncId, GlobalId, Module, SiteId, StrId};

/// What a run observed of a program (`brine run --save-profile`), for
/// optimizing it ahead of time from that (`brine build -O2
/// --use-profile`): the operand kinds of its arithmetic and comparison
/// sites, the one function each call site called, if it called one, and
/// the shapes the inline cache of each property and invoke site holds.
/// Only what names no runtime object: function ids, and a shape as the
/// global that holds its class and its fields in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// A hash of the module the profile is of (`module_hash`).
    pub module: u64,
    pub operands: Vec<(SiteId, Operands)>,
    pub calls: Vec<(SiteId, FuncId)>,
    /// One entry per shape a site's cache holds, in the cache's order: the
    /// global that held the shape's class, and the shape's fields.
    pub shapes: Vec<(SiteId, GlobalId, Vec<StrId>)>,
    /// How many calls and loop iterations the interpreter ran of each
    /// function that ran (hot code runs natively, uncounted, so this is a
    /// lower bound; every function starts in the interpreter, so one that
    /// ran has a count).
    pub counts: Vec<(FuncId, u64)>,
}

/// The first line of a profile's text.
const PROFILE_HEADER: &str = "brine profile 2";

impl Profile {
    /// The profile as text: a header line, `module HASH`, then one line per
    /// fact (`operands SITE NUMBERS OTHER`, `call SITE FUNCTION`, `shape
    /// SITE GLOBAL FIELD...`, `count FUNCTION N`).
    pub fn to_text(&self) -> String {
        let mut out = format!("{PROFILE_HEADER}\nmodule {:016x}\n", self.module);
        for (site, o) in &self.operands {
            out.push_str(&format!("operands {} {} {}\n", site.0, o.numbers as u8, o.other as u8));
        }
        for (site, func) in &self.calls {
            out.push_str(&format!("call {} {}\n", site.0, func.0));
        }
        for (func, n) in &self.counts {
            out.push_str(&format!("count {} {n}\n", func.0));
        }
        for (site, global, fields) in &self.shapes {
            out.push_str(&format!("shape {} {}", site.0, global.0));
            for f in fields {
                out.push_str(&format!(" {}", f.0));
            }
            out.push('\n');
        }
        out
    }

    /// Reads a profile's text; an error says which line is wrong.
    pub fn from_text(text: &str) -> Result<Profile, String> {
        let mut lines = text.lines().enumerate();
        match lines.next().map(|(_, l)| l) {
            Some(PROFILE_HEADER) => {}
            Some(other) if other.starts_with("brine profile ") => {
                return Err(format!(
                    "a profile of another format (`{other}`; this Brine reads `{PROFILE_HEADER}`): save it \
                     again with `brine run --save-profile`"
                ));
            }
            _ => return Err(format!("not a Brine profile (its first line is not `{PROFILE_HEADER}`)")),
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
                Some(&"count") => {
                    let n = words.get(2).and_then(|w| w.parse::<u64>().ok()).ok_or_else(bad)?;
                    if words.len() != 3 {
                        return Err(bad());
                    }
                    profile.counts.push((FuncId(number(1)?), n));
                }
                Some(&"shape") => {
                    let fields = (3..words.len()).map(|i| number(i).map(StrId)).collect::<Result<_, _>>()?;
                    profile.shapes.push((SiteId(number(1)?), GlobalId(number(2)?), fields));
                }
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
