//! The proving backend the node calls, and the versioned proof envelope.
//!
//! Every proof crosses process and storage boundaries as an envelope:
//! `format version (1 byte) ‖ backend id (1 byte) ‖ kind (1 byte) ‖ backend bytes`, so a
//! stored proof from another backend or an older format is refused with a clear error instead
//! of being misread. [`Plonky3Backend`] is the real one and the default everywhere.
//! [`InsecureFakeBackend`] proves nothing (its "proof" is a hash of the statement); it exists
//! for fast unit tests of orchestration and can only be chosen by a name containing
//! `insecure` ([`BackendChoice`]).

use crate::circuit::CheckpointWitness;
use crate::proof::{self, CheckpointStatement, EpochStatement, ProofError};
use alloy::primitives::{Address, keccak256};
use std::str::FromStr;

/// Current envelope format.
pub const PROOF_FORMAT_VERSION: u8 = 1;

/// Which backend produced a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum BackendId {
    /// [`Plonky3Backend`].
    Plonky3 = 1,
    /// [`InsecureFakeBackend`].
    InsecureFake = 0xfe,
}

/// What a proof proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ProofKind {
    /// One checkpoint.
    Checkpoint = 1,
    /// A range of an epoch.
    Epoch = 2,
}

/// A decoded envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// Producer.
    pub backend: BackendId,
    /// Kind.
    pub kind: ProofKind,
    /// The backend's bytes.
    pub body: &'a [u8],
}

/// Wraps backend bytes.
pub fn seal(backend: BackendId, kind: ProofKind, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + body.len());
    out.extend_from_slice(&[PROOF_FORMAT_VERSION, backend as u8, kind as u8]);
    out.extend_from_slice(body);
    out
}

/// Unwraps an envelope, checking its version and that it is of `backend` and `kind`.
pub fn open(bytes: &[u8], backend: BackendId, kind: ProofKind) -> Result<&[u8], ProofError> {
    let malformed = |m: String| ProofError::Malformed(m);
    let [version, id, k, body @ ..] = bytes else {
        return Err(malformed(format!(
            "{} bytes is too short for a proof envelope",
            bytes.len()
        )));
    };
    if *version != PROOF_FORMAT_VERSION {
        return Err(malformed(format!(
            "proof format version {version}, this node reads version {PROOF_FORMAT_VERSION}"
        )));
    }
    if *id != backend as u8 {
        return Err(malformed(format!(
            "proof from backend {id:#04x}, expected {:#04x} ({backend:?})",
            backend as u8
        )));
    }
    if *k != kind as u8 {
        return Err(malformed(format!("proof of kind {k}, expected {kind:?}")));
    }
    Ok(body)
}

/// What the node needs from a prover.
pub trait ProvingBackend: Send + Sync {
    /// Which backend this is.
    fn id(&self) -> BackendId;
    /// Proves one executed checkpoint; returns an envelope.
    fn prove_checkpoint(&self, witness: &CheckpointWitness) -> Result<Vec<u8>, ProofError>;
    /// Verifies a checkpoint envelope against a statement.
    fn verify_checkpoint(
        &self,
        statement: &CheckpointStatement,
        proof: &[u8],
    ) -> Result<(), ProofError>;
    /// Proves consecutive checkpoints of one epoch for `prover` (the address L1 credits);
    /// returns an envelope.
    fn prove_epoch(
        &self,
        witnesses: &[CheckpointWitness],
        prover: &Address,
    ) -> Result<Vec<u8>, ProofError>;
    /// Verifies an epoch envelope against a statement.
    fn verify_epoch(&self, statement: &EpochStatement, proof: &[u8]) -> Result<(), ProofError>;
}

/// Real STARK proofs of the transition AIR (see [`crate::proof`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Plonky3Backend;

impl ProvingBackend for Plonky3Backend {
    fn id(&self) -> BackendId {
        BackendId::Plonky3
    }

    fn prove_checkpoint(&self, witness: &CheckpointWitness) -> Result<Vec<u8>, ProofError> {
        let body = proof::prove_checkpoint(witness)?;
        Ok(seal(self.id(), ProofKind::Checkpoint, &body))
    }

    fn verify_checkpoint(
        &self,
        statement: &CheckpointStatement,
        proof: &[u8],
    ) -> Result<(), ProofError> {
        proof::verify_checkpoint(statement, open(proof, self.id(), ProofKind::Checkpoint)?)
    }

    fn prove_epoch(
        &self,
        witnesses: &[CheckpointWitness],
        prover: &Address,
    ) -> Result<Vec<u8>, ProofError> {
        let body = proof::prove_epoch(witnesses, prover)?;
        Ok(seal(self.id(), ProofKind::Epoch, &body))
    }

    fn verify_epoch(&self, statement: &EpochStatement, proof: &[u8]) -> Result<(), ProofError> {
        proof::verify_epoch(statement, open(proof, self.id(), ProofKind::Epoch)?)
    }
}

/// **Insecure**: a "proof" is `keccak256(kind ‖ postcard(statement))`; it checks nothing about
/// the execution. For orchestration tests only.
#[derive(Clone, Copy, Debug)]
pub struct InsecureFakeBackend {
    _private: (),
}

fn fake_digest(kind: ProofKind, statement: &impl serde::Serialize) -> Result<[u8; 32], ProofError> {
    let bytes = postcard::to_allocvec(statement).map_err(|e| ProofError::Prove(e.to_string()))?;
    Ok(keccak256([&[kind as u8][..], &bytes].concat()).0)
}

impl InsecureFakeBackend {
    fn check(
        &self,
        kind: ProofKind,
        statement: &impl serde::Serialize,
        proof: &[u8],
    ) -> Result<(), ProofError> {
        let body = open(proof, BackendId::InsecureFake, kind)?;
        if body != fake_digest(kind, statement)? {
            return Err(ProofError::Rejected(
                "fake proof of another statement".into(),
            ));
        }
        Ok(())
    }
}

impl ProvingBackend for InsecureFakeBackend {
    fn id(&self) -> BackendId {
        BackendId::InsecureFake
    }

    fn prove_checkpoint(&self, witness: &CheckpointWitness) -> Result<Vec<u8>, ProofError> {
        let digest = fake_digest(ProofKind::Checkpoint, &CheckpointStatement::of(witness))?;
        Ok(seal(self.id(), ProofKind::Checkpoint, &digest))
    }

    fn verify_checkpoint(
        &self,
        statement: &CheckpointStatement,
        proof: &[u8],
    ) -> Result<(), ProofError> {
        self.check(ProofKind::Checkpoint, statement, proof)
    }

    fn prove_epoch(
        &self,
        witnesses: &[CheckpointWitness],
        prover: &Address,
    ) -> Result<Vec<u8>, ProofError> {
        // The fake statement has no epoch number of its own; the verifier's statement carries it.
        let statement = EpochStatement::of(0, witnesses, *prover).ok_or_else(|| {
            ProofError::Statement("an epoch proves at least one checkpoint".into())
        })?;
        let digest = fake_digest(ProofKind::Epoch, &statement)?;
        Ok(seal(self.id(), ProofKind::Epoch, &digest))
    }

    fn verify_epoch(&self, statement: &EpochStatement, proof: &[u8]) -> Result<(), ProofError> {
        let statement = EpochStatement {
            epoch: 0,
            ..statement.clone()
        };
        self.check(ProofKind::Epoch, &statement, proof)
    }
}

/// How a backend is chosen by name (config files, CLI flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// `plonky3` (the default).
    #[default]
    Plonky3,
    /// `insecure-fake`: proves nothing.
    InsecureFake,
}

impl FromStr for BackendChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "plonky3" => Ok(Self::Plonky3),
            "insecure-fake" => Ok(Self::InsecureFake),
            other => Err(format!(
                "unknown proving backend {other:?}: expected plonky3 or insecure-fake"
            )),
        }
    }
}

impl BackendChoice {
    /// The backend.
    pub fn build(self) -> Box<dyn ProvingBackend> {
        match self {
            Self::Plonky3 => Box::new(Plonky3Backend),
            Self::InsecureFake => Box::new(InsecureFakeBackend { _private: () }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{FixtureSpec, build};

    fn witnesses() -> Vec<CheckpointWitness> {
        build(FixtureSpec {
            accounts: 3,
            checkpoints: 2,
            blocks: 1,
            transfers_per_block: 1,
            deposits_per_block: 0,
            seed: 3,
            vary: false,
        })
        .checkpoints
    }

    #[test]
    fn the_default_is_real_and_the_fake_needs_its_insecure_name() {
        assert_eq!(BackendChoice::default().build().id(), BackendId::Plonky3);
        assert_eq!(
            "insecure-fake".parse::<BackendChoice>(),
            Ok(BackendChoice::InsecureFake)
        );
        assert!("fake".parse::<BackendChoice>().is_err());
    }

    #[test]
    fn envelopes_check_version_backend_and_kind() {
        let w = witnesses();
        let real = Plonky3Backend;
        let proof = real.prove_checkpoint(&w[0]).unwrap();
        let statement = CheckpointStatement::of(&w[0]);
        real.verify_checkpoint(&statement, &proof).unwrap();
        let mut old = proof.clone();
        old[0] = 0;
        assert!(
            matches!(real.verify_checkpoint(&statement, &old), Err(ProofError::Malformed(m)) if m.contains("version"))
        );
        let fake = BackendChoice::InsecureFake.build();
        let fake_proof = fake.prove_checkpoint(&w[0]).unwrap();
        fake.verify_checkpoint(&statement, &fake_proof).unwrap();
        assert!(matches!(
            real.verify_checkpoint(&statement, &fake_proof),
            Err(ProofError::Malformed(_))
        ));
        assert!(matches!(
            real.verify_checkpoint(&statement, &[1]),
            Err(ProofError::Malformed(_))
        ));
        let epoch = EpochStatement::of(3, &w, Address::ZERO).unwrap();
        assert!(
            matches!(real.verify_epoch(&epoch, &proof), Err(ProofError::Malformed(m)) if m.contains("kind"))
        );
    }

    #[test]
    fn the_fake_still_binds_its_statement() {
        let w = witnesses();
        let fake = BackendChoice::InsecureFake.build();
        let prover = Address::repeat_byte(7);
        let proof = fake.prove_epoch(&w, &prover).unwrap();
        let statement = EpochStatement::of(5, &w, prover).unwrap();
        fake.verify_epoch(&statement, &proof).unwrap();
        let mut other = statement.clone();
        other.checkpoints.pop();
        assert!(fake.verify_epoch(&other, &proof).is_err());
    }
}
