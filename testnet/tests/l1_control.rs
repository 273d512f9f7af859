//! The anvil harness: time warps, snapshot/revert and reorgs do what the scripts promise.

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use std::time::Duration;
use vouch_testnet::{AnvilConfig, AnvilProcess, L1Control};

#[tokio::test(flavor = "multi_thread")]
async fn warp_snapshot_revert_and_reorg() {
    let anvil = AnvilProcess::spawn(&AnvilConfig::default()).expect("start anvil");
    // Simple nonce management: after a revert or reorg the account nonce goes back, and a
    // cached nonce would leave the next transaction pending forever.
    let provider = ProviderBuilder::new()
        .with_simple_nonce_management()
        .wallet(EthereumWallet::from(anvil.dev_signer(0)))
        .connect_http(anvil.http_url().parse().unwrap());
    let control = L1Control::new(provider.clone());
    let latest_ts = || async {
        provider
            .get_block_by_number(Default::default())
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp
    };

    let t0 = latest_ts().await;
    control.warp(1_000).await.unwrap();
    assert!(latest_ts().await >= t0 + 1_000, "warp moves time");
    control.mine_at(t0 + 5_000).await.unwrap();
    assert_eq!(latest_ts().await, t0 + 5_000, "mine_at sets the timestamp");

    let recipient = Address::repeat_byte(0x42);
    let send = |wei: u64| {
        let provider = provider.clone();
        async move {
            let tx = TransactionRequest::default()
                .with_to(recipient)
                .with_value(U256::from(wei));
            provider
                .send_transaction(tx)
                .await
                .unwrap()
                .with_timeout(Some(Duration::from_secs(30)))
                .get_receipt()
                .await
                .unwrap();
        }
    };

    let snapshot = control.snapshot().await.unwrap();
    send(7).await;
    assert_eq!(
        provider.get_balance(recipient).await.unwrap(),
        U256::from(7)
    );
    assert!(control.revert(&snapshot).await.unwrap(), "snapshot exists");
    assert_eq!(
        provider.get_balance(recipient).await.unwrap(),
        U256::ZERO,
        "revert undoes"
    );

    send(9).await;
    let height = provider.get_block_number().await.unwrap();
    let old_head = provider
        .get_block_by_number(height.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .hash;
    control.reorg(1).await.unwrap();
    let new_head = provider
        .get_block_by_number(height.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .hash;
    assert_ne!(old_head, new_head, "block at the same height was replaced");
    assert_eq!(
        provider.get_balance(recipient).await.unwrap(),
        U256::ZERO,
        "reorg drops the tx"
    );
}
