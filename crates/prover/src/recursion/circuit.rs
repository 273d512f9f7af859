//! A fixed arithmetic circuit over the challenge field, and its execution.
//!
//! A [`Circuit`] is a straight-line program with no control flow: every wire holds one element
//! of [`Ext`] (KoalaBear⁸, the challenge field of every Vouch proof), and four kinds of gate
//! relate wires:
//!
//! * **constants** and **public inputs** (base-field values, the proof's statement);
//! * **ALU** gates `out = qm·a·b + ql·a + qr·b + c` with base-field coefficients — additions,
//!   multiplications, linear combinations, and assertions (a gate whose `out` is already
//!   known asserts instead of computing);
//! * **Poseidon2** gates: one width-16 permutation of base-field wires;
//! * **pack** gates: an extension wire is the sum of eight base wires times `1, X, …, X⁷`.
//!
//! Wires with no defining gate are **inputs** (the private witness, e.g. the proof being
//! verified) or **hints** (computed natively from other wires, then constrained by gates,
//! e.g. an inverse or a bit decomposition). Hints are never trusted: only gates are proven.
//!
//! [`Circuit::execute`] assigns every wire and checks every gate, so a witness that breaks the
//! circuit is reported with the gate's position before any proving starts.

use crate::config::{LeafChallenge, Val};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField32};
use p3_symmetric::Permutation;
use std::collections::HashMap;
use std::sync::Arc;

/// The field every wire lives in: the challenge field of Vouch's proofs.
pub type Ext = LeafChallenge;
/// Base-field coordinates of an [`Ext`].
pub const D: usize = 8;
/// Width of the Poseidon2 permutation the circuit proves.
pub const PERM_WIDTH: usize = 16;

/// One wire of a circuit (an index into its witness).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Wire(pub(crate) u32);

impl Wire {
    /// The wire's index in the witness.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// `out = qm·a·b + ql·a + qr·b + c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AluGate {
    /// Left operand.
    pub a: Wire,
    /// Right operand.
    pub b: Wire,
    /// Addend.
    pub c: Wire,
    /// Result (computed, or asserted when already known).
    pub out: Wire,
    /// Coefficient of `a·b`.
    pub qm: Val,
    /// Coefficient of `a`.
    pub ql: Val,
    /// Coefficient of `b`.
    pub qr: Val,
}

/// One Poseidon2 permutation of sixteen base-field wires, optionally with the two halves of
/// the input swapped first (a Merkle step whose position bit is `swap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermGate {
    /// The state before (before the optional swap).
    pub input: [Wire; PERM_WIDTH],
    /// A boolean wire: 1 permutes `input[8..16] ‖ input[0..8]` instead. The zero wire when the
    /// gate never swaps.
    pub swap: Wire,
    /// The state after.
    pub output: [Wire; PERM_WIDTH],
}

/// `ext = Σ coords[i]·Xⁱ` with base-field `coords`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackGate {
    /// The extension wire.
    pub ext: Wire,
    /// Its base-field coordinates.
    pub coords: [Wire; D],
}

type HintFn = Arc<dyn Fn(&[Ext]) -> Vec<Ext> + Send + Sync>;

#[derive(Clone)]
struct Hint {
    inputs: Vec<Wire>,
    outputs: Vec<Wire>,
    run: HintFn,
}

/// What assigns a wire, in program order.
#[derive(Clone, Copy, Debug)]
enum Step {
    Alu(usize),
    Perm(usize),
    Pack(usize),
    Hint(usize),
}

/// Why a witness does not satisfy a circuit.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CircuitError {
    /// The caller supplied the wrong number of public values or inputs.
    #[error("expected {expected} {what}, got {got}")]
    Arity {
        /// `"public values"` or `"inputs"`.
        what: &'static str,
        /// How many the circuit declares.
        expected: usize,
        /// How many were supplied.
        got: usize,
    },
    /// A gate's relation does not hold.
    #[error("{gate} gate #{index} does not hold")]
    Unsatisfied {
        /// `"alu"`, `"poseidon2"`, `"pack"`.
        gate: &'static str,
        /// The gate's index in its table.
        index: usize,
    },
    /// A gate that needs a base-field value got an extension element.
    #[error("{gate} gate #{index} reads a wire that is not in the base field")]
    NotBase {
        /// `"poseidon2"`, `"pack"`.
        gate: &'static str,
        /// The gate's index in its table.
        index: usize,
    },
    /// A gate read a wire nothing assigned (a circuit construction bug).
    #[error("wire {0} is read before it is assigned")]
    Unassigned(usize),
    /// A hint returned the wrong number of values (a circuit construction bug).
    #[error("hint #{0} returned the wrong number of values")]
    HintArity(usize),
}

/// A built circuit: its gates, constants and the layout of its witness.
#[derive(Clone)]
pub struct Circuit {
    pub(crate) num_wires: usize,
    pub(crate) consts: Vec<(Wire, Ext)>,
    pub(crate) publics: Vec<Wire>,
    pub(crate) inputs: Vec<Wire>,
    pub(crate) alu: Vec<AluGate>,
    pub(crate) perm: Vec<PermGate>,
    pub(crate) pack: Vec<PackGate>,
    hints: Vec<Hint>,
    steps: Vec<Step>,
}

impl std::fmt::Debug for Circuit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Circuit")
            .field("wires", &self.num_wires)
            .field("consts", &self.consts.len())
            .field("publics", &self.publics.len())
            .field("inputs", &self.inputs.len())
            .field("alu", &self.alu.len())
            .field("perm", &self.perm.len())
            .field("pack", &self.pack.len())
            .field("hints", &self.hints.len())
            .finish()
    }
}

/// Gate counts of a circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CircuitSize {
    /// Wires.
    pub wires: usize,
    /// Distinct constants.
    pub consts: usize,
    /// Public values.
    pub publics: usize,
    /// ALU gates.
    pub alu: usize,
    /// Poseidon2 permutations.
    pub perm: usize,
    /// Pack gates.
    pub pack: usize,
}

/// The assignment of every wire of a circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    pub(crate) values: Vec<Ext>,
    pub(crate) public_values: Vec<Val>,
}

impl Witness {
    /// The value of `wire`.
    pub fn value(&self, wire: Wire) -> Ext {
        self.values[wire.index()]
    }

    /// The public values the witness was executed with.
    pub fn public_values(&self) -> &[Val] {
        &self.public_values
    }
}

/// The base-field coordinates of `v`.
pub fn coords(v: &Ext) -> &[Val] {
    BasedVectorSpace::<Val>::as_basis_coefficients_slice(v)
}

/// Whether `v` lies in the base field.
pub fn is_base(v: &Ext) -> bool {
    coords(v)[1..].iter().all(|c| *c == Val::ZERO)
}

/// The base-field value of `v` (its first coordinate).
pub fn base(v: &Ext) -> Val {
    coords(v)[0]
}

/// `out = qm·a·b + ql·a + qr·b + c` in the challenge field.
pub fn alu_value(g: &AluGate, a: Ext, b: Ext, c: Ext) -> Ext {
    a * b * g.qm + a * g.ql + b * g.qr + c
}

impl Circuit {
    /// Gate counts.
    pub fn size(&self) -> CircuitSize {
        CircuitSize {
            wires: self.num_wires,
            consts: self.consts.len(),
            publics: self.publics.len(),
            alu: self.alu.len(),
            perm: self.perm.len(),
            pack: self.pack.len(),
        }
    }

    /// Number of public values.
    pub fn num_public_values(&self) -> usize {
        self.publics.len()
    }

    /// Number of private inputs.
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }

    /// Assign every wire from the public values and inputs, checking every gate.
    pub fn execute(&self, public_values: &[Val], inputs: &[Ext]) -> Result<Witness, CircuitError> {
        if public_values.len() != self.publics.len() {
            return Err(CircuitError::Arity {
                what: "public values",
                expected: self.publics.len(),
                got: public_values.len(),
            });
        }
        if inputs.len() != self.inputs.len() {
            return Err(CircuitError::Arity {
                what: "inputs",
                expected: self.inputs.len(),
                got: inputs.len(),
            });
        }
        let mut w: Vec<Option<Ext>> = vec![None; self.num_wires];
        for (wire, v) in &self.consts {
            w[wire.index()] = Some(*v);
        }
        for (wire, v) in self.publics.iter().zip(public_values) {
            w[wire.index()] = Some(Ext::from(*v));
        }
        for (wire, v) in self.inputs.iter().zip(inputs) {
            w[wire.index()] = Some(*v);
        }
        let get =
            |w: &[Option<Ext>], x: Wire| w[x.index()].ok_or(CircuitError::Unassigned(x.index()));
        // Assign `x := v`, or check it when already assigned.
        let put = |w: &mut [Option<Ext>], x: Wire, v: Ext, gate: &'static str, index: usize| match w
            [x.index()]
        {
            Some(old) if old != v => Err(CircuitError::Unsatisfied { gate, index }),
            _ => {
                w[x.index()] = Some(v);
                Ok(())
            }
        };
        let perm = crate::recursion::poseidon2();
        for step in &self.steps {
            match *step {
                Step::Alu(i) => {
                    let g = &self.alu[i];
                    let v = alu_value(g, get(&w, g.a)?, get(&w, g.b)?, get(&w, g.c)?);
                    put(&mut w, g.out, v, "alu", i)?;
                }
                Step::Perm(i) => {
                    let g = &self.perm[i];
                    let swap = get(&w, g.swap)?;
                    if swap != Ext::ZERO && swap != Ext::ONE {
                        return Err(CircuitError::Unsatisfied {
                            gate: "poseidon2",
                            index: i,
                        });
                    }
                    let mut state = [Val::ZERO; PERM_WIDTH];
                    for (s, x) in state.iter_mut().zip(&g.input) {
                        let v = get(&w, *x)?;
                        if !is_base(&v) {
                            return Err(CircuitError::NotBase {
                                gate: "poseidon2",
                                index: i,
                            });
                        }
                        *s = base(&v);
                    }
                    if swap == Ext::ONE {
                        state.rotate_left(PERM_WIDTH / 2);
                    }
                    perm.permute_mut(&mut state);
                    for (x, v) in g.output.iter().zip(state) {
                        put(&mut w, *x, Ext::from(v), "poseidon2", i)?;
                    }
                }
                Step::Pack(i) => {
                    let g = &self.pack[i];
                    if let Some(ext) = w[g.ext.index()] {
                        for (x, c) in g.coords.iter().zip(coords(&ext)) {
                            put(&mut w, *x, Ext::from(*c), "pack", i)?;
                        }
                    } else {
                        let mut cs = [Val::ZERO; D];
                        for (c, x) in cs.iter_mut().zip(&g.coords) {
                            let v = get(&w, *x)?;
                            if !is_base(&v) {
                                return Err(CircuitError::NotBase {
                                    gate: "pack",
                                    index: i,
                                });
                            }
                            *c = base(&v);
                        }
                        let ext = Ext::from_basis_coefficients_slice(&cs)
                            .expect("D coordinates make one extension element");
                        w[g.ext.index()] = Some(ext);
                    }
                }
                Step::Hint(i) => {
                    let h = &self.hints[i];
                    let args = h
                        .inputs
                        .iter()
                        .map(|x| get(&w, *x))
                        .collect::<Result<Vec<_>, _>>()?;
                    let out = (h.run)(&args);
                    if out.len() != h.outputs.len() {
                        return Err(CircuitError::HintArity(i));
                    }
                    for (x, v) in h.outputs.iter().zip(out) {
                        w[x.index()] = Some(v);
                    }
                }
            }
        }
        let values = w
            .iter()
            .enumerate()
            .map(|(i, v)| v.ok_or(CircuitError::Unassigned(i)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Witness {
            values,
            public_values: public_values.to_vec(),
        })
    }
}

/// Builds a [`Circuit`] gate by gate. Wire 0 is the constant zero and wire 1 the constant one;
/// both are always present.
pub struct CircuitBuilder {
    c: Circuit,
    const_index: HashMap<[u32; D], Wire>,
}

impl Default for CircuitBuilder {
    fn default() -> Self {
        Self::new()
    }
}

fn const_key(v: &Ext) -> [u32; D] {
    let mut key = [0u32; D];
    for (k, c) in key.iter_mut().zip(coords(v)) {
        *k = c.as_canonical_u32();
    }
    key
}

impl CircuitBuilder {
    /// An empty circuit (with the zero and one constants).
    pub fn new() -> Self {
        let mut b = Self {
            c: Circuit {
                num_wires: 0,
                consts: Vec::new(),
                publics: Vec::new(),
                inputs: Vec::new(),
                alu: Vec::new(),
                perm: Vec::new(),
                pack: Vec::new(),
                hints: Vec::new(),
                steps: Vec::new(),
            },
            const_index: HashMap::new(),
        };
        let zero = b.constant(Ext::ZERO);
        let one = b.constant(Ext::ONE);
        debug_assert_eq!((zero.0, one.0), (0, 1));
        b
    }

    fn fresh(&mut self) -> Wire {
        let w = Wire(u32::try_from(self.c.num_wires).expect("fewer than 2^32 wires"));
        self.c.num_wires += 1;
        w
    }

    /// Gate counts so far.
    pub fn size(&self) -> CircuitSize {
        self.c.size()
    }

    /// The constant zero.
    pub fn zero(&self) -> Wire {
        Wire(0)
    }

    /// The constant one.
    pub fn one(&self) -> Wire {
        Wire(1)
    }

    /// A constant (deduplicated).
    pub fn constant(&mut self, v: Ext) -> Wire {
        let key = const_key(&v);
        if let Some(w) = self.const_index.get(&key) {
            return *w;
        }
        let w = self.fresh();
        self.c.consts.push((w, v));
        self.const_index.insert(key, w);
        w
    }

    /// The next public value (base field).
    pub fn public(&mut self) -> Wire {
        let w = self.fresh();
        self.c.publics.push(w);
        w
    }

    /// The next private input.
    pub fn input(&mut self) -> Wire {
        let w = self.fresh();
        self.c.inputs.push(w);
        w
    }

    /// Wires computed natively by `run` from `inputs`: unconstrained until gates use them.
    pub fn hint(
        &mut self,
        inputs: &[Wire],
        outputs: usize,
        run: impl Fn(&[Ext]) -> Vec<Ext> + Send + Sync + 'static,
    ) -> Vec<Wire> {
        let outs: Vec<Wire> = (0..outputs).map(|_| self.fresh()).collect();
        self.c.steps.push(Step::Hint(self.c.hints.len()));
        self.c.hints.push(Hint {
            inputs: inputs.to_vec(),
            outputs: outs.clone(),
            run: Arc::new(run),
        });
        outs
    }

    /// The general gate into an existing wire: asserts `out = qm·a·b + ql·a + qr·b + c`.
    #[allow(clippy::too_many_arguments)]
    pub fn alu_into(&mut self, a: Wire, b: Wire, c: Wire, out: Wire, qm: Val, ql: Val, qr: Val) {
        self.c.steps.push(Step::Alu(self.c.alu.len()));
        self.c.alu.push(AluGate {
            a,
            b,
            c,
            out,
            qm,
            ql,
            qr,
        });
    }

    /// The general gate: a new wire `qm·a·b + ql·a + qr·b + c`.
    pub fn alu(&mut self, a: Wire, b: Wire, c: Wire, qm: Val, ql: Val, qr: Val) -> Wire {
        let out = self.fresh();
        self.alu_into(a, b, c, out, qm, ql, qr);
        out
    }

    /// One Poseidon2 permutation of `input`, or of `input[8..16] ‖ input[0..8]` when the
    /// boolean wire `swap` is one.
    pub fn permute_swapped(&mut self, swap: Wire, input: [Wire; PERM_WIDTH]) -> [Wire; PERM_WIDTH] {
        let output = std::array::from_fn(|_| self.fresh());
        self.c.steps.push(Step::Perm(self.c.perm.len()));
        self.c.perm.push(PermGate {
            input,
            swap,
            output,
        });
        output
    }

    /// The extension element with base-field coordinates `coords`.
    pub fn pack(&mut self, coords: [Wire; D]) -> Wire {
        let ext = self.fresh();
        self.c.steps.push(Step::Pack(self.c.pack.len()));
        self.c.pack.push(PackGate { ext, coords });
        ext
    }

    /// The base-field coordinates of `ext`.
    pub fn unpack(&mut self, ext: Wire) -> [Wire; D] {
        let coords = std::array::from_fn(|_| self.fresh());
        self.c.steps.push(Step::Pack(self.c.pack.len()));
        self.c.pack.push(PackGate { ext, coords });
        coords
    }

    /// The finished circuit. Its last permutation is always the permutation of zeros, which
    /// the Poseidon2 table repeats as padding.
    pub fn build(mut self) -> Circuit {
        let z = self.zero();
        self.permute_swapped(z, [z; PERM_WIDTH]);
        self.c
    }
}
