//! Editing functions in place: a cursor over a function's instructions, and
//! the layout and use-rewriting helpers an optimizer needs.
//!
//! A [`FuncCursor`] sits at an insertion point: between two instructions of
//! a block, at its top or at its bottom. Instructions inserted there go in
//! order (each after the one before), as with Cranelift's `FuncCursor`.
//! [`FuncCursor::next_inst`] and [`FuncCursor::prev_inst`] step over
//! instructions, so a pass can walk a block and edit as it goes:
//!
//! ```
//! # use brine_ir::{cursor::FuncCursor, Function, FunctionKind, InstKind};
//! # let mut func = Function::new(Vec::new(), FunctionKind::Script, 0, 1);
//! # let mut cur = FuncCursor::new(&mut func);
//! # let block = cur.create_block();
//! # let v = cur.append_block_param(block, brine_ir::Type::Val);
//! # cur.goto_bottom(block);
//! # cur.ins(InstKind::Print { value: v });
//! cur.goto_top(block);
//! while let Some(inst) = cur.next_inst() {
//!     if matches!(cur.func.inst(inst).kind, InstKind::Print { .. }) {
//!         cur.remove_inst(inst);
//!     }
//! }
//! # assert!(cur.func.block(block).insts.is_empty());
//! ```
//!
//! Every edit keeps [`BlockData::insts`](crate::BlockData::insts) and
//! [`Function::layout`] consistent: an instruction is in at most one block,
//! and every block the cursor makes is in the layout. Removed instructions
//! and their results stay in the function's tables (ids never move), out of
//! every block. Analyses ([`crate::cfg`], [`crate::dominators`],
//! [`crate::loops`]) are not updated: recompute the ones an edit invalidates.

use crate::entities::{Block, Inst, Value};
use crate::function::{BlockData, Function, ValueData, ValueDef};
use crate::inst::{InstData, InstKind, Type};

/// Where a [`FuncCursor`] is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CursorPosition {
    /// Nowhere: set a position before inserting.
    Nowhere,
    /// In `block`, with `index` of its instructions before the cursor: 0 is
    /// the top of the block, its length the bottom.
    At { block: Block, index: usize },
}

/// A cursor for editing a function.
pub struct FuncCursor<'f> {
    /// The function being edited. Editing it directly is allowed; the
    /// cursor's index is clamped to its block afterwards.
    pub func: &'f mut Function,
    pos: CursorPosition,
}

impl<'f> FuncCursor<'f> {
    /// A cursor positioned nowhere.
    pub fn new(func: &'f mut Function) -> FuncCursor<'f> {
        FuncCursor { func, pos: CursorPosition::Nowhere }
    }

    /// This cursor, at the top of `block`.
    pub fn at_top(mut self, block: Block) -> Self {
        self.goto_top(block);
        self
    }

    /// This cursor, at the bottom of `block`.
    pub fn at_bottom(mut self, block: Block) -> Self {
        self.goto_bottom(block);
        self
    }

    // ---- position ------------------------------------------------------------------

    pub fn position(&self) -> CursorPosition {
        match self.pos {
            CursorPosition::At { block, index } => {
                CursorPosition::At { block, index: index.min(self.func.block(block).insts.len()) }
            }
            p => p,
        }
    }

    pub fn set_position(&mut self, pos: CursorPosition) {
        self.pos = pos;
    }

    /// The block the cursor is in.
    pub fn current_block(&self) -> Option<Block> {
        match self.pos {
            CursorPosition::At { block, .. } => Some(block),
            CursorPosition::Nowhere => None,
        }
    }

    /// Before the first instruction of `block`.
    pub fn goto_top(&mut self, block: Block) {
        self.pos = CursorPosition::At { block, index: 0 };
    }

    /// After the last instruction of `block` (where a new block's
    /// instructions are appended).
    pub fn goto_bottom(&mut self, block: Block) {
        self.pos = CursorPosition::At { block, index: self.func.block(block).insts.len() };
    }

    /// Before the terminator of `block` (the bottom if it has none): where
    /// code that runs on every way out of the block goes.
    pub fn goto_before_terminator(&mut self, block: Block) {
        let len = self.func.block(block).insts.len();
        let index = if self.func.terminator(block).is_some() { len - 1 } else { len };
        self.pos = CursorPosition::At { block, index };
    }

    /// Just before `inst`. Panics if `inst` is in no block of the layout.
    pub fn goto_before(&mut self, inst: Inst) {
        let (block, index) = self.find(inst);
        self.pos = CursorPosition::At { block, index };
    }

    /// Just after `inst`. Panics if `inst` is in no block of the layout.
    pub fn goto_after(&mut self, inst: Inst) {
        let (block, index) = self.find(inst);
        self.pos = CursorPosition::At { block, index: index + 1 };
    }

    /// Where `inst` is: the current block is searched first.
    fn find(&self, inst: Inst) -> (Block, usize) {
        if let Some(block) = self.current_block()
            && let Some(i) = self.func.block(block).insts.iter().position(|&x| x == inst)
        {
            return (block, i);
        }
        inst_position(self.func, inst).unwrap_or_else(|| panic!("{inst} is not in the layout"))
    }

    /// The current block and the clamped index, or a panic if nowhere.
    fn point(&self) -> (Block, usize) {
        match self.position() {
            CursorPosition::At { block, index } => (block, index),
            CursorPosition::Nowhere => panic!("cursor is nowhere"),
        }
    }

    /// Moves over the next instruction of the block and returns it; `None`
    /// (without moving) at the bottom or nowhere.
    pub fn next_inst(&mut self) -> Option<Inst> {
        let CursorPosition::At { block, index } = self.position() else { return None };
        let inst = *self.func.block(block).insts.get(index)?;
        self.pos = CursorPosition::At { block, index: index + 1 };
        Some(inst)
    }

    /// Moves back over the previous instruction of the block and returns
    /// it; `None` (without moving) at the top or nowhere.
    pub fn prev_inst(&mut self) -> Option<Inst> {
        let CursorPosition::At { block, index } = self.position() else { return None };
        let index = index.checked_sub(1)?;
        self.pos = CursorPosition::At { block, index };
        Some(self.func.block(block).insts[index])
    }

    // ---- instructions ----------------------------------------------------------------

    /// Inserts an instruction at the cursor, which moves past it; its result
    /// value, if [`InstKind::result_type`] says it has one, is made with that
    /// type. Panics if the cursor is nowhere.
    pub fn insert_inst(&mut self, kind: InstKind) -> Inst {
        let (block, index) = self.point();
        let inst = Inst::new(self.func.insts.len());
        let result = kind.result_type().map(|ty| make_value(self.func, ty, ValueDef::Result(inst)));
        self.func.insts.push(InstData { kind, result });
        self.func.blocks[block.index()].insts.insert(index, inst);
        self.pos = CursorPosition::At { block, index: index + 1 };
        inst
    }

    /// Inserts an instruction at the cursor and returns its result, if any.
    pub fn ins(&mut self, kind: InstKind) -> Option<Value> {
        let inst = self.insert_inst(kind);
        self.func.inst(inst).result
    }

    /// Inserts an instruction that has a result, and returns it.
    pub fn ins_value(&mut self, kind: InstKind) -> Value {
        self.ins(kind).expect("instruction has no result")
    }

    /// Takes `inst` out of its block; the cursor keeps its place between the
    /// instructions around it. Its result, if any, must have no uses left.
    /// Panics if `inst` is in no block of the layout.
    pub fn remove_inst(&mut self, inst: Inst) {
        let (block, index) = self.find(inst);
        self.func.blocks[block.index()].insts.remove(index);
        if let CursorPosition::At { block: b, index: i } = self.position()
            && b == block
            && index < i
        {
            self.pos = CursorPosition::At { block, index: i - 1 };
        }
    }

    /// Moves `inst` from its block to the cursor, which moves past it; it
    /// keeps its number and its result. Panics if `inst` is in no block.
    pub fn move_inst(&mut self, inst: Inst) {
        self.remove_inst(inst);
        let (block, index) = self.point();
        self.func.blocks[block.index()].insts.insert(index, inst);
        self.pos = CursorPosition::At { block, index: index + 1 };
    }

    /// Makes `inst` do `kind` instead, in place, and returns its result.
    /// A result of the old kind is kept, with the new kind's result type;
    /// one is made if only the new kind has a result; it is dropped if only
    /// the old one had (it must have no uses left). Replacing a terminator's
    /// destinations changes the CFG.
    pub fn replace_inst(&mut self, inst: Inst, kind: InstKind) -> Option<Value> {
        let result = match (self.func.inst(inst).result, kind.result_type()) {
            (Some(v), Some(ty)) => {
                self.func.values[v.index()].ty = ty;
                Some(v)
            }
            (None, Some(ty)) => Some(make_value(self.func, ty, ValueDef::Result(inst))),
            (_, None) => None,
        };
        self.func.insts[inst.index()] = InstData { kind, result };
        result
    }

    /// Replaces every use of `old` in the function by `new`; returns how many
    /// operands changed. See [`replace_all_uses`].
    pub fn replace_all_uses(&mut self, old: Value, new: Value) -> usize {
        replace_all_uses(self.func, old, new)
    }

    // ---- blocks ----------------------------------------------------------------------

    /// A new empty block at the end of the layout.
    pub fn create_block(&mut self) -> Block {
        let block = Block::new(self.func.blocks.len());
        self.func.blocks.push(BlockData::default());
        self.func.layout.push(block);
        block
    }

    /// A new empty block, placed in the layout right after `after`.
    pub fn create_block_after(&mut self, after: Block) -> Block {
        let block = self.create_block();
        insert_block_after(self.func, block, after);
        block
    }

    /// Moves `block` in the layout to right after `after`. See
    /// [`insert_block_after`].
    pub fn insert_block_after(&mut self, block: Block, after: Block) {
        insert_block_after(self.func, block, after);
    }

    /// Adds a parameter of type `ty` to the end of `block`'s parameters.
    /// Every edge into `block` must then pass one more argument.
    pub fn append_block_param(&mut self, block: Block, ty: Type) -> Value {
        let index = self.func.block(block).params.len() as u32;
        let v = make_value(self.func, ty, ValueDef::Param(block, index));
        self.func.blocks[block.index()].params.push(v);
        v
    }
}

fn make_value(func: &mut Function, ty: Type, def: ValueDef) -> Value {
    let v = Value::new(func.values.len());
    func.values.push(ValueData { ty, def });
    v
}

/// Where `inst` is: its block in the layout and its index there, or `None`
/// if it is in no block of the layout. Searches the whole layout.
pub fn inst_position(func: &Function, inst: Inst) -> Option<(Block, usize)> {
    func.layout.iter().find_map(|&b| func.block(b).insts.iter().position(|&x| x == inst).map(|i| (b, i)))
}

/// Places `block` in the layout right after `after`, taking it out of where
/// it was first if it was there. Panics if `after` is not in the layout or
/// is `block`.
pub fn insert_block_after(func: &mut Function, block: Block, after: Block) {
    assert_ne!(block, after, "cannot place {block} after itself");
    func.layout.retain(|&b| b != block);
    let at = func
        .layout
        .iter()
        .position(|&b| b == after)
        .unwrap_or_else(|| panic!("{after} is not in the layout"));
    func.layout.insert(at + 1, block);
}

/// Replaces every use of `old` by `new` in the function: every operand of
/// every instruction, branch and jump arguments included (instructions out
/// of the layout too, which is harmless). Returns how many operands changed.
/// `old` stays defined; `new` must have its type and dominate the uses.
pub fn replace_all_uses(func: &mut Function, old: Value, new: Value) -> usize {
    debug_assert_eq!(
        func.value_type(old),
        func.value_type(new),
        "replacing {old} with {new} of another type"
    );
    let mut count = 0;
    for data in &mut func.insts {
        data.kind.visit_args_mut(&mut |v| {
            if *v == old {
                *v = new;
                count += 1;
            }
        });
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::ControlFlowGraph;
    use crate::cfg::tests::{blocks, shape, verify};
    use crate::dominators::DominatorTree;
    use crate::entities::SiteId;
    use crate::inst::BinaryOp;

    /// `x = 1 + 2; branch truthy(x) -> block1(x), block2(x)`, both return
    /// their param. Returns the function and `x`'s instruction.
    fn add_and_branch() -> (Function, Inst) {
        let mut f = Function::new(b"f".to_vec(), crate::FunctionKind::Function, 0, 1);
        let mut cur = FuncCursor::new(&mut f);
        let entry = cur.create_block();
        let then_b = cur.create_block();
        let else_b = cur.create_block();
        cur.append_block_param(entry, Type::Val);
        cur.append_block_param(entry, Type::Val);
        cur.goto_bottom(entry);
        let one = cur.ins_value(InstKind::Number(1.0));
        let two = cur.ins_value(InstKind::Number(2.0));
        let add =
            cur.insert_inst(InstKind::Binary { op: BinaryOp::Add, lhs: one, rhs: two, site: SiteId(0) });
        let x = cur.func.inst(add).result.unwrap();
        let cond = cur.ins_value(InstKind::Truthy(x));
        cur.ins(InstKind::Branch {
            cond,
            then_dest: then_b,
            then_args: vec![x],
            else_dest: else_b,
            else_args: vec![x],
        });
        for b in [then_b, else_b] {
            let p = cur.append_block_param(b, Type::Val);
            cur.goto_bottom(b);
            cur.ins(InstKind::Return { value: p });
        }
        (f, add)
    }

    fn kinds(f: &Function, b: Block) -> Vec<&'static str> {
        f.block(b)
            .insts
            .iter()
            .map(|&i| match f.inst(i).kind {
                InstKind::Nil => "nil",
                InstKind::Number(_) => "number",
                InstKind::Binary { .. } => "binary",
                InstKind::Truthy(_) => "truthy",
                InstKind::Print { .. } => "print",
                InstKind::Jump { .. } => "jump",
                InstKind::Branch { .. } => "branch",
                InstKind::Return { .. } => "return",
                _ => "other",
            })
            .collect()
    }

    #[test]
    fn building_with_the_cursor_gives_a_valid_function() {
        let (f, add) = add_and_branch();
        verify(&f);
        assert_eq!(kinds(&f, Block(0)), ["number", "number", "binary", "truthy", "branch"]);
        let x = f.inst(add).result.unwrap();
        assert_eq!(f.value_type(x), Type::Val);
        assert_eq!(f.values[x.index()].def, ValueDef::Result(add));
        let cond = f.inst(f.block(Block(0)).insts[3]).result.unwrap();
        assert_eq!(f.value_type(cond), Type::Bool);
        assert_eq!(f.layout, blocks(&[0, 1, 2]));
    }

    #[test]
    fn inserting_goes_in_order_and_positions_move() {
        let (mut f, add) = add_and_branch();
        let mut cur = FuncCursor::new(&mut f);
        assert_eq!(cur.position(), CursorPosition::Nowhere);
        assert_eq!(cur.next_inst(), None);
        cur.goto_before(add);
        assert_eq!(cur.position(), CursorPosition::At { block: Block(0), index: 2 });
        let x = cur.func.inst(add).result.unwrap();
        let callee = cur.func.block(Block(0)).params[0];
        let p1 = cur.insert_inst(InstKind::Print { value: callee });
        let p2 = cur.insert_inst(InstKind::Print { value: callee });
        assert_eq!(cur.position(), CursorPosition::At { block: Block(0), index: 4 });
        assert_eq!(cur.next_inst(), Some(add));
        assert_eq!(cur.prev_inst(), Some(add));
        assert_eq!(cur.prev_inst(), Some(p2));
        cur.goto_after(add);
        let p3 = cur.insert_inst(InstKind::Print { value: x });
        assert_eq!(cur.func.inst(p3).result, None);
        cur.goto_before_terminator(Block(1));
        let p4 = cur.insert_inst(InstKind::Print { value: x });
        cur.goto_top(Block(2));
        assert_eq!(cur.prev_inst(), None);
        let n = cur.ins_value(InstKind::Nil);
        assert_eq!(cur.func.values[n.index()].def, ValueDef::Result(cur.func.block(Block(2)).insts[0]));
        assert_eq!(cur.current_block(), Some(Block(2)));
        cur = cur.at_bottom(Block(2));
        assert_eq!(cur.position(), CursorPosition::At { block: Block(2), index: 2 });
        assert_eq!(cur.next_inst(), None);
        cur = cur.at_top(Block(1));
        assert_eq!(cur.next_inst(), Some(p4));
        assert_eq!(f.block(Block(0)).insts[2..5], [p1, p2, add]);
        assert_eq!(
            kinds(&f, Block(0)),
            ["number", "number", "print", "print", "binary", "print", "truthy", "branch"]
        );
        assert_eq!(f.block(Block(0)).insts[5], p3);
        assert_eq!(kinds(&f, Block(1)), ["print", "return"]);
        assert_eq!(kinds(&f, Block(2)), ["nil", "return"]);
        verify(&f);
    }

    #[test]
    fn walking_and_removing() {
        let (mut f, _) = add_and_branch();
        let mut cur = FuncCursor::new(&mut f).at_top(Block(0));
        let callee = cur.func.block(Block(0)).params[0];
        // A print after every instruction but the terminator, then remove them all.
        while let Some(inst) = cur.next_inst() {
            if cur.func.inst(inst).kind.is_terminator() {
                break;
            }
            cur.ins(InstKind::Print { value: callee });
        }
        assert_eq!(cur.func.block(Block(0)).insts.len(), 9);
        let mut removed = 0;
        cur.goto_top(Block(0));
        while let Some(inst) = cur.next_inst() {
            if matches!(cur.func.inst(inst).kind, InstKind::Print { .. }) {
                cur.remove_inst(inst);
                removed += 1;
            }
        }
        assert_eq!(removed, 4);
        assert_eq!(cur.position(), CursorPosition::At { block: Block(0), index: 5 });
        assert_eq!(kinds(&f, Block(0)), ["number", "number", "binary", "truthy", "branch"]);
        verify(&f);
    }

    #[test]
    fn removing_elsewhere_keeps_the_cursor_between_the_same_insts() {
        let (mut f, add) = add_and_branch();
        let entry = f.block(Block(0)).insts.clone();
        let mut cur = FuncCursor::new(&mut f);
        cur.goto_before(entry[3]); // before truthy
        // Remove `number 2` (before the cursor), after making `add` not use it.
        let one = cur.func.inst(entry[0]).result.unwrap();
        let two = cur.func.inst(entry[1]).result.unwrap();
        assert_eq!(cur.replace_all_uses(two, one), 1);
        cur.remove_inst(entry[1]);
        assert_eq!(cur.next_inst(), Some(entry[3]));
        // Removing from another block leaves the index alone.
        cur.goto_before(entry[3]);
        let ret2 = cur.func.terminator(Block(2)).unwrap();
        cur.remove_inst(ret2);
        assert_eq!(cur.position(), CursorPosition::At { block: Block(0), index: 2 });
        assert_eq!(inst_position(cur.func, ret2), None);
        assert_eq!(inst_position(cur.func, add), Some((Block(0), 1)));
        // Put a return back: valid again.
        let p = cur.func.block(Block(2)).params[0];
        cur.goto_bottom(Block(2));
        cur.ins(InstKind::Return { value: p });
        verify(&f);
    }

    #[test]
    #[should_panic(expected = "is not in the layout")]
    fn removing_a_removed_inst_panics() {
        let (mut f, add) = add_and_branch();
        let mut cur = FuncCursor::new(&mut f);
        cur.remove_inst(add);
        cur.remove_inst(add);
    }

    #[test]
    #[should_panic(expected = "cursor is nowhere")]
    fn inserting_nowhere_panics() {
        let (mut f, _) = add_and_branch();
        FuncCursor::new(&mut f).ins(InstKind::Nil);
    }

    #[test]
    fn replace_inst_keeps_makes_or_drops_the_result() {
        let (mut f, add) = add_and_branch();
        let entry = f.block(Block(0)).insts.clone();
        let x = f.inst(add).result.unwrap();
        let mut cur = FuncCursor::new(&mut f);
        // Constant-fold `1 + 2`: same result value, uses untouched.
        assert_eq!(cur.replace_inst(add, InstKind::Number(3.0)), Some(x));
        assert_eq!(cur.func.inst(add).kind, InstKind::Number(3.0));
        assert_eq!(cur.func.value_type(x), Type::Val);
        verify(cur.func);
        // The kept result takes the new kind's type: `truthy x` as a `bool`
        // constant makes the branch condition a val, which is invalid...
        let cond = cur.func.inst(entry[3]).result.unwrap();
        assert_eq!(cur.replace_inst(entry[3], InstKind::Bool(true)), Some(cond));
        assert_eq!(cur.func.value_type(cond), Type::Val);
        let mut m = crate::Module::new();
        m.add_site(1);
        m.functions.push(cur.func.clone());
        let errors = crate::verifier::verify_module(&m).unwrap_err();
        assert!(errors.iter().any(|e| e.message.contains("is not a bool")), "{errors:?}");
        // ... and back to `truthy x` makes it a bool again.
        assert_eq!(cur.replace_inst(entry[3], InstKind::Truthy(x)), Some(cond));
        assert_eq!(cur.func.value_type(cond), Type::Bool);
        verify(cur.func);
        // A result dropped: `number 1` (unused now) becomes a print.
        let callee = cur.func.block(Block(0)).params[0];
        assert_eq!(cur.replace_inst(entry[0], InstKind::Print { value: callee }), None);
        assert_eq!(cur.func.inst(entry[0]).result, None);
        // And made: the print becomes `nil` with a fresh value.
        let before = cur.func.values.len();
        let v = cur.replace_inst(entry[0], InstKind::Nil).unwrap();
        assert_eq!(v.index(), before);
        assert_eq!(cur.func.values[v.index()], ValueData { ty: Type::Val, def: ValueDef::Result(entry[0]) });
        verify(&f);
    }

    #[test]
    fn replace_all_uses_rewrites_operands_and_branch_args() {
        let (mut f, add) = add_and_branch();
        let x = f.inst(add).result.unwrap();
        let term = f.terminator(Block(0)).unwrap();
        let mut cur = FuncCursor::new(&mut f);
        cur.goto_before(add);
        let n = cur.ins_value(InstKind::Nil);
        // truthy, then_args, else_args.
        assert_eq!(replace_all_uses(cur.func, x, n), 3);
        assert_eq!(cur.replace_all_uses(x, n), 0);
        match &f.inst(term).kind {
            InstKind::Branch { then_args, else_args, .. } => {
                assert_eq!(then_args, &vec![n]);
                assert_eq!(else_args, &vec![n]);
            }
            k => panic!("not a branch: {k:?}"),
        }
        assert_eq!(f.inst(f.block(Block(0)).insts[4]).kind, InstKind::Truthy(n));
        // `x` is unused now: remove its instruction.
        FuncCursor::new(&mut f).remove_inst(add);
        verify(&f);
    }

    #[test]
    fn a_replacement_that_does_not_dominate_is_caught_by_the_verifier() {
        // The helper does not check dominance; the verifier does.
        let (mut f, add) = add_and_branch();
        let mut cur = FuncCursor::new(&mut f);
        let x = cur.func.inst(add).result.unwrap();
        cur.goto_top(Block(1));
        let late = cur.ins_value(InstKind::Nil);
        cur.replace_all_uses(x, late);
        let mut m = crate::Module::new();
        m.add_site(1);
        m.functions.push(f);
        let errors = crate::verifier::verify_module(&m).unwrap_err();
        assert!(errors.iter().any(|e| e.message.contains("does not dominate")), "{errors:?}");
    }

    #[test]
    fn blocks_and_layout() {
        let (mut f, _) = add_and_branch();
        let mut cur = FuncCursor::new(&mut f);
        let b3 = cur.create_block();
        assert_eq!(cur.func.layout, blocks(&[0, 1, 2, 3]));
        let b4 = cur.create_block_after(Block(0));
        assert_eq!(cur.func.layout, blocks(&[0, 4, 1, 2, 3]));
        cur.insert_block_after(b3, b4);
        assert_eq!(cur.func.layout, blocks(&[0, 4, 3, 1, 2]));
        insert_block_after(cur.func, b4, Block(2));
        assert_eq!(cur.func.layout, blocks(&[0, 3, 1, 2, 4]));
        // Fill them in: block3 passes its param on to block1; block4
        // (unreachable) returns nil.
        let p = cur.append_block_param(b3, Type::Val);
        assert_eq!(cur.func.values[p.index()].def, ValueDef::Param(b3, 0));
        let q = cur.append_block_param(b3, Type::Val);
        assert_eq!(cur.func.values[q.index()].def, ValueDef::Param(b3, 1));
        cur.goto_bottom(b3);
        cur.ins(InstKind::Jump { dest: Block(1), args: vec![q] });
        cur.goto_bottom(b4);
        let n = cur.ins_value(InstKind::Nil);
        cur.ins(InstKind::Return { value: n });
        // Send the then arm through block3.
        let term = cur.func.terminator(Block(0)).unwrap();
        if let InstKind::Branch { then_dest, then_args, .. } = &mut cur.func.insts[term.index()].kind {
            *then_dest = b3;
            then_args.push(then_args[0]);
        }
        verify(&f);
        let cfg = ControlFlowGraph::with_function(&f);
        assert_eq!(cfg.successors(Block(0)), [b3, Block(2)].as_slice());
        assert_eq!(cfg.successors(b3), [Block(1)].as_slice());
        assert!(!cfg.is_reachable(b4));
        assert_eq!(cfg.reverse_postorder(), [Block(0), Block(2), b3, Block(1)].as_slice());
    }

    #[test]
    #[should_panic(expected = "is not in the layout")]
    fn insert_after_a_block_not_in_the_layout_panics() {
        let mut f = shape(&[&[]]);
        insert_block_after(&mut f, Block(0), Block(7));
    }

    /// Splits the edge 0 -> 1 of a diamond, then checks the new CFG,
    /// dominator tree and validity.
    #[test]
    fn split_an_edge() {
        let mut f = shape(&[&[1, 2], &[3], &[3], &[]]);
        let term = f.terminator(Block(0)).unwrap();
        let mut cur = FuncCursor::new(&mut f);
        let mid = cur.create_block_after(Block(0));
        cur.goto_bottom(mid);
        cur.ins(InstKind::Jump { dest: Block(1), args: vec![] });
        if let InstKind::Branch { then_dest, .. } = &mut cur.func.insts[term.index()].kind {
            *then_dest = mid;
        }
        verify(&f);
        let cfg = ControlFlowGraph::with_function(&f);
        let domtree = DominatorTree::with_function(&f, &cfg);
        assert_eq!(cfg.successors(Block(0)), [mid, Block(2)].as_slice());
        assert_eq!(cfg.predecessors(Block(1))[0].block, mid);
        assert_eq!(domtree.idom(Block(1)), Some(mid));
        assert_eq!(domtree.idom(mid), Some(Block(0)));
        assert_eq!(domtree.idom(Block(3)), Some(Block(0)));
    }

    #[test]
    fn editing_the_function_directly_clamps_the_cursor() {
        let (mut f, _) = add_and_branch();
        let mut cur = FuncCursor::new(&mut f).at_bottom(Block(0));
        cur.func.blocks[0].insts.truncate(2);
        assert_eq!(cur.position(), CursorPosition::At { block: Block(0), index: 2 });
        assert_eq!(cur.next_inst(), None);
        assert!(cur.prev_inst().is_some());
        cur.set_position(CursorPosition::Nowhere);
        assert_eq!(cur.current_block(), None);
    }
}
