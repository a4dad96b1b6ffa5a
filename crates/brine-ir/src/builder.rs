//! Building functions, with SSA construction from variables.
//!
//! The front end declares a [`Variable`] per local, defines and uses it per
//! block, and seals each block once all its predecessors are known. The
//! builder places block parameters where a variable's definitions meet, with
//! the algorithm of Braun et al., "Simple and Efficient Construction of Static
//! Single Assignment Form" (CC 2013), which Cranelift's frontend also uses.
//! [`FunctionBuilder::finish`] then removes the trivial parameters (those
//! whose every incoming argument is the same value).

use crate::entities::{Block, Inst, Value};
use crate::function::{BlockData, Function, ValueData, ValueDef};
use crate::inst::{InstData, InstKind, Type};
use std::collections::HashMap;

/// A source-level variable whose definitions become SSA values.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Variable(pub u32);

#[derive(Default)]
struct BlockState {
    /// The blocks that jump here, with the jumping instruction.
    preds: Vec<(Block, Inst)>,
    sealed: bool,
    /// Parameters added for variables before the block was sealed.
    incomplete: Vec<(Variable, Value)>,
}

pub struct FunctionBuilder {
    pub func: Function,
    current: Option<Block>,
    state: Vec<BlockState>,
    /// Current definition of each variable in each block.
    defs: HashMap<(Variable, Block), Value>,
    var_types: Vec<Type>,
}

impl FunctionBuilder {
    pub fn new(func: Function) -> FunctionBuilder {
        FunctionBuilder {
            func,
            current: None,
            state: Vec::new(),
            defs: HashMap::new(),
            var_types: Vec::new(),
        }
    }

    // ---- blocks ------------------------------------------------------------

    pub fn create_block(&mut self) -> Block {
        let b = Block::new(self.func.blocks.len());
        self.func.blocks.push(BlockData::default());
        self.func.layout.push(b);
        self.state.push(BlockState::default());
        b
    }

    pub fn append_block_param(&mut self, block: Block, ty: Type) -> Value {
        let index = self.func.blocks[block.index()].params.len() as u32;
        let v = self.make_value(ty, ValueDef::Param(block, index));
        self.func.blocks[block.index()].params.push(v);
        v
    }

    pub fn switch_to_block(&mut self, block: Block) {
        self.current = Some(block);
    }

    pub fn current_block(&self) -> Option<Block> {
        self.current
    }

    /// Whether the current block already ends in a terminator (code after a
    /// `return` is unreachable and is dropped).
    pub fn is_terminated(&self) -> bool {
        match self.current {
            None => true,
            Some(b) => self.func.terminator(b).is_some(),
        }
    }

    /// Declares that every predecessor of `block` is known.
    pub fn seal_block(&mut self, block: Block) {
        let st = &mut self.state[block.index()];
        if st.sealed {
            return;
        }
        st.sealed = true;
        let incomplete = std::mem::take(&mut st.incomplete);
        for (var, _param) in incomplete {
            self.add_param_args(var, block);
        }
    }

    // ---- instructions --------------------------------------------------------

    /// Appends an instruction to the current block; returns its result value
    /// (or a placeholder-free `None` for instructions without one).
    pub fn ins(&mut self, kind: InstKind) -> Option<Value> {
        let block = self.current.expect("no current block");
        debug_assert!(!self.is_terminated(), "instruction after a terminator");
        let inst = Inst::new(self.func.insts.len());
        let result = kind.result_type().map(|ty| self.make_value(ty, ValueDef::Result(inst)));
        for (dest, _) in kind.successors() {
            let preds = &mut self.state[dest.index()].preds;
            if !preds.contains(&(block, inst)) {
                preds.push((block, inst));
            }
        }
        self.func.insts.push(InstData { kind, result });
        self.func.blocks[block.index()].insts.push(inst);
        result
    }

    /// Appends an instruction that has a result, and returns it.
    pub fn ins_value(&mut self, kind: InstKind) -> Value {
        self.ins(kind).expect("instruction has no result")
    }

    fn make_value(&mut self, ty: Type, def: ValueDef) -> Value {
        let v = Value::new(self.func.values.len());
        self.func.values.push(ValueData { ty, def });
        v
    }

    // ---- variables -------------------------------------------------------------

    pub fn declare_var(&mut self, ty: Type) -> Variable {
        let v = Variable(self.var_types.len() as u32);
        self.var_types.push(ty);
        v
    }

    pub fn def_var(&mut self, var: Variable, value: Value) {
        let block = self.current.expect("no current block");
        self.defs.insert((var, block), value);
    }

    pub fn use_var(&mut self, var: Variable) -> Value {
        let block = self.current.expect("no current block");
        self.use_var_in(var, block)
    }

    fn use_var_in(&mut self, var: Variable, block: Block) -> Value {
        if let Some(&v) = self.defs.get(&(var, block)) {
            return v;
        }
        // Walk up single-predecessor chains iteratively (they can be long),
        // then recurse only where a parameter is needed.
        let mut chain = Vec::new();
        let mut b = block;
        let value = loop {
            if let Some(&v) = self.defs.get(&(var, b)) {
                break v;
            }
            let st = &self.state[b.index()];
            if !st.sealed {
                let ty = self.var_types[var.0 as usize];
                let param = self.append_block_param(b, ty);
                self.state[b.index()].incomplete.push((var, param));
                self.defs.insert((var, b), param);
                break param;
            }
            match st.preds.len() {
                1 => {
                    chain.push(b);
                    b = st.preds[0].0;
                }
                0 => {
                    // Unreachable or undefined on this path: Lox variables
                    // are always initialized, so the value is never read.
                    let v = self.undefined_value(b);
                    self.defs.insert((var, b), v);
                    break v;
                }
                _ => {
                    let ty = self.var_types[var.0 as usize];
                    let param = self.append_block_param(b, ty);
                    self.defs.insert((var, b), param);
                    self.add_param_args(var, b);
                    break param;
                }
            }
        };
        for b in chain {
            self.defs.insert((var, b), value);
        }
        value
    }

    /// Appends, to every jump into `block`, the value `var` has at its end.
    fn add_param_args(&mut self, var: Variable, block: Block) {
        let preds = self.state[block.index()].preds.clone();
        for (pred, inst) in preds {
            let arg = self.use_var_in(var, pred);
            // Both arms of a branch may go to `block`: each gets the argument.
            for args in self.func.insts[inst.index()].kind.edge_args_mut(block) {
                args.push(arg);
            }
        }
    }

    /// A `nil` constant placed at the start of `block`'s function entry, for
    /// variables read on paths where they were never defined.
    fn undefined_value(&mut self, _block: Block) -> Value {
        let entry = self.func.layout[0];
        let inst = Inst::new(self.func.insts.len());
        let v = self.make_value(Type::Val, ValueDef::Result(inst));
        self.func.insts.push(InstData { kind: InstKind::Nil, result: Some(v) });
        self.func.blocks[entry.index()].insts.insert(0, inst);
        v
    }

    // ---- finishing ---------------------------------------------------------------

    /// Removes trivial block parameters and unreachable blocks, and returns the
    /// function. Every block must be sealed and terminated.
    pub fn finish(mut self) -> Function {
        debug_assert!(self.state.iter().all(|s| s.sealed), "unsealed block");
        remove_unreachable_blocks(&mut self.func);
        remove_trivial_params(&mut self.func);
        self.func
    }
}

/// Drops blocks that the entry cannot reach from the layout (they stay in the
/// block table, empty, so ids stay valid).
pub fn remove_unreachable_blocks(func: &mut Function) {
    let mut reachable = vec![false; func.blocks.len()];
    let mut work = vec![func.entry()];
    reachable[func.entry().index()] = true;
    while let Some(b) = work.pop() {
        if let Some(t) = func.terminator(b) {
            for (succ, _) in func.inst(t).kind.successors() {
                if !reachable[succ.index()] {
                    reachable[succ.index()] = true;
                    work.push(succ);
                }
            }
        }
    }
    func.layout.retain(|b| reachable[b.index()]);
    for (i, r) in reachable.iter().enumerate() {
        if !*r {
            func.blocks[i] = BlockData::default();
        }
    }
}

/// Removes block parameters whose incoming arguments are all one value (or
/// the parameter itself), replacing their uses with that value, until none
/// is left. The entry block's parameters are never removed.
pub fn remove_trivial_params(func: &mut Function) {
    let mut alias: HashMap<Value, Value> = HashMap::new();
    fn resolve(alias: &HashMap<Value, Value>, mut v: Value) -> Value {
        while let Some(&a) = alias.get(&v) {
            v = a;
        }
        v
    }
    // Predecessor edges of each block: (terminator inst).
    let mut preds: Vec<Vec<Inst>> = vec![Vec::new(); func.blocks.len()];
    for &b in &func.layout {
        if let Some(t) = func.terminator(b) {
            for (succ, _) in func.inst(t).kind.successors() {
                if !preds[succ.index()].contains(&t) {
                    preds[succ.index()].push(t);
                }
            }
        }
    }
    let entry = func.entry();
    loop {
        let mut changed = false;
        for &b in &func.layout.clone() {
            if b == entry {
                continue;
            }
            let mut i = 0;
            while i < func.blocks[b.index()].params.len() {
                let param = func.blocks[b.index()].params[i];
                let mut same: Option<Value> = None;
                let mut trivial = true;
                'edges: for &t in &preds[b.index()] {
                    for (succ, args) in func.insts[t.index()].kind.successors() {
                        if succ != b {
                            continue;
                        }
                        let a = resolve(&alias, args[i]);
                        if a == param || Some(a) == same {
                            continue;
                        }
                        if same.is_some() {
                            trivial = false;
                            break 'edges;
                        }
                        same = Some(a);
                    }
                }
                match (trivial, same) {
                    (true, Some(v)) => {
                        alias.insert(param, v);
                        func.blocks[b.index()].params.remove(i);
                        for &t in &preds[b.index()] {
                            for args in func.insts[t.index()].kind.edge_args_mut(b) {
                                args.remove(i);
                            }
                        }
                        changed = true;
                    }
                    _ => i += 1,
                }
            }
            // Renumber the remaining params.
            for (idx, &p) in func.blocks[b.index()].params.iter().enumerate() {
                func.values[p.index()].def = ValueDef::Param(b, idx as u32);
            }
        }
        if !changed {
            break;
        }
    }
    if alias.is_empty() {
        return;
    }
    for data in &mut func.insts {
        data.kind.visit_args_mut(&mut |v| *v = resolve(&alias, *v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::FunctionKind;
    use crate::inst::BinaryOp;
    use crate::{Module, verifier};

    /// `var x = 1; while (c) { x = x + 1; } return x;`
    #[test]
    fn loop_variable_gets_a_param() {
        let mut m = Module::new();
        let site = m.add_site(1);
        let mut b = FunctionBuilder::new(Function::new(b"f".to_vec(), FunctionKind::Function, 1, 1));
        let entry = b.create_block();
        let _callee = b.append_block_param(entry, Type::Val);
        let _this = b.append_block_param(entry, Type::Val);
        let c = b.append_block_param(entry, Type::Val);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let x = b.declare_var(Type::Val);
        let one = b.ins_value(InstKind::Number(1.0));
        b.def_var(x, one);
        let header = b.create_block();
        let body = b.create_block();
        let exit = b.create_block();
        b.ins(InstKind::Jump { dest: header, args: vec![] });
        b.switch_to_block(header);
        let cond = b.ins_value(InstKind::Truthy(c));
        b.ins(InstKind::Branch {
            cond,
            then_dest: body,
            then_args: vec![],
            else_dest: exit,
            else_args: vec![],
        });
        b.switch_to_block(body);
        b.seal_block(body);
        let xv = b.use_var(x);
        let one2 = b.ins_value(InstKind::Number(1.0));
        let sum = b.ins_value(InstKind::Binary { op: BinaryOp::Add, lhs: xv, rhs: one2, site });
        b.def_var(x, sum);
        b.ins(InstKind::Jump { dest: header, args: vec![] });
        b.seal_block(header);
        b.switch_to_block(exit);
        b.seal_block(exit);
        let xr = b.use_var(x);
        b.ins(InstKind::Return { value: xr });
        let f = b.finish();
        assert_eq!(f.block(header).params.len(), 1);
        assert!(f.block(exit).params.is_empty());
        m.functions.push(f);
        verifier::verify_module(&m).unwrap();
    }

    /// A variable defined once before a loop and only read inside it needs no param.
    #[test]
    fn invariant_variable_needs_no_param() {
        let mut m = Module::new();
        let mut b = FunctionBuilder::new(Function::new(b"f".to_vec(), FunctionKind::Function, 0, 1));
        let entry = b.create_block();
        b.append_block_param(entry, Type::Val);
        b.append_block_param(entry, Type::Val);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let x = b.declare_var(Type::Val);
        let one = b.ins_value(InstKind::Number(1.0));
        b.def_var(x, one);
        let header = b.create_block();
        let exit = b.create_block();
        b.ins(InstKind::Jump { dest: header, args: vec![] });
        b.switch_to_block(header);
        let xv = b.use_var(x);
        let cond = b.ins_value(InstKind::Truthy(xv));
        b.ins(InstKind::Branch {
            cond,
            then_dest: header,
            then_args: vec![],
            else_dest: exit,
            else_args: vec![],
        });
        b.seal_block(header);
        b.switch_to_block(exit);
        b.seal_block(exit);
        let xr = b.use_var(x);
        b.ins(InstKind::Return { value: xr });
        let f = b.finish();
        assert!(f.block(header).params.is_empty());
        m.functions.push(f);
        verifier::verify_module(&m).unwrap();
    }
}
