//! anvil's development RPCs, typed.

use alloy::providers::Provider;
use alloy::rpc::types::anvil::ReorgOptions;

/// An anvil dev RPC failed.
#[derive(Debug, thiserror::Error)]
#[error("anvil {method}: {source}")]
pub struct L1ControlError {
    method: &'static str,
    #[source]
    source: alloy::transports::TransportError,
}

/// Time, mining, snapshot and reorg control of an anvil L1.
#[derive(Clone, Debug)]
pub struct L1Control<P> {
    provider: P,
}

impl<P: Provider> L1Control<P> {
    /// Wraps a provider connected to anvil.
    pub fn new(provider: P) -> Self {
        Self { provider }
    }

    async fn call<R: alloy::rpc::json_rpc::RpcRecv>(
        &self,
        method: &'static str,
        params: impl alloy::rpc::json_rpc::RpcSend,
    ) -> Result<R, L1ControlError> {
        self.provider
            .raw_request(method.into(), params)
            .await
            .map_err(|source| L1ControlError { method, source })
    }

    /// Mines one block.
    pub async fn mine(&self) -> Result<(), L1ControlError> {
        self.call::<serde_json::Value>("evm_mine", ())
            .await
            .map(drop)
    }

    /// Sets the timestamp of the next mined block (must be later than the latest).
    pub async fn set_next_block_timestamp(&self, timestamp: u64) -> Result<(), L1ControlError> {
        self.call::<serde_json::Value>("evm_setNextBlockTimestamp", (timestamp,))
            .await
            .map(drop)
    }

    /// Sets the base fee (wei per gas) of the next mined block; later blocks follow EIP-1559
    /// from it. Transactions whose max fee is below it stay pending.
    pub async fn set_next_block_base_fee(&self, wei: u128) -> Result<(), L1ControlError> {
        self.call::<serde_json::Value>(
            "anvil_setNextBlockBaseFeePerGas",
            (alloy::primitives::U256::from(wei),),
        )
        .await
        .map(drop)
    }

    /// Mines one block at exactly `timestamp`.
    pub async fn mine_at(&self, timestamp: u64) -> Result<(), L1ControlError> {
        self.set_next_block_timestamp(timestamp).await?;
        self.mine().await
    }

    /// Moves time forward by `seconds` and mines a block.
    pub async fn warp(&self, seconds: u64) -> Result<(), L1ControlError> {
        self.call::<serde_json::Value>("evm_increaseTime", (seconds,))
            .await?;
        self.mine().await
    }

    /// Takes a snapshot; returns its id.
    pub async fn snapshot(&self) -> Result<String, L1ControlError> {
        let id: alloy::primitives::U256 = self.call("evm_snapshot", ()).await?;
        Ok(format!("{id:#x}"))
    }

    /// Reverts to snapshot `id`; returns whether it existed.
    pub async fn revert(&self, id: &str) -> Result<bool, L1ControlError> {
        self.call("evm_revert", (id,)).await
    }

    /// Replaces the last `depth` blocks with `depth` empty blocks (anvil_reorg), then puts
    /// the chain's clock back on the wall clock: anvil re-mines the replaced blocks with
    /// timestamps that leave every later block a second or more behind, which a real L1 reorg
    /// does not do (and which puts a slot-timed proposer in the wrong slot from then on).
    pub async fn reorg(&self, depth: u64) -> Result<(), L1ControlError> {
        let options = ReorgOptions {
            depth,
            tx_block_pairs: vec![],
        };
        self.call::<serde_json::Value>("anvil_reorg", options)
            .await
            .map(drop)?;
        let head = self
            .provider
            .get_block_by_number(Default::default())
            .await
            .map_err(|source| L1ControlError {
                method: "eth_getBlockByNumber",
                source,
            })?
            .map_or(0, |b| b.header.timestamp);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.set_next_block_timestamp(now.max(head + 1)).await
    }
}
