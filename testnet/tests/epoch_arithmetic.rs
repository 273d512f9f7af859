//! Differential test: the Rust slot/epoch helpers against the deployed `Rollup`'s views on a
//! live anvil, for rollups with odd parameters and many inputs.

use alloy::network::EthereumWallet;
use alloy::primitives::{B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use vouch_l1_contracts::bindings::Rollup;
use vouch_l1_contracts::deploy::{RollupDeployConfig, VerifierChoice, deploy_rollup};
use vouch_l1_contracts::read_rollup_constants;
use vouch_primitives::{EpochNumber, Slot};
use vouch_testnet::{AnvilConfig, AnvilProcess, L1Control};

/// splitmix64: a deterministic input stream without a rand dependency.
struct Inputs(u64);
impl Inputs {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_epoch_helpers_match_rollup_views() {
    let anvil = AnvilProcess::spawn(&AnvilConfig::default()).expect("start anvil");
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(anvil.dev_signer(0)))
        .connect_http(anvil.http_url().parse().unwrap());
    let control = L1Control::new(provider.clone());
    let mut inputs = Inputs(0x5EED);

    // (genesis offset from now, slot duration, epoch duration, proof-submission epochs)
    let configs = [
        (17u64, 7u64, 5u64, 3u64),
        (1, 1, 1, 0),
        (12_345, 13, 32, 1),
        (3, 97, 3, 7),
    ];
    for (genesis_offset, slot_duration, epoch_duration, submission_epochs) in configs {
        let now = provider
            .get_block_by_number(Default::default())
            .await
            .unwrap()
            .unwrap();
        let genesis_time = now.header.timestamp + genesis_offset;
        let deployment = deploy_rollup(
            &provider,
            &RollupDeployConfig {
                genesis_time: Some(genesis_time),
                slot_duration,
                epoch_duration,
                proof_submission_epochs: submission_epochs,
                genesis_archive: B256::ZERO,
                genesis_state_root: B256::ZERO,
                sequencers: vec![],
                verifier: VerifierChoice::InsecureMock,
            },
        )
        .await
        .expect("deploy");
        let constants = read_rollup_constants(&provider, deployment.rollup, 0)
            .await
            .expect("read constants");
        assert_eq!(constants.genesis_time, genesis_time);
        assert_eq!(constants.slot_duration, slot_duration);
        let rollup = Rollup::new(deployment.rollup, &provider);

        for _ in 0..60 {
            let t = genesis_time + inputs.below(1 << 32);
            let slot = constants.slot_at_timestamp(t).unwrap();
            assert_eq!(
                rollup.slotAt(U256::from(t)).call().await.unwrap(),
                slot.get(),
                "slotAt({t})"
            );
            assert_eq!(
                rollup.slotStartTimestamp(slot.get()).call().await.unwrap(),
                U256::from(constants.slot_start_timestamp(slot).unwrap()),
                "slotStartTimestamp({slot})"
            );
            let epoch = constants.epoch_at_slot(slot);
            assert_eq!(
                rollup.epochAt(slot.get()).call().await.unwrap(),
                epoch.get(),
                "epochAt({slot})"
            );

            let e = EpochNumber(inputs.below(1 << 24));
            assert_eq!(
                rollup.firstSlotOfEpoch(e.get()).call().await.unwrap(),
                U256::from(constants.first_slot_of_epoch(e).unwrap().get()),
                "firstSlotOfEpoch({e})"
            );
            assert_eq!(
                rollup.lastSlotOfEpoch(e.get()).call().await.unwrap(),
                U256::from(constants.last_slot_of_epoch(e).unwrap().get()),
                "lastSlotOfEpoch({e})"
            );
            assert_eq!(
                rollup.proofDeadlineEpoch(e.get()).call().await.unwrap(),
                U256::from(constants.proof_submission_deadline_epoch(e).unwrap().get()),
                "proofDeadlineEpoch({e})"
            );
            assert_eq!(
                rollup.proofDeadlineTimestamp(e.get()).call().await.unwrap(),
                U256::from(constants.proof_submission_deadline_timestamp(e).unwrap()),
                "proofDeadlineTimestamp({e})"
            );
        }
        // Before genesis both sides refuse.
        assert_eq!(constants.slot_at_timestamp(genesis_time - 1), None);
        assert!(
            rollup
                .slotAt(U256::from(genesis_time - 1))
                .call()
                .await
                .is_err()
        );

        // The contract's notion of "now" agrees with the Rust one, including at slot edges.
        let mut t = genesis_time.max(now.header.timestamp + 1);
        for _ in 0..6 {
            t += 1 + inputs.below(3 * slot_duration);
            control.mine_at(t).await.unwrap();
            let expected: Slot = constants.slot_at_timestamp(t).unwrap();
            assert_eq!(
                rollup.currentSlot().call().await.unwrap(),
                expected.get(),
                "currentSlot at {t}"
            );
        }
        let next_slot_start = constants
            .slot_start_timestamp(Slot(constants.slot_at_timestamp(t).unwrap().get() + 1))
            .unwrap();
        control.mine_at(next_slot_start - 1).await.ok(); // may equal t when slots are 1 s long
        control.mine_at(next_slot_start).await.unwrap();
        assert_eq!(
            rollup.currentSlot().call().await.unwrap(),
            constants.slot_at_timestamp(next_slot_start).unwrap().get(),
            "first second of a slot"
        );
    }
}
