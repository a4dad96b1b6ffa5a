//! The `--profile` report: what each function cost and reached, and the
//! state of the inline caches of the hottest ones.

use crate::manager::FunctionStats;
use brine_ir::{FuncId, InstKind};
use brine_runtime::Program;
use brine_runtime::engine::tier;
use brine_runtime::ic::MEGAMORPHIC;
use std::fmt::Write;

/// How many functions the report lists, hottest first.
const FUNCTIONS: usize = 30;
/// How many of the hottest functions have their inline caches listed.
const CACHE_FUNCTIONS: usize = 10;

fn tier_name(t: u8) -> &'static str {
    match t {
        tier::INTERP => "interp",
        tier::BASELINE => "baseline",
        _ => "optimized",
    }
}

/// The report for `program` after a run; `stats` is by function id.
pub fn report(program: &Program, stats: &[FunctionStats]) -> String {
    let module = &program.module;
    let mut rows: Vec<(FuncId, u64)> = (0..module.functions.len())
        .map(|i| {
            let id = FuncId::new(i);
            // SAFETY: the program's prototypes are live (its constants).
            (id, unsafe { (*program.function_object(id)).calls })
        })
        .filter(|&(_, calls)| calls > 0)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = String::from("== brine profile: functions by calls ==\n");
    let _ = writeln!(
        out,
        "{:<28} {:>6} {:>12} {:>12} {:>9} {:>11} {:>5} {:>5} {:>6} {:>7}",
        "function", "line", "calls", "loops", "tier", "compile ms", "osr", "opts", "deopts", "inlined"
    );
    for &(id, calls) in rows.iter().take(FUNCTIONS) {
        let f = module.function(id);
        let s = stats.get(id.index()).cloned().unwrap_or_default();
        let deopts: u32 = s.deopts.iter().map(|&(_, _, n)| n).sum();
        // SAFETY: as above.
        let loops = unsafe { (*program.function_object(id)).loops };
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>12} {:>12} {:>9} {:>11.3} {:>5} {:>5} {:>6} {:>7}",
            truncate(&f.display_name(), 28),
            f.line,
            calls,
            loops,
            tier_name(s.tier),
            s.compile_time.as_secs_f64() * 1e3,
            s.osr_entries,
            s.optimizations,
            deopts,
            s.inlined
        );
    }
    if rows.len() > FUNCTIONS {
        let _ = writeln!(out, "... and {} more functions that ran", rows.len() - FUNCTIONS);
    }
    if stats.iter().any(|s| s.inlined > 0) {
        let _ = writeln!(
            out,
            "(inlined: into how many optimized functions; calls inlined there are not counted in calls)"
        );
    }
    let profiled = stats.iter().filter(|s| s.profiled_aot).count();
    if profiled > 0 {
        let _ = writeln!(
            out,
            "({profiled} functions left ahead-of-time code for the interpreter, to be profiled and optimized)"
        );
    }
    let total: f64 = stats.iter().map(|s| s.compile_time.as_secs_f64()).sum();
    let compiled = stats.iter().filter(|s| s.tier > tier::INTERP).count();
    let _ =
        writeln!(out, "{} functions ran, {} compiled, {:.3} ms compiling", rows.len(), compiled, total * 1e3);
    let mut deopts: Vec<(FuncId, u32, &str, u32)> = Vec::new();
    for (i, s) in stats.iter().enumerate() {
        deopts.extend(s.deopts.iter().map(|&(line, why, n)| (FuncId::new(i), line, why, n)));
    }
    if !deopts.is_empty() {
        out.push_str("== deoptimizations ==\n");
        deopts.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        for (id, line, why, n) in deopts {
            let _ = writeln!(
                out,
                "{:<28} line {:>5}  {n} x: {why}",
                truncate(&module.function(id).display_name(), 28),
                line
            );
        }
    }
    let declined: Vec<(usize, &String)> =
        stats.iter().enumerate().filter_map(|(i, s)| Some((i, s.declined.as_ref()?))).collect();
    if !declined.is_empty() {
        out.push_str("== not optimized ==\n");
        for (i, why) in declined {
            let f = module.function(FuncId::new(i));
            let _ = writeln!(out, "{:<28} line {:>5}  {why}", truncate(&f.display_name(), 28), f.line);
        }
    }
    out.push_str("== inline caches of the hottest functions ==\n");
    let mut any = false;
    for &(id, _) in rows.iter().take(CACHE_FUNCTIONS) {
        let f = module.function(id);
        for &block in &f.layout {
            for &inst in &f.block(block).insts {
                let (what, name, site) = match &f.inst(inst).kind {
                    InstKind::GetProp { name, site, .. } => ("get", *name, *site),
                    InstKind::SetProp { name, site, .. } => ("set", *name, *site),
                    InstKind::Invoke { name, site, .. } => ("invoke", *name, *site),
                    InstKind::SuperInvoke { name, site, .. } => ("super", *name, *site),
                    _ => continue,
                };
                // SAFETY: a program's caches live as long as the program.
                let state = unsafe { (*program.caches()[site.index()]).state };
                let shape = match state {
                    0 => "empty".to_string(),
                    1 => "monomorphic".to_string(),
                    MEGAMORPHIC => "megamorphic".to_string(),
                    n => format!("polymorphic ({n} shapes)"),
                };
                let _ = writeln!(
                    out,
                    "{:<28} line {:>5}  {what} .{}: {shape}",
                    truncate(&f.display_name(), 28),
                    module.site_line(site),
                    String::from_utf8_lossy(module.string(name))
                );
                any = true;
            }
        }
    }
    if !any {
        out.push_str("(none)\n");
    }
    out
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        s.chars().take(width - 1).collect::<String>() + "…"
    }
}
