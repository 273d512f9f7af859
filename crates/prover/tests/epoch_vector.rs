//! The epoch proof's statement, shared with the contract.
//!
//! Three checkpoints executed by the real STF are proven with the epoch (Keccak) configuration;
//! the proof verifies against the statement rebuilt from the contract's `EpochPublicValues`
//! and the L1 headers. The same headers, deposits and calldata are rendered into the forge test
//! `contracts/test/EpochVector.t.sol`, which proposes them to a real `Rollup` and asserts that
//! `epochPublicValues` returns exactly the bytes computed here. This test fails when the
//! checked-in forge test differs from what it renders; `VOUCH_REGENERATE=1` rewrites it.

mod common;

use alloy::hex;
use alloy::primitives::{Address, address};
use common::{check_rendered, preamble};
use std::fmt::Write as _;
use vouch_l1_contracts::epoch::EpochPublicValues;
use vouch_l1_contracts::statement::{EpochStatementFromL1, epoch_public_values, l1_header};
use vouch_prover::fixture::{self, FixtureSpec, build};
use vouch_prover::proof::{EpochStatement, ProofError, prove_epoch, verify_epoch};

const EPOCH: u64 = 3;
/// Who proves (anvil's account 1).
const PROVER: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

fn render(values: &[u8], fx: &fixture::Fixture) -> String {
    let mut s = String::new();
    let headers: Vec<_> = fx.checkpoints.iter().map(l1_header).collect();
    s.push_str(&preamble(
        "epoch_vector",
        &[
            "{TestBase} from \"./utils/TestBase.sol\"",
            "{Rollup, RollupConfig} from \"../src/Rollup.sol\"",
            "{MockVerifier} from \"../src/MockVerifier.sol\"",
            "{CheckpointHeader} from \"../src/CheckpointLib.sol\"",
        ],
    ));
    writeln!(s, "/// @notice Shared vector: checkpoints executed and proven by the Rust prover; the contract must").unwrap();
    writeln!(
        s,
        "///         compute the same epoch public values for them."
    )
    .unwrap();
    writeln!(s, "contract EpochVectorTest is TestBase {{").unwrap();
    writeln!(
        s,
        "    function test_epochPublicValuesMatchTheRustProver() public {{"
    )
    .unwrap();
    writeln!(s, "        vm.warp({});", fixture::GENESIS_TIME).unwrap();
    writeln!(s, "        address[] memory sequencers = new address[](1);").unwrap();
    writeln!(s, "        sequencers[0] = address(this);").unwrap();
    writeln!(s, "        Rollup rollup = new Rollup(").unwrap();
    writeln!(s, "            RollupConfig({{").unwrap();
    writeln!(s, "                genesisTime: {},", fixture::GENESIS_TIME).unwrap();
    writeln!(
        s,
        "                slotDuration: {},",
        fixture::SLOT_DURATION
    )
    .unwrap();
    writeln!(
        s,
        "                epochDuration: {},",
        fixture::EPOCH_DURATION
    )
    .unwrap();
    writeln!(s, "                proofSubmissionEpochs: 1,").unwrap();
    writeln!(
        s,
        "                genesisArchive: {},",
        fx.genesis.archive.to_b256()
    )
    .unwrap();
    writeln!(
        s,
        "                genesisStateRoot: {},",
        fx.genesis.state_root.to_b256()
    )
    .unwrap();
    writeln!(s, "                verifier: address(new MockVerifier()),").unwrap();
    writeln!(s, "                sequencers: sequencers").unwrap();
    writeln!(s, "            }})").unwrap();
    writeln!(s, "        );").unwrap();
    writeln!(s, "        vm.deal(address(this), 1_000_000 ether);").unwrap();
    for d in fx.checkpoints.iter().flat_map(|c| &c.deposits) {
        writeln!(
            s,
            "        rollup.deposit{{value: {} gwei}}({});",
            d.amount,
            d.recipient.to_checksum(None)
        )
        .unwrap();
    }
    for (cp, h) in fx.checkpoints.iter().zip(&headers) {
        writeln!(s, "        vm.warp({});", h.timestamp).unwrap();
        writeln!(s, "        rollup.propose(").unwrap();
        writeln!(s, "            CheckpointHeader({{").unwrap();
        writeln!(s, "                number: {},", h.number).unwrap();
        writeln!(s, "                slot: {},", h.slot).unwrap();
        writeln!(s, "                timestamp: {},", h.timestamp).unwrap();
        writeln!(s, "                previousArchive: {},", h.previousArchive).unwrap();
        writeln!(s, "                archive: {},", h.archive).unwrap();
        writeln!(s, "                stateRoot: {},", h.stateRoot).unwrap();
        writeln!(s, "                txCommitment: {},", h.txCommitment).unwrap();
        writeln!(s, "                depositStart: {},", h.depositStart).unwrap();
        writeln!(s, "                depositCount: {},", h.depositCount).unwrap();
        writeln!(s, "                blockCount: {},", h.blockCount).unwrap();
        writeln!(s, "                dataEvaluation: {}", h.dataEvaluation).unwrap();
        writeln!(s, "            }}),").unwrap();
        writeln!(s, "            hex\"{}\"", hex::encode(cp.body.encode())).unwrap();
        writeln!(s, "        );").unwrap();
    }
    let (from, to) = (headers[0].number, headers[headers.len() - 1].number);
    writeln!(
        s,
        "        bytes memory expected = hex\"{}\";",
        hex::encode(values)
    )
    .unwrap();
    writeln!(s, "        assertEq(keccak256(rollup.epochPublicValues({EPOCH}, {from}, {to}, {PROVER})), keccak256(expected), \"epoch public values\");").unwrap();
    writeln!(s, "    }}").unwrap();
    writeln!(s, "}}").unwrap();
    s
}

#[test]
fn epoch_proof_over_three_checkpoints_matches_the_contract_statement() {
    let fx = build(FixtureSpec {
        accounts: 5,
        checkpoints: 3,
        blocks: 2,
        transfers_per_block: 2,
        deposits_per_block: 1,
        seed: 11,
        vary: false,
    });
    let headers: Vec<_> = fx.checkpoints.iter().map(l1_header).collect();
    let values = epoch_public_values(EPOCH, &fx.checkpoints, PROVER).unwrap();
    let encoded = values.encode();
    assert_eq!(EpochPublicValues::decode(&encoded).unwrap(), values);

    // The statement rebuilt from what L1 holds is the statement of the execution.
    let statement = EpochStatement::from_l1(&values, &headers).unwrap();
    assert_eq!(
        Some(&statement),
        EpochStatement::of(EPOCH, &fx.checkpoints, PROVER).as_ref()
    );

    let proof = prove_epoch(&fx.checkpoints, &PROVER).unwrap();
    verify_epoch(&statement, &proof).unwrap();
    // A header that is not the one the contract committed to is refused before verifying.
    let mut forged = headers.clone();
    forged[1].txCommitment.0[31] ^= 1;
    assert!(matches!(
        EpochStatement::from_l1(&values, &forged),
        Err(ProofError::Statement(_))
    ));
    // Dropping the last checkpoint changes the statement; the proof does not cover it.
    let mut shorter = statement.clone();
    shorter.checkpoints.pop();
    assert!(verify_epoch(&shorter, &proof).is_err());

    let rendered = render(&encoded, &fx);
    check_rendered("test/EpochVector.t.sol", "epoch_vector", &rendered);
}
