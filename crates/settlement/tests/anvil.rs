//! Settlement against a real anvil (1 s blocks): replacement of an underpriced transaction,
//! a dead primary RPC URL, and a restart after broadcast that must not send twice.

use alloy::primitives::{Address, Bytes};
use alloy::providers::{Provider, ProviderBuilder};
use std::sync::Arc;
use std::time::Duration;
use vouch_settlement::journal::TABLES;
use vouch_settlement::{EvmSettlement, Settlement, SettlementConfig, TxIntent};
use vouch_storage::RocksKv;
use vouch_testnet::{AnvilConfig, AnvilProcess, L1Control};

fn anvil() -> AnvilProcess {
    AnvilProcess::spawn(&AnvilConfig {
        block_time: Some(1),
        ..AnvilConfig::default()
    })
    .expect("anvil")
}

fn intent(key: &str) -> TxIntent {
    TxIntent {
        key: key.into(),
        to: Address::repeat_byte(0x42),
        input: Bytes::from_static(b"vouch"),
        gas_limit: 60_000,
        deadline: None,
    }
}

fn settlement(anvil: &AnvilProcess, urls: Vec<String>, kv: Arc<RocksKv>) -> EvmSettlement<RocksKv> {
    let mut config = SettlementConfig::new(urls, anvil.chain_id());
    config.bump_after = Duration::from_secs(1);
    config.poll = Duration::from_millis(200);
    EvmSettlement::new(config, anvil.dev_signer(2), kv, Arc::new(|_| None)).unwrap()
}

async fn nonce_of(anvil: &AnvilProcess, who: Address) -> u64 {
    ProviderBuilder::new()
        .connect_http(anvil.http_url().parse().unwrap())
        .get_transaction_count(who)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_underpriced_transaction_is_replaced_with_both_fees_raised_and_lands() {
    let l1 = anvil();
    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
    let s = settlement(&l1, vec![l1.http_url()], kv);
    let first = s.sign_and_broadcast(&intent("stuck")).await.unwrap();
    let v0 = first.versions[0].clone();
    // The base fee jumps far above what the first version pays: it cannot be included.
    let control =
        L1Control::new(ProviderBuilder::new().connect_http(l1.http_url().parse().unwrap()));
    control
        .set_next_block_base_fee(v0.max_fee * 20)
        .await
        .unwrap();
    let included = tokio::time::timeout(Duration::from_secs(90), s.send(&intent("stuck")))
        .await
        .expect("lands in time")
        .unwrap();
    assert_ne!(included.tx, v0.hash, "a replacement landed");
    assert!(included.replacements >= 1);
    let entry = s.journal().entry_of("stuck").unwrap().unwrap();
    let landed = entry
        .versions
        .iter()
        .find(|v| v.hash == included.tx)
        .unwrap();
    assert!(landed.tip * 8 >= v0.tip * 9, "priority fee raised ≥ 12.5 %");
    assert!(
        landed.max_fee * 8 >= v0.max_fee * 9,
        "max fee raised ≥ 12.5 %"
    );
    assert!(landed.tip > v0.tip);
    assert_eq!(included.nonce, first.nonce);
    assert_eq!(
        nonce_of(&l1, s.sender()).await,
        first.nonce + 1,
        "one nonce used"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_primary_url_falls_back() {
    let l1 = anvil();
    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
    let dead = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let s = settlement(&l1, vec![dead, l1.http_url()], kv);
    let a = s.send(&intent("a")).await.unwrap();
    let b = s.send(&intent("b")).await.unwrap();
    assert_eq!((a.nonce, b.nonce), (0, 1), "the owned nonce stream");
    assert_eq!(nonce_of(&l1, s.sender()).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_broadcast_tracks_the_same_transaction() {
    let l1 = anvil();
    let dir = tempfile::tempdir().unwrap();
    let broadcast = {
        let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
        let s = settlement(&l1, vec![l1.http_url()], kv);
        s.sign_and_broadcast(&intent("step")).await.unwrap()
        // "kill -9": the process goes, the journal stays.
    };
    let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
    let s = settlement(&l1, vec![l1.http_url()], kv);
    let included = s.send(&intent("step")).await.unwrap();
    assert_eq!(
        included.tx, broadcast.versions[0].hash,
        "the first broadcast landed"
    );
    assert_eq!(included.nonce, broadcast.nonce);
    assert_eq!(nonce_of(&l1, s.sender()).await, 1, "nothing sent twice");
    // A new intent gets the next nonce.
    assert_eq!(s.send(&intent("next")).await.unwrap().nonce, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_reorged_out_is_sent_again_and_lands() {
    let l1 = anvil();
    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
    let mut config = SettlementConfig::new(vec![l1.http_url()], l1.chain_id());
    config.confirmations = 4;
    config.poll = Duration::from_millis(200);
    let s = Arc::new(EvmSettlement::new(config, l1.dev_signer(2), kv, Arc::new(|_| None)).unwrap());
    let provider = ProviderBuilder::new().connect_http(l1.http_url().parse().unwrap());
    let sending = {
        let s = s.clone();
        tokio::spawn(async move { s.send(&intent("reorged")).await })
    };
    // Wait until it is mined, then replace the blocks holding it (anvil drops their txs).
    let mined_in = loop {
        if let Some(entry) = s.journal().entry_of("reorged").unwrap()
            && let Some(r) = provider
                .get_transaction_receipt(entry.versions[0].hash)
                .await
                .unwrap()
        {
            break r.block_number.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let head = provider.get_block_number().await.unwrap();
    L1Control::new(provider.clone())
        .reorg(head - mined_in + 1)
        .await
        .unwrap();
    let included = tokio::time::timeout(Duration::from_secs(60), sending)
        .await
        .expect("lands again in time")
        .unwrap()
        .unwrap();
    assert_eq!(included.nonce, 0);
    assert!(
        provider
            .get_transaction_receipt(included.tx)
            .await
            .unwrap()
            .is_some(),
        "on the surviving chain"
    );
    assert_eq!(nonce_of(&l1, s.sender()).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_deadline_nothing_more_is_sent() {
    let l1 = anvil();
    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
    let mut config = SettlementConfig::new(vec![l1.http_url()], l1.chain_id());
    config.bump_after = Duration::from_millis(500);
    config.poll = Duration::from_millis(200);
    // A cap below what the raised base fee needs: the transaction cannot land.
    config.max_fee_cap = 50_000_000_000;
    let s = EvmSettlement::new(config, l1.dev_signer(2), kv, Arc::new(|_| None)).unwrap();
    let provider = ProviderBuilder::new().connect_http(l1.http_url().parse().unwrap());
    L1Control::new(provider.clone())
        .set_next_block_base_fee(1_000_000_000_000)
        .await
        .unwrap();
    provider.get_block_number().await.unwrap();
    let now = provider
        .get_block_by_number(Default::default())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let mut stuck = intent("late");
    stuck.deadline = Some(now + 3);
    let err = tokio::time::timeout(Duration::from_secs(30), s.send(&stuck))
        .await
        .expect("gives up at the deadline")
        .unwrap_err();
    assert!(
        matches!(err, vouch_settlement::SettlementError::Deadline { .. }),
        "{err}"
    );
    let versions = s
        .journal()
        .entry_of("late")
        .unwrap()
        .unwrap()
        .versions
        .len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        s.journal()
            .entry_of("late")
            .unwrap()
            .unwrap()
            .versions
            .len(),
        versions,
        "no replacement after the deadline"
    );
    assert_eq!(nonce_of(&l1, s.sender()).await, 0, "nothing landed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_transaction_reorged_out_is_sent_again_so_the_next_one_lands() {
    let l1 = anvil();
    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
    let s = settlement(&l1, vec![l1.http_url()], kv);
    let provider = ProviderBuilder::new().connect_http(l1.http_url().parse().unwrap());
    // The first step lands (nonce 0), then an L1 reorg drops the block that holds it.
    let first = s.send(&intent("step-1")).await.unwrap();
    let head = provider.get_block_number().await.unwrap();
    L1Control::new(provider.clone())
        .reorg(head - first.block + 1)
        .await
        .unwrap();
    assert!(
        provider
            .get_transaction_receipt(first.tx)
            .await
            .unwrap()
            .is_none(),
        "the reorg dropped the first step"
    );
    assert_eq!(nonce_of(&l1, s.sender()).await, 0);
    // The next step takes nonce 1 and waits on the gap until the first is sent again.
    let second = tokio::time::timeout(Duration::from_secs(60), s.send(&intent("step-2")))
        .await
        .expect("lands in time")
        .unwrap();
    assert_eq!(second.nonce, 1);
    assert!(
        provider
            .get_transaction_receipt(first.tx)
            .await
            .unwrap()
            .is_some(),
        "the first step is on the chain again, the same transaction"
    );
    assert_eq!(nonce_of(&l1, s.sender()).await, 2);
}
