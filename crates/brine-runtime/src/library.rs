//! What the runtime does for the standard library written in Lox
//! (`lib/*.lox`, DESIGN.md section 10): the raw array primitive, the
//! library's own natives (named with a `$`, which a program cannot write),
//! and the operations on its lists that the runtime does itself: list
//! literals, `xs[i]`, `xs[i] = v`, `len` and printing; and for its maps,
//! `m[k]` and `m[k] = v` (which call `Map`'s own `get` and `set`), `len`
//! and printing.
//!
//! A list is an instance of the library's `List` class (which the library
//! registers with `$register`) with two fields: `$items`, a raw array of at
//! least `$len` slots, and `$len`, its length.

use crate::object::{NativeFn, ObjArray, ObjClass, ObjInstance, ObjKind, ObjShape, ObjString};
use crate::value::Value;
use crate::{Runtime, objects};

/// The library's natives: name (with its `$`), arity, function.
const NATIVES: &[(&str, u32, NativeFn)] = &[
    ("$array", 1, array),
    ("$alen", 1, alen),
    ("$aget", 2, aget),
    ("$aset", 3, aset),
    ("$agrow", 2, agrow),
    ("$join", 3, join),
    ("$fail", 1, fail),
    ("$index", 2, index),
    ("$integer", 1, integer),
    ("$floor", 1, floor),
    ("$less", 2, less),
    ("$register", 2, register),
    ("$mutable", 1, mutable),
];

/// Defines the library's natives as globals.
pub(crate) fn define_all(rt: &mut Runtime) {
    for &(name, arity, function) in NATIVES {
        crate::natives::define(rt, name, arity, function);
    }
}

/// The largest raw array: element counts are 32-bit.
const MAX_ARRAY: f64 = u32::MAX as f64;

impl Runtime {
    /// A new raw array of `len` nils.
    pub fn new_array(&mut self, len: usize) -> *mut ObjArray {
        let size = std::mem::size_of::<ObjArray>() + 8 * len;
        let obj = self.alloc(size, ObjKind::Array, &[]) as *mut ObjArray;
        // SAFETY: a fresh object of `size` bytes: the header, then `len` slots.
        unsafe {
            (*obj).len = len as u32;
            (*obj)._pad = 0;
            (*obj).items = ObjArray::inline_items(obj);
            let items = ObjArray::items(obj);
            for i in 0..len {
                *items.add(i) = Value::NIL;
            }
        }
        obj
    }

    /// Makes `array` `len` slots long (not shorter than it is), the new
    /// ones nil, in place: its slots move to a buffer of their own, which
    /// later growth reallocates (for a large one the allocator remaps the
    /// pages rather than copying them, so a growing list never holds two
    /// copies of its elements). Anything that holds `array` sees the new
    /// slots; code must not keep a pointer to the old ones across this.
    pub fn grow_array(&mut self, array: *mut ObjArray, len: usize) {
        // SAFETY: a live array; its buffer, when it owns one, has the
        // layout of its length (`ObjArray::items`), and the new one that
        // of `len`; every slot below `len` is written before it is read.
        unsafe {
            let old = (*array).len as usize;
            if len <= old {
                return;
            }
            let new_layout = ObjArray::buffer_layout(len);
            let owned = ObjArray::owns_buffer(array);
            let items = if owned {
                std::alloc::realloc((*array).items.cast(), ObjArray::buffer_layout(old), new_layout.size())
            } else {
                let buffer = std::alloc::alloc(new_layout);
                if !buffer.is_null() {
                    std::ptr::copy_nonoverlapping((*array).items, buffer.cast::<Value>(), old);
                }
                buffer
            };
            if items.is_null() {
                std::alloc::handle_alloc_error(new_layout);
            }
            let items = items.cast::<Value>();
            for i in old..len {
                items.add(i).write(Value::NIL);
            }
            (*array).items = items;
            (*array).len = len as u32;
            self.heap.note_external(if owned { len - old } else { len } * 8);
        }
    }

    /// Whether `v` is one of the library's lists: an instance of `List`,
    /// or of a class that inherits from it.
    pub fn is_list(&self, v: Value) -> bool {
        v.is_kind(ObjKind::Instance) && self.inherits(v, self.list_class)
    }

    /// Whether instance `v`'s class is `class` or inherits from it.
    fn inherits(&self, v: Value, class: *mut ObjClass) -> bool {
        if class.is_null() {
            return false;
        }
        let mut c = Runtime::instance_class(v.as_ptr::<ObjInstance>());
        while !c.is_null() {
            if c == class {
                return true;
            }
            // SAFETY: a live class's superclass is null or a live class.
            c = unsafe { (*c).superclass };
        }
        false
    }

    /// A list's raw array and length, or None if its fields are not a
    /// list's (a program can't write them, so only a broken library).
    pub(crate) fn list_parts(&self, list: Value) -> Option<(*mut ObjArray, usize)> {
        let instance = list.as_ptr::<ObjInstance>();
        // SAFETY: a live instance.
        let shape = unsafe { (*instance).shape };
        let (items, len) = if shape == self.list_shape.get() {
            // SAFETY: this shape has `$items` and `$len` in slots 0 and 1,
            // so the instance has at least two slots.
            unsafe { (*ObjInstance::slot(instance, 0), *ObjInstance::slot(instance, 1)) }
        } else {
            let items = self.instance_get_field(instance, self.list_names[0])?;
            let len = self.instance_get_field(instance, self.list_names[1])?;
            // SAFETY: a live shape's slot table.
            let slot = |name: Value| unsafe { (*(*shape).slots).get(&name.as_ptr::<ObjString>()).copied() };
            // Generated code reads the two from the inline slots of this
            // shape's instances (`abi::offsets::RT_LIST_SHAPE`).
            // SAFETY: a live shape.
            // A frozen list's shape is not: sets take the slow path.
            let inline = unsafe { (*shape).inline_cap >= 2 && !ObjShape::is_frozen(shape) };
            if inline && slot(self.list_names[0]) == Some(0) && slot(self.list_names[1]) == Some(1) {
                self.list_shape.set(shape);
            }
            (items, len)
        };
        if !items.is_kind(ObjKind::Array) || !len.is_number() {
            return None;
        }
        let array = items.as_ptr::<ObjArray>();
        // SAFETY: a live array.
        let cap = unsafe { (*array).len } as usize;
        let len = len.as_number() as usize;
        (len <= cap).then_some((array, len))
    }

    /// `[items]`: a new list of these values.
    pub fn new_list(&mut self, items: &[Value]) -> Value {
        if self.list_class.is_null() {
            return self.raise_internal("a list literal ran before the library's List was registered");
        }
        let array = self.new_array(items.len().max(1));
        // SAFETY: a fresh array of at least `items.len()` slots.
        unsafe {
            let slots = ObjArray::items(array);
            for (i, &v) in items.iter().enumerate() {
                *slots.add(i) = v;
            }
        }
        let array = Value::object(array);
        self.push_root(array);
        let list = Value::object(self.new_instance(self.list_class));
        self.push_root(list);
        // The fields in the order `List.init` adds them, so that literals
        // and `List()` share a shape.
        self.instance_set_field(list.as_ptr(), self.list_names[0], array);
        self.instance_set_field(list.as_ptr(), self.list_names[1], Value::number(items.len() as f64));
        self.pop_root();
        self.pop_root();
        // Learns the lists' shape, for generated code's fast paths.
        let _ = self.list_parts(list);
        list
    }

    /// `list[index]`.
    pub(crate) fn list_get(&mut self, list: Value, index: Value) -> Value {
        // A subclass's instance whose `init` did not call `List`'s has none.
        let Some((array, len)) = self.list_parts(list) else {
            return self.raise("Only lists, maps and strings can be indexed.");
        };
        match self.index_in(index, len) {
            // SAFETY: `i < len <= the array's length`.
            Ok(i) => unsafe { *ObjArray::items(array).add(i) },
            Err(e) => e,
        }
    }

    /// `list[index] = value`; returns nil.
    pub(crate) fn list_set(&mut self, list: Value, index: Value, value: Value) -> Value {
        let Some((array, len)) = self.list_parts(list) else {
            return self.raise("Only lists and maps can be assigned by index.");
        };
        if self.is_frozen(list) {
            return self.raise(crate::intrinsics::FROZEN);
        }
        match self.index_in(index, len) {
            Ok(i) => {
                // SAFETY: `i < len <= the array's length`.
                unsafe { *ObjArray::items(array).add(i) = value };
                Value::NIL
            }
            Err(e) => e,
        }
    }

    /// Whether `v` is one of the library's maps: an instance of `Map`, or
    /// of a class that inherits from it.
    pub fn is_map(&self, v: Value) -> bool {
        v.is_kind(ObjKind::Instance) && self.inherits(v, self.map_class)
    }

    /// Calls the map method `name` (`get` or `set`, written in Lox) of
    /// `map` with `args`.
    fn map_call(&mut self, map: Value, name: Value, args: &[Value]) -> Value {
        // The receiver's own class: a subclass may override the method.
        let class = Runtime::instance_class(map.as_ptr::<ObjInstance>());
        let Some(method) = self.class_find_method(class, name) else {
            return self.raise_internal("the library's Map has no get or set");
        };
        if !method.is_kind(ObjKind::Closure) {
            return self.raise_internal("a method of Map is not a closure");
        }
        // SAFETY: the runtime is live and not otherwise borrowed while the
        // method runs (this function touches `self` only after); the
        // closure is a method of the map's live class; `args` holds its
        // arity many values, rooted by the caller's frame.
        unsafe { crate::abi::call_closure(self as *mut Runtime, method.as_ptr(), map, args.as_ptr()) }
    }

    /// `map[key]`: the value of `key`, or nil.
    pub(crate) fn map_get(&mut self, map: Value, key: Value) -> Value {
        self.map_call(map, self.map_names[3], &[key])
    }

    /// `map[key] = value`; returns nil.
    pub(crate) fn map_set(&mut self, map: Value, key: Value, value: Value) -> Value {
        let r = self.map_call(map, self.map_names[4], &[key, value]);
        if r.is_error() { r } else { Value::NIL }
    }

    /// A map's entry arrays and how many entries they use.
    fn map_parts(&self, map: Value) -> Option<(*mut ObjArray, *mut ObjArray, usize)> {
        let instance = map.as_ptr::<ObjInstance>();
        let keys = self.instance_get_field(instance, self.map_names[0])?;
        let values = self.instance_get_field(instance, self.map_names[1])?;
        let used = self.instance_get_field(instance, self.map_names[2])?;
        if !keys.is_kind(ObjKind::Array) || !values.is_kind(ObjKind::Array) || !used.is_number() {
            return None;
        }
        let (k, v) = (keys.as_ptr::<ObjArray>(), values.as_ptr::<ObjArray>());
        let used = used.as_number() as usize;
        // SAFETY: live arrays.
        let fits = unsafe { used <= (*k).len as usize && used <= (*v).len as usize };
        fits.then_some((k, v, used))
    }

    /// The live entries of a map, in insertion order (a removed entry's key
    /// is the keys array itself).
    fn map_entries(&self, map: Value) -> Option<Vec<(Value, Value)>> {
        let (keys, values, used) = self.map_parts(map)?;
        let tombstone = Value::object(keys);
        // SAFETY: `i < used <= both arrays' lengths`.
        let entries = (0..used)
            .map(|i| unsafe { (*ObjArray::items(keys).add(i), *ObjArray::items(values).add(i)) })
            .filter(|&(k, _)| k != tombstone)
            .collect();
        Some(entries)
    }

    /// A map's number of entries, for `len`.
    pub(crate) fn map_len(&self, map: Value) -> Option<usize> {
        self.map_entries(map).map(|e| e.len())
    }

    /// A list's length, for `len`.
    pub(crate) fn list_len(&self, list: Value) -> Option<usize> {
        self.list_parts(list).map(|(_, len)| len)
    }

    /// Appends what `print` shows for `v`: as [`objects::display`], but a
    /// list shows its elements (`[1, "a", nil]`, strings quoted), and one
    /// that contains itself shows `[...]` where it repeats.
    pub(crate) fn display_value(&self, v: Value, out: &mut Vec<u8>, open: &mut Vec<Value>, quoted: bool) {
        if self.is_list(v) {
            if open.contains(&v) {
                return out.extend_from_slice(b"[...]");
            }
            let Some((array, len)) = self.list_parts(v) else { return objects::display(v, out) };
            open.push(v);
            out.push(b'[');
            for i in 0..len {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                // SAFETY: `i < len <= the array's length`.
                let item = unsafe { *ObjArray::items(array).add(i) };
                self.display_value(item, out, open, true);
            }
            out.push(b']');
            open.pop();
            return;
        }
        if self.is_map(v) {
            if open.contains(&v) {
                return out.extend_from_slice(b"{...}");
            }
            let Some(entries) = self.map_entries(v) else { return objects::display(v, out) };
            open.push(v);
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                self.display_value(key, out, open, true);
                out.extend_from_slice(b": ");
                self.display_value(value, out, open, true);
            }
            out.push(b'}');
            open.pop();
            return;
        }
        if quoted && v.is_kind(ObjKind::String) {
            out.push(b'"');
            objects::display(v, out);
            return out.push(b'"');
        }
        objects::display(v, out)
    }
}

/// `$array(n)`: a raw array of `n` nils.
fn array(rt: &mut Runtime, args: &[Value]) -> Value {
    match array_length(rt, args[0]) {
        Ok(n) => Value::object(rt.new_array(n)),
        Err(e) => e,
    }
}

/// A raw array's length argument: an integer from 0 to [`MAX_ARRAY`].
fn array_length(rt: &mut Runtime, n: Value) -> Result<usize, Value> {
    if !n.is_number()
        || !crate::number::is_integral(n.as_number())
        || n.as_number() < 0.0
        || n.as_number() > MAX_ARRAY
    {
        return Err(rt.raise("Expected a length from 0 to 4294967295 as the argument of 'List'."));
    }
    Ok(n.as_number() as usize)
}

/// The raw array argument of a library native (the library passes only
/// arrays; anything else is a bug of the library).
fn array_arg(rt: &mut Runtime, v: Value) -> Result<*mut ObjArray, Value> {
    if v.is_kind(ObjKind::Array) {
        Ok(v.as_ptr())
    } else {
        Err(rt.raise_internal("the library passed a non-array"))
    }
}

/// A slot of a raw array, checked: the library's indexes are its own.
fn slot(rt: &mut Runtime, a: Value, i: Value) -> Result<*mut Value, Value> {
    let a = array_arg(rt, a)?;
    // SAFETY: a live array.
    let len = unsafe { (*a).len } as f64;
    if !i.is_number()
        || !crate::number::is_integral(i.as_number())
        || i.as_number() < 0.0
        || i.as_number() >= len
    {
        return Err(rt.raise_internal("the library indexed a raw array out of its bounds"));
    }
    // SAFETY: `i` is below the array's length.
    Ok(unsafe { ObjArray::items(a).add(i.as_number() as usize) })
}

/// The raw array primitive, as the instructions `array_len`, `array_get`
/// and `array_set` do it (the library's `$alen`, `$aget` and `$aset`), and
/// as their natives do when something calls those as functions.
impl Runtime {
    /// The number of slots of raw array `a`.
    pub fn array_len(&mut self, a: Value) -> Value {
        match array_arg(self, a) {
            // SAFETY: a live array.
            Ok(a) => Value::number(unsafe { (*a).len } as f64),
            Err(e) => e,
        }
    }

    /// Slot `i` of raw array `a`.
    pub fn array_get(&mut self, a: Value, i: Value) -> Value {
        match slot(self, a, i) {
            // SAFETY: a slot of a live array.
            Ok(p) => unsafe { *p },
            Err(e) => e,
        }
    }

    /// Sets slot `i` of raw array `a` to `v`; returns nil.
    pub fn array_set(&mut self, a: Value, i: Value, v: Value) -> Value {
        match slot(self, a, i) {
            Ok(p) => {
                // SAFETY: a slot of a live array.
                unsafe { *p = v };
                Value::NIL
            }
            Err(e) => e,
        }
    }
}

/// `$alen(a)`.
fn alen(rt: &mut Runtime, args: &[Value]) -> Value {
    rt.array_len(args[0])
}

/// `$aget(a, i)`.
fn aget(rt: &mut Runtime, args: &[Value]) -> Value {
    rt.array_get(args[0], args[1])
}

/// `$aset(a, i, v)`; returns nil.
fn aset(rt: &mut Runtime, args: &[Value]) -> Value {
    rt.array_set(args[0], args[1], args[2])
}

/// `$agrow(a, n)`: makes raw array `a` `n` slots long in place (the new
/// ones nil); returns nil.
fn agrow(rt: &mut Runtime, args: &[Value]) -> Value {
    let a = match array_arg(rt, args[0]) {
        Ok(a) => a,
        Err(e) => return e,
    };
    match array_length(rt, args[1]) {
        Ok(n) => {
            rt.grow_array(a, n);
            Value::NIL
        }
        Err(e) => e,
    }
}

/// `$join(a, n, separator)`: the first `n` slots of raw array `a` as
/// `str` shows them, with `separator` between them: one string, built
/// once (joining in Lox would make every prefix a string of its own).
fn join(rt: &mut Runtime, args: &[Value]) -> Value {
    let Some(separator) = rt.str_bytes(args[2]).map(<[u8]>::to_vec) else {
        return rt.raise("Expected a string as the argument of 'join'.");
    };
    let a = match array_arg(rt, args[0]) {
        Ok(a) => a,
        Err(e) => return e,
    };
    // SAFETY: a live array.
    let n = (args[1].as_number() as usize).min(unsafe { (*a).len } as usize);
    let mut text = Vec::new();
    for i in 0..n {
        if i > 0 {
            text.extend_from_slice(&separator);
        }
        // SAFETY: `i` is below the array's length; displaying allocates
        // nothing, so the array stays where it is.
        let item = unsafe { *ObjArray::items(a).add(i) };
        rt.display(item, &mut text);
    }
    rt.intern(&text)
}

/// `$fail(message)`: raises the runtime error `message`.
fn fail(rt: &mut Runtime, args: &[Value]) -> Value {
    let mut text = Vec::new();
    objects::display(args[0], &mut text);
    rt.raise(String::from_utf8_lossy(&text).into_owned())
}

/// `$index(i, len)`: `i` when it is an integer in `0 .. len`; otherwise
/// DESIGN's "Index must be an integer." or "Index out of range.".
fn index(rt: &mut Runtime, args: &[Value]) -> Value {
    let len = args[1].as_number() as usize;
    match rt.index_in(args[0], len) {
        Ok(i) => Value::number(i as f64),
        Err(e) => e,
    }
}

/// `$integer(x)`: `x` when it is an integral number; otherwise "Index
/// must be an integer.".
fn integer(rt: &mut Runtime, args: &[Value]) -> Value {
    let x = args[0];
    if x.is_number() && crate::number::is_integral(x.as_number()) {
        x
    } else {
        rt.raise("Index must be an integer.")
    }
}

/// `$floor(x)` of a number.
fn floor(_rt: &mut Runtime, args: &[Value]) -> Value {
    Value::number(args[0].as_number().floor())
}

/// `$less(a, b)`: `a < b` for two numbers, or two strings by bytes;
/// "Cannot compare these values." for anything else.
fn less(rt: &mut Runtime, args: &[Value]) -> Value {
    let (a, b) = (args[0], args[1]);
    if a.is_number() && b.is_number() {
        return Value::bool(a.as_number() < b.as_number());
    }
    match (rt.str_bytes(a), rt.str_bytes(b)) {
        (Some(x), Some(y)) => Value::bool(x < y),
        _ => rt.raise("Cannot compare these values."),
    }
}

/// `$mutable(x)`: nil, or "Cannot modify a frozen object." when `x` is
/// frozen: the check of the library's methods that change a list or map
/// without first setting one of its fields (which would fail).
fn mutable(rt: &mut Runtime, args: &[Value]) -> Value {
    if rt.is_frozen(args[0]) { rt.raise(crate::intrinsics::FROZEN) } else { Value::NIL }
}

/// `$register(name, value)`: makes the library's `value` the program's
/// global `name` (which the program may redefine), and tells the runtime
/// which class is `List`.
fn register(rt: &mut Runtime, args: &[Value]) -> Value {
    let Some(name) = rt.str_bytes(args[0]).map(<[u8]>::to_vec) else {
        return rt.raise_internal("$register takes a name");
    };
    if name == b"Map" {
        if !args[1].is_kind(ObjKind::Class) {
            return rt.raise_internal("the library's Map is not a class");
        }
        rt.map_class = args[1].as_ptr::<ObjClass>();
        rt.map_names = [
            rt.intern(b"$keys"),
            rt.intern(b"$values"),
            rt.intern(b"$used"),
            rt.intern(b"get"),
            rt.intern(b"set"),
        ];
        let names = rt.map_names;
        rt.constants.push(args[1]);
        rt.constants.extend_from_slice(&names);
    }
    if name == b"List" {
        if !args[1].is_kind(ObjKind::Class) {
            return rt.raise_internal("the library's List is not a class");
        }
        rt.list_class = args[1].as_ptr::<ObjClass>();
        rt.list_names = [rt.intern(b"$items"), rt.intern(b"$len")];
        let names = rt.list_names;
        rt.constants.extend_from_slice(&[args[1], names[0], names[1]]);
    }
    let slot = rt.global_slot(&name);
    rt.globals[slot as usize] = args[1];
    Value::NIL
}
