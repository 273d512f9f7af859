//! The publisher against a real anvil and rollup (mock verifier, so the test is about
//! publishing, not proofs): it lands a ready proof, refuses a doomed one before sending, and
//! recognises a range another prover already landed — sending nothing in both cases.

use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::{Provider, ProviderBuilder};
use std::sync::Arc;
use std::time::Duration;
use vouch_archiver::archive::{L1BlockEvents, RollupEvent};
use vouch_archiver::kv::MemoryKv;
use vouch_archiver::{Archive, ArchivedCheckpoint};
use vouch_node::publisher::{EvmPublisher, Publisher, VerifierMode};
use vouch_node::{PublishOutcome, PublishRequest};
use vouch_settlement::{EvmSettlement, SettlementConfig};
use vouch_storage::RocksKv;
use vouch_testnet::proposer::DirectProposer;
use vouch_testnet::{AnvilConfig, AnvilProcess};

struct Setup {
    anvil: AnvilProcess,
    l1: DirectProposer,
    publisher: EvmPublisher<MemoryKv>,
    prover: Address,
    _dir: tempfile::TempDir,
}

/// A rollup with 12 s slots and 2-slot epochs, checkpoints 1 and 2 in epoch 0, L1 time in
/// epoch 1, and a publisher for dev account 3 whose archive holds those checkpoints.
async fn setup() -> Setup {
    let anvil = AnvilProcess::spawn(&AnvilConfig::default()).unwrap();
    let l1 = DirectProposer::deploy(&anvil, 12, 2, 1).await;
    let archive = Archive::new(Arc::new(MemoryKv::default()), l1.constants());
    let mut blocks = Vec::new();
    for slot in 0..2 {
        let header = l1.propose_at(slot, 1).await;
        blocks.push(L1BlockEvents {
            number: slot + 1,
            hash: B256::with_last_byte(slot as u8 + 1),
            events: vec![RollupEvent::Proposed(Box::new(
                ArchivedCheckpoint::from_l1(
                    &header,
                    Bytes::new(),
                    slot + 1,
                    B256::ZERO,
                    B256::ZERO,
                ),
            ))],
        });
    }
    archive
        .apply(&blocks, (3, B256::with_last_byte(3), 0), None)
        .unwrap();
    let start = l1
        .constants()
        .slot_start_timestamp(vouch_primitives::Slot(2))
        .unwrap();
    l1.control.mine_at(start).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(RocksKv::open(dir.path(), &vouch_settlement::journal::TABLES).unwrap());
    let signer = anvil.dev_signer(3);
    let prover = signer.address();
    let settlement = EvmSettlement::new(
        SettlementConfig::new(vec![anvil.http_url()], anvil.chain_id()),
        signer,
        kv,
        Arc::new(|d: &[u8]| vouch_l1_contracts::verifier::decode_revert(d)),
    )
    .unwrap();
    let publisher = EvmPublisher {
        settlement: Arc::new(settlement),
        reads: vouch_settlement::rpc::Fallback::new(&[anvil.http_url()]).unwrap(),
        owner: prover,
        rollup: l1.address(),
        verifier: VerifierMode::InsecureMock,
        archive,
        poll: Duration::from_millis(100),
        dry_run: false,
    };
    Setup {
        anvil,
        l1,
        publisher,
        prover,
        _dir: dir,
    }
}

fn request(to: u64) -> PublishRequest {
    PublishRequest {
        session: 1,
        epoch: 0,
        from: 1,
        to,
        proof: vec![],
    }
}

async fn sent_by(s: &Setup) -> u64 {
    ProviderBuilder::new()
        .connect_http(s.anvil.http_url().parse().unwrap())
        .get_transaction_count(s.prover)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_proof_lands_and_advances_the_proven_tip() {
    let s = setup().await;
    let outcome = tokio::time::timeout(Duration::from_secs(60), s.publisher.publish(&request(2)))
        .await
        .unwrap();
    let PublishOutcome::Published(landed) = outcome else {
        panic!("not published: {outcome:?}");
    };
    assert_eq!(landed.txs, 1);
    assert!(landed.fee_wei > 0);
    assert_eq!(
        s.l1.rollup().provenCheckpointNumber().call().await.unwrap(),
        2
    );
    assert_eq!(sent_by(&s).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_doomed_proof_is_refused_before_sending() {
    let s = setup().await;
    // Checkpoint 3 does not exist on L1 (as after a prune): the rollup's statement fails.
    let outcome = tokio::time::timeout(Duration::from_secs(60), s.publisher.publish(&request(3)))
        .await
        .unwrap();
    match outcome {
        PublishOutcome::Failed(reason) => {
            assert!(reason.contains("refused before sending"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sent_by(&s).await, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_another_prover_landed_is_superseded_without_sending() {
    let s = setup().await;
    let now =
        s.l1.provider
            .get_block_by_number(Default::default())
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp;
    s.l1.prove(0, 1, 2, now + 1).await;
    let outcome = tokio::time::timeout(Duration::from_secs(60), s.publisher.publish(&request(2)))
        .await
        .unwrap();
    assert!(
        matches!(outcome, PublishOutcome::Superseded(_)),
        "{outcome:?}"
    );
    assert_eq!(sent_by(&s).await, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_estimates_and_sends_nothing() {
    let mut s = setup().await;
    s.publisher.dry_run = true;
    let outcome = tokio::time::timeout(Duration::from_secs(60), s.publisher.publish(&request(2)))
        .await
        .unwrap();
    match outcome {
        PublishOutcome::DryRun {
            txs,
            gas,
            max_fee_wei,
        } => {
            assert_eq!(txs, 1);
            assert!(
                gas > 21_000,
                "submitEpochProof costs more than a transfer: {gas}"
            );
            assert!(max_fee_wei > 0);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sent_by(&s).await, 0, "nothing sent");
    assert_eq!(
        s.l1.rollup().provenCheckpointNumber().call().await.unwrap(),
        0
    );
    // A doomed range is still refused (by the simulation's revert or the statement check).
    assert!(matches!(
        s.publisher.publish(&request(3)).await,
        PublishOutcome::Failed(_)
    ));
}
