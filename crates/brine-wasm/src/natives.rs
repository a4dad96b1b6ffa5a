//! What `exit()` and the stderr natives do in a page.
//!
//! Natively, `exit(code)` ends the process and `eprint(x)` writes to fd 2.
//! A page has neither: here `exit(code)` ends the run with that exit code
//! (it raises an error that unwinds every frame, as nothing in Lox catches
//! one, and the run then reports the code instead of the error), and the
//! stderr natives append to the report's `stderr`. The other natives are
//! the runtime's (`readLine` and friends read an empty stdin; `readFile`
//! and `writeFile` fail with the file system's "unsupported" reason).
//!
//! Natives are plain function pointers, so what they record lives in a
//! thread-local of the thread that runs the program, reset by [`install`]
//! and taken by [`finish`].

use brine_runtime::{Runtime, Value};
use std::cell::RefCell;

#[derive(Default)]
pub(crate) struct Outcome {
    /// The code `exit()` was called with (its low 8 bits, as a process
    /// keeps), if it was.
    pub exit: Option<i32>,
    pub stderr: String,
}

thread_local! {
    static OUTCOME: RefCell<Outcome> = RefCell::new(Outcome::default());
}

/// The natives this crate replaces, under their own names and the `$`
/// names the standard library uses.
const REPLACED: [(&str, u32, brine_runtime::object::NativeFn); 4] =
    [("exit", 1, exit), ("eprint", 1, eprint), ("printerr", 1, eprint), ("print_error", 1, eprint)];

/// Defines the page's natives in `rt` (before a program is loaded into it)
/// and starts a fresh outcome.
pub(crate) fn install(rt: &mut Runtime) {
    OUTCOME.with(|o| *o.borrow_mut() = Outcome::default());
    for (name, arity, function) in REPLACED {
        for name in [name.to_string(), format!("${name}")] {
            let native = rt.new_native(&name, arity, function);
            rt.push_root(Value::object(native));
            let slot = rt.global_slot(name.as_bytes());
            rt.pop_root();
            rt.globals[slot as usize] = Value::object(native);
        }
    }
}

/// What the natives recorded during the run.
pub(crate) fn finish() -> Outcome {
    OUTCOME.with(|o| std::mem::take(&mut *o.borrow_mut()))
}

/// `exit(code)`: ends the run with `code`, an integer.
fn exit(rt: &mut Runtime, args: &[Value]) -> Value {
    let code = args[0];
    if !(code.is_number() && brine_runtime::number::is_integral(code.as_number())) {
        return rt.raise("Expected an integer as the argument of 'exit'.");
    }
    // As a process's exit status: the low 8 bits of the code (saturated
    // to i64 first, as the native `exit` does).
    let status = (code.as_number() as i64 as i32) & 0xff;
    OUTCOME.with(|o| o.borrow_mut().exit = Some(status));
    rt.raise("exit")
}

/// `eprint(x)` (and `printerr`, `print_error`): `print` to the report's stderr.
fn eprint(rt: &mut Runtime, args: &[Value]) -> Value {
    let mut text = Vec::new();
    rt.display(args[0], &mut text);
    text.push(b'\n');
    OUTCOME.with(|o| o.borrow_mut().stderr.push_str(&String::from_utf8_lossy(&text)));
    Value::NIL
}
