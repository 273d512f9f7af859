//! Proving and verifying a [`Circuit`]'s witness: trace generation for each table and the
//! batch STARK over all of them.

use super::air::{PERM_TABLE_COLS, TABLES, Table, TableKind, padding_perm};
use super::circuit::{Circuit, D, PERM_WIDTH, Witness, base, coords};
use crate::circuit::PermCols;
use crate::config::{LeafConfig, Val, recursion_config};
use p3_batch_stark::{
    BatchProof, CommonData, ProverData, StarkInstance, prove_batch, verify_batch,
};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use std::borrow::BorrowMut;

/// A proof that a circuit's witness satisfies it.
pub type CircuitProof = BatchProof<LeafConfig>;

/// Why proving or verifying a circuit failed.
#[derive(Debug, thiserror::Error)]
pub enum StarkError {
    /// The witness is not for this circuit.
    #[error("the witness has {got} wires, the circuit {expected}")]
    WitnessShape {
        /// Wires of the circuit.
        expected: usize,
        /// Wires of the witness.
        got: usize,
    },
    /// The batch prover failed.
    #[error("proving failed: {0}")]
    Prove(String),
    /// The proof does not verify.
    #[error("the proof does not verify: {0}")]
    Verify(String),
}

/// A circuit ready to prove: its tables and their committed preprocessed columns (the
/// verifying key).
pub struct CircuitKey {
    circuit: Circuit,
    tables: Vec<Table>,
    config: LeafConfig,
    prover_data: ProverData<LeafConfig>,
}

impl std::fmt::Debug for CircuitKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitKey")
            .field("circuit", &self.circuit)
            .field("heights", &self.heights())
            .finish()
    }
}

impl CircuitKey {
    /// Commits the circuit's preprocessed columns under the recursion configuration.
    pub fn new(circuit: Circuit) -> Result<Self, StarkError> {
        let tables = Table::for_circuit(&circuit);
        let config = recursion_config();
        let degrees: Vec<usize> = tables
            .iter()
            .map(|t| t.height.trailing_zeros() as usize)
            .collect();
        let prover_data = ProverData::from_airs_and_degrees(&config, &tables, &degrees)
            .map_err(|e| StarkError::Prove(format!("{e:?}")))?;
        Ok(Self {
            circuit,
            tables,
            config,
            prover_data,
        })
    }

    /// The circuit.
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }

    /// The tables (the batch's AIRs), in [`TABLES`] order.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Log of each table's height, in [`TABLES`] order.
    pub fn degree_bits(&self) -> Vec<usize> {
        self.tables
            .iter()
            .map(|t| t.height.trailing_zeros() as usize)
            .collect()
    }

    /// The configuration proofs are made under.
    pub fn config(&self) -> &LeafConfig {
        &self.config
    }

    /// The commitment to the circuit's preprocessed columns: its verifying key.
    pub fn preprocessed_commitment(&self) -> [Val; 8] {
        self.prover_data
            .common
            .preprocessed
            .as_ref()
            .expect("every circuit has preprocessed tables")
            .commitment
            .roots()[0]
    }

    /// Table heights, in [`TABLES`] order.
    pub fn heights(&self) -> Vec<(TableKind, usize)> {
        self.tables.iter().map(|t| (t.kind, t.height)).collect()
    }

    /// The data a verifier needs besides the proof (the preprocessed commitment and lookups).
    pub fn common(&self) -> &CommonData<LeafConfig> {
        &self.prover_data.common
    }

    /// The main traces of `witness`, in [`TABLES`] order.
    pub fn traces(&self, witness: &Witness) -> Result<Vec<RowMajorMatrix<Val>>, StarkError> {
        if witness.values.len() != self.circuit.num_wires {
            return Err(StarkError::WitnessShape {
                expected: self.circuit.num_wires,
                got: witness.values.len(),
            });
        }
        Ok(traces(&self.circuit, &self.tables, witness))
    }

    /// Proves `witness` (from [`Circuit::execute`] on this key's circuit).
    pub fn prove(&self, witness: &Witness) -> Result<CircuitProof, StarkError> {
        let traces = self.traces(witness)?;
        self.prove_traces(&traces, witness.public_values())
    }

    /// Proves the given main traces as they are (tests build malicious ones with this).
    pub fn prove_traces(
        &self,
        traces: &[RowMajorMatrix<Val>],
        public_values: &[Val],
    ) -> Result<CircuitProof, StarkError> {
        let publics = self.public_values(public_values);
        let instances: Vec<StarkInstance<'_, LeafConfig, Table>> = self
            .tables
            .iter()
            .zip(traces)
            .zip(&publics)
            .map(|((air, trace), pv)| StarkInstance {
                air,
                trace,
                public_values: pv.clone(),
            })
            .collect();
        prove_batch(&self.config, &instances, &self.prover_data)
            .map_err(|e| StarkError::Prove(format!("{e:?}")))
    }

    /// Verifies `proof` against this circuit and `public_values`.
    pub fn verify(&self, proof: &CircuitProof, public_values: &[Val]) -> Result<(), StarkError> {
        if public_values.len() != self.circuit.num_public_values() {
            return Err(StarkError::Verify(format!(
                "{} public values, the circuit has {}",
                public_values.len(),
                self.circuit.num_public_values()
            )));
        }
        verify_batch(
            &self.config,
            &self.tables,
            proof,
            &self.public_values(public_values),
            self.common(),
        )
        .map_err(|e| StarkError::Verify(format!("{e:?}")))
    }

    fn public_values(&self, values: &[Val]) -> Vec<Vec<Val>> {
        TABLES
            .iter()
            .map(|k| match k {
                TableKind::Public => values.to_vec(),
                _ => Vec::new(),
            })
            .collect()
    }
}

fn traces(c: &Circuit, tables: &[Table], w: &Witness) -> Vec<RowMajorMatrix<Val>> {
    let height = |k: TableKind| {
        tables
            .iter()
            .find(|t| t.kind == k)
            .expect("every kind")
            .height
    };
    let mut reads = vec![0u32; tables[0].height];
    let mut read = |wire: super::circuit::Wire| reads[wire.index()] += 1;

    // Constants and padding rows read wire 0.
    let consts = RowMajorMatrix::new(Val::zero_vec(height(TableKind::Const)), 1);
    for i in 0..consts.values.len() {
        read(c.consts.get(i).map_or(super::circuit::Wire(0), |(w, _)| *w));
    }

    let h = height(TableKind::Public);
    let mut public = RowMajorMatrix::new(Val::zero_vec(h), 1);
    for i in 0..h {
        match c.publics.get(i) {
            Some(wire) => {
                public.values[i] = w.public_values[i];
                read(*wire);
            }
            None => read(super::circuit::Wire(0)),
        }
    }

    let h = height(TableKind::Alu);
    let mut alu = RowMajorMatrix::new(Val::zero_vec(h * 4 * D), 4 * D);
    for (i, row) in alu.values.chunks_exact_mut(4 * D).enumerate() {
        match c.alu.get(i) {
            Some(g) => {
                for (k, wire) in [g.a, g.b, g.c, g.out].into_iter().enumerate() {
                    row[k * D..(k + 1) * D].copy_from_slice(coords(&w.values[wire.index()]));
                    read(wire);
                }
            }
            None => (0..4).for_each(|_| read(super::circuit::Wire(0))),
        }
    }

    let h = height(TableKind::Perm);
    let pad = c.perm[padding_perm(c)];
    let mut perm = RowMajorMatrix::new(Val::zero_vec(h * PERM_TABLE_COLS), PERM_TABLE_COLS);
    for (i, row) in perm.values.chunks_exact_mut(PERM_TABLE_COLS).enumerate() {
        let g = c.perm.get(i).unwrap_or(&pad);
        let mut input: [Val; PERM_WIDTH] =
            std::array::from_fn(|j| base(&w.values[g.input[j].index()]));
        let swap = base(&w.values[g.swap.index()]);
        row[..PERM_WIDTH].copy_from_slice(&input);
        row[PERM_WIDTH] = swap;
        if swap == Val::ONE {
            input.rotate_left(PERM_WIDTH / 2);
        }
        let cols: &mut PermCols<Val> = row[PERM_WIDTH + 1..].borrow_mut();
        let _ = crate::circuit::fill_perm(cols, input);
        g.input.iter().chain(&g.output).for_each(|x| read(*x));
        read(g.swap);
    }

    let h = height(TableKind::Pack);
    let mut pack = RowMajorMatrix::new(Val::zero_vec(h * D), D);
    for (i, row) in pack.values.chunks_exact_mut(D).enumerate() {
        match c.pack.get(i) {
            Some(g) => {
                row.copy_from_slice(coords(&w.values[g.ext.index()]));
                read(g.ext);
                g.coords.iter().for_each(|x| read(*x));
            }
            None => (0..=D).for_each(|_| read(super::circuit::Wire(0))),
        }
    }

    let width = 2 + D;
    let mut witness = RowMajorMatrix::new(Val::zero_vec(reads.len() * width), width);
    for (i, row) in witness.values.chunks_exact_mut(width).enumerate() {
        row[0] = Val::from_usize(i);
        if let Some(v) = w.values.get(i) {
            row[1..1 + D].copy_from_slice(coords(v));
        }
        row[1 + D] = Val::from_u32(reads[i]);
    }

    vec![witness, consts, public, alu, perm, pack]
}
