//! The tables that prove a [`Circuit`]: one AIR per gate kind, all joined to a witness table
//! by one LogUp bus, proven together in one batch STARK (`p3-batch-stark`).
//!
//! Every gate row *reads* its wires: it sends `(wire index, value)` on the bus
//! [`WIRE_BUS`]. The witness table holds one row per wire, `(index, value, reads)`, and
//! receives each row `reads` times. The bus balances only if every read names a wire's one
//! value, so gates that share a wire agree on it — the circuit's wiring, proven.
//!
//! What a circuit *is* lives in preprocessed columns (wire indices, coefficients, constants),
//! committed once: that commitment is the circuit's verifying key. Only values are in the main
//! trace. Padding rows repeat a harmless gate (`0 = 0·0 + 0` on the zero wire, the zero
//! constant, the permutation of zeros), so no table needs an "active" column.

// Gates index several parallel column arrays by the same position.
#![allow(clippy::needless_range_loop)]

use super::circuit::{Circuit, D, PERM_WIDTH};
use crate::circuit::{PermCols, eval_perm};
use crate::config::Val;
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::extension::BinomiallyExtendable;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use std::borrow::Borrow;
use std::sync::Arc;

/// The bus every gate reads its wires from: `(index, v₀ … v₇)`.
pub const WIRE_BUS: &str = "vouch/recursion/wire";

/// Main columns of one Poseidon2 permutation.
pub const PERM_COLS: usize = size_of::<PermCols<u8>>();
/// Main columns of the Poseidon2 table: the sixteen wires as read, the swap bit, then the
/// permutation's columns (whose inputs are the read wires, swapped when the bit is set).
pub const PERM_TABLE_COLS: usize = PERM_WIDTH + 1 + PERM_COLS;

/// Smallest table height (rows).
pub const MIN_HEIGHT: usize = 4;

/// Witness table: `idx, v[D], reads`.
const WITNESS_WIDTH: usize = 2 + D;

/// Which table an AIR is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TableKind {
    /// One row per wire.
    Witness,
    /// Constants (preprocessed).
    Const,
    /// Public values.
    Public,
    /// `out = qm·a·b + ql·a + qr·b + c`.
    Alu,
    /// Poseidon2.
    Perm,
    /// Extension ↔ base coordinates.
    Pack,
}

/// All table kinds, in the order of a batch proof's instances.
pub const TABLES: [TableKind; 6] = [
    TableKind::Witness,
    TableKind::Const,
    TableKind::Public,
    TableKind::Alu,
    TableKind::Perm,
    TableKind::Pack,
];

/// One table of a circuit: its kind, height, and (except the witness table) its preprocessed
/// columns.
#[derive(Clone, Debug)]
pub struct Table {
    /// The kind.
    pub kind: TableKind,
    /// Rows (a power of two).
    pub height: usize,
    /// Public values (the public table only).
    num_public: usize,
    preprocessed: Option<Arc<RowMajorMatrix<Val>>>,
}

fn height_for(rows: usize) -> usize {
    rows.next_power_of_two().max(MIN_HEIGHT)
}

fn fill(rows: usize, width: usize, row: impl Fn(usize, &mut [Val])) -> RowMajorMatrix<Val> {
    let height = height_for(rows);
    let mut m = RowMajorMatrix::new(Val::zero_vec(height * width), width);
    for (i, r) in m.values.chunks_exact_mut(width).enumerate() {
        row(i, r);
    }
    m
}

fn idx(w: super::circuit::Wire) -> Val {
    Val::from_u32(w.0)
}

/// Index of the padding permutation (of zeros) in a circuit's permutation gates.
pub(crate) fn padding_perm(c: &Circuit) -> usize {
    c.perm.len() - 1
}

impl Table {
    /// The tables of `circuit`, in [`TABLES`] order.
    pub fn for_circuit(c: &Circuit) -> Vec<Table> {
        let k = c.publics.len();
        let consts = fill(c.consts.len(), 1 + D, |i, r| {
            if let Some((w, v)) = c.consts.get(i) {
                r[0] = idx(*w);
                r[1..].copy_from_slice(super::circuit::coords(v));
            }
        });
        let public = fill(k, 1 + k, |i, r| {
            if let Some(w) = c.publics.get(i) {
                r[0] = idx(*w);
                r[1 + i] = Val::ONE;
            }
        });
        let alu = fill(c.alu.len(), 7, |i, r| {
            if let Some(g) = c.alu.get(i) {
                r.copy_from_slice(&[idx(g.a), idx(g.b), idx(g.c), idx(g.out), g.qm, g.ql, g.qr]);
            }
        });
        let pad = c.perm[padding_perm(c)];
        let perm = fill(c.perm.len(), 2 * PERM_WIDTH + 1, |i, r| {
            let g = c.perm.get(i).unwrap_or(&pad);
            for j in 0..PERM_WIDTH {
                r[j] = idx(g.input[j]);
                r[PERM_WIDTH + j] = idx(g.output[j]);
            }
            r[2 * PERM_WIDTH] = idx(g.swap);
        });
        let pack = fill(c.pack.len(), 1 + D, |i, r| {
            if let Some(g) = c.pack.get(i) {
                r[0] = idx(g.ext);
                for j in 0..D {
                    r[1 + j] = idx(g.coords[j]);
                }
            }
        });
        let table = |kind, m: RowMajorMatrix<Val>| Table {
            kind,
            height: m.values.len() / m.width,
            num_public: k,
            preprocessed: Some(Arc::new(m)),
        };
        vec![
            Table {
                kind: TableKind::Witness,
                height: height_for(c.num_wires),
                num_public: k,
                preprocessed: None,
            },
            table(TableKind::Const, consts),
            table(TableKind::Public, public),
            table(TableKind::Alu, alu),
            table(TableKind::Perm, perm),
            table(TableKind::Pack, pack),
        ]
    }

    /// Main-trace width.
    pub fn main_width(&self) -> usize {
        match self.kind {
            TableKind::Witness => WITNESS_WIDTH,
            TableKind::Const | TableKind::Public => 1,
            TableKind::Alu => 4 * D,
            TableKind::Perm => PERM_TABLE_COLS,
            TableKind::Pack => D,
        }
    }
}

impl BaseAir<Val> for Table {
    fn width(&self) -> usize {
        self.main_width()
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        self.preprocessed.as_deref().cloned()
    }

    fn preprocessed_width(&self) -> usize {
        self.preprocessed.as_ref().map_or(0, |m| m.width)
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        match self.kind {
            TableKind::Witness => vec![0],
            _ => vec![],
        }
    }

    fn num_public_values(&self) -> usize {
        match self.kind {
            TableKind::Public => self.num_public,
            _ => 0,
        }
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        Some(match self.kind {
            TableKind::Alu | TableKind::Perm => 3,
            _ => 2,
        })
    }
}

fn read<AB: InteractionBuilder>(builder: &mut AB, index: AB::Expr, value: [AB::Expr; D]) {
    let fields = std::iter::once(index).chain(value);
    builder.push_interaction(WIRE_BUS, fields, Count::bounded(AB::Expr::ONE, 1));
}

fn read_base<AB: InteractionBuilder>(builder: &mut AB, index: AB::Expr, value: AB::Expr) {
    let mut v: [AB::Expr; D] = std::array::from_fn(|_| AB::Expr::ZERO);
    v[0] = value;
    read(builder, index, v);
}

fn ext<AB: AirBuilder>(cols: &[AB::Var]) -> [AB::Expr; D] {
    std::array::from_fn(|i| cols[i].into())
}

/// `a·b` in `F[X]/(X⁸ − W)`, coordinate by coordinate.
fn ext_mul<E: PrimeCharacteristicRing + Clone>(a: &[E; D], b: &[E; D]) -> [E; D] {
    let w = E::from_u32(<Val as BinomiallyExtendable<D>>::W.as_canonical_u32());
    std::array::from_fn(|k| {
        let mut acc = E::ZERO;
        for i in 0..D {
            for j in 0..D {
                if i + j == k {
                    acc += a[i].clone() * b[j].clone();
                } else if i + j == k + D {
                    acc += a[i].clone() * b[j].clone() * w.clone();
                }
            }
        }
        acc
    })
}

impl<AB> Air<AB> for Table
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: Vec<AB::Var> = main.current_slice().to_vec();
        let prep: Vec<AB::Var> = self
            .preprocessed
            .as_ref()
            .map(|_| builder.preprocessed().current_slice().to_vec())
            .unwrap_or_default();
        let p = |i: usize| -> AB::Expr { prep[i].into() };
        match self.kind {
            TableKind::Witness => {
                let next = main.next_slice()[0];
                builder.when_first_row().assert_zero(local[0]);
                builder
                    .when_transition()
                    .assert_eq(next, local[0].into() + AB::Expr::ONE);
                let fields = std::iter::once(local[0].into()).chain(ext::<AB>(&local[1..1 + D]));
                let reads: AB::Expr = local[1 + D].into();
                builder.push_interaction(WIRE_BUS, fields, Count::provided(-reads));
            }
            TableKind::Const => {
                builder.assert_zero(local[0]);
                read(builder, p(0), std::array::from_fn(|i| p(1 + i)));
            }
            TableKind::Public => {
                let publics: Vec<AB::Expr> = builder
                    .public_values()
                    .iter()
                    .map(|v| (*v).into())
                    .collect();
                let mut expected = AB::Expr::ZERO;
                for (k, pv) in publics.into_iter().enumerate() {
                    expected += p(1 + k) * pv;
                }
                builder.assert_eq(local[0], expected);
                read_base(builder, p(0), local[0].into());
            }
            TableKind::Alu => {
                let a = ext::<AB>(&local[0..D]);
                let b = ext::<AB>(&local[D..2 * D]);
                let c = ext::<AB>(&local[2 * D..3 * D]);
                let o = ext::<AB>(&local[3 * D..4 * D]);
                let ab = ext_mul(&a, &b);
                for k in 0..D {
                    builder.assert_eq(
                        o[k].clone(),
                        p(4) * ab[k].clone()
                            + p(5) * a[k].clone()
                            + p(6) * b[k].clone()
                            + c[k].clone(),
                    );
                }
                for (w, v) in [a, b, c, o].into_iter().enumerate() {
                    read(builder, p(w), v);
                }
            }
            TableKind::Perm => {
                let raw = &local[..PERM_WIDTH];
                let bit: AB::Expr = local[PERM_WIDTH].into();
                let cols: &PermCols<AB::Var> = local[PERM_WIDTH + 1..].borrow();
                eval_perm(builder, cols);
                builder.assert_bool(bit.clone());
                let half = PERM_WIDTH / 2;
                for j in 0..PERM_WIDTH {
                    let mine: AB::Expr = raw[j].into();
                    let other: AB::Expr = raw[(j + half) % PERM_WIDTH].into();
                    builder.assert_eq(cols.inputs[j], mine.clone() + bit.clone() * (other - mine));
                }
                let output = crate::circuit::perm_out(cols);
                for j in 0..PERM_WIDTH {
                    read_base(builder, p(j), raw[j].into());
                }
                read_base(builder, p(2 * PERM_WIDTH), bit);
                for j in 0..PERM_WIDTH {
                    read_base(builder, p(PERM_WIDTH + j), output[j].into());
                }
            }
            TableKind::Pack => {
                let coords = ext::<AB>(&local[0..D]);
                read(builder, p(0), coords.clone());
                for (j, c) in coords.into_iter().enumerate() {
                    read_base(builder, p(1 + j), c);
                }
            }
        }
    }
}
