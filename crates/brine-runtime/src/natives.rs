//! The native functions every program has (DESIGN.md section 10, except
//! those of lists and maps), defined as globals by `define_all` when a
//! runtime is created: a program that defines one of these names gets its
//! own definition, as with any global.
//!
//! Every native checks its arguments: the count through the arity that
//! `Runtime::plan_call` checks for any callee ("Expected 2 arguments but
//! got 1."), the types here. A wrong type is a runtime error that names
//! the function and the argument, always in the form "Expected a string
//! as the argument of 'len'." (one parameter) or "Expected a number as the
//! second argument of 'pow'." (several). The one exception is DESIGN's
//! settled "Index must be an integer." for a fractional or non-number
//! bound of `substr`.
//!
//! Strings are bytes: lengths, indexes and case mapping work on bytes
//! (ASCII only for `upper`, `lower` and `trim`). Number results are
//! canonical NaN-boxed numbers ([`number`]). Anything a native writes to
//! stderr, and `exit`, comes after a flush of the buffered stdout, so no
//! output is lost or reordered.

use crate::Runtime;
use crate::number::is_integral;
use crate::object::{NativeFn, ObjKind, ObjString};
use crate::value::Value;
use std::io::Write;

/// The name and arity of every native, in the order they are defined (for
/// tools that show or complete them, such as the language server).
pub fn names() -> impl Iterator<Item = (&'static str, u32)> {
    NATIVES.iter().map(|&(name, arity, _)| (name, arity))
}

/// Every native: its name, its arity and its function.
const NATIVES: &[(&str, u32, NativeFn)] = &[
    ("clock", 0, clock),
    // Strings.
    ("len", 1, len),
    ("substr", 3, substr),
    ("indexOf", 2, index_of),
    ("ord", 1, ord),
    ("chr", 1, chr),
    ("str", 1, str_of),
    ("num", 1, num),
    ("upper", 1, upper),
    ("lower", 1, lower),
    ("trim", 1, trim),
    ("split", 2, split),
    ("args", 0, args),
    // Numbers.
    ("floor", 1, floor),
    ("ceil", 1, ceil),
    ("round", 1, round),
    ("sqrt", 1, sqrt),
    ("abs", 1, abs),
    ("min", 2, min),
    ("max", 2, max),
    ("pow", 2, pow),
    ("hash", 1, hash),
    // I/O and the process.
    ("readLine", 0, read_line),
    ("readFile", 1, read_file),
    ("writeFile", 2, write_file),
    ("eprint", 1, eprint),
    ("exit", 1, exit),
    // Compatibility natives of two clox/jlox patches (DESIGN.md section 10).
    ("getc", 0, getc),
    ("print_error", 1, print_error),
    ("read", 0, read),
    ("utf", 4, utf),
    ("printerr", 1, printerr),
];

/// Defines the native functions as globals.
pub(crate) fn define_all(rt: &mut Runtime) {
    for &(name, arity, function) in NATIVES {
        define(rt, name, arity, function);
        // The standard library refers to the natives under names a
        // program cannot redefine.
        define(rt, &format!("${name}"), arity, function);
    }
    let slot = rt.global_slot(b"len");
    rt.len_native = rt.globals[slot as usize];
    crate::library::define_all(rt);
}

pub(crate) fn define(rt: &mut Runtime, name: &str, arity: u32, function: NativeFn) {
    let native = rt.new_native(name, arity, function);
    rt.push_root(Value::object(native));
    let slot = rt.global_slot(name.as_bytes());
    rt.pop_root();
    rt.globals[slot as usize] = Value::object(native);
}

/// A native's result, or `Value::ERROR` (the error raised) as the error.
type Result<T> = std::result::Result<T, Value>;

/// The arguments of one call of the native `name`, with the checks that
/// raise its type errors.
struct Args<'a> {
    name: &'static str,
    values: &'a [Value],
}

impl<'a> Args<'a> {
    fn new(name: &'static str, values: &'a [Value]) -> Args<'a> {
        Args { name, values }
    }

    fn get(&self, i: usize) -> Value {
        self.values[i]
    }

    /// Raises "Expected WHAT as the (first, ...) argument of 'name'." for
    /// argument `i`.
    fn wrong(&self, rt: &mut Runtime, i: usize, what: &str) -> Value {
        const ORDINALS: [&str; 4] = ["first", "second", "third", "fourth"];
        let which = if self.values.len() == 1 {
            "the argument".to_string()
        } else {
            format!("the {} argument", ORDINALS.get(i).copied().unwrap_or("next"))
        };
        rt.raise(format!("Expected {what} as {which} of '{}'.", self.name))
    }

    /// Argument `i`, which must be a string.
    fn string(&self, rt: &mut Runtime, i: usize) -> Result<Value> {
        let v = self.get(i);
        if v.is_kind(ObjKind::String) { Ok(v) } else { Err(self.wrong(rt, i, "a string")) }
    }

    /// The bytes of argument `i`, which must be a string, copied (so that
    /// the native may allocate while it holds them).
    fn bytes(&self, rt: &mut Runtime, i: usize) -> Result<Vec<u8>> {
        let v = self.string(rt, i)?;
        Ok(bytes(rt, v).to_vec())
    }

    /// Argument `i`, which must be a number.
    fn number(&self, rt: &mut Runtime, i: usize) -> Result<f64> {
        let v = self.get(i);
        if v.is_number() { Ok(v.as_number()) } else { Err(self.wrong(rt, i, "a number")) }
    }

    /// Argument `i`, which must be an integer from 0 to 255.
    fn byte(&self, rt: &mut Runtime, i: usize) -> Result<u8> {
        match self.get(i) {
            v if v.is_number() && is_integral(v.as_number()) && (0.0..=255.0).contains(&v.as_number()) => {
                Ok(v.as_number() as u8)
            }
            _ => Err(self.wrong(rt, i, "an integer from 0 to 255")),
        }
    }

    /// Argument `i` as a string index (a bound of `substr`): an integer.
    fn index(&self, rt: &mut Runtime, i: usize) -> Result<f64> {
        match self.get(i) {
            v if v.is_number() && is_integral(v.as_number()) => Ok(v.as_number()),
            _ => Err(rt.raise("Index must be an integer.")),
        }
    }
}

/// The bytes of a live string.
fn bytes(rt: &Runtime, string: Value) -> &[u8] {
    rt.str_bytes(string).unwrap_or_default()
}

/// `x` as a Lox number: NaN boxed as the canonical NaN (the C library may
/// return another, which would not be a number as NaN-boxing reads it).
fn number(x: f64) -> Value {
    Value::number(if x.is_nan() { f64::NAN } else { x })
}

/// Runs a native's body, turning its error into `Value::ERROR`.
fn run(body: impl FnOnce() -> Result<Value>) -> Value {
    body().unwrap_or_else(|error| error)
}

// ---- strings -------------------------------------------------------------------

/// `split(s, sep)`: the list of the parts of `s` between occurrences of
/// `sep`; an empty `sep` splits `s` into its bytes (as JavaScript's
/// `split` splits into characters).
fn split(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("split", args);
    run(|| {
        let s = args.string(rt, 0)?;
        let sep = args.string(rt, 1)?;
        let (text, sep) = (bytes(rt, s).to_vec(), bytes(rt, sep).to_vec());
        // The parts as ranges of `text`.
        let mut parts: Vec<(usize, usize)> = Vec::new();
        if sep.is_empty() {
            parts.extend((0..text.len()).map(|i| (i, i + 1)));
        } else {
            let mut start = 0;
            let mut i = 0;
            while i + sep.len() <= text.len() {
                if text[i..i + sep.len()] == sep[..] {
                    parts.push((start, i));
                    i += sep.len();
                    start = i;
                } else {
                    i += 1;
                }
            }
            parts.push((start, text.len()));
        }
        Ok(strings_list(rt, parts.iter().map(|&(a, b)| &text[a..b])))
    })
}

/// `args()`: the script's arguments after its file name, a list of strings.
fn args(rt: &mut Runtime, _args: &[Value]) -> Value {
    let parts = rt.script_args.clone();
    strings_list(rt, parts.iter().map(Vec::as_slice))
}

/// A new list of these strings (each rooted while the next is made).
fn strings_list<'a>(rt: &mut Runtime, parts: impl ExactSizeIterator<Item = &'a [u8]>) -> Value {
    let mut values = Vec::with_capacity(parts.len());
    for p in parts {
        let v = rt.intern(p);
        rt.push_root(v);
        values.push(v);
    }
    let list = rt.new_list(&values);
    for _ in &values {
        rt.pop_root();
    }
    list
}

/// `clock()`: seconds since the runtime started, as a number.
fn clock(rt: &mut Runtime, _args: &[Value]) -> Value {
    Value::number(rt.start.elapsed().as_secs_f64())
}

/// `len(x)`: the number of bytes of a string, or of elements of a list or
/// map.
fn len(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("len", args);
    let x = args.get(0);
    let n = if rt.is_list(x) {
        rt.list_len(x)
    } else if rt.is_map(x) {
        rt.map_len(x)
    } else {
        rt.str_bytes(x).map(<[u8]>::len)
    };
    match n {
        Some(n) => Value::number(n as f64),
        None => args.wrong(rt, 0, "a string, list or map"),
    }
}

/// A bound of `substr` as JavaScript's `slice` takes it: negative counts
/// from the end; the result is clamped to `0 ..= len`.
fn clamp_bound(bound: f64, len: usize) -> usize {
    let len_f = len as f64;
    let at = if bound < 0.0 { (len_f + bound).max(0.0) } else { bound.min(len_f) };
    at as usize
}

/// `substr(s, start, end)`: the bytes from `start` up to (not including)
/// `end`, as JavaScript's `slice`.
fn substr(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("substr", args);
    run(|| {
        let s = args.string(rt, 0)?;
        let (start, end) = (args.index(rt, 1)?, args.index(rt, 2)?);
        let text = bytes(rt, s);
        let (from, to) = (clamp_bound(start, text.len()), clamp_bound(end, text.len()));
        let piece = if from < to { text[from..to].to_vec() } else { Vec::new() };
        Ok(rt.intern(&piece))
    })
}

/// `indexOf(s, sub)`: the byte index of the first occurrence of `sub` in
/// `s`, or -1; an empty `sub` is at 0.
fn index_of(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("indexOf", args);
    run(|| {
        let (s, sub) = (args.string(rt, 0)?, args.string(rt, 1)?);
        let (s, sub) = (bytes(rt, s), bytes(rt, sub));
        let at = if sub.is_empty() { Some(0) } else { s.windows(sub.len()).position(|w| w == sub) };
        Ok(Value::number(at.map_or(-1.0, |at| at as f64)))
    })
}

/// `ord(s)`: the value of the first byte of a non-empty string.
fn ord(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("ord", args);
    run(|| {
        let s = args.string(rt, 0)?;
        match bytes(rt, s).first() {
            Some(&b) => Ok(Value::number(b as f64)),
            None => Err(args.wrong(rt, 0, "a non-empty string")),
        }
    })
}

/// `chr(n)`: the one-byte string of byte `n`.
fn chr(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("chr", args);
    run(|| {
        let b = args.byte(rt, 0)?;
        Ok(rt.byte_string(b))
    })
}

/// `str(x)`: the text `print` shows for `x`.
fn str_of(rt: &mut Runtime, args: &[Value]) -> Value {
    let mut text = std::mem::take(&mut rt.scratch);
    text.clear();
    rt.display(args[0], &mut text);
    let s = rt.intern(&text);
    rt.scratch = text;
    s
}

/// Whether `text` is a Lox number literal (digits, optionally a `.` and
/// more digits) with an optional leading `-`.
fn is_number_literal(text: &[u8]) -> bool {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
        None => (digits, None),
    };
    let all_digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// `num(s)`: the number a Lox number literal (with an optional leading
/// `-`) stands for, or nil when `s` is not one.
fn num(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("num", args);
    run(|| {
        let s = args.string(rt, 0)?;
        let text = bytes(rt, s);
        if !is_number_literal(text) {
            return Ok(Value::NIL);
        }
        // ASCII digits, so UTF-8, and a literal Rust parses (correctly rounded).
        let value = std::str::from_utf8(text).ok().and_then(|t| t.parse::<f64>().ok());
        Ok(value.map_or(Value::NIL, number))
    })
}

/// A string native that maps the bytes of its one argument.
fn map_string(rt: &mut Runtime, args: &[Value], name: &'static str, f: fn(&[u8]) -> Vec<u8>) -> Value {
    let args = Args::new(name, args);
    run(|| {
        let s = args.string(rt, 0)?;
        let mapped = f(bytes(rt, s));
        Ok(rt.intern(&mapped))
    })
}

/// `upper(s)`: ASCII letters in upper case; other bytes as they are.
fn upper(rt: &mut Runtime, args: &[Value]) -> Value {
    map_string(rt, args, "upper", <[u8]>::to_ascii_uppercase)
}

/// `lower(s)`: ASCII letters in lower case; other bytes as they are.
fn lower(rt: &mut Runtime, args: &[Value]) -> Value {
    map_string(rt, args, "lower", <[u8]>::to_ascii_lowercase)
}

/// `trim(s)`: without the ASCII white space (space, `\t`, `\n`, `\v`,
/// `\f`, `\r`) at either end.
fn trim(rt: &mut Runtime, args: &[Value]) -> Value {
    fn space(b: &u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
    }
    map_string(rt, args, "trim", |s| {
        let start = s.iter().position(|b| !space(b)).unwrap_or(s.len());
        let end = s.iter().rposition(|b| !space(b)).map_or(start, |i| i + 1);
        s[start..end.max(start)].to_vec()
    })
}

// ---- numbers -------------------------------------------------------------------

/// A native of one number.
fn unary(rt: &mut Runtime, args: &[Value], name: &'static str, f: fn(f64) -> f64) -> Value {
    let args = Args::new(name, args);
    run(|| Ok(number(f(args.number(rt, 0)?))))
}

/// A native of two numbers.
fn binary(rt: &mut Runtime, args: &[Value], name: &'static str, f: fn(f64, f64) -> f64) -> Value {
    let args = Args::new(name, args);
    run(|| {
        let (a, b) = (args.number(rt, 0)?, args.number(rt, 1)?);
        Ok(number(f(a, b)))
    })
}

fn floor(rt: &mut Runtime, args: &[Value]) -> Value {
    unary(rt, args, "floor", f64::floor)
}

fn ceil(rt: &mut Runtime, args: &[Value]) -> Value {
    unary(rt, args, "ceil", f64::ceil)
}

/// `round(x)`: halves away from zero (`round(-2.5)` is -3).
fn round(rt: &mut Runtime, args: &[Value]) -> Value {
    unary(rt, args, "round", f64::round)
}

fn sqrt(rt: &mut Runtime, args: &[Value]) -> Value {
    unary(rt, args, "sqrt", f64::sqrt)
}

fn abs(rt: &mut Runtime, args: &[Value]) -> Value {
    unary(rt, args, "abs", f64::abs)
}

/// `min(a, b)`, as JavaScript's `Math.min`: NaN if either is, and -0 is
/// less than 0.
fn min(rt: &mut Runtime, args: &[Value]) -> Value {
    binary(rt, args, "min", |a, b| {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else if a == b {
            if a.is_sign_negative() { a } else { b }
        } else {
            a.min(b)
        }
    })
}

/// `max(a, b)`, as JavaScript's `Math.max`: NaN if either is, and 0 is
/// greater than -0.
fn max(rt: &mut Runtime, args: &[Value]) -> Value {
    binary(rt, args, "max", |a, b| {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else if a == b {
            if a.is_sign_negative() { b } else { a }
        } else {
            a.max(b)
        }
    })
}

/// `pow(a, b)`: `a` to the power `b`, as C's `pow`.
fn pow(rt: &mut Runtime, args: &[Value]) -> Value {
    binary(rt, args, "pow", f64::powf)
}

/// `hash(x)`: an integer from 0 to 2^32 - 1 for any value, equal for
/// values that are `==`: a string's by its bytes, a number's by its value
/// (0 and -0 alike), nil's and the booleans' fixed, any other object's by
/// its identity (its address, which never changes while it lives).
fn hash(_rt: &mut Runtime, args: &[Value]) -> Value {
    let v = args[0];
    let h = if v.is_kind(ObjKind::String) {
        // SAFETY: `v` is a live string.
        unsafe { (*v.as_ptr::<ObjString>()).hash }
    } else {
        // Equal keys hash alike: 0 and -0, and every NaN (one key in a map).
        let bits = if v.is_number() && v.as_number() == 0.0 {
            0
        } else if v.is_number() && v.as_number().is_nan() {
            f64::NAN.to_bits()
        } else {
            v.0
        };
        // The finalizer of SplitMix64: every bit of the value moves the low 32.
        let mut x = bits;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (x ^ (x >> 31)) as u32
    };
    Value::number(h as f64)
}

// ---- I/O and the process -------------------------------------------------------

/// `readLine()`: the next line of stdin without its newline (nor a `\r`
/// before it), or nil at the end of input.
fn read_line(rt: &mut Runtime, _args: &[Value]) -> Value {
    match rt.input.line() {
        Some(line) => rt.intern(&line),
        None => Value::NIL,
    }
}

/// `getc()`: the next byte of stdin, or -1 at the end of input.
fn getc(rt: &mut Runtime, _args: &[Value]) -> Value {
    Value::number(rt.input.byte().map_or(-1.0, f64::from))
}

/// `read()`: the next byte of stdin, or nil at the end of input.
fn read(rt: &mut Runtime, _args: &[Value]) -> Value {
    rt.input.byte().map_or(Value::NIL, |b| Value::number(b.into()))
}

/// The operating system's reason for an I/O error, without Rust's
/// " (os error N)".
fn reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A path argument as the OS takes it (any bytes, on Unix).
#[cfg(unix)]
fn path(bytes: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).into()
}

#[cfg(not(unix))]
fn path(bytes: &[u8]) -> std::path::PathBuf {
    String::from_utf8_lossy(bytes).into_owned().into()
}

/// `readFile(path)`: the contents of a file, as a string.
fn read_file(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("readFile", args);
    run(|| {
        let name = args.bytes(rt, 0)?;
        let shown = String::from_utf8_lossy(&name).into_owned();
        match std::fs::read(path(&name)) {
            // Strings count their bytes in 32 bits.
            Ok(contents) if contents.len() > u32::MAX as usize => {
                Err(rt.raise(format!("Cannot read file '{shown}': File too large.")))
            }
            Ok(contents) => Ok(rt.intern(&contents)),
            Err(e) => Err(rt.raise(format!("Cannot read file '{shown}': {}.", reason(&e)))),
        }
    })
}

/// `writeFile(path, s)`: replaces the contents of a file (created if
/// need be) with a string; returns nil.
fn write_file(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("writeFile", args);
    run(|| {
        let name = args.bytes(rt, 0)?;
        let contents = args.string(rt, 1)?;
        match std::fs::write(path(&name), bytes(rt, contents)) {
            Ok(()) => Ok(Value::NIL),
            Err(e) => {
                let shown = String::from_utf8_lossy(&name);
                Err(rt.raise(format!("Cannot write file '{shown}': {}.", reason(&e))))
            }
        }
    })
}

/// Writes what `print` would show for `v`, and a newline, to stderr, after
/// flushing stdout. Write errors are ignored, as `print`'s are.
fn write_stderr(rt: &mut Runtime, v: Value) -> Value {
    rt.out.flush();
    let mut text = Vec::new();
    rt.display(v, &mut text);
    text.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&text);
    Value::NIL
}

/// `eprint(x)`: `print` to stderr.
fn eprint(rt: &mut Runtime, args: &[Value]) -> Value {
    write_stderr(rt, args[0])
}

/// `printerr(s)` (compatibility): as `eprint`; it takes any value.
fn printerr(rt: &mut Runtime, args: &[Value]) -> Value {
    write_stderr(rt, args[0])
}

/// `print_error(s)` (compatibility): as `eprint`; it takes any value.
fn print_error(rt: &mut Runtime, args: &[Value]) -> Value {
    write_stderr(rt, args[0])
}

/// `exit(code)`: flushes stdout and ends the process with `code` (an
/// integer; the OS keeps its low 8 bits, so -1 is 255).
fn exit(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("exit", args);
    let code = args.get(0);
    if !(code.is_number() && is_integral(code.as_number())) {
        return args.wrong(rt, 0, "an integer");
    }
    rt.out.flush();
    // Saturating to i64, then keeping the low 32 bits: the low 8 are the
    // code's own for every integer a program is likely to pass.
    std::process::exit(code.as_number() as i64 as i32)
}

/// `utf(b1, b2, b3, b4)` (compatibility): the string of these bytes (the
/// UTF-8 encoding of one character, say); `b1` is a byte, each later one a
/// byte or nil (left out). The bytes are not checked to be valid UTF-8.
fn utf(rt: &mut Runtime, args: &[Value]) -> Value {
    let args = Args::new("utf", args);
    run(|| {
        let mut text = vec![args.byte(rt, 0)?];
        for i in 1..4 {
            if !args.get(i).is_nil() {
                text.push(args.byte(rt, i)?);
            }
        }
        Ok(rt.intern(&text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals_are_recognized_exactly() {
        for good in ["0", "-0", "12", "007", "3.25", "-3.25", "1.0"] {
            assert!(is_number_literal(good.as_bytes()), "{good}");
        }
        for bad in ["", "-", "--1", "+1", ".5", "5.", "1.2.3", " 1", "1 ", "1e3", "0x10", "inf", "nan", "-.5"]
        {
            assert!(!is_number_literal(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn bounds_clamp_as_javascript_slice() {
        assert_eq!(clamp_bound(0.0, 5), 0);
        assert_eq!(clamp_bound(7.0, 5), 5);
        assert_eq!(clamp_bound(-2.0, 5), 3);
        assert_eq!(clamp_bound(-9.0, 5), 0);
        assert_eq!(clamp_bound(-0.0, 5), 0);
        assert_eq!(clamp_bound(1e300, 5), 5);
        assert_eq!(clamp_bound(-1e300, 5), 0);
    }

    #[test]
    fn every_type_error_names_its_native() {
        // Natives that take any value or none (and those that would read
        // stdin or write stderr) aside, nil is a wrong argument for every
        // native.
        let any =
            ["clock", "str", "hash", "args", "readLine", "getc", "read", "eprint", "printerr", "print_error"];
        let mut rt = Runtime::with_gc_stress(false);
        for &(name, arity, function) in NATIVES {
            if any.contains(&name) {
                continue;
            }
            let args = vec![Value::NIL; arity as usize];
            assert!(function(&mut rt, &args).is_error(), "{name}");
            let error = rt.take_error().expect("an error is pending");
            assert!(error.message.contains(&format!(" of '{name}'.")), "{name}: {}", error.message);
        }
        for name in ["str", "hash"] {
            let &(_, _, function) = NATIVES.iter().find(|n| n.0 == name).unwrap();
            assert!(!function(&mut rt, &[Value::NIL]).is_error(), "{name}");
        }
    }

    #[test]
    fn every_native_is_a_global() {
        let mut rt = Runtime::with_gc_stress(false);
        for &(name, arity, _) in NATIVES {
            let slot = rt.global_slot(name.as_bytes());
            let v = rt.globals[slot as usize];
            assert!(v.is_kind(ObjKind::Native), "{name}");
            // SAFETY: a live native.
            assert_eq!(unsafe { (*v.as_ptr::<crate::object::ObjNative>()).arity }, arity, "{name}");
        }
    }

    #[test]
    fn integers_are_whole_and_finite() {
        assert!(is_integral(0.0) && is_integral(-0.0) && is_integral(-3.0) && is_integral(1e300));
        assert!(!is_integral(0.5) && !is_integral(f64::INFINITY) && !is_integral(f64::NAN));
    }
}
