use super::*;
use crate::kv::MemoryKv;
use alloy::primitives::{Address, Bytes};

fn constants() -> L1RollupConstants {
    L1RollupConstants {
        l1_start_block: 0,
        genesis_time: 0,
        slot_duration: 12,
        epoch_duration: 4,
        proof_submission_epochs: 1,
    }
}

fn cp(n: u64, slot: u64, tag: u8) -> RollupEvent {
    RollupEvent::Proposed(Box::new(ArchivedCheckpoint {
        number: CheckpointNumber(n),
        slot: Slot(slot),
        header_hash: B256::repeat_byte(tag),
        archive: B256::repeat_byte(tag),
        previous_archive: B256::ZERO,
        state_root: B256::ZERO,
        tx_commitment: B256::ZERO,
        timestamp: slot * 12,
        deposit_start: 0,
        deposit_count: 0,
        block_count: 1,
        data_evaluation: B256::ZERO,
        tx_data: Bytes::new(),
        l1_block: 0,
        l1_block_hash: B256::ZERO,
        l1_tx: B256::ZERO,
    }))
}

fn block(number: u64, events: Vec<RollupEvent>) -> L1BlockEvents {
    L1BlockEvents {
        number,
        hash: B256::with_last_byte(number as u8),
        events,
    }
}

fn tip(n: u64) -> (u64, B256, u64) {
    (n, B256::with_last_byte(n as u8), n * 12)
}

#[test]
fn unwind_restores_exactly_what_reorged_blocks_changed() {
    let archive = Archive::new(Arc::new(MemoryKv::default()), constants());
    archive
        .apply(
            &[block(1, vec![cp(1, 0, 1)]), block(2, vec![cp(2, 1, 2)])],
            tip(3),
            None,
        )
        .unwrap();
    archive
        .apply(
            &[
                block(
                    5,
                    vec![RollupEvent::Pruned {
                        proven: CheckpointNumber(0),
                    }],
                ),
                block(6, vec![cp(1, 9, 9)]),
            ],
            tip(7),
            None,
        )
        .unwrap();
    assert_eq!(archive.tips().unwrap().pending, CheckpointNumber(1));
    assert_eq!(
        archive
            .checkpoint(CheckpointNumber(1))
            .unwrap()
            .unwrap()
            .header_hash,
        B256::repeat_byte(9)
    );
    assert_eq!(archive.checkpoint(CheckpointNumber(2)).unwrap(), None);

    // A reorg back to block 4 removes the prune and the replacement: the originals return.
    archive.unwind_to(4).unwrap();
    let tips = archive.tips().unwrap();
    assert_eq!(tips.pending, CheckpointNumber(2));
    assert_eq!(tips.synced_l1_block, Some(3));
    assert_eq!(
        archive
            .checkpoint(CheckpointNumber(1))
            .unwrap()
            .unwrap()
            .header_hash,
        B256::repeat_byte(1)
    );
    assert!(archive.checkpoint(CheckpointNumber(2)).unwrap().is_some());

    // Unwinding inside a batch keeps the batch's earlier blocks.
    archive.unwind_to(1).unwrap();
    assert_eq!(archive.tips().unwrap().pending, CheckpointNumber(1));
    assert_eq!(archive.tips().unwrap().synced_l1_block, Some(1));
    archive.unwind_to(0).unwrap();
    assert_eq!(archive.tips().unwrap(), ChainTips::default());
}

#[test]
fn proven_tip_moves_back_when_its_proof_is_reorged_out() {
    let archive = Archive::new(Arc::new(MemoryKv::default()), constants());
    let proof = ArchivedProof {
        epoch: EpochNumber(0),
        from: CheckpointNumber(1),
        to: CheckpointNumber(2),
        prover: Address::ZERO,
        l1_block: 4,
    };
    archive
        .apply(
            &[
                block(1, vec![cp(1, 0, 1), cp(2, 1, 2)]),
                block(4, vec![RollupEvent::Proven(proof)]),
            ],
            tip(4),
            Some(4),
        )
        .unwrap();
    assert_eq!(archive.tips().unwrap().proven, CheckpointNumber(2));
    assert_eq!(archive.tips().unwrap().finalized, CheckpointNumber(2));
    archive.unwind_to(3).unwrap();
    assert_eq!(archive.tips().unwrap().proven, CheckpointNumber(0));
    assert_eq!(
        archive.checkpoints_of_epoch(EpochNumber(0)).unwrap().len(),
        2
    );
}

#[test]
fn out_of_order_blocks_are_refused() {
    let archive = Archive::new(Arc::new(MemoryKv::default()), constants());
    archive.apply(&[], tip(5), None).unwrap();
    assert!(matches!(
        archive.apply(&[block(5, vec![])], tip(6), None),
        Err(ArchiveError::OutOfOrder { .. })
    ));
}

#[test]
fn corrupt_entries_are_errors() {
    let kv = Arc::new(MemoryKv::default());
    let archive = Archive::new(kv.clone(), constants());
    kv.write(vec![(
        ARCHIVE,
        keys::checkpoint(1),
        Some(b"{not json".to_vec()),
    )])
    .unwrap();
    assert!(matches!(
        archive.checkpoint(CheckpointNumber(1)),
        Err(ArchiveError::Corrupt(_))
    ));
    kv.write(vec![(ARCHIVE, keys::PENDING.to_vec(), Some(vec![1, 2]))])
        .unwrap();
    assert!(matches!(archive.tips(), Err(ArchiveError::Corrupt(_))));
}

#[test]
fn checkpoints_of_an_epoch_match_a_full_scan_for_gappy_slots() {
    let archive = Archive::new(Arc::new(MemoryKv::default()), constants());
    // Slots with gaps: some epochs empty, some full, one checkpoint in others.
    let slots = [0u64, 1, 2, 3, 4, 9, 10, 11, 13, 20, 21, 22, 23, 24, 29, 33];
    let blocks: Vec<_> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| block(i as u64 + 1, vec![cp(i as u64 + 1, *s, i as u8 + 1)]))
        .collect();
    archive
        .apply(&blocks, tip(slots.len() as u64 + 1), None)
        .unwrap();
    for epoch in 0..10u64 {
        let expected: Vec<u64> = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| **s / 4 == epoch)
            .map(|(i, _)| i as u64 + 1)
            .collect();
        let got: Vec<u64> = archive
            .checkpoints_of_epoch(EpochNumber(epoch))
            .unwrap()
            .iter()
            .map(|c| c.number.get())
            .collect();
        assert_eq!(got, expected, "epoch {epoch}");
    }
    assert!(
        Archive::new(Arc::new(MemoryKv::default()), constants())
            .checkpoints_of_epoch(EpochNumber(0))
            .unwrap()
            .is_empty()
    );
}
