//! Driving the `Rollup` contract directly (no sequencer): deploy, propose checkpoints at chosen
//! slots, prove epochs with the mock verifier. For follower/archiver tests and benches that
//! need exact control over which L1 block holds what.

use crate::{AnvilProcess, L1Control};
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, Bytes, keccak256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use std::time::Duration;
use vouch_l1_contracts::bindings::Rollup::{self, CheckpointHeader};
use vouch_l1_contracts::deploy::{Deployment, RollupDeployConfig, VerifierChoice, deploy_rollup};
use vouch_primitives::{L1RollupConstants, Slot};
use vouch_rollup::AccountIndex;
use vouch_rollup::checkpoint::{BlockBody, CheckpointBody};

/// A rollup on anvil with dev account 0 as owner and sequencer, verified by the mock.
pub struct DirectProposer {
    /// Provider (dev account 0, simple nonces so reorgs and reverts do not wedge it).
    pub provider: DynProvider,
    /// anvil control.
    pub control: L1Control<DynProvider>,
    /// The deployment.
    pub deployment: Deployment,
    /// Who sends (dev account 0): proposer and, in [`Self::prove`], the credited prover.
    pub sender: Address,
}

/// The smallest valid calldata: one empty block.
pub fn empty_checkpoint_data() -> Bytes {
    Bytes::from(
        CheckpointBody {
            fee_account: AccountIndex(0),
            blocks: vec![BlockBody::default()],
        }
        .encode(),
    )
}

impl DirectProposer {
    fn provider(anvil: &AnvilProcess) -> DynProvider {
        ProviderBuilder::new()
            .with_simple_nonce_management()
            .wallet(EthereumWallet::from(anvil.dev_signer(0)))
            .connect_http(anvil.http_url().parse().expect("anvil url"))
            .erased()
    }

    /// Drives an existing deployment (e.g. after anvil restarted from a state dump).
    pub fn attach(anvil: &AnvilProcess, deployment: Deployment) -> Self {
        let provider = Self::provider(anvil);
        Self {
            control: L1Control::new(provider.clone()),
            sender: anvil.dev_address(0),
            provider,
            deployment,
        }
    }

    /// Deploys a fresh rollup on `anvil` with genesis at the latest block's timestamp + 1.
    pub async fn deploy(
        anvil: &AnvilProcess,
        slot_duration: u64,
        epoch_duration: u64,
        proof_submission_epochs: u64,
    ) -> Self {
        let provider = Self::provider(anvil);
        let latest = provider
            .get_block_by_number(Default::default())
            .await
            .expect("rpc")
            .expect("latest block");
        let deployment = deploy_rollup(
            &provider,
            &RollupDeployConfig {
                genesis_time: Some(latest.header.timestamp + 1),
                slot_duration,
                epoch_duration,
                proof_submission_epochs,
                genesis_archive: B256::ZERO,
                genesis_state_root: B256::ZERO,
                sequencers: vec![anvil.dev_address(0)],
                verifier: VerifierChoice::InsecureMock,
            },
        )
        .await
        .expect("deploy rollup");
        Self {
            control: L1Control::new(provider.clone()),
            sender: anvil.dev_address(0),
            provider,
            deployment,
        }
    }

    /// The rollup's constants.
    pub fn constants(&self) -> L1RollupConstants {
        self.deployment.constants
    }

    /// Binding of the rollup.
    pub fn rollup(&self) -> Rollup::RollupInstance<&DynProvider> {
        Rollup::new(self.deployment.rollup, &self.provider)
    }

    /// Rollup address.
    pub fn address(&self) -> Address {
        self.deployment.rollup
    }

    /// Proposes the next checkpoint in `slot` (its start must be later than the latest block),
    /// mined alone in a block at the slot's start. `tag` varies the archive so replacements
    /// differ. Returns the header.
    pub async fn propose_at(&self, slot: u64, tag: u8) -> CheckpointHeader {
        let rollup = self.rollup();
        let pending = rollup
            .pendingCheckpointNumber()
            .call()
            .await
            .expect("pending");
        let c = self.constants();
        let start = c.slot_start_timestamp(Slot(slot)).expect("slot start");
        // The implicit prune runs inside propose; build on the tip it will leave. Expiry only
        // grows with the slot, so checking it at the proposal's slot covers `canPrune` now.
        let proven = rollup
            .provenCheckpointNumber()
            .call()
            .await
            .expect("proven");
        let will_prune = pending > proven && {
            let oldest = rollup
                .checkpoint(proven + 1)
                .call()
                .await
                .expect("checkpoint")
                .slot;
            c.is_epoch_expired(c.epoch_at_slot(Slot(oldest)), Slot(slot))
        };
        let parent = if will_prune { proven } else { pending };
        let parent_archive = rollup
            .checkpoint(parent)
            .call()
            .await
            .expect("parent")
            .archive;
        let number = parent + 1;
        let mut header = CheckpointHeader {
            number,
            slot,
            timestamp: start,
            previousArchive: parent_archive,
            archive: keccak256([&[tag][..], &number.to_be_bytes()].concat()),
            stateRoot: keccak256(number.to_be_bytes()),
            txCommitment: B256::ZERO,
            depositStart: rollup.nextDepositToConsume().call().await.expect("cursor"),
            depositCount: 0,
            blockCount: 1,
            dataEvaluation: B256::ZERO,
        };
        // Not a real checkpoint, so the contract computes the evaluation it will check.
        header.dataEvaluation = rollup
            .dataEvaluation(header.clone(), empty_checkpoint_data())
            .call()
            .await
            .expect("data evaluation");
        self.control
            .set_next_block_timestamp(start)
            .await
            .expect("set timestamp");
        let receipt = rollup
            .propose(header.clone(), empty_checkpoint_data())
            .gas(1_000_000)
            .send()
            .await
            .expect("send propose")
            .with_timeout(Some(Duration::from_secs(30)))
            .get_receipt()
            .await
            .expect("propose receipt");
        assert!(
            receipt.status(),
            "propose of checkpoint {number} at slot {slot} reverted"
        );
        header
    }

    /// Proves `from..=to` of `epoch` with the mock verifier, mined at `timestamp`.
    pub async fn prove(&self, epoch: u64, from: u64, to: u64, timestamp: u64) {
        let rollup = self.rollup();
        let public_values = rollup
            .epochPublicValues(epoch, from, to, self.sender)
            .call()
            .await
            .expect("public values");
        self.control
            .set_next_block_timestamp(timestamp)
            .await
            .expect("set timestamp");
        let receipt = rollup
            .submitEpochProof(epoch, from, to, public_values, Bytes::from_static(b"mock"))
            .gas(1_000_000)
            .send()
            .await
            .expect("send proof")
            .with_timeout(Some(Duration::from_secs(30)))
            .get_receipt()
            .await
            .expect("proof receipt");
        assert!(receipt.status(), "proof of epoch {epoch} reverted");
    }
}
