//! Modules and functions.

use crate::entities::{Block, FuncId, GlobalId, InlineId, Inst, SiteId, StateId, StrId, Value};
use crate::inst::{InstData, Type};
use std::collections::HashMap;

/// What a function is, for calls and for `init`'s return.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FunctionKind {
    Script,
    Function,
    Method,
    Initializer,
}

impl FunctionKind {
    pub fn name(self) -> &'static str {
        match self {
            FunctionKind::Script => "script",
            FunctionKind::Function => "function",
            FunctionKind::Method => "method",
            FunctionKind::Initializer => "initializer",
        }
    }
}

/// Where a value comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ValueDef {
    /// The result of an instruction.
    Result(Inst),
    /// Parameter `index` of a block.
    Param(Block, u32),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValueData {
    pub ty: Type,
    pub def: ValueDef,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockData {
    pub params: Vec<Value>,
    /// The block's instructions in order; the last one is its terminator.
    pub insts: Vec<Inst>,
    /// The inlined call whose callee's code this block is (None: the
    /// function's own code).
    pub frame: Option<InlineId>,
}

/// What a guard of specialized code needs when it fails: where the
/// unspecialized function resumes in the interpreter, and which values its
/// frame then holds.
///
/// A specialized function is made from its unspecialized one by editing a
/// copy, which keeps every original block and value under its number: so
/// the frame to rebuild is the original function's, and a value listed
/// here lives under the same number in both.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrameState {
    /// The block of the original function to resume in...
    pub block: Block,
    /// ... at this instruction index of its original instructions.
    pub index: u32,
    /// The values live there (the entry's callee and receiver first),
    /// boxed vals.
    pub live: Vec<Value>,
    /// For a guard in inlined code: the frame is the callee's.
    pub inlined: Option<InlinedState>,
    /// Objects the optimizer did not allocate (see [`VirtualObject`]) that
    /// this state's frames hold: those of the whole chain of frames, on the
    /// innermost state only (a caller's state is shared by the guards of
    /// its inlined callee, which see an object at different times).
    pub objects: Vec<VirtualObject>,
}

/// An object whose allocation and stores the optimizer removed (it does
/// not escape the function), which a deoptimization makes: an instance of
/// `class` with shape `shape` (0 for the shape of a fresh instance) and
/// the field at each byte offset set to its value. Every value of
/// `aliases` (the removed allocation's result, and block parameters that
/// carried it) stands for it, in the states' live values and in the
/// fields of other virtual objects; at run time those values hold nil.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VirtualObject {
    pub aliases: Vec<Value>,
    pub class: Value,
    pub shape: u64,
    pub fields: Vec<(u32, Value)>,
}

/// The frame of an inlined callee that a guard in its code rebuilds, and
/// how it hangs from its caller's.
///
/// The callee's frame holds `live[i]` in slot `slots[i]` (a value number
/// of the callee's original function); `block` and `index` are a point of
/// that function. The caller's frame is state `caller`, which names the
/// call instruction: the caller resumes after it, with the callee's result
/// as the call's.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InlinedState {
    pub func: FuncId,
    pub slots: Vec<Value>,
    pub caller: StateId,
}

impl FrameState {
    /// A state with no inlined frame and no virtual objects.
    pub fn new(block: Block, index: u32, live: Vec<Value>) -> FrameState {
        FrameState { block, index, live, inlined: None, objects: Vec::new() }
    }

    /// The values a deoptimization at this state passes for it: the live
    /// values, then each virtual object's class and field values.
    pub fn values(&self) -> impl Iterator<Item = Value> + '_ {
        self.live.iter().copied().chain(
            self.objects
                .iter()
                .flat_map(|o| std::iter::once(o.class).chain(o.fields.iter().map(|&(_, v)| v))),
        )
    }

    /// How many values [`FrameState::values`] has.
    pub fn value_count(&self) -> usize {
        self.live.len() + self.objects.iter().map(|o| 1 + o.fields.len()).sum::<usize>()
    }

    /// The frame slot of live value `i`: its own number in the function's
    /// own frame, else the inlined callee's slot.
    pub fn slot(&self, i: usize) -> Value {
        match &self.inlined {
            Some(inl) => inl.slots[i],
            None => self.live[i],
        }
    }
}

/// A call whose callee's code was copied into the function (inlined).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InlinedCall {
    /// The callee.
    pub func: FuncId,
    /// The call's site, in the caller's code.
    pub site: SiteId,
    /// The frame the call is in (None: the function's own).
    pub parent: Option<InlineId>,
}

/// One IR function.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Function {
    /// The Lox name (empty for the script).
    pub name: Vec<u8>,
    pub kind: FunctionKind,
    /// Number of Lox parameters. The entry block has `arity + 2` parameters:
    /// callee, this, then the arguments.
    pub arity: u32,
    /// Number of captured values a closure of this function holds.
    pub ncaptures: u32,
    /// Line of the declaration.
    pub line: u32,
    pub blocks: Vec<BlockData>,
    pub insts: Vec<InstData>,
    pub values: Vec<ValueData>,
    /// The block order; the first is the entry.
    pub layout: Vec<Block>,
    /// Frame states of the guards of specialized code (empty otherwise).
    pub states: Vec<FrameState>,
    /// The calls inlined into specialized code (empty otherwise).
    pub inlined: Vec<InlinedCall>,
    /// Whether the function is the standard library's (`lib/*.lox`): its
    /// frames are left out of runtime errors' traces.
    pub library: bool,
}

impl Function {
    pub fn new(name: Vec<u8>, kind: FunctionKind, arity: u32, line: u32) -> Function {
        Function {
            name,
            kind,
            arity,
            ncaptures: 0,
            line,
            blocks: Vec::new(),
            insts: Vec::new(),
            values: Vec::new(),
            layout: Vec::new(),
            states: Vec::new(),
            inlined: Vec::new(),
            library: false,
        }
    }

    pub fn entry(&self) -> Block {
        self.layout[0]
    }
    pub fn state(&self, s: StateId) -> &FrameState {
        &self.states[s.index()]
    }
    /// The values a guard with frame state `s` passes when it fails: the
    /// state's live values, then those of each caller state out to the
    /// function's own frame.
    pub fn state_values(&self, s: StateId) -> Vec<Value> {
        let mut out = Vec::new();
        let mut state = Some(s);
        while let Some(s) = state {
            let fs = self.state(s);
            out.extend(fs.values());
            state = fs.inlined.as_ref().map(|i| i.caller);
        }
        out
    }
    pub fn block(&self, b: Block) -> &BlockData {
        &self.blocks[b.index()]
    }
    pub fn inst(&self, i: Inst) -> &InstData {
        &self.insts[i.index()]
    }
    pub fn value_type(&self, v: Value) -> Type {
        self.values[v.index()].ty
    }
    /// The terminator of a block, if it has one.
    pub fn terminator(&self, b: Block) -> Option<Inst> {
        let last = *self.block(b).insts.last()?;
        self.inst(last).kind.is_terminator().then_some(last)
    }
    /// The display name: the Lox name, or `script`.
    pub fn display_name(&self) -> String {
        if self.kind == FunctionKind::Script {
            "script".to_string()
        } else {
            String::from_utf8_lossy(&self.name).into_owned()
        }
    }
}

/// The source facts of a dynamic operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Site {
    pub line: u32,
    /// The code the operation was lowered from (the whole expression), when
    /// known: not for sites read from IR text or made by passes.
    pub at: Option<crate::SourceSpan>,
}

/// A compilation unit: functions, and the constant tables they share. The
/// first function of a module produced by the front end is its script.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Module {
    pub functions: Vec<Function>,
    /// String constants: literals, property, method and class names.
    pub strings: Vec<Vec<u8>>,
    /// Global variable names.
    pub globals: Vec<Vec<u8>>,
    pub sites: Vec<Site>,
    /// The sources the front end compiled into the module, which the sites'
    /// spans index.
    pub sources: Vec<crate::SourceFile>,
    /// The standard library's script, once a program of this module
    /// needed it (it is lowered into the module once, and run by the first
    /// script that needs it).
    pub library: Option<FuncId>,
    #[serde(skip)]
    string_index: HashMap<Vec<u8>, StrId>,
    #[serde(skip)]
    global_index: HashMap<Vec<u8>, GlobalId>,
}

impl Module {
    pub fn new() -> Module {
        Module::default()
    }
    /// Rebuilds the name-to-id indexes from the tables (after decoding,
    /// which does not carry them).
    pub(crate) fn rebuild_indexes(&mut self) {
        self.string_index =
            self.strings.iter().enumerate().map(|(i, s)| (s.clone(), StrId::new(i))).collect();
        self.global_index =
            self.globals.iter().enumerate().map(|(i, g)| (g.clone(), GlobalId::new(i))).collect();
    }
    /// The id of the string constant with these bytes, if the module has it.
    pub fn string_id(&self, s: &[u8]) -> Option<StrId> {
        self.string_index.get(s).copied()
    }
    /// The id of the global with this name, if the module has it.
    pub fn global_id(&self, name: &[u8]) -> Option<GlobalId> {
        self.global_index.get(name).copied()
    }
    /// The id of the string constant with these bytes (added if new).
    pub fn intern(&mut self, s: &[u8]) -> StrId {
        if let Some(&id) = self.string_index.get(s) {
            return id;
        }
        let id = StrId::new(self.strings.len());
        self.strings.push(s.to_vec());
        self.string_index.insert(s.to_vec(), id);
        id
    }
    /// The id of the global with this name (added if new).
    pub fn global(&mut self, name: &[u8]) -> GlobalId {
        if let Some(&id) = self.global_index.get(name) {
            return id;
        }
        let id = GlobalId::new(self.globals.len());
        self.globals.push(name.to_vec());
        self.global_index.insert(name.to_vec(), id);
        id
    }
    /// The source line of instruction `kind` of `func`: its site's, or,
    /// for an instruction without a site, the function's.
    pub fn inst_line(&self, func: &Function, kind: &crate::InstKind) -> u32 {
        kind.site().map_or(func.line, |s| self.site_line(s))
    }
    pub fn add_site(&mut self, line: u32) -> SiteId {
        let id = SiteId::new(self.sites.len());
        self.sites.push(Site { line, at: None });
        id
    }
    /// A site with its place in a source.
    pub fn add_site_at(&mut self, line: u32, at: crate::SourceSpan) -> SiteId {
        let id = SiteId::new(self.sites.len());
        self.sites.push(Site { line, at: Some(at) });
        id
    }
    pub fn site_line(&self, site: SiteId) -> u32 {
        self.sites[site.index()].line
    }
    /// Adds a source for the front end to compile; returns its index.
    pub fn add_source(&mut self, name: impl Into<String>, text: Vec<u8>) -> crate::SourceIndex {
        self.sources.push(crate::SourceFile { name: name.into(), text });
        (self.sources.len() - 1) as crate::SourceIndex
    }
    /// The source text and span of a site, if it has them and its text was
    /// kept (not the standard library's).
    pub fn site_source(&self, site: SiteId) -> Option<(&crate::SourceFile, crate::Span)> {
        crate::span::locate(&self.sources, self.sites.get(site.index())?.at?)
    }
    /// Reserves a function id; the function is filled in by `define_function`.
    pub fn declare_function(&mut self, name: Vec<u8>, kind: FunctionKind, arity: u32, line: u32) -> FuncId {
        let id = FuncId::new(self.functions.len());
        self.functions.push(Function::new(name, kind, arity, line));
        id
    }
    pub fn define_function(&mut self, id: FuncId, f: Function) {
        self.functions[id.index()] = f;
    }
    pub fn function(&self, id: FuncId) -> &Function {
        &self.functions[id.index()]
    }
    pub fn string(&self, id: StrId) -> &[u8] {
        &self.strings[id.index()]
    }
}
