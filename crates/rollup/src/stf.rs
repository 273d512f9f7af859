//! The state transition function.
//!
//! Rules, checked before anything is written (an invalid transaction leaves the state as it
//! was, so the sequencer can drop it and go on):
//! * transfer: the signature recovers to the sender account's owner; sender and recipient
//!   exist and differ; `nonce` equals the sender's nonce (which then increments, up to
//!   [`MAX_NONCE`]); `balance ≥ amount + fee` without overflow; the recipient's balance does not
//!   overflow. Fees accumulate per block and are credited to the checkpoint's fee account at
//!   the block's end.
//! * deposit: applied at the start of its block in queue order; credits the recipient's account,
//!   creating it at the next free index on its first deposit.
//!
//! Every applied step returns its witness: the touched leaves before the change and their
//! sibling paths, which is what the circuit re-checks with Poseidon2.

use crate::account::{Account, AccountIndex, MAX_NONCE};
use crate::hash::Digest;
use crate::state::{MerklePath, StateError, StateOverlay, VersionedStore};
use crate::tx::{Deposit, SignedTransfer, Transfer};
use alloy::primitives::Address;

/// Why a transaction is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The signature does not recover to any address.
    #[error("invalid signature")]
    BadSignature,
    /// The signature recovers to someone other than the sender's owner.
    #[error("signed by {signer}, but {account} is owned by {owner}")]
    NotOwner {
        /// The account.
        account: AccountIndex,
        /// Its owner.
        owner: Address,
        /// Who signed.
        signer: Address,
    },
    /// No account at that index.
    #[error("{0} does not exist")]
    UnknownAccount(AccountIndex),
    /// Sender and recipient are the same account.
    #[error("transfer from {0} to itself")]
    SelfTransfer(AccountIndex),
    /// Replayed or future nonce.
    #[error("nonce {got} but the account's nonce is {expected}")]
    WrongNonce {
        /// The account's nonce.
        expected: u32,
        /// The transaction's nonce.
        got: u32,
    },
    /// The sender's nonce reached [`MAX_NONCE`].
    #[error("the sender's nonce is exhausted")]
    NonceExhausted,
    /// `balance < amount + fee`.
    #[error("balance {balance} is below amount + fee = {needed}")]
    InsufficientBalance {
        /// Sender balance.
        balance: u64,
        /// amount + fee (saturated).
        needed: u64,
    },
    /// A balance would exceed `u64`.
    #[error("balance of {0} would overflow")]
    BalanceOverflow(AccountIndex),
}

/// Why a block or checkpoint cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum StfError {
    /// An invalid transaction: the checkpoint is unprovable.
    #[error("block {block}, transaction {position}: {error}")]
    InvalidTransaction {
        /// Block position in the checkpoint.
        block: usize,
        /// Transaction position in the block.
        position: usize,
        /// What is wrong.
        error: TxError,
    },
    /// The fee account does not exist or would overflow.
    #[error("fee account: {0}")]
    FeeAccount(TxError),
    /// The deposit would overflow the recipient's balance.
    #[error("deposit {queue_index}: {error}")]
    InvalidDeposit {
        /// Queue index.
        queue_index: u64,
        /// What is wrong.
        error: TxError,
    },
    /// Storage failed.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Witness of one applied transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferWitness {
    /// The transfer.
    pub transfer: Transfer,
    /// Root before the transfer.
    pub root_before: Digest,
    /// Sender leaf before.
    pub sender_before: Account,
    /// Sender path (before and after the sender update).
    pub sender_path: MerklePath,
    /// Recipient leaf before (after the sender update).
    pub recipient_before: Account,
    /// Recipient path after the sender update.
    pub recipient_path: MerklePath,
    /// Root after the transfer.
    pub root_after: Digest,
}

/// Witness of one applied deposit or fee credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditWitness {
    /// The credited account.
    pub index: AccountIndex,
    /// Its leaf before (empty when the deposit created it).
    pub before: Account,
    /// Its path.
    pub path: MerklePath,
    /// Gwei credited.
    pub amount: u64,
    /// Root before.
    pub root_before: Digest,
    /// Root after.
    pub root_after: Digest,
}

/// Checks a transfer against the state without changing it; returns the updated leaves.
pub fn check_transfer<S: VersionedStore>(
    state: &StateOverlay<'_, S>,
    tx: &SignedTransfer,
    chain_id: u64,
) -> Result<(Account, Account), StfError> {
    check_transfer_inner(state, tx, chain_id).map_err(|e| match e {
        Checked::Tx(error) => StfError::InvalidTransaction {
            block: 0,
            position: 0,
            error,
        },
        Checked::State(e) => StfError::State(e),
    })
}

enum Checked {
    Tx(TxError),
    State(StateError),
}

impl From<StateError> for Checked {
    fn from(e: StateError) -> Self {
        Checked::State(e)
    }
}

fn check_transfer_inner<S: VersionedStore>(
    state: &StateOverlay<'_, S>,
    tx: &SignedTransfer,
    chain_id: u64,
) -> Result<(Account, Account), Checked> {
    let t = &tx.transfer;
    if t.from == t.to {
        return Err(Checked::Tx(TxError::SelfTransfer(t.from)));
    }
    let sender = state.account(t.from)?;
    if sender.is_empty() {
        return Err(Checked::Tx(TxError::UnknownAccount(t.from)));
    }
    let recipient = state.account(t.to)?;
    if recipient.is_empty() {
        return Err(Checked::Tx(TxError::UnknownAccount(t.to)));
    }
    let signer = tx
        .recover_signer(chain_id)
        .ok_or(Checked::Tx(TxError::BadSignature))?;
    if signer != sender.owner {
        return Err(Checked::Tx(TxError::NotOwner {
            account: t.from,
            owner: sender.owner,
            signer,
        }));
    }
    if t.nonce != sender.nonce {
        return Err(Checked::Tx(TxError::WrongNonce {
            expected: sender.nonce,
            got: t.nonce,
        }));
    }
    if sender.nonce >= MAX_NONCE {
        return Err(Checked::Tx(TxError::NonceExhausted));
    }
    let needed = t.amount.checked_add(t.fee);
    match needed {
        Some(needed) if needed <= sender.balance => {}
        _ => {
            return Err(Checked::Tx(TxError::InsufficientBalance {
                balance: sender.balance,
                needed: needed.unwrap_or(u64::MAX),
            }));
        }
    }
    let new_recipient_balance = recipient
        .balance
        .checked_add(t.amount)
        .ok_or(Checked::Tx(TxError::BalanceOverflow(t.to)))?;
    let sender_after = Account {
        balance: sender.balance - t.amount - t.fee,
        nonce: sender.nonce + 1,
        ..sender
    };
    let recipient_after = Account {
        balance: new_recipient_balance,
        ..recipient
    };
    Ok((sender_after, recipient_after))
}

/// Validates and applies a transfer; on error nothing changed.
pub fn apply_transfer<S: VersionedStore>(
    state: &mut StateOverlay<'_, S>,
    tx: &SignedTransfer,
    chain_id: u64,
) -> Result<TransferWitness, StfError> {
    let (sender_after, recipient_after) = check_transfer(state, tx, chain_id)?;
    let t = tx.transfer;
    let root_before = state.root()?;
    let sender_before = state.account(t.from)?;
    let sender_path = state.set_account(t.from, sender_after)?;
    let recipient_before = state.account(t.to)?;
    let recipient_path = state.set_account(t.to, recipient_after)?;
    Ok(TransferWitness {
        transfer: t,
        root_before,
        sender_before,
        sender_path,
        recipient_before,
        recipient_path,
        root_after: state.root()?,
    })
}

/// Credits `amount` to the account of `index` (which must exist or be created by the caller).
fn credit<S: VersionedStore>(
    state: &mut StateOverlay<'_, S>,
    index: AccountIndex,
    owner: Address,
    amount: u64,
) -> Result<CreditWitness, Checked> {
    let root_before = state.root()?;
    let before = state.account(index)?;
    let balance = before
        .balance
        .checked_add(amount)
        .ok_or(Checked::Tx(TxError::BalanceOverflow(index)))?;
    let after = Account {
        owner,
        balance,
        nonce: before.nonce,
    };
    let path = state.set_account(index, after)?;
    Ok(CreditWitness {
        index,
        before,
        path,
        amount,
        root_before,
        root_after: state.root()?,
    })
}

/// Applies an L1 deposit, creating the recipient's account on its first deposit.
pub fn apply_deposit<S: VersionedStore>(
    state: &mut StateOverlay<'_, S>,
    deposit: &Deposit,
) -> Result<CreditWitness, StfError> {
    let existing = state.index_of(&deposit.recipient)?;
    if let Some(index) = existing {
        let current = state.account(index)?;
        if current.balance.checked_add(deposit.amount).is_none() {
            return Err(StfError::InvalidDeposit {
                queue_index: deposit.queue_index,
                error: TxError::BalanceOverflow(index),
            });
        }
    }
    let index = match existing {
        Some(index) => index,
        None => state.create_index(deposit.recipient)?,
    };
    credit(state, index, deposit.recipient, deposit.amount).map_err(|e| match e {
        Checked::Tx(error) => StfError::InvalidDeposit {
            queue_index: deposit.queue_index,
            error,
        },
        Checked::State(e) => StfError::State(e),
    })
}

/// Credits a block's accumulated fees to the fee account.
pub fn credit_fees<S: VersionedStore>(
    state: &mut StateOverlay<'_, S>,
    fee_account: AccountIndex,
    fees: u64,
) -> Result<CreditWitness, StfError> {
    let current = state.account(fee_account)?;
    if current.is_empty() {
        return Err(StfError::FeeAccount(TxError::UnknownAccount(fee_account)));
    }
    credit(state, fee_account, current.owner, fees).map_err(|e| match e {
        Checked::Tx(error) => StfError::FeeAccount(error),
        Checked::State(e) => StfError::State(e),
    })
}

#[cfg(test)]
mod tests;
