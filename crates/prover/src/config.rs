//! The two STARK configurations.

use p3_challenger::{DuplexChallenger, HashChallenger, SerializingChallenger32};
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::Field;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, TwoAdicFriPcs};
use p3_keccak::Keccak256Hash;
use p3_koala_bear::{KoalaBear, Poseidon2KoalaBear, default_koalabear_poseidon2_16};
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{
    CompressionFunctionFromHasher, PaddingFreeSponge, SerializingHasher, TruncatedPermutation,
};
use p3_uni_stark::StarkConfig;

/// The base field.
pub type Val = KoalaBear;
/// The DFT used by both configurations.
pub type Dft = Radix2DitParallel<Val>;
/// Poseidon2 width 16 with Plonky3's published KoalaBear constants (the state tree's hash).
pub type Perm16 = Poseidon2KoalaBear<16>;

/// Leaf hash of the Poseidon2 Merkle trees.
pub type LeafHash = PaddingFreeSponge<Perm16, 16, 8, 8>;
/// Node compression of the Poseidon2 Merkle trees.
pub type LeafCompress = TruncatedPermutation<Perm16, 2, 8, 16>;
/// Poseidon2 Merkle commitments to base-field matrices.
pub type LeafValMmcs =
    MerkleTreeMmcs<<Val as Field>::Packing, <Val as Field>::Packing, LeafHash, LeafCompress, 2, 8>;
/// Challenge field of checkpoint proofs.
pub type LeafChallenge = BinomialExtensionField<Val, 8>;
/// Poseidon2 Merkle commitments to challenge-field matrices (FRI rounds).
pub type LeafChallengeMmcs = ExtensionMmcs<Val, LeafChallenge, LeafValMmcs>;
/// The Poseidon2 duplex challenger.
pub type LeafChallenger = DuplexChallenger<Val, Perm16, 16, 8>;
/// The FRI PCS of checkpoint and recursion proofs.
pub type LeafPcs = TwoAdicFriPcs<Val, Dft, LeafValMmcs, LeafChallengeMmcs>;
/// Checkpoint-proof configuration (Poseidon2 commitments).
pub type LeafConfig = StarkConfig<LeafPcs, LeafChallenge, LeafChallenger>;

type EvmByteHash = Keccak256Hash;
type EvmFieldHash = SerializingHasher<EvmByteHash>;
type EvmCompress = CompressionFunctionFromHasher<EvmByteHash, 2, 32>;
type EvmValMmcs = MerkleTreeMmcs<Val, u8, EvmFieldHash, EvmCompress, 2, 32>;
/// Challenge field of the epoch proof.
pub type EvmChallenge = BinomialExtensionField<Val, 8>;
type EvmChallengeMmcs = ExtensionMmcs<Val, EvmChallenge, EvmValMmcs>;
/// Challenger of the epoch proof (what the Solidity transcript replays).
pub type EvmChallenger = SerializingChallenger32<Val, HashChallenger<u8, EvmByteHash, 32>>;
type EvmPcs = TwoAdicFriPcs<Val, Dft, EvmValMmcs, EvmChallengeMmcs>;
/// Epoch-proof configuration (Keccak commitments and transcript, EVM-verifiable).
pub type EvmConfig = StarkConfig<EvmPcs, EvmChallenge, EvmChallenger>;

/// FRI parameters of checkpoint proofs: blowup 2, 100 queries, 16-bit query grinding.
pub fn leaf_fri_parameters<M>(mmcs: M) -> FriParameters<M> {
    FriParameters {
        log_blowup: 1,
        log_final_poly_len: 0,
        max_log_arity: 1,
        num_queries: 100,
        batch_proof_of_work_bits: 0,
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: 16,
        mmcs,
    }
}

/// The FRI knobs that trade proving time, proof size (L1 gas) and security.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FriSetting {
    /// Log of the LDE blowup.
    pub log_blowup: usize,
    /// Queries.
    pub num_queries: usize,
    /// Proof-of-work bits before the queries are drawn.
    pub query_pow_bits: usize,
}

/// The epoch proof's setting: blowup 8, 55 queries, 20-bit query grinding, for 102 *proven*
/// bits (Plonky3's `ProvenSecurity`; 128 conjectured). It was 43 queries (84 proven bits);
/// `vouch bench fri` measures the alternatives side by side.
pub const EVM_FRI: FriSetting = FriSetting {
    log_blowup: 3,
    num_queries: 55,
    query_pow_bits: 20,
};

/// FRI parameters of the epoch proof ([`EVM_FRI`]): 8-way folding and a final polynomial
/// of 32 coefficients.
pub fn evm_fri_parameters<M>(mmcs: M) -> FriParameters<M> {
    evm_fri_parameters_with(EVM_FRI, mmcs)
}

/// Epoch-proof FRI parameters with another [`FriSetting`] (benchmarks; the Solidity verifier
/// verifies [`EVM_FRI`] only).
pub fn evm_fri_parameters_with<M>(setting: FriSetting, mmcs: M) -> FriParameters<M> {
    FriParameters {
        log_blowup: setting.log_blowup,
        log_final_poly_len: 5,
        max_log_arity: 3,
        num_queries: setting.num_queries,
        batch_proof_of_work_bits: 0,
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: setting.query_pow_bits,
        mmcs,
    }
}

/// The checkpoint-proof configuration.
pub fn leaf_config() -> LeafConfig {
    poseidon2_config(leaf_fri_parameters)
}

/// FRI parameters of recursion proofs (checkpoint leaves made for aggregation, and
/// aggregation proofs): blowup 8, 28 queries, 20-bit query grinding. A recursive verifier's
/// cost is mostly per query (Merkle paths, reduced openings, folding), so fewer queries at a
/// higher blowup make it about 3.5× smaller than at blowup 2 with 100 queries, for the same
/// conjectured security (see `security::recursion_security`).
pub fn recursion_fri_parameters<M>(mmcs: M) -> FriParameters<M> {
    FriParameters {
        log_blowup: 3,
        log_final_poly_len: 0,
        max_log_arity: 1,
        num_queries: 28,
        batch_proof_of_work_bits: 0,
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: 20,
        mmcs,
    }
}

/// The configuration of recursion proofs (`crate::recursion`): the checkpoint proofs' hash,
/// challenger and field, so one in-circuit verifier serves both.
pub fn recursion_config() -> LeafConfig {
    poseidon2_config(recursion_fri_parameters)
}

/// The Poseidon2 Merkle commitment scheme of checkpoint and recursion proofs.
pub fn leaf_val_mmcs() -> LeafValMmcs {
    let perm = default_koalabear_poseidon2_16();
    LeafValMmcs::new(LeafHash::new(perm.clone()), LeafCompress::new(perm), 0)
}

pub(crate) fn poseidon2_config(
    fri: impl FnOnce(LeafChallengeMmcs) -> FriParameters<LeafChallengeMmcs>,
) -> LeafConfig {
    let perm = default_koalabear_poseidon2_16();
    let val_mmcs = leaf_val_mmcs();
    let fri = fri(LeafChallengeMmcs::new(val_mmcs.clone()));
    LeafConfig::new(
        LeafPcs::new(Dft::default(), val_mmcs, fri),
        LeafChallenger::new(perm),
    )
}

/// The epoch-proof configuration.
pub fn evm_config() -> EvmConfig {
    evm_config_with(EVM_FRI)
}

/// The epoch-proof configuration with another [`FriSetting`] (benchmarks).
pub fn evm_config_with(setting: FriSetting) -> EvmConfig {
    let val_mmcs = EvmValMmcs::new(
        EvmFieldHash::new(EvmByteHash {}),
        EvmCompress::new(EvmByteHash {}),
        0,
    );
    let fri = evm_fri_parameters_with(setting, EvmChallengeMmcs::new(val_mmcs.clone()));
    EvmConfig::new(
        EvmPcs::new(Dft::default(), val_mmcs, fri),
        EvmChallenger::from_hasher(vec![], EvmByteHash {}),
    )
}
