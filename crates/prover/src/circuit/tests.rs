use super::*;
use crate::fixture::{FixtureSpec, build};
use p3_air::check_constraints;

fn small(checkpoints: usize) -> FixtureSpec {
    FixtureSpec {
        accounts: 6,
        checkpoints,
        blocks: 2,
        transfers_per_block: 3,
        deposits_per_block: 2,
        seed: 42,
        vary: false,
    }
}

#[test]
fn valid_checkpoints_satisfy_every_constraint() {
    let fixture = build(small(2));
    let (trace, pv) =
        generate_trace(&fixture.checkpoints, &alloy::primitives::Address::ZERO).unwrap();
    check_constraints(&TransitionAir, &trace, &pv);
}

/// Block shapes the devnet produces all the time: empty blocks, deposit-only blocks, blocks
/// without fees, several blocks and checkpoints in one trace.
#[test]
fn every_block_shape_satisfies_the_constraints() {
    let mut seen = std::collections::HashSet::new();
    for seed in 1..=12 {
        let fixture = build(FixtureSpec {
            accounts: 5,
            checkpoints: 3,
            blocks: 3,
            transfers_per_block: 2,
            deposits_per_block: 2,
            seed,
            vary: true,
        });
        crate::proof::check_witnesses(&fixture.checkpoints)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for block in fixture.checkpoints.iter().flat_map(|c| &c.body.blocks) {
            seen.insert((block.deposit_count > 0, !block.txs.is_empty()));
        }
    }
    // Empty, deposit-only, transfer-only and mixed blocks all occurred.
    assert_eq!(seen.len(), 4, "{seen:?}");
}

mod rules {
    use crate::circuit::CheckpointWitness;
    use crate::config::leaf_config;
    use crate::fixture::{FixtureSpec, build};
    use crate::proof::*;
    use p3_field::PrimeCharacteristicRing;
    use vouch_rollup::checkpoint::StepWitness;
    use vouch_rollup::hash::Digest;

    fn one() -> CheckpointWitness {
        build(FixtureSpec {
            accounts: 4,
            checkpoints: 1,
            blocks: 1,
            transfers_per_block: 2,
            deposits_per_block: 1,
            seed: 5,
            vary: false,
        })
        .checkpoints
        .remove(0)
    }

    /// A prover that runs on `w` as given: either it refuses, or its proof does not verify
    /// against the public values its own trace reached.
    fn rejected(w: &CheckpointWitness) -> bool {
        let config = leaf_config();
        let w = std::slice::from_ref(w);
        let refused = match prove_trace(&config, w, &alloy::primitives::Address::ZERO) {
            Err(_) => true,
            Ok((proof, pv)) => verify_trace(&config, &proof, &pv).is_err(),
        };
        // The constraint check names the violation; it must agree with the verifier.
        assert_eq!(refused, check_witnesses(w).is_err());
        refused
    }

    fn first_transfer(w: &mut CheckpointWitness) -> &mut vouch_rollup::stf::TransferWitness {
        w.execution
            .witnesses
            .iter_mut()
            .find_map(|s| match s {
                StepWitness::Transfer(t) => Some(t.as_mut()),
                _ => None,
            })
            .expect("a transfer")
    }

    fn set_transfer(w: &mut CheckpointWitness, f: impl Fn(&mut vouch_rollup::tx::Transfer)) {
        f(&mut first_transfer(w).transfer);
        f(&mut w.body.blocks[0].txs[0].transfer);
    }

    #[test]
    fn the_honest_witness_is_accepted() {
        assert!(!rejected(&one()));
    }

    #[test]
    fn overdraft_is_rejected() {
        let mut w = one();
        let balance = first_transfer(&mut w).sender_before.balance;
        set_transfer(&mut w, |t| t.amount = balance - t.fee + 1);
        assert!(rejected(&w));
    }

    #[test]
    fn wrong_nonce_is_rejected() {
        let mut w = one();
        set_transfer(&mut w, |t| t.nonce += 1);
        assert!(rejected(&w));
    }

    #[test]
    fn wrong_sibling_is_rejected() {
        let mut w = one();
        first_transfer(&mut w).sender_path.siblings[5].0[0] += vouch_rollup::F::ONE;
        assert!(rejected(&w));
    }

    #[test]
    fn reordered_transactions_are_rejected() {
        let mut w = one();
        let steps = &mut w.execution.witnesses;
        let (i, j) = {
            let mut it = steps
                .iter()
                .enumerate()
                .filter(|(_, s)| matches!(s, StepWitness::Transfer(_)))
                .map(|(i, _)| i);
            (it.next().unwrap(), it.next().unwrap())
        };
        steps.swap(i, j);
        w.body.blocks[0].txs.swap(0, 1);
        assert!(rejected(&w));
    }

    #[test]
    fn statements_bind_roots_and_tx_commitment() {
        let w = one();
        let proof = prove_checkpoint(&w).unwrap();
        let honest = CheckpointStatement::of(&w);
        verify_checkpoint(&honest, &proof).unwrap();
        let mut other = Digest::ZERO;
        other.0[3] = vouch_rollup::F::ONE;
        for tamper in [
            |s: &mut CheckpointStatement, d| s.checkpoint.state_root = d,
            |s: &mut CheckpointStatement, d| s.checkpoint.tx_commitment = d,
            |s: &mut CheckpointStatement, d| s.checkpoint.archive = d,
            |s: &mut CheckpointStatement, d| s.pre_state_root = d,
            |s: &mut CheckpointStatement, d| s.previous_archive = d,
        ] {
            let mut s = honest;
            tamper(&mut s, other);
            assert!(matches!(
                verify_checkpoint(&s, &proof),
                Err(ProofError::Rejected(_))
            ));
        }
    }

    #[test]
    fn flipped_proof_bytes_are_rejected() {
        let w = one();
        let proof = prove_checkpoint(&w).unwrap();
        let statement = CheckpointStatement::of(&w);
        // Every byte of the head (lengths, commitments) and an even spread over the rest.
        let stride = (proof.len() / 256).max(1);
        let positions = (0..proof.len().min(128)).chain((128..proof.len()).step_by(stride));
        for at in positions {
            let mut bad = proof.clone();
            bad[at] ^= 0x01;
            assert!(
                verify_checkpoint(&statement, &bad).is_err(),
                "flip at byte {at} of {}",
                proof.len()
            );
        }
    }

    #[test]
    fn truncated_and_garbage_proofs_are_errors_not_panics() {
        let w = one();
        let proof = prove_checkpoint(&w).unwrap();
        let statement = CheckpointStatement::of(&w);
        for cut in [0, 1, 7, 100, proof.len() / 2, proof.len() - 1] {
            assert!(
                verify_checkpoint(&statement, &proof[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = proof.clone();
        longer.push(0);
        assert!(
            verify_checkpoint(&statement, &longer).is_err(),
            "trailing byte"
        );
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in [3, 64, 4096, proof.len()] {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            assert!(
                verify_checkpoint(&statement, &garbage).is_err(),
                "garbage of {len} bytes"
            );
        }
    }
}
