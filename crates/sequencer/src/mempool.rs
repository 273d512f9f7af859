//! Pending transactions and what happened to each.

use crate::api::TxStatus;
use alloy::primitives::B256;
use std::collections::{HashMap, VecDeque};
use vouch_rollup::AccountIndex;
use vouch_rollup::tx::SignedTransfer;

/// Most transactions kept waiting; more are refused.
pub const MAX_PENDING: usize = 50_000;
/// Most receipts remembered.
const MAX_RECEIPTS: usize = 200_000;

/// FIFO of pending transfers with per-sender counts and a receipt log.
///
/// A transaction counts as pending for its sender from [`Mempool::push`] until it is finished
/// ([`Mempool::finish`]: included or dropped) — including while it is taken out for a block
/// that is being proposed — so the next nonce a client is told is always right.
#[derive(Debug, Default)]
pub struct Mempool {
    queue: VecDeque<SignedTransfer>,
    pending_by_sender: HashMap<AccountIndex, u32>,
    receipts: HashMap<B256, TxStatus>,
    receipt_order: VecDeque<B256>,
}

impl Mempool {
    /// Number of waiting transactions.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Waiting transactions of `sender`.
    pub fn pending_of(&self, sender: AccountIndex) -> u32 {
        self.pending_by_sender.get(&sender).copied().unwrap_or(0)
    }

    /// Whether `hash` is already known (pending or included).
    pub fn knows(&self, hash: &B256) -> bool {
        matches!(
            self.receipts.get(hash),
            Some(TxStatus::Pending | TxStatus::Included { .. })
        )
    }

    /// Appends a transaction.
    pub fn push(&mut self, tx: SignedTransfer) {
        *self.pending_by_sender.entry(tx.transfer.from).or_default() += 1;
        self.set_status(tx.hash(), TxStatus::Pending);
        self.queue.push_back(tx);
    }

    /// Takes the front transaction out for a block; it stays pending until finished or
    /// returned with [`Mempool::return_front`].
    pub fn take_one(&mut self) -> Option<SignedTransfer> {
        self.queue.pop_front()
    }

    /// Returns taken (still pending) transactions to the front, in their order: their
    /// proposal failed.
    pub fn return_front(&mut self, txs: Vec<SignedTransfer>) {
        for tx in txs.into_iter().rev() {
            self.queue.push_front(tx);
        }
    }

    /// Re-queues finished (included) transactions at the front, in their order: their
    /// checkpoint was pruned or reorged out.
    pub fn requeue_included(&mut self, txs: Vec<SignedTransfer>) {
        for tx in &txs {
            *self.pending_by_sender.entry(tx.transfer.from).or_default() += 1;
            self.set_status(tx.hash(), TxStatus::Pending);
        }
        self.return_front(txs);
    }

    /// Marks a taken transaction included or dropped; it no longer counts as pending.
    pub fn finish(&mut self, tx: &SignedTransfer, status: TxStatus) {
        self.decrement(tx.transfer.from);
        self.set_status(tx.hash(), status);
    }

    fn decrement(&mut self, sender: AccountIndex) {
        if let Some(count) = self.pending_by_sender.get_mut(&sender) {
            *count -= 1;
            if *count == 0 {
                self.pending_by_sender.remove(&sender);
            }
        }
    }

    fn set_status(&mut self, hash: B256, status: TxStatus) {
        if self.receipts.insert(hash, status).is_none() {
            self.receipt_order.push_back(hash);
            if self.receipt_order.len() > MAX_RECEIPTS
                && let Some(old) = self.receipt_order.pop_front()
            {
                self.receipts.remove(&old);
            }
        }
    }

    /// A transaction's status.
    pub fn status(&self, hash: &B256) -> Option<TxStatus> {
        self.receipts.get(hash).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::local::PrivateKeySigner;
    use vouch_rollup::tx::Transfer;

    fn tx(nonce: u32) -> SignedTransfer {
        Transfer {
            from: AccountIndex(1),
            to: AccountIndex(2),
            amount: 1,
            fee: 0,
            nonce,
        }
        .sign(&PrivateKeySigner::from_bytes(&[7u8; 32].into()).unwrap(), 1)
    }

    #[test]
    fn taken_transactions_stay_pending_until_finished() {
        let mut pool = Mempool::default();
        pool.push(tx(0));
        pool.push(tx(1));
        let a = pool.take_one().unwrap();
        assert_eq!(
            pool.pending_of(AccountIndex(1)),
            2,
            "in flight still counts"
        );
        pool.finish(
            &a,
            TxStatus::Included {
                checkpoint: 1,
                block: 1,
            },
        );
        assert_eq!(pool.pending_of(AccountIndex(1)), 1);
        let b = pool.take_one().unwrap();
        pool.return_front(vec![b]);
        assert_eq!(pool.pending_of(AccountIndex(1)), 1);
        assert_eq!(pool.len(), 1);
        pool.requeue_included(vec![a]);
        assert_eq!(pool.pending_of(AccountIndex(1)), 2);
        assert_eq!(pool.take_one().unwrap(), a, "re-queued in front, in order");
        assert_eq!(pool.status(&a.hash()), Some(TxStatus::Pending));
    }
}
