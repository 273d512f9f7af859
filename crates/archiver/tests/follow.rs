//! The follower, archive and block stream against a live anvil.

use alloy::primitives::B256;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vouch_archiver::archive::L2BlockSource;
use vouch_archiver::kv::RocksKv;
use vouch_archiver::{
    Archive, ChainEvent, FollowerConfig, L1Follower, L2BlockStream, StreamHandler,
};
use vouch_primitives::CheckpointNumber;
use vouch_testnet::proposer::DirectProposer;
use vouch_testnet::{AnvilConfig, AnvilProcess, wait_until};

/// Records every event; the "effect" (number → header hash) is idempotent. Optionally fails
/// the first delivery of one checkpoint.
#[derive(Default)]
struct Recorder {
    events: Vec<ChainEvent>,
    chain: BTreeMap<u64, B256>,
    proven: u64,
    fail_once_at: Option<u64>,
}

/// The recorder's injected failure.
#[derive(Debug, thiserror::Error)]
#[error("injected failure")]
struct Injected;

impl StreamHandler for Recorder {
    type Error = Injected;

    async fn handle(&mut self, event: ChainEvent) -> Result<(), Injected> {
        if let ChainEvent::ChainCheckpointed { checkpoint } = &event
            && self.fail_once_at == Some(checkpoint.number.get())
        {
            self.fail_once_at = None;
            return Err(Injected);
        }
        match &event {
            ChainEvent::ChainPruned { to_checkpoint } => {
                self.chain.retain(|n, _| *n <= to_checkpoint.get())
            }
            ChainEvent::ChainCheckpointed { checkpoint } => {
                self.chain
                    .insert(checkpoint.number.get(), checkpoint.header_hash);
            }
            ChainEvent::ChainProven { checkpoint } => self.proven = checkpoint.get(),
            ChainEvent::ChainFinalized { .. } => {}
        }
        self.events.push(event);
        Ok(())
    }
}

impl Recorder {
    fn checkpointed(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ChainEvent::ChainCheckpointed { checkpoint } => Some(checkpoint.number.get()),
                _ => None,
            })
            .collect()
    }
}

struct Node {
    follower: L1Follower<RocksKv>,
    stream: L2BlockStream<RocksKv>,
    archive: Archive<RocksKv>,
}

fn node(dir: &std::path::Path, l1: &DirectProposer, url: String) -> Node {
    let kv = Arc::new(RocksKv::open(dir, &vouch_archiver::kv::TABLES).expect("open archive db"));
    let archive = Archive::new(kv, l1.constants());
    let mut config = FollowerConfig::new(url, l1.address(), l1.deployment.constants.l1_start_block);
    config.poll_interval = Duration::from_millis(100);
    let follower = L1Follower::new(config, archive.clone()).expect("follower");
    let stream = L2BlockStream::new(archive.clone(), "test");
    Node {
        follower,
        stream,
        archive,
    }
}

/// anvil + a rollup (12 s slots, 4-slot epochs) + a node on a fresh database.
async fn setup(
    submission_epochs: u64,
) -> (
    AnvilProcess,
    DirectProposer,
    tempfile::TempDir,
    Node,
    Recorder,
) {
    let anvil = AnvilProcess::spawn(&AnvilConfig::default()).unwrap();
    let l1 = DirectProposer::deploy(&anvil, 12, 4, submission_epochs).await;
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path(), &l1, anvil.http_url());
    (anvil, l1, dir, n, Recorder::default())
}

async fn step(node: &mut Node, rec: &mut Recorder) {
    node.follower.sync_once().await.expect("sync");
    // Retry a failing handler like the stream's run loop does.
    for _ in 0..3 {
        if node.stream.pass(rec).await.is_ok() {
            return;
        }
    }
    panic!("stream pass kept failing");
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_arrive_once_in_order_across_a_restart() {
    let anvil = AnvilProcess::spawn(&AnvilConfig::default()).unwrap();
    let l1 = DirectProposer::deploy(&anvil, 12, 4, 100).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder {
        fail_once_at: Some(2),
        ..Default::default()
    };
    {
        let mut n = node(dir.path(), &l1, anvil.http_url());
        for slot in 0..3 {
            l1.propose_at(slot, 1).await;
        }
        step(&mut n, &mut rec).await;
        assert_eq!(n.stream.cursor_tip().unwrap(), CheckpointNumber(3));
    } // the node stops; its database closes
    for slot in 3..6 {
        l1.propose_at(slot, 1).await;
    }
    let mut n = node(dir.path(), &l1, anvil.http_url());
    step(&mut n, &mut rec).await;
    assert_eq!(
        rec.checkpointed(),
        vec![1, 2, 3, 4, 5, 6],
        "each delivered once (after one retry of 2)"
    );
    assert_eq!(rec.chain.len(), 6);
    assert_eq!(n.archive.tips().unwrap().pending, CheckpointNumber(6));
}

#[tokio::test(flavor = "multi_thread")]
async fn reorg_of_the_last_two_proposals_prunes_then_replaces() {
    let (_anvil, l1, _dir, mut n, mut rec) = setup(100).await;
    for slot in 0..4 {
        l1.propose_at(slot, 1).await;
    }
    step(&mut n, &mut rec).await;
    let before: Vec<B256> = rec.chain.values().copied().collect();
    l1.control.reorg(2).await.unwrap(); // each proposal was alone in its block
    assert_eq!(
        l1.rollup().pendingCheckpointNumber().call().await.unwrap(),
        2
    );
    let r3 = l1.propose_at(6, 2).await;
    let r4 = l1.propose_at(7, 2).await;
    assert_eq!((r3.number, r4.number), (3, 4));
    rec.events.clear();
    step(&mut n, &mut rec).await;
    assert_eq!(
        rec.events.first(),
        Some(&ChainEvent::ChainPruned {
            to_checkpoint: CheckpointNumber(2)
        })
    );
    assert_eq!(rec.checkpointed(), vec![3, 4]);
    assert_eq!(
        &rec.chain.values().copied().collect::<Vec<_>>()[..2],
        &before[..2]
    );
    assert_ne!(rec.chain[&3], before[2], "replacement has a new identity");
}

#[tokio::test(flavor = "multi_thread")]
async fn window_prune_yields_chain_pruned_to_the_proven_tip() {
    let (_anvil, l1, _dir, mut n, mut rec) = setup(1).await;
    l1.propose_at(0, 1).await;
    l1.propose_at(1, 1).await;
    step(&mut n, &mut rec).await;
    // Epoch 0's deadline is the first slot of epoch 2; nothing was proven.
    let deadline = l1
        .constants()
        .slot_start_timestamp(vouch_primitives::Slot(8))
        .unwrap();
    l1.control.set_next_block_timestamp(deadline).await.unwrap();
    l1.rollup()
        .prune()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    rec.events.clear();
    step(&mut n, &mut rec).await;
    assert_eq!(
        rec.events,
        vec![ChainEvent::ChainPruned {
            to_checkpoint: CheckpointNumber(0)
        }]
    );
    assert_eq!(n.archive.tips().unwrap().pending, CheckpointNumber(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn epoch_proven_then_reorged_out_moves_the_proven_tip_back() {
    let (_anvil, l1, _dir, mut n, mut rec) = setup(1).await;
    l1.propose_at(0, 1).await;
    l1.propose_at(1, 1).await;
    let t = l1
        .constants()
        .slot_start_timestamp(vouch_primitives::Slot(5))
        .unwrap();
    l1.prove(0, 1, 2, t).await;
    step(&mut n, &mut rec).await;
    assert_eq!(rec.proven, 2);
    assert!(rec.events.contains(&ChainEvent::ChainProven {
        checkpoint: CheckpointNumber(2)
    }));
    l1.control.reorg(1).await.unwrap();
    rec.events.clear();
    step(&mut n, &mut rec).await;
    assert_eq!(
        rec.events,
        vec![ChainEvent::ChainProven {
            checkpoint: CheckpointNumber(0)
        }]
    );
    assert_eq!(
        n.archive.tips().unwrap().pending,
        CheckpointNumber(2),
        "checkpoints survive"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn follower_survives_the_rpc_going_away() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("anvil-state.json");
    let config = AnvilConfig {
        state_file: Some(state.clone()),
        ..AnvilConfig::default()
    };
    let mut anvil = AnvilProcess::spawn(&config).unwrap();
    let port = anvil.port();
    let l1 = DirectProposer::deploy(&anvil, 12, 4, 100).await;
    l1.propose_at(0, 1).await;
    let mut n = node(&dir.path().join("db"), &l1, anvil.http_url());
    n.follower.set_ws_url(Some(anvil.ws_url()));
    let archive = n.archive.clone();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(n.follower.run(cancel.clone()));
    let wait = |target: u64| {
        let archive = archive.clone();
        async move {
            wait_until(
                &format!("checkpoint {target} archived"),
                Duration::from_secs(60),
                || {
                    let archive = archive.clone();
                    async move { archive.tips().unwrap().pending.get() >= target }
                },
            )
            .await
        }
    };
    wait(1).await;
    anvil.stop_and_dump(Duration::from_secs(10)).unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await; // the follower fails and backs off
    assert!(!task.is_finished(), "follower must not die with its RPC");
    let anvil = AnvilProcess::spawn(&AnvilConfig {
        port: Some(port),
        ..config
    })
    .unwrap();
    let l1 = DirectProposer::attach(&anvil, l1.deployment.clone());
    l1.propose_at(1, 1).await;
    wait(2).await;
    cancel.cancel();
    task.await.unwrap();
}
