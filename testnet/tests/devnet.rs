//! The devnet end to end: sequencer + load on anvil for three epochs, then the whole chain is
//! re-derived from L1 (events + calldata + deposits) and re-executed; every state root,
//! archive and tx commitment must equal what the sequencer posted.

use alloy::primitives::{Address, Bytes, U256};
use jsonrpsee::http_client::HttpClientBuilder;
use std::time::Duration;
use vouch_l1_contracts::bindings::Rollup;
use vouch_l1_contracts::deploy::VerifierChoice;
use vouch_rollup::AccountIndex;
use vouch_rollup::genesis::devnet_signer;
use vouch_rollup::tx::Transfer;
use vouch_sequencer::api::SequencerApiClient;
use vouch_testnet::devnet::{DEVNET_CHAIN_ID, DEVNET_SEED, Devnet, DevnetConfig};
use vouch_testnet::replay::replay_from_l1;
use vouch_testnet::wait_until;

const EPOCH: u64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devnet_chain_replays_from_l1() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(DevnetConfig {
        l1_port: None,
        slot_duration: 3,
        epoch_duration: EPOCH,
        proof_submission_epochs: 100, // no prune during this test
        tx_rate: 8.0,
        accounts: 6,
        blocks_per_checkpoint: 2,
        max_txs_per_block: 50,
        datadir: dir.path().join("devnet"),
        sequencer_rpc: "127.0.0.1:0".parse().unwrap(),
        verifier: VerifierChoice::InsecureMock,
        deposit_interval: None,
    })
    .await
    .expect("devnet starts");
    let client = HttpClientBuilder::default()
        .build(devnet.sequencer_url())
        .unwrap();

    // An L1 deposit to a fresh address: its account must appear on L2.
    let depositor = Address::repeat_byte(0xd3);
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);
    rollup
        .deposit(depositor)
        .value(U256::from(5_000_000_000u64)) // 5 gwei: 5 units on L2
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();

    // Bad input: typed errors, and the sequencer keeps going.
    let garbage = client
        .send_transaction(Bytes::from(vec![1, 2, 3]))
        .await
        .unwrap_err();
    assert!(
        garbage.to_string().contains("undecodable transaction"),
        "{garbage}"
    );
    let owner = devnet_signer(DEVNET_SEED, 0);
    let other = devnet_signer(DEVNET_SEED, 1);
    let t = Transfer {
        from: AccountIndex(1),
        to: AccountIndex(2),
        amount: 1,
        fee: 1,
        nonce: 1_000,
    };
    let err = client
        .send_transaction(Bytes::from(
            t.sign(&owner, DEVNET_CHAIN_ID).to_bytes().to_vec(),
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("wrong nonce"), "{err}");
    // With the right nonce but the wrong key (checkable only while account 1 has nothing
    // pending; the load generator sends from it too).
    let info = client
        .get_account("1".into())
        .await
        .unwrap()
        .expect("account 1");
    if info.pending == 0 {
        let bad_sig = Transfer {
            nonce: info.nonce,
            ..t
        }
        .sign(&other, DEVNET_CHAIN_ID);
        let err = client
            .send_transaction(Bytes::from(bad_sig.to_bytes().to_vec()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("signed by"), "{err}");
        let overdraft = Transfer {
            nonce: info.nonce,
            amount: info.balance,
            ..t
        }
        .sign(&owner, DEVNET_CHAIN_ID);
        let err = client
            .send_transaction(Bytes::from(overdraft.to_bytes().to_vec()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("is below amount + fee"), "{err}");
    }

    wait_until(
        "three epochs of checkpoints",
        Duration::from_secs(120),
        || async { devnet.l1_pending_checkpoints().await.unwrap_or(0) > 3 * EPOCH },
    )
    .await;
    let status = client.status().await.unwrap();
    assert!(
        status.included_txs > 0,
        "load generator transfers were included: {status:?}"
    );
    let deposited = client
        .get_account(format!("{depositor}"))
        .await
        .unwrap()
        .expect("deposit created an account");
    assert_eq!(deposited.balance, 5);

    let head = devnet.l1_head().await.unwrap();
    let genesis = devnet.genesis.clone();
    let (stats, anvil, deployment) = devnet.stop().await;
    let stats = stats.expect("load generator ran");
    assert!(stats.sent > 0);

    let provider =
        alloy::providers::ProviderBuilder::new().connect_http(anvil.http_url().parse().unwrap());
    let replayed = replay_from_l1(
        &provider,
        deployment.rollup,
        deployment.constants.l1_start_block,
        head,
        &genesis,
        DEVNET_CHAIN_ID,
    )
    .await
    .expect("replay");
    assert!(
        replayed.len() as u64 > 3 * EPOCH,
        "{} checkpoints",
        replayed.len()
    );
    let rollup = Rollup::new(deployment.rollup, &provider);
    let mut txs = 0;
    for (i, c) in replayed.iter().enumerate() {
        let h = &c.proposal.header;
        assert_eq!(h.number, i as u64 + 1);
        assert_eq!(
            c.execution.state_root.to_b256(),
            h.stateRoot,
            "state root of checkpoint {}",
            h.number
        );
        assert_eq!(
            c.execution.archive.to_b256(),
            h.archive,
            "archive of checkpoint {}",
            h.number
        );
        assert_eq!(
            c.execution.tx_commitment.to_b256(),
            h.txCommitment,
            "tx commitment of checkpoint {}",
            h.number
        );
        let stored = rollup.checkpoint(h.number).call().await.unwrap();
        assert_eq!(stored.stateRoot, h.stateRoot);
        txs += c
            .execution
            .blocks
            .iter()
            .map(|b| b.tx_count as u64)
            .sum::<u64>();
    }
    assert!(
        txs >= status.included_txs,
        "replayed {txs} transfers, sequencer had reported {}",
        status.included_txs
    );
    let epochs: std::collections::BTreeSet<u64> = replayed
        .iter()
        .map(|c| c.proposal.header.slot / EPOCH)
        .collect();
    assert!(epochs.len() >= 3, "checkpoints span {epochs:?}");
}
