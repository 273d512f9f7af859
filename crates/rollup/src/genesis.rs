//! The genesis state: funded accounts at indices 0, 1, 2, … committed as version 0.

use crate::account::{Account, AccountIndex};
use crate::checkpoint::genesis_archive;
use crate::hash::Digest;
use crate::state::{StateError, StateOverlay, VersionedStore};
use alloy::primitives::{Address, B256, keccak256};
use alloy::signers::local::PrivateKeySigner;

/// Accounts funded at genesis, in index order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Genesis {
    /// `(owner, balance in gwei)`; owners must be distinct and non-zero.
    pub accounts: Vec<(Address, u64)>,
}

/// The committed genesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenesisRoots {
    /// State root of checkpoint 0.
    pub state_root: Digest,
    /// Archive of checkpoint 0.
    pub archive: Digest,
}

impl Genesis {
    /// Writes the genesis state as version 0 into an empty store.
    pub fn commit<S: VersionedStore>(&self, store: &S) -> Result<GenesisRoots, StateError> {
        let mut state = StateOverlay::new(store, None);
        let roots = self.apply(&mut state)?;
        state.commit(0)?;
        Ok(roots)
    }

    /// Applies the genesis accounts to an empty overlay.
    pub fn apply<S: VersionedStore>(
        &self,
        state: &mut StateOverlay<'_, S>,
    ) -> Result<GenesisRoots, StateError> {
        for (owner, balance) in &self.accounts {
            let index = state.create_index(*owner)?;
            state.set_account(
                index,
                Account {
                    owner: *owner,
                    balance: *balance,
                    nonce: 0,
                },
            )?;
        }
        let state_root = state.root()?;
        Ok(GenesisRoots {
            state_root,
            archive: genesis_archive(&state_root),
        })
    }

    /// Roots without a store (an in-memory computation).
    pub fn roots(&self) -> GenesisRoots {
        let store = crate::state::MemoryStore::default();
        let mut state = StateOverlay::new(&store, None);
        self.apply(&mut state)
            .expect("in-memory store does not fail")
    }
}

/// Deterministic devnet keys: `keccak256("vouch-devnet" ‖ seed ‖ i)`. Never use on a real network.
pub fn devnet_signer(seed: u64, i: u32) -> PrivateKeySigner {
    let mut msg = b"vouch-devnet".to_vec();
    msg.extend_from_slice(&seed.to_be_bytes());
    msg.extend_from_slice(&i.to_be_bytes());
    let key: B256 = keccak256(msg);
    PrivateKeySigner::from_bytes(&key)
        .expect("a keccak output is a valid key with overwhelming probability")
}

/// The devnet genesis: account 0 is the sequencer's fee account (owned by `fee_owner`),
/// accounts 1..=n are the load generator's, each funded with `balance`.
pub fn devnet_genesis(fee_owner: Address, seed: u64, n: u32, balance: u64) -> Genesis {
    let mut accounts = vec![(fee_owner, 0)];
    accounts.extend((0..n).map(|i| (devnet_signer(seed, i).address(), balance)));
    Genesis { accounts }
}

/// Index of the devnet load account `i` (0-based) in [`devnet_genesis`].
pub fn devnet_account_index(i: u32) -> AccountIndex {
    AccountIndex(i + 1)
}
