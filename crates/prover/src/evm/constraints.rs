//! The epoch AIR's out-of-domain constraint fold, compiled for the EVM.
//!
//! The verifier folds every constraint of [`TransitionAir`] at the out-of-domain point:
//! `acc = acc·alpha + c` in `eval` order (docs/plonky3-evm-verifier §4). This module takes
//! Plonky3's own symbolic constraints (`get_symbolic_constraints`), deduplicates them into a DAG
//! (structural hash-consing), fuses linear sub-expressions into linear combinations, and emits a
//! compact **op stream** run by a small Yul interpreter (`EpochConstraints.sol`). Straight-line
//! Solidity of the same work is ~1 MB of bytecode; the op stream is a few tens of KB, stored as
//! the runtime code of data contracts and copied into memory with `EXTCODECOPY`.
//!
//! **Representation.** An extension element lives in a 128-byte register as 4 words; word `I`
//! packs coefficients `2I` and `2I+1` as `lo + hi·2^80` ("lanes"). Lanes are not reduced eagerly:
//! the generator tracks an upper bound per value and keeps every lane below `2^80`.
//! - A linear combination `Σ c_i·v_i` multiplies whole words by signed 32-bit coefficients (one
//!   `mul` per two coefficients); a negative part is offset by `K = p·2^e ≥` its bound.
//! - A product uses Kronecker substitution: one 256-bit `mul` of two packed words yields the three
//!   coefficients of a 2×2 polynomial product (lanes at 0, 80, 160), so an extension product
//!   is 16 `mul`s plus the `x^8 = 3` wrap and one reduction per output lane. Every output lane is
//!   at most `22·Σ Ba·Bb + Be`, which must stay below `2^80`.
//!
//! [`EpochConstraintProgram::eval`] is a bit-exact Rust mirror of the interpreter (256-bit
//! wrapping arithmetic); it checks every bound the generator assumed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use alloy::primitives::U256;
use p3_air::symbolic::{BaseEntry, BaseLeaf, SymbolicExpr, SymbolicExpression};
use p3_air::{AirLayout, BaseAir, get_symbolic_constraints};
use p3_field::{BasedVectorSpace, PrimeField32};

use crate::circuit::TransitionAir;
use crate::config::{EvmChallenge, Val};

use super::calldata::{NUM_PUBLIC_VALUES, TRACE_WIDTH};

const P: u64 = 0x7f00_0001;
const LANE: usize = 80;
/// Product lanes grow to at most `MUL_SPREAD · Ba · Bb` (see the module docs).
const MUL_SPREAD: u128 = 22;
const LANE_LIMIT: u128 = 1 << LANE;
/// A linear combination above this bound is reduced when it is stored.
const LIN_REDUCE_ABOVE: u128 = 1 << 72;
const CANONICAL: u128 = (P - 1) as u128;

/// Extension elements at the head of `fold`'s input: trace_local, trace_next, the three
/// selectors and alpha.
pub const INPUT_EXTENSION_ELEMENTS: usize = 2 * TRACE_WIDTH + 4;
/// Byte length of `fold`'s input.
pub const INPUT_LEN: usize = INPUT_EXTENSION_ELEMENTS * 32 + NUM_PUBLIC_VALUES * 4;
/// EIP-170 runtime-code limit; each data contract holds one `0x00` byte plus a chunk.
const MAX_CHUNK: usize = 24_576 - 1;
/// First register's memory address (below it: Solidity's scratch and free-memory pointer).
const REG_BASE: usize = 0x80;
const REG_BYTES: usize = 128;

const OP_END: u8 = 0;
const OP_LIN: u8 = 1;
const OP_MUL: u8 = 2;
const OP_LOAD: u8 = 3;
const OP_LOAD_BASE: u8 = 4;

/// The values `fold` is evaluated at, in the order of its packed input.
#[derive(Clone, Debug)]
pub struct FoldInput {
    /// The trace row at `zeta` (`TRACE_WIDTH` values).
    pub trace_local: Vec<EvmChallenge>,
    /// The trace row at `zeta·ω`.
    pub trace_next: Vec<EvmChallenge>,
    /// `is_first_row`, `is_last_row`, `is_transition` at `zeta`.
    pub selectors: [EvmChallenge; 3],
    /// The constraint-folding challenge.
    pub alpha: EvmChallenge,
    /// The public values (`NUM_PUBLIC_VALUES`).
    pub public_values: Vec<Val>,
}

impl FoldInput {
    /// The packed calldata layout `fold` takes: each extension element as 8 big-endian `uint32`
    /// coefficients (`c0` first), then each public value as a big-endian `uint32`.
    pub fn encode(&self) -> Vec<u8> {
        assert_eq!(self.trace_local.len(), TRACE_WIDTH);
        assert_eq!(self.trace_next.len(), TRACE_WIDTH);
        assert_eq!(self.public_values.len(), NUM_PUBLIC_VALUES);
        let mut out = Vec::with_capacity(INPUT_LEN);
        let elements = self.trace_local.iter().chain(&self.trace_next);
        for e in elements.chain(&self.selectors).chain([&self.alpha]) {
            let coefficients: &[Val] = e.as_basis_coefficients_slice();
            for c in coefficients {
                out.extend_from_slice(&c.as_canonical_u32().to_be_bytes());
            }
        }
        for v in &self.public_values {
            out.extend_from_slice(&v.as_canonical_u32().to_be_bytes());
        }
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Leaf {
    Local(usize),
    Next(usize),
    Public(usize),
    First,
    Last,
    Transition,
}

impl Leaf {
    /// Byte offset of the leaf in `fold`'s input, and whether it is a base-field value.
    fn input_offset(self) -> (usize, bool) {
        match self {
            Leaf::Local(i) => (32 * i, false),
            Leaf::Next(i) => (32 * (TRACE_WIDTH + i), false),
            Leaf::First => (32 * 2 * TRACE_WIDTH, false),
            Leaf::Last => (32 * (2 * TRACE_WIDTH + 1), false),
            Leaf::Transition => (32 * (2 * TRACE_WIDTH + 2), false),
            Leaf::Public(i) => (32 * INPUT_EXTENSION_ELEMENTS + 4 * i, true),
        }
    }
}

const ALPHA_OFFSET: usize = 32 * (2 * TRACE_WIDTH + 3);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Node {
    Leaf(Leaf),
    Const(u64),
    Add(usize, usize),
    Sub(usize, usize),
    Neg(usize),
    Mul(usize, usize),
}

/// The constraints as a hash-consed DAG; node ids are topologically ordered.
#[derive(Default)]
struct Dag {
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
    seen: HashMap<*const SymbolicExpression<Val>, usize>,
}

impl Dag {
    fn intern(&mut self, node: Node) -> usize {
        let node = match node {
            Node::Add(a, b) | Node::Mul(a, b) if a > b => match node {
                Node::Add(..) => Node::Add(b, a),
                _ => Node::Mul(b, a),
            },
            n => n,
        };
        let konst = |dag: &Self, i: usize| match dag.nodes[i] {
            Node::Const(c) => Some(c),
            _ => None,
        };
        let folded = match node {
            Node::Add(a, b) => konst(self, a).zip(konst(self, b)).map(|(x, y)| (x + y) % P),
            Node::Sub(a, b) => konst(self, a)
                .zip(konst(self, b))
                .map(|(x, y)| (x + P - y) % P),
            Node::Mul(a, b) => konst(self, a).zip(konst(self, b)).map(|(x, y)| x * y % P),
            Node::Neg(a) => konst(self, a).map(|x| (P - x) % P),
            _ => None,
        };
        let node = folded.map_or(node, Node::Const);
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        self.nodes.push(node);
        self.index.insert(node, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn child(&mut self, e: &Arc<SymbolicExpression<Val>>) -> usize {
        let key = Arc::as_ptr(e);
        if let Some(&id) = self.seen.get(&key) {
            return id;
        }
        let id = self.add(e);
        self.seen.insert(key, id);
        id
    }

    fn add(&mut self, e: &SymbolicExpression<Val>) -> usize {
        let node = match e {
            SymbolicExpr::Leaf(leaf) => match leaf {
                BaseLeaf::Variable(v) => Node::Leaf(match v.entry {
                    BaseEntry::Main { offset: 0 } => Leaf::Local(v.index),
                    BaseEntry::Main { offset: 1 } => Leaf::Next(v.index),
                    BaseEntry::Public => Leaf::Public(v.index),
                    other => panic!("the epoch AIR has no {other:?} variables"),
                }),
                BaseLeaf::IsFirstRow => Node::Leaf(Leaf::First),
                BaseLeaf::IsLastRow => Node::Leaf(Leaf::Last),
                BaseLeaf::IsTransition => Node::Leaf(Leaf::Transition),
                BaseLeaf::Constant(c) => Node::Const(c.as_canonical_u32() as u64),
            },
            SymbolicExpr::Add { x, y, .. } => Node::Add(self.child(x), self.child(y)),
            SymbolicExpr::Sub { x, y, .. } => Node::Sub(self.child(x), self.child(y)),
            SymbolicExpr::Neg { x, .. } => Node::Neg(self.child(x)),
            SymbolicExpr::Mul { x, y, .. } => Node::Mul(self.child(x), self.child(y)),
        };
        self.intern(node)
    }

    fn constant(&self, i: usize) -> Option<u64> {
        match self.nodes[i] {
            Node::Const(c) => Some(c),
            _ => None,
        }
    }

    /// Leaves and products of two non-constants; everything else is linear in its children.
    fn is_atom(&self, i: usize) -> bool {
        match self.nodes[i] {
            Node::Leaf(_) => true,
            Node::Mul(a, b) => self.constant(a).is_none() && self.constant(b).is_none(),
            _ => false,
        }
    }
}

/// A linear combination over materialized nodes (`None` = the constant one), coefficients mod p.
type Form = Vec<(Option<usize>, u64)>;

fn combine(a: &Form, ca: u64, b: &Form, cb: u64) -> Form {
    let mut terms: Vec<(Option<usize>, u64)> = a
        .iter()
        .map(|&(t, c)| (t, c * ca % P))
        .chain(b.iter().map(|&(t, c)| (t, c * cb % P)))
        .collect();
    terms.sort_by_key(|&(t, _)| t);
    let mut out: Form = Vec::with_capacity(terms.len());
    for (t, c) in terms {
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 = (last.1 + c) % P,
            _ => out.push((t, c)),
        }
    }
    out.retain(|&(_, c)| c != 0);
    out
}

/// A virtual register (SSA value) of the program.
type Value = usize;

#[derive(Clone, Debug)]
enum Op {
    Load {
        dst: Value,
        offset: usize,
        base: bool,
    },
    Lin {
        dst: Value,
        terms: Vec<(Value, i64)>,
        k_exp: u8,
        reduce: bool,
    },
    Mul {
        dst: Value,
        a: Value,
        b: Value,
        cd: Option<(Value, Value)>,
        e: Option<Value>,
    },
    End {
        src: Value,
    },
}

impl Op {
    fn dst(&self) -> Option<Value> {
        match self {
            Op::Load { dst, .. } | Op::Lin { dst, .. } | Op::Mul { dst, .. } => Some(*dst),
            Op::End { .. } => None,
        }
    }

    fn sources(&self) -> Vec<Value> {
        match self {
            Op::Load { .. } => vec![],
            Op::Lin { terms, .. } => terms.iter().map(|t| t.0).collect(),
            Op::Mul { a, b, cd, e, .. } => {
                let mut v = vec![*a, *b];
                v.extend(cd.iter().flat_map(|&(c, d)| [c, d]));
                v.extend(e);
                v
            }
            Op::End { src } => vec![*src],
        }
    }
}

/// The value that holds the constant one (register 0, set by the interpreter).
const ONE: Value = 0;

struct Builder<'a> {
    dag: &'a Dag,
    /// Form of each node that is inlined into its users.
    forms: Vec<Option<Form>>,
    materialized: Vec<bool>,
    value_of: HashMap<usize, Value>,
    ops: Vec<Op>,
    bounds: Vec<u128>,
    /// Op index of the producing `Lin` of a value, to switch its reduction on later.
    lin_of: HashMap<Value, usize>,
}

impl Builder<'_> {
    fn new_value(&mut self, bound: u128) -> Value {
        self.bounds.push(bound);
        self.bounds.len() - 1
    }

    /// The term list a node contributes to its users.
    fn reference(&self, i: usize) -> Form {
        match (&self.forms[i], self.materialized[i]) {
            (Some(f), false) => f.clone(),
            _ => vec![(Some(i), 1)],
        }
    }

    fn reduce(&mut self, v: Value) -> bool {
        let Some(&at) = self.lin_of.get(&v) else {
            return false;
        };
        if let Op::Lin { reduce, .. } = &mut self.ops[at] {
            *reduce = true;
        }
        self.bounds[v] = CANONICAL;
        true
    }

    /// Emits what node `i` needs and returns the value holding it.
    fn value(&mut self, i: usize) -> Value {
        if let Some(&v) = self.value_of.get(&i) {
            return v;
        }
        let v = match self.dag.nodes[i] {
            Node::Leaf(leaf) => {
                let (offset, base) = leaf.input_offset();
                let dst = self.new_value(CANONICAL);
                self.ops.push(Op::Load { dst, offset, base });
                dst
            }
            _ if self.dag.is_atom(i) => {
                let Node::Mul(a, b) = self.dag.nodes[i] else {
                    unreachable!()
                };
                let (a, b) = (self.value(a), self.value(b));
                self.mul(a, b, None, None)
            }
            _ => {
                let form = self.forms[i].clone().expect("linear node has a form");
                self.lin(&form)
            }
        };
        self.value_of.insert(i, v);
        v
    }

    fn lin(&mut self, form: &Form) -> Value {
        if let [(Some(t), 1)] = form[..] {
            return self.value(t);
        }
        let mut terms: Vec<(Value, i64)> = Vec::with_capacity(form.len());
        for &(t, c) in form {
            let v = t.map_or(ONE, |t| self.value(t));
            let signed = if c > P / 2 {
                c as i64 - P as i64
            } else {
                c as i64
            };
            terms.push((v, signed));
        }
        loop {
            let (mut pos, mut neg) = (0u128, 0u128);
            for &(v, c) in &terms {
                let part = c.unsigned_abs() as u128 * self.bounds[v];
                if c > 0 { pos += part } else { neg += part }
            }
            let k_exp = if neg == 0 {
                0
            } else {
                (0u8..).find(|&e| ((P as u128) << e) >= neg).unwrap() + 1
            };
            let k = if k_exp == 0 {
                0
            } else {
                (P as u128) << (k_exp - 1)
            };
            let bound = pos + k;
            if bound < LANE_LIMIT / 2 {
                let dst = self.new_value(bound);
                let reduce = bound > LIN_REDUCE_ABOVE;
                if reduce {
                    self.bounds[dst] = CANONICAL;
                }
                self.lin_of.insert(dst, self.ops.len());
                self.ops.push(Op::Lin {
                    dst,
                    terms,
                    k_exp,
                    reduce,
                });
                return dst;
            }
            let widest = terms
                .iter()
                .map(|t| t.0)
                .max_by_key(|&v| self.bounds[v])
                .unwrap();
            assert!(
                self.reduce(widest),
                "linear combination overflows with reduced inputs"
            );
        }
    }

    /// `a·b + c·d + e`, reduced; reduces inputs until every lane stays below 2^80.
    fn mul(&mut self, a: Value, b: Value, cd: Option<(Value, Value)>, e: Option<Value>) -> Value {
        loop {
            let products: u128 = [(a, b)].into_iter().chain(cd).fold(0u128, |acc, (x, y)| {
                acc.saturating_add(self.bounds[x].saturating_mul(self.bounds[y]))
            });
            let total = MUL_SPREAD
                .saturating_mul(products)
                .saturating_add(e.map_or(0, |e| self.bounds[e]));
            if total < LANE_LIMIT {
                break;
            }
            let mut inputs = vec![a, b];
            inputs.extend(cd.iter().flat_map(|&(c, d)| [c, d]));
            inputs.extend(e);
            inputs.sort_by_key(|&v| std::cmp::Reverse(self.bounds[v]));
            let reduced = inputs
                .into_iter()
                .any(|v| self.bounds[v] > CANONICAL && self.reduce(v));
            assert!(reduced, "product overflows with reduced inputs");
        }
        let dst = self.new_value(CANONICAL);
        self.ops.push(Op::Mul { dst, a, b, cd, e });
        dst
    }
}

/// Statistics of the generated program, for the report and the tests.
#[derive(Clone, Debug, Default)]
pub struct ProgramStats {
    /// Constraints folded.
    pub constraints: usize,
    /// Distinct DAG nodes after hash-consing.
    pub dag_nodes: usize,
    /// `Load` ops (inputs read from calldata).
    pub loads: usize,
    /// Linear-combination ops and their total term count.
    pub lins: usize,
    /// Total terms of the linear combinations.
    pub lin_terms: usize,
    /// Product ops, and how many of them carry a second product.
    pub muls: usize,
    /// Product ops that fold a second product.
    pub double_muls: usize,
    /// Registers (128 bytes each) after liveness allocation.
    pub registers: usize,
}

/// The compiled fold: an op stream over registers, and its Rust mirror.
pub struct EpochConstraintProgram {
    /// The encoded op stream.
    pub code: Vec<u8>,
    /// Shape of the program.
    pub stats: ProgramStats,
}

impl EpochConstraintProgram {
    /// Compiles `TransitionAir`'s symbolic constraints.
    pub fn build() -> Self {
        let layout = AirLayout::from_air::<Val>(&TransitionAir);
        assert_eq!(BaseAir::<Val>::width(&TransitionAir), TRACE_WIDTH);
        assert_eq!(layout.num_public_values, NUM_PUBLIC_VALUES);
        let constraints = get_symbolic_constraints::<Val, _>(&TransitionAir, layout);
        let mut dag = Dag::default();
        let roots: Vec<usize> = constraints.iter().map(|c| dag.add(c)).collect();
        drop(constraints);
        let n = dag.nodes.len();

        // Uses among reachable nodes; a root's own use counts once.
        let mut uses = vec![0usize; n];
        let mut reachable = vec![false; n];
        for &r in &roots {
            reachable[r] = true;
            uses[r] += 1;
        }
        for i in (0..n).rev() {
            if !reachable[i] {
                continue;
            }
            let children = match dag.nodes[i] {
                Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) => vec![a, b],
                Node::Neg(a) => vec![a],
                _ => vec![],
            };
            for c in children {
                reachable[c] = true;
                uses[c] += 1;
            }
        }
        // A root that is a product used only once is folded into its Horner step.
        let fused: Vec<bool> = (0..n)
            .map(|i| dag.is_atom(i) && matches!(dag.nodes[i], Node::Mul(..)) && uses[i] == 1)
            .collect();
        let mut forced = vec![false; n];
        for i in 0..n {
            if let Node::Mul(a, b) = dag.nodes[i]
                && dag.is_atom(i)
            {
                forced[a] = true;
                forced[b] = true;
            }
        }
        for &r in &roots {
            forced[r] |= !fused[r];
        }

        let mut builder = Builder {
            dag: &dag,
            forms: vec![None; n],
            materialized: vec![false; n],
            value_of: HashMap::new(),
            ops: vec![],
            bounds: vec![1],
            lin_of: HashMap::new(),
        };
        for i in 0..n {
            if !reachable[i] {
                continue;
            }
            if dag.is_atom(i) {
                builder.materialized[i] = true;
                continue;
            }
            let form = match dag.nodes[i] {
                Node::Const(c) => vec![(None, c)],
                Node::Add(a, b) => combine(&builder.reference(a), 1, &builder.reference(b), 1),
                Node::Sub(a, b) => combine(&builder.reference(a), 1, &builder.reference(b), P - 1),
                Node::Neg(a) => combine(&builder.reference(a), P - 1, &vec![], 0),
                Node::Mul(a, b) => match (dag.constant(a), dag.constant(b)) {
                    (Some(c), _) => combine(&builder.reference(b), c, &vec![], 0),
                    (_, Some(c)) => combine(&builder.reference(a), c, &vec![], 0),
                    _ => unreachable!("products of non-constants are atoms"),
                },
                Node::Leaf(_) => unreachable!("leaves are atoms"),
            };
            let alias = matches!(form[..], [(Some(_), 1)]);
            let (k, u) = (form.len(), uses[i]);
            builder.materialized[i] = !alias && (forced[i] || (u > 1 && (k - 1) * (u - 1) > 2));
            builder.forms[i] = Some(form);
        }

        let mut stats = ProgramStats {
            constraints: roots.len(),
            dag_nodes: n,
            ..Default::default()
        };
        let alpha = builder.new_value(CANONICAL);
        let mut alpha_loaded = false;
        let mut acc: Option<Value> = None;
        for &r in &roots {
            let (product, addend) = if fused[r] {
                let Node::Mul(a, b) = dag.nodes[r] else {
                    unreachable!()
                };
                (Some((builder.value(a), builder.value(b))), None)
            } else {
                (None, Some(builder.value(r)))
            };
            acc = Some(match acc {
                None => match product {
                    Some((a, b)) => builder.mul(a, b, None, None),
                    None => addend.unwrap(),
                },
                Some(prev) => {
                    if !alpha_loaded {
                        builder.ops.push(Op::Load {
                            dst: alpha,
                            offset: ALPHA_OFFSET,
                            base: false,
                        });
                        alpha_loaded = true;
                    }
                    builder.mul(prev, alpha, product, addend)
                }
            });
        }
        builder.ops.push(Op::End {
            src: acc.expect("at least one constraint"),
        });

        for op in &builder.ops {
            match op {
                Op::Load { .. } => stats.loads += 1,
                Op::Lin { terms, .. } => {
                    stats.lins += 1;
                    stats.lin_terms += terms.len();
                }
                Op::Mul { cd, .. } => {
                    stats.muls += 1;
                    stats.double_muls += cd.is_some() as usize;
                }
                Op::End { .. } => {}
            }
        }
        let (code, registers) = encode(&builder.ops, builder.bounds.len());
        stats.registers = registers;
        Self { code, stats }
    }

    /// Runs the op stream exactly as the Solidity interpreter does (256-bit wrapping words) and
    /// returns the folded accumulator's coefficients. Panics if a lane leaves its bound.
    pub fn eval(&self, input: &[u8]) -> [u32; 8] {
        assert_eq!(input.len(), INPUT_LEN);
        let mut mem: HashMap<usize, U256> = HashMap::new();
        let mask = (U256::from(1u8) << LANE) - U256::from(1u8);
        let p = U256::from(P);
        let load = |mem: &HashMap<usize, U256>, a: usize| mem.get(&a).copied().unwrap_or_default();
        let lanes_ok = |x: U256| x >> (2 * LANE) == U256::ZERO;
        let red = |x: U256| ((x & mask) % p) | ((((x >> LANE) & mask) % p) << LANE);
        // `calldataload` reads zeros past the end.
        let word = |at: usize| {
            let mut w = [0u8; 32];
            let end = (at + 32).min(input.len());
            w[..end - at].copy_from_slice(&input[at..end]);
            U256::from_be_bytes(w)
        };
        mem.insert(REG_BASE, U256::from(1u8));
        let code = &self.code;
        let field = |pc: usize, len: usize| -> usize {
            code[pc..pc + len]
                .iter()
                .fold(0usize, |a, &b| a << 8 | b as usize)
        };
        let prod = |mem: &HashMap<usize, U256>, a: usize, b: usize| -> [U256; 4] {
            let av: Vec<U256> = (0..4).map(|k| load(mem, a + 32 * k)).collect();
            let bv: Vec<U256> = (0..4).map(|k| load(mem, b + 32 * k)).collect();
            let mut u = [U256::ZERO; 4];
            for (i, &ai) in av.iter().enumerate() {
                for (j, &bj) in bv.iter().enumerate() {
                    let (s, three) = if i + j < 4 {
                        (i + j, 1u8)
                    } else {
                        (i + j - 4, 3)
                    };
                    let t = ai.wrapping_mul(U256::from(three)).wrapping_mul(bj);
                    u[s] = u[s].wrapping_add(t);
                }
            }
            u
        };
        let mut pc = 0;
        loop {
            let dst = field(pc + 1, 2);
            match code[pc] {
                OP_LIN => {
                    let (n, reduce, k_exp) = (field(pc + 3, 2), code[pc + 5], code[pc + 6]);
                    let k = if k_exp == 0 {
                        U256::ZERO
                    } else {
                        (p << (k_exp as usize - 1)) * (U256::from(1u8) + (U256::from(1u8) << LANE))
                    };
                    let mut x = [k; 4];
                    for t in 0..n {
                        let at = pc + 7 + 6 * t;
                        let src = field(at, 2);
                        let c = field(at + 2, 4) as u32 as i32 as i64;
                        let c = if c < 0 {
                            U256::ZERO.wrapping_sub(U256::from(c.unsigned_abs()))
                        } else {
                            U256::from(c as u64)
                        };
                        for (k, xk) in x.iter_mut().enumerate() {
                            *xk = xk.wrapping_add(c.wrapping_mul(load(&mem, src + 32 * k)));
                        }
                    }
                    for (k, xk) in x.into_iter().enumerate() {
                        assert!(lanes_ok(xk), "linear combination at {pc} overflows");
                        mem.insert(dst + 32 * k, if reduce != 0 { red(xk) } else { xk });
                    }
                    pc += 7 + 6 * n;
                }
                OP_MUL => {
                    let (a, b, flags) = (field(pc + 3, 2), field(pc + 5, 2), code[pc + 13]);
                    let mut u = prod(&mem, a, b);
                    if flags & 1 != 0 {
                        let v = prod(&mem, field(pc + 7, 2), field(pc + 9, 2));
                        for k in 0..4 {
                            u[k] = u[k].wrapping_add(v[k]);
                        }
                    }
                    if flags & 2 != 0 {
                        let e = field(pc + 11, 2);
                        for (k, uk) in u.iter_mut().enumerate() {
                            *uk = uk.wrapping_add(load(&mem, e + 32 * k));
                        }
                    }
                    let v = [
                        u[0] + U256::from(3u8) * (u[3] >> (2 * LANE)),
                        u[1] + (u[0] >> (2 * LANE)),
                        u[2] + (u[1] >> (2 * LANE)),
                        u[3] + (u[2] >> (2 * LANE)),
                    ];
                    for (k, vk) in v.into_iter().enumerate() {
                        assert!(u[k] >> 240 == U256::ZERO, "product at {pc} overflows");
                        assert!(lanes_ok(
                            vk & ((U256::from(1u8) << (2 * LANE)) - U256::from(1u8))
                        ));
                        assert!(
                            (vk & mask) < mask && ((vk >> LANE) & mask) < mask,
                            "product lane at {pc}"
                        );
                        mem.insert(dst + 32 * k, red(vk));
                    }
                    pc += 14;
                }
                OP_LOAD => {
                    let w = word(field(pc + 3, 2));
                    let c = |k: usize| (w >> (224 - 32 * k)) & U256::from(u32::MAX);
                    for i in 0..4 {
                        mem.insert(dst + 32 * i, c(2 * i) | c(2 * i + 1) << LANE);
                    }
                    pc += 5;
                }
                OP_LOAD_BASE => {
                    mem.insert(dst, word(field(pc + 3, 2)) >> 224);
                    for i in 1..4 {
                        mem.insert(dst + 32 * i, U256::ZERO);
                    }
                    pc += 5;
                }
                OP_END => {
                    let mut out = [0u32; 8];
                    for i in 0..4 {
                        let x = load(&mem, dst + 32 * i);
                        out[2 * i] = ((x & mask) % p).to::<u32>();
                        out[2 * i + 1] = (((x >> LANE) & mask) % p).to::<u32>();
                    }
                    return out;
                }
                op => panic!("unknown op {op} at {pc}"),
            }
        }
    }
}

/// Allocates registers by liveness and encodes the ops; returns the code and register count.
fn encode(ops: &[Op], values: usize) -> (Vec<u8>, usize) {
    let mut last_use = vec![0usize; values];
    for (at, op) in ops.iter().enumerate() {
        for s in op.sources() {
            last_use[s] = at;
        }
    }
    let mut reg: Vec<Option<usize>> = vec![None; values];
    reg[ONE] = Some(0);
    let mut free: std::collections::BTreeSet<usize> = Default::default();
    let mut registers = 1;
    let mut code = Vec::new();
    let addr = |reg: &[Option<usize>], v: Value| -> [u8; 2] {
        let a = REG_BASE + REG_BYTES * reg[v].expect("value is live");
        u16::try_from(a)
            .expect("register file fits 64 KB")
            .to_be_bytes()
    };
    for (at, op) in ops.iter().enumerate() {
        let sources = op.sources();
        let src_addrs: Vec<[u8; 2]> = sources.iter().map(|&s| addr(&reg, s)).collect();
        for &s in &sources {
            if last_use[s] == at
                && s != ONE
                && let Some(r) = reg[s]
            {
                free.insert(r);
            }
        }
        if let Some(d) = op.dst() {
            let r = free.pop_first().unwrap_or_else(|| {
                registers += 1;
                registers - 1
            });
            reg[d] = Some(r);
        }
        let dst = op.dst().map(|d| addr(&reg, d));
        match op {
            Op::Load { offset, base, .. } => {
                code.push(if *base { OP_LOAD_BASE } else { OP_LOAD });
                code.extend(dst.unwrap());
                code.extend((*offset as u16).to_be_bytes());
            }
            Op::Lin {
                terms,
                k_exp,
                reduce,
                ..
            } => {
                code.push(OP_LIN);
                code.extend(dst.unwrap());
                code.extend(u16::try_from(terms.len()).unwrap().to_be_bytes());
                code.push(*reduce as u8);
                code.push(*k_exp);
                for (&(_, c), a) in terms.iter().zip(&src_addrs) {
                    code.extend(a);
                    code.extend((c as i32).to_be_bytes());
                }
            }
            Op::Mul { cd, e, .. } => {
                code.push(OP_MUL);
                code.extend(dst.unwrap());
                code.extend(src_addrs[0]);
                code.extend(src_addrs[1]);
                code.extend(if cd.is_some() {
                    [src_addrs[2], src_addrs[3]].concat()
                } else {
                    vec![0; 4]
                });
                code.extend(if e.is_some() {
                    *src_addrs.last().unwrap()
                } else {
                    [0; 2]
                });
                code.push(cd.is_some() as u8 | (e.is_some() as u8) << 1);
            }
            Op::End { .. } => {
                code.push(OP_END);
                code.extend(src_addrs[0]);
            }
        }
    }
    (code, registers)
}

/// The generated `EpochConstraints.sol`.
pub fn render_epoch_constraints() -> String {
    render(&EpochConstraintProgram::build())
}

fn render(program: &EpochConstraintProgram) -> String {
    let chunks: Vec<&[u8]> = program.code.chunks(MAX_CHUNK).collect();
    let code_base = REG_BASE + REG_BYTES * program.stats.registers;
    let s = &program.stats;
    let mut o = String::new();
    let w = &mut o;
    writeln!(w, "// SPDX-License-Identifier: Apache-2.0").unwrap();
    writeln!(w, "// GENERATED by crates/prover/src/evm/constraints.rs from Plonky3's symbolic constraints of").unwrap();
    writeln!(w, "// `TransitionAir`. Do not edit: regenerate with").unwrap();
    writeln!(
        w,
        "// `VOUCH_REGENERATE=1 cargo test -p vouch-prover --test evm_constraints`."
    )
    .unwrap();
    writeln!(w, "pragma solidity ^0.8.28;\n").unwrap();
    writeln!(
        w,
        "// {} constraints, {} DAG nodes; op stream: {} bytes in {} data contract(s), {} loads,",
        s.constraints,
        s.dag_nodes,
        program.code.len(),
        chunks.len(),
        s.loads
    )
    .unwrap();
    writeln!(w, "// {} linear combinations ({} terms), {} products ({} with a second product), {} registers.", s.lins, s.lin_terms, s.muls, s.double_muls, s.registers).unwrap();
    for (i, chunk) in chunks.iter().enumerate() {
        writeln!(w, "\n/// @notice Op stream of `EpochConstraints`, part {i}: its runtime code is `0x00` (stop) followed by").unwrap();
        writeln!(w, "///         the bytes, read with `EXTCODECOPY`.").unwrap();
        writeln!(w, "contract EpochConstraintsData{i} {{").unwrap();
        writeln!(w, "    constructor() {{").unwrap();
        writeln!(
            w,
            "        bytes memory code = hex\"00{}\";",
            alloy::hex::encode(chunk)
        )
        .unwrap();
        writeln!(w, "        assembly {{").unwrap();
        writeln!(w, "            return(add(code, 32), mload(code))").unwrap();
        writeln!(w, "        }}").unwrap();
        writeln!(w, "    }}").unwrap();
        writeln!(w, "}}").unwrap();
    }
    let params: Vec<String> = (0..chunks.len())
        .map(|i| format!("address data{i}"))
        .collect();
    let mut copies = String::new();
    let mut at = code_base;
    for (i, chunk) in chunks.iter().enumerate() {
        writeln!(
            copies,
            "                extcodecopy(d{i}, {at:#x}, 1, {})",
            chunk.len()
        )
        .unwrap();
        at += chunk.len();
    }
    let locals: String = (0..chunks.len())
        .map(|i| format!("            address d{i} = DATA{i};\n"))
        .collect();
    let immutables: String = (0..chunks.len())
        .map(|i| format!("    address internal immutable DATA{i};\n"))
        .collect();
    let assigns: String = (0..chunks.len())
        .map(|i| format!("        DATA{i} = data{i};\n"))
        .collect();
    let news: Vec<String> = (0..chunks.len())
        .map(|i| format!("address(new EpochConstraintsData{i}())"))
        .collect();
    o.push_str(
        &INTERPRETER
            .replace("{PARAMS}", &params.join(", "))
            .replace("{IMMUTABLES}", &immutables)
            .replace("{ASSIGNS}", &assigns)
            .replace("{LOCALS}", &locals)
            .replace("{COPIES}", &copies)
            .replace("{CODE_BASE}", &format!("{code_base:#x}"))
            .replace("{INPUT_LEN}", &INPUT_LEN.to_string())
            .replace("{NCHUNKS}", &chunks.len().to_string())
            .replace("{WIDTH}", &TRACE_WIDTH.to_string())
            .replace("{NPV}", &NUM_PUBLIC_VALUES.to_string())
            .replace(
                "{DATALIST}",
                &(0..chunks.len())
                    .map(|i| format!("        data[{i}] = DATA{i};\n"))
                    .collect::<String>(),
            )
            .replace("{NEWS}", &news.join(", "))
            .replace(
                "{PACK}",
                &format!("{:#x}", (U256::from(1u8) << LANE) + U256::from(1u8)),
            )
            .replace(
                "{MASK}",
                &format!("{:#x}", (U256::from(1u8) << LANE) - U256::from(1u8)),
            ),
    );
    o
}

const INTERPRETER: &str = r#"
/// @notice Out-of-domain constraint fold of the epoch proof's AIR: for every constraint `c` in
///         `TransitionAir::eval` order, `acc = acc·alpha + c` (docs/plonky3-evm-verifier §4).
/// @dev Runs the op stream held by the data contracts. Registers are 128 bytes from 0x80: an
///      extension element as 4 words, word I = c_{2I} + c_{2I+1}·2^80 with lazily reduced lanes
///      (bounds proven by the generator). Ops (big-endian fields, addresses are memory offsets):
///      0x01 LIN dst n:2 reduce k: dst = K + Σ coef_i·src_i over n (src:2, int32 coef) terms,
///           K = p·2^(k-1) in every lane (0 when k = 0); lanes reduced when `reduce` is set.
///      0x02 MUL dst a b c d e flags: dst = a·b (+ c·d if flags&1) (+ e if flags&2), reduced.
///      0x03 LOAD dst off: extension element at input[off]; 0x04 LOADB: uint32 at input[off].
///      0x00 END src: returns src's 8 canonical coefficients.
contract EpochConstraints {
    /// @notice `input` is not trace_local ‖ trace_next ‖ 3 selectors ‖ alpha ‖ public values.
    error InvalidInputLength(uint256 length);

    uint256 internal constant INPUT_LENGTH = {INPUT_LEN};

{IMMUTABLES}
    constructor({PARAMS}) {
{ASSIGNS}    }

    /// @notice The data contracts holding the op stream, in order.
    function dataContracts() external view returns (address[] memory data) {
        data = new address[]({NCHUNKS});
{DATALIST}    }

    /// @notice Folds all constraints. `input` (packed): {WIDTH} EF trace_local ‖ {WIDTH} EF trace_next ‖
    ///         EF is_first_row ‖ EF is_last_row ‖ EF is_transition ‖ EF alpha ‖ {NPV} × uint32 public
    ///         values; an EF is 8 big-endian uint32 canonical coefficients, c0 first.
    /// @return acc The folded accumulator's coefficients, canonical.
    function fold(bytes calldata input) external view returns (uint256[8] memory acc) {
        if (input.length != INPUT_LENGTH) revert InvalidInputLength(input.length);
        {
{LOCALS}            assembly {
{COPIES}            }
        }
        assembly {
            function red(x) -> r {
                let m := {MASK}
                r := or(mod(and(x, m), 0x7f000001), shl(80, mod(and(shr(80, x), m), 0x7f000001)))
            }
            mstore(0x80, 1)
            let ip := {CODE_BASE}
            for {} 1 {} {
                let w := mload(ip)
                switch shr(248, w)
                case 1 {
                    let dst := and(shr(232, w), 0xffff)
                    let tp := add(ip, 7)
                    ip := add(tp, mul(and(shr(216, w), 0xffff), 6))
                    let x0 := 0
                    let k := byte(6, w)
                    if k { x0 := mul(shl(sub(k, 1), 0x7f000001), {PACK}) }
                    let x1 := x0
                    let x2 := x0
                    let x3 := x0
                    for {} lt(tp, ip) { tp := add(tp, 6) } {
                        let t := mload(tp)
                        let s := shr(240, t)
                        t := signextend(3, shr(208, t))
                        x0 := add(x0, mul(t, mload(s)))
                        x1 := add(x1, mul(t, mload(add(s, 32))))
                        x2 := add(x2, mul(t, mload(add(s, 64))))
                        x3 := add(x3, mul(t, mload(add(s, 96))))
                    }
                    if byte(5, w) {
                        x0 := red(x0)
                        x1 := red(x1)
                        x2 := red(x2)
                        x3 := red(x3)
                    }
                    mstore(dst, x0)
                    mstore(add(dst, 32), x1)
                    mstore(add(dst, 64), x2)
                    mstore(add(dst, 96), x3)
                }
                case 2 {
                    // u_S = Σ_{I+J≡S (mod 4)} a_I·b_J (×3 when I+J ≥ 4: x^8 = 3), lanes at 0/80/160.
                    let u0
                    let u1
                    let u2
                    let u3
                    {
                        let a := and(shr(216, w), 0xffff)
                        let b := and(shr(200, w), 0xffff)
                        let b0 := mload(b)
                        let b1 := mload(add(b, 32))
                        let b2 := mload(add(b, 64))
                        let b3 := mload(add(b, 96))
                        let x := mload(a)
                        u0 := mul(x, b0)
                        u1 := mul(x, b1)
                        u2 := mul(x, b2)
                        u3 := mul(x, b3)
                        x := mload(add(a, 32))
                        u1 := add(u1, mul(x, b0))
                        u2 := add(u2, mul(x, b1))
                        u3 := add(u3, mul(x, b2))
                        u0 := add(u0, mul(mul(3, x), b3))
                        x := mload(add(a, 64))
                        u2 := add(u2, mul(x, b0))
                        u3 := add(u3, mul(x, b1))
                        x := mul(3, x)
                        u0 := add(u0, mul(x, b2))
                        u1 := add(u1, mul(x, b3))
                        x := mload(add(a, 96))
                        u3 := add(u3, mul(x, b0))
                        x := mul(3, x)
                        u0 := add(u0, mul(x, b1))
                        u1 := add(u1, mul(x, b2))
                        u2 := add(u2, mul(x, b3))
                    }
                    if and(byte(13, w), 1) {
                        let a := and(shr(184, w), 0xffff)
                        let b := and(shr(168, w), 0xffff)
                        let b0 := mload(b)
                        let b1 := mload(add(b, 32))
                        let b2 := mload(add(b, 64))
                        let b3 := mload(add(b, 96))
                        let x := mload(a)
                        u0 := add(u0, mul(x, b0))
                        u1 := add(u1, mul(x, b1))
                        u2 := add(u2, mul(x, b2))
                        u3 := add(u3, mul(x, b3))
                        x := mload(add(a, 32))
                        u1 := add(u1, mul(x, b0))
                        u2 := add(u2, mul(x, b1))
                        u3 := add(u3, mul(x, b2))
                        u0 := add(u0, mul(mul(3, x), b3))
                        x := mload(add(a, 64))
                        u2 := add(u2, mul(x, b0))
                        u3 := add(u3, mul(x, b1))
                        x := mul(3, x)
                        u0 := add(u0, mul(x, b2))
                        u1 := add(u1, mul(x, b3))
                        x := mload(add(a, 96))
                        u3 := add(u3, mul(x, b0))
                        x := mul(3, x)
                        u0 := add(u0, mul(x, b1))
                        u1 := add(u1, mul(x, b2))
                        u2 := add(u2, mul(x, b3))
                    }
                    if and(byte(13, w), 2) {
                        let e := and(shr(152, w), 0xffff)
                        u0 := add(u0, mload(e))
                        u1 := add(u1, mload(add(e, 32)))
                        u2 := add(u2, mload(add(e, 64)))
                        u3 := add(u3, mload(add(e, 96)))
                    }
                    let dst := and(shr(232, w), 0xffff)
                    {
                        let r := add(u3, shr(160, u2))
                        mstore(add(dst, 96), or(mod(and(r, {MASK}), 0x7f000001), shl(80, mod(and(shr(80, r), {MASK}), 0x7f000001))))
                    }
                    {
                        let r := add(u2, shr(160, u1))
                        mstore(add(dst, 64), or(mod(and(r, {MASK}), 0x7f000001), shl(80, mod(and(shr(80, r), {MASK}), 0x7f000001))))
                    }
                    {
                        let r := add(u1, shr(160, u0))
                        mstore(add(dst, 32), or(mod(and(r, {MASK}), 0x7f000001), shl(80, mod(and(shr(80, r), {MASK}), 0x7f000001))))
                    }
                    {
                        let r := add(u0, mul(3, shr(160, u3)))
                        mstore(dst, or(mod(and(r, {MASK}), 0x7f000001), shl(80, mod(and(shr(80, r), {MASK}), 0x7f000001))))
                    }
                    ip := add(ip, 14)
                }
                case 3 {
                    let dst := and(shr(232, w), 0xffff)
                    let v := calldataload(add(input.offset, and(shr(216, w), 0xffff)))
                    let m := 0xffffffff
                    mstore(dst, or(shr(224, v), shl(80, and(shr(192, v), m))))
                    mstore(add(dst, 32), or(and(shr(160, v), m), shl(80, and(shr(128, v), m))))
                    mstore(add(dst, 64), or(and(shr(96, v), m), shl(80, and(shr(64, v), m))))
                    mstore(add(dst, 96), or(and(shr(32, v), m), shl(80, and(v, m))))
                    ip := add(ip, 5)
                }
                case 4 {
                    let dst := and(shr(232, w), 0xffff)
                    mstore(dst, shr(224, calldataload(add(input.offset, and(shr(216, w), 0xffff)))))
                    mstore(add(dst, 32), 0)
                    mstore(add(dst, 64), 0)
                    mstore(add(dst, 96), 0)
                    ip := add(ip, 5)
                }
                default {
                    let s := and(shr(232, w), 0xffff)
                    let m := {MASK}
                    for { let i := 0 } lt(i, 4) { i := add(i, 1) } {
                        let x := mload(add(s, shl(5, i)))
                        mstore(add(ip, shl(6, i)), mod(and(x, m), 0x7f000001))
                        mstore(add(ip, add(shl(6, i), 32)), mod(and(shr(80, x), m), 0x7f000001))
                    }
                    return(ip, 256)
                }
            }
        }
    }
}

/// @notice Deploys the op-stream data contracts and the `EpochConstraints` that reads them. The
///         caller embeds every part's creation code; a deployer that cannot hold it (EIP-170)
///         deploys `EpochConstraintsData0..` one by one and passes their addresses to
///         `new EpochConstraints(...)` in order.
library EpochConstraintsDeploy {
    function deploy() internal returns (EpochConstraints) {
        return new EpochConstraints({NEWS});
    }
}
"#;
