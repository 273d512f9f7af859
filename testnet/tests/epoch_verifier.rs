//! Differential test of the Solidity epoch verifier on anvil: epoch proofs of several sizes,
//! produced by the Rust prover, verify through `EpochVerifier` (`begin`, query batches,
//! `verify`) within Ethereum's per-transaction limits, and a flipped byte in each section of a
//! proof is rejected by both the Solidity and the Rust verifier.

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, keccak256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolValue};
use p3_uni_stark::Proof;
use std::time::Duration;
use vouch_l1_contracts::bindings::EpochVerifier;
use vouch_l1_contracts::statement::{epoch_public_values, l1_header};
use vouch_l1_contracts::verifier::to_verifier_header;
use vouch_prover::config::{EvmConfig, Val, evm_config};
use vouch_prover::evm::calldata::{self, DEFAULT_BATCH_BYTES, EpochCalldata};
use vouch_prover::fixture::{FixtureSpec, build};
use vouch_prover::proof::{prove_trace, verify_trace};
use vouch_testnet::{AnvilConfig, AnvilProcess};

/// EIP-7825: the most gas one transaction may use.
const MAX_TX_GAS: u64 = 1 << 24;
/// geth's transaction pool refuses transactions over 128 KiB.
const MAX_TX_BYTES: usize = 128 * 1024;
/// Room for everything in a signed transaction besides its calldata.
const TX_ENVELOPE_BYTES: usize = 300;

/// Who the standalone epochs name as their prover (anvil's account 0, the `begin` caller).
const PROVER: Address = alloy::primitives::address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

struct Epoch {
    proof: Vec<u8>,
    pv: [Val; vouch_prover::circuit::NUM_PUBLIC_VALUES],
    values: Vec<u8>,
    headers: Vec<EpochVerifier::CheckpointHeader>,
}

fn epoch(checkpoints: usize, transfers_per_block: usize, seed: u64) -> Epoch {
    let fx = build(FixtureSpec {
        accounts: 6,
        checkpoints,
        blocks: 2,
        transfers_per_block,
        deposits_per_block: 1,
        seed,
        vary: false,
    });
    let headers: Vec<_> = fx.checkpoints.iter().map(l1_header).collect();
    let values = epoch_public_values(1, &fx.checkpoints, PROVER).expect("headers");
    let (proof, pv) = prove_trace(&evm_config(), &fx.checkpoints, &PROVER).expect("prove");
    let headers = headers.iter().map(to_verifier_header).collect();
    Epoch {
        proof,
        pv,
        values: values.encode(),
        headers,
    }
}

struct Chain<P> {
    provider: P,
    verifier: Address,
    owner: Address,
}

/// What one transaction cost.
#[derive(Debug, Clone, Copy)]
struct TxCost {
    gas: u64,
    calldata: usize,
}

impl<P: Provider + Clone> Chain<P> {
    /// Sends `input` to the verifier; `Ok` with its cost when it succeeded, `Err` with the
    /// revert otherwise (checked with a call first, so nothing reverted is mined).
    async fn send(&self, input: Vec<u8>) -> Result<TxCost, String> {
        let calldata = input.len();
        let tx = TransactionRequest::default()
            .with_from(self.owner)
            .with_to(self.verifier)
            .with_input(Bytes::from(input))
            .with_gas_limit(30_000_000);
        self.provider
            .call(tx.clone())
            .await
            .map_err(|e| e.to_string())?;
        let receipt = self
            .provider
            .send_transaction(tx)
            .await
            .map_err(|e| e.to_string())?
            .with_timeout(Some(Duration::from_secs(120)))
            .get_receipt()
            .await
            .map_err(|e| e.to_string())?;
        if !receipt.status() {
            return Err("reverted".into());
        }
        Ok(TxCost {
            gas: receipt.gas_used,
            calldata,
        })
    }

    async fn begin(&self, e: &Epoch, proof: &[u8]) -> Result<TxCost, String> {
        self.send(
            EpochVerifier::beginCall {
                publicValues: e.values.clone().into(),
                headers: e.headers.clone(),
                proof: proof.to_vec().into(),
            }
            .abi_encode(),
        )
        .await
    }

    async fn batch(&self, session: B256, state: &[u8], batch: &[u8]) -> Result<TxCost, String> {
        self.send(
            EpochVerifier::verifyQueriesCall {
                session,
                state: state.to_vec().into(),
                batch: batch.to_vec().into(),
            }
            .abi_encode(),
        )
        .await
    }

    async fn accepts(&self, e: &Epoch, session: B256, trace_root: B256) -> bool {
        let v = EpochVerifier::new(self.verifier, self.provider.clone());
        v.verify(
            e.values.clone().into(),
            (session, trace_root).abi_encode_params().into(),
        )
        .from(self.owner)
        .call()
        .await
        .expect("verify call")
    }
}

/// anvil with the epoch verifier deployed; the anvil process lives as long as the first value.
async fn setup() -> (AnvilProcess, Chain<impl Provider + Clone>) {
    let anvil = AnvilProcess::spawn(&AnvilConfig::default()).expect("start anvil");
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(anvil.dev_signer(0)))
        .connect_http(anvil.http_url().parse().unwrap());
    let owner = anvil.dev_address(0);
    let verifier = vouch_l1_contracts::deploy::deploy_epoch_verifier(&provider)
        .await
        .expect("deploy the verifier")
        .epoch_verifier;
    let chain = Chain {
        provider,
        verifier,
        owner,
    };
    (anvil, chain)
}

fn check_limits(what: &str, cost: TxCost) {
    assert!(
        cost.gas <= MAX_TX_GAS,
        "{what}: {} gas is over the 2^24 cap",
        cost.gas
    );
    assert!(
        cost.calldata + TX_ENVELOPE_BYTES <= MAX_TX_BYTES,
        "{what}: {} calldata bytes is over the 128 KiB transaction size",
        cost.calldata
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn epoch_proofs_verify_on_anvil_within_transaction_limits() {
    let (_anvil, chain) = setup().await;
    let (provider, verifier, owner) = (chain.provider.clone(), chain.verifier, chain.owner);

    // Epochs of different sizes: one checkpoint (2^9 rows, FRI arities [3, 1]), three
    // (2^11, [3, 3]), six with more transfers (2^12, [3, 3, 1]), and the largest epoch the
    // devnet produces with its defaults: 4 one-slot checkpoints of 2 blocks at 5 tx/s with
    // 4 s slots, i.e. 80 transfers (2^13, [3, 3, 2]; `vouch bench gas` measures this one).
    for (checkpoints, transfers, seed) in [(1, 1, 3), (3, 2, 11), (6, 3, 5), (4, 10, 1)] {
        let e = epoch(checkpoints, transfers, seed);
        let pv_hash = keccak256(&e.values);
        let cd = calldata::encode(&e.proof, &e.pv, pv_hash, DEFAULT_BATCH_BYTES).expect("encode");
        let session = cd.session_id(owner, pv_hash);
        let label = format!("{checkpoints} checkpoints (2^{} rows)", cd.degree_bits);

        let begin = chain.begin(&e, &cd.proof).await.expect("begin");
        check_limits(&format!("{label}: begin"), begin);
        let mut total = begin.gas;
        for (i, b) in cd.batches.iter().enumerate() {
            assert!(
                !chain.accepts(&e, session, cd.trace_root).await,
                "incomplete session accepted"
            );
            let cost = chain
                .batch(session, &cd.state, b)
                .await
                .unwrap_or_else(|err| panic!("{label}: batch {i}: {err}"));
            check_limits(&format!("{label}: batch {i}"), cost);
            total += cost.gas;
        }
        assert!(
            chain.accepts(&e, session, cd.trace_root).await,
            "{label}: complete session"
        );
        // A session is bound to its public values.
        let mut other = e.values.clone();
        other[31] ^= 1;
        let v = EpochVerifier::new(verifier, provider.clone());
        assert!(
            !v.verify(
                other.into(),
                (session, cd.trace_root).abi_encode_params().into()
            )
            .from(owner)
            .call()
            .await
            .unwrap()
        );
        eprintln!(
            "{label}: begin {} gas, {} batches, total {total} gas, proof {} bytes",
            begin.gas,
            cd.batches.len(),
            e.proof.len()
        );
    }
}

/// Offsets of the sections of `begin`'s proof argument (see `vouch_prover::evm::calldata`).
fn begin_sections(cd: &EpochCalldata) -> Vec<(&'static str, usize)> {
    let rounds = vouch_prover::evm::seeds::fold_schedule(cd.degree_bits).len();
    let opened = 66 + 32 * rounds;
    let final_poly = opened + 32 * 980;
    vec![
        ("trace commitment", 2 + 5),
        ("quotient commitment", 34 + 7),
        ("commit-phase commitment", 66 + 3),
        ("opened value at zeta", opened + 32 * 7 + 1),
        ("opened value at zeta next", opened + 32 * 500),
        ("quotient chunk value", opened + 32 * 970 + 2),
        ("final polynomial", final_poly + 32 * 3),
        ("proof-of-work witness", final_poly + 32 * 32),
        ("seeds", final_poly + 32 * 32 + 4 + 100),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flipped_byte_in_any_section_is_rejected_by_solidity_and_rust() {
    let (_anvil, chain) = setup().await;
    let owner = chain.owner;
    let e = epoch(2, 2, 7);
    let pv_hash = keccak256(&e.values);
    let cd = calldata::encode(&e.proof, &e.pv, pv_hash, DEFAULT_BATCH_BYTES).expect("encode");
    let session = cd.session_id(owner, pv_hash);

    // ---- Solidity: begin ----
    for (section, at) in begin_sections(&cd) {
        let mut bad = cd.proof.clone();
        bad[at] ^= 0x01;
        assert!(
            chain.begin(&e, &bad).await.is_err(),
            "begin accepted a flipped byte in the {section}"
        );
    }
    // Public values: another statement than the one the headers and the proof are about.
    let mut bad_values = e.values.clone();
    bad_values[32 * 4 - 1] ^= 1; // startArchive's last byte
    let bad = Epoch {
        proof: vec![],
        pv: e.pv,
        values: bad_values,
        headers: e.headers.clone(),
    };
    assert!(
        chain.begin(&bad, &cd.proof).await.is_err(),
        "begin accepted other public values"
    );
    let mut bad_headers = e.headers.clone();
    bad_headers[0].txCommitment.0[31] ^= 1;
    let bad = Epoch {
        proof: vec![],
        pv: e.pv,
        values: e.values.clone(),
        headers: bad_headers,
    };
    assert!(
        chain.begin(&bad, &cd.proof).await.is_err(),
        "begin accepted another header"
    );

    // ---- Solidity: query batches (the honest begin first) ----
    chain.begin(&e, &cd.proof).await.expect("honest begin");
    let batch = &cd.batches[0];
    let n = batch[0] as usize;
    let rows = 1 + n;
    let width = vouch_prover::circuit::WIDTH;
    let after_rows = rows + n * (4 * width + 4 * calldata::QUOTIENT_WIDTH);
    let trace_siblings = u16::from_be_bytes([batch[after_rows], batch[after_rows + 1]]) as usize;
    let quotient_at = after_rows + 2 + 32 * trace_siblings;
    let quotient_siblings =
        u16::from_be_bytes([batch[quotient_at], batch[quotient_at + 1]]) as usize;
    let round0 = quotient_at + 2 + 32 * quotient_siblings;
    for (section, at) in [
        ("trace row", rows + 10),
        ("quotient row", rows + 4 * width + 5),
        ("trace Merkle sibling", after_rows + 2 + 3),
        ("quotient Merkle sibling", quotient_at + 2 + 3),
        ("FRI sibling value", round0 + 33),
        ("query position", 1),
    ] {
        let mut bad = batch.clone();
        bad[at] ^= 0x01;
        assert!(
            chain.batch(session, &cd.state, &bad).await.is_err(),
            "a batch with a flipped byte in the {section} was accepted"
        );
    }
    // Truncated or padded calldata is refused, not read past.
    assert!(
        chain
            .begin(&e, &cd.proof[..cd.proof.len() - 1])
            .await
            .is_err(),
        "truncated begin"
    );
    assert!(
        chain.begin(&e, &cd.proof[..100]).await.is_err(),
        "begin header only"
    );
    for bad in [
        &batch[..batch.len() - 1],
        &[batch.as_slice(), &[0]].concat()[..],
        &batch[..1],
    ] {
        assert!(
            chain.batch(session, &cd.state, bad).await.is_err(),
            "a malformed batch was accepted"
        );
    }
    let mut bad_state = cd.state.clone();
    bad_state[32 * 5] ^= 1;
    assert!(
        chain.batch(session, &bad_state, batch).await.is_err(),
        "a forged state was accepted"
    );
    // The honest batches still go through after all the rejected ones.
    for b in &cd.batches {
        chain
            .batch(session, &cd.state, b)
            .await
            .expect("honest batch");
    }
    assert!(chain.accepts(&e, session, cd.trace_root).await);
    // A batch cannot be counted twice.
    assert!(
        chain
            .batch(session, &cd.state, &cd.batches[0])
            .await
            .is_err()
    );

    // ---- Rust: the same sections, flipped in the postcard proof ----
    let honest: Proof<EvmConfig> = postcard::from_bytes(&e.proof).unwrap();
    verify_trace(&evm_config(), &e.proof, &e.pv).expect("honest proof");
    let rejects = |mutate: &dyn Fn(&mut Proof<EvmConfig>)| {
        let mut p: Proof<EvmConfig> = postcard::from_bytes(&e.proof).unwrap();
        mutate(&mut p);
        let bytes = postcard::to_allocvec(&p).unwrap();
        assert_ne!(bytes, e.proof);
        verify_trace(&evm_config(), &bytes, &e.pv).is_err()
    };
    let bump = |v: &mut Val| *v += Val::ONE;
    use p3_field::PrimeCharacteristicRing;
    let one = vouch_prover::config::EvmChallenge::ONE;
    assert!(
        rejects(&|p| p.opened_values.trace_local[7] += one),
        "Rust: opened value"
    );
    assert!(
        rejects(&|p| p.opened_values.quotient_chunks[1][2] += one),
        "Rust: quotient value"
    );
    assert!(
        rejects(&|p| p.opening_proof.final_poly[3] += one),
        "Rust: final polynomial"
    );
    assert!(
        rejects(&|p| bump(&mut p.opening_proof.query_pow_witness)),
        "Rust: PoW witness"
    );
    assert!(
        rejects(&|p| p.opening_proof.commit_phase_openings[0].sibling_values[0][0] += one),
        "Rust: FRI sibling value"
    );
    assert!(
        rejects(&|p| bump(&mut p.opening_proof.input_openings[0].opened_values[0][0][10])),
        "Rust: trace row"
    );
    assert!(
        rejects(&|p| p.opening_proof.input_openings[0]
            .opening_proof
            .sibling_hashes[0][3] ^= 1),
        "Rust: Merkle sibling"
    );
    assert!(
        rejects(&|p| p.commitments.trace = flip_cap(&p.commitments.trace)),
        "Rust: trace commitment"
    );
    let mut other_pv = e.pv;
    bump(&mut other_pv[3]);
    assert!(
        verify_trace(&evm_config(), &e.proof, &other_pv).is_err(),
        "Rust: public values"
    );
    drop(honest);
}

fn flip_cap(
    cap: &p3_symmetric::MerkleCap<Val, [u8; 32]>,
) -> p3_symmetric::MerkleCap<Val, [u8; 32]> {
    let mut root = cap.roots()[0];
    root[5] ^= 1;
    p3_symmetric::MerkleCap::new(vec![root])
}

/// The wiring: a `Rollup` deployed with the real verifier (`VerifierChoice::Plonky3`, behind a
/// `VerifierGateway`) settles an epoch whose checkpoints were proposed on anvil, with a proof
/// from the Rust prover; the same session cannot settle another statement.
/// anvil at the fixtures' genesis time with a `Rollup` (real verifier behind its gateway) for
/// `fx`, anvil's account 0 its sequencer; the anvil process lives as long as the first value.
async fn fixture_rollup(
    fx: &vouch_prover::fixture::Fixture,
) -> (
    AnvilProcess,
    impl Provider + Clone,
    vouch_l1_contracts::deploy::Deployment,
    vouch_testnet::L1Control<impl Provider + Clone>,
) {
    use vouch_l1_contracts::deploy::{RollupDeployConfig, deploy_rollup};
    let anvil = AnvilProcess::spawn(&AnvilConfig::default()).expect("start anvil");
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(anvil.dev_signer(0)))
        .connect_http(anvil.http_url().parse().unwrap());
    let control = vouch_testnet::L1Control::new(provider.clone());
    control
        .mine_at(vouch_prover::fixture::GENESIS_TIME)
        .await
        .unwrap();
    let config = RollupDeployConfig::for_fixture(&fx.genesis, anvil.dev_address(0));
    let deployment = deploy_rollup(&provider, &config).await.expect("deploy");
    (anvil, provider, deployment, control)
}

#[tokio::test(flavor = "multi_thread")]
async fn rollup_settles_a_real_epoch_proof_through_the_gateway() {
    use alloy::primitives::U256;
    use vouch_l1_contracts::bindings::Rollup;
    use vouch_l1_contracts::verifier::{SessionCalldata, run_session};
    use vouch_prover::fixture::EPOCH_DURATION;

    let fx = build(FixtureSpec {
        accounts: 5,
        checkpoints: 3,
        blocks: 2,
        transfers_per_block: 2,
        deposits_per_block: 1,
        seed: 11,
        vary: false,
    });
    let (anvil, provider, deployment, control) = fixture_rollup(&fx).await;
    let owner = anvil.dev_address(0);
    let ev = deployment
        .epoch_verifier
        .expect("the Plonky3 verifier was deployed");
    assert_eq!(
        Some(deployment.verifier),
        ev.gateway,
        "the rollup calls the gateway"
    );
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    let wait = |b: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>| async move {
        let r = b
            .with_timeout(Some(Duration::from_secs(60)))
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
    };
    for d in fx.checkpoints.iter().flat_map(|c| &c.deposits) {
        wait(
            rollup
                .deposit(d.recipient)
                .value(U256::from(d.amount) * U256::from(1_000_000_000u64))
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let headers: Vec<_> = fx.checkpoints.iter().map(l1_header).collect();
    for (cp, h) in fx.checkpoints.iter().zip(&headers) {
        control.set_next_block_timestamp(h.timestamp).await.unwrap();
        wait(
            rollup
                .propose(h.clone(), cp.body.encode().into())
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let epoch = headers[0].slot / EPOCH_DURATION;
    let (from, to) = (headers[0].number, headers[headers.len() - 1].number);
    let values = rollup
        .epochPublicValues(epoch, from, to, owner)
        .call()
        .await
        .expect("the rollup's statement");
    // The contract's statement (deposit accumulators included) is the one the prover computes.
    assert_eq!(
        values.to_vec(),
        epoch_public_values(epoch, &fx.checkpoints, owner)
            .unwrap()
            .encode()
    );
    let (proof, pv) = prove_trace(&evm_config(), &fx.checkpoints, &owner).expect("prove");
    let cd = calldata::encode(&proof, &pv, keccak256(&values), DEFAULT_BATCH_BYTES).unwrap();
    let session = run_session(
        &provider,
        ev.epoch_verifier,
        owner,
        &values,
        &headers,
        &SessionCalldata::from(&cd),
    )
    .await
    .expect("session");
    for cost in &session.costs {
        assert!(cost.within_limits(TX_ENVELOPE_BYTES), "{cost:?}");
    }
    // A prefix of the range is another statement: the session does not settle it.
    let shorter_values = rollup
        .epochPublicValues(epoch, from, to - 1, owner)
        .call()
        .await
        .unwrap();
    let shorter =
        rollup.submitEpochProof(epoch, from, to - 1, shorter_values, session.gateway_proof());
    assert!(
        shorter.call().await.is_err(),
        "a session settled another range"
    );

    // ---- a thief (another account) cannot take the credit ----
    let thief = anvil.dev_address(1);
    let thief_provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(anvil.dev_signer(1)))
        .connect_http(anvil.http_url().parse().unwrap());
    let thief_rollup = Rollup::new(deployment.rollup, thief_provider.clone());
    let thief_verifier = EpochVerifier::new(ev.epoch_verifier, thief_provider.clone());
    // Resubmitting the owner's statement and session from another address.
    let stolen = thief_rollup
        .submitEpochProof(epoch, from, to, values.clone(), session.gateway_proof())
        .call()
        .await;
    assert!(
        stolen.is_err(),
        "the owner's statement was accepted from another address"
    );
    // The thief's own statement with the owner's session: the session binds its owner.
    let thief_values = rollup
        .epochPublicValues(epoch, from, to, thief)
        .call()
        .await
        .unwrap();
    let stolen = thief_rollup
        .submitEpochProof(
            epoch,
            from,
            to,
            thief_values.clone(),
            session.gateway_proof(),
        )
        .call()
        .await;
    assert!(stolen.is_err(), "the owner's session credited a thief");
    // The owner's proof bytes under the thief's statement: the prover is absorbed into the
    // transcript, so the copied proof fails verification at `begin`.
    let copied = thief_verifier
        .begin(
            thief_values,
            headers.iter().map(to_verifier_header).collect(),
            cd.proof.clone().into(),
        )
        .call()
        .await;
    assert!(copied.is_err(), "a copied proof began a session");
    // Only the owner sends a session's query batches.
    let front_run = thief_verifier
        .verifyQueries(
            session.id,
            cd.state.clone().into(),
            cd.batches[0].clone().into(),
        )
        .call()
        .await
        .err()
        .expect("a query batch from another address");
    assert!(
        front_run.to_string().contains(&alloy::hex::encode(
            <EpochVerifier::NotSessionOwner as alloy::sol_types::SolError>::SELECTOR
        )),
        "{front_run}"
    );

    let receipt = rollup
        .submitEpochProof(epoch, from, to, values.clone(), session.gateway_proof())
        .send()
        .await
        .expect("submit")
        .with_timeout(Some(Duration::from_secs(60)))
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "submitEpochProof");
    assert_eq!(rollup.provenCheckpointNumber().call().await.unwrap(), to);
    assert_eq!(rollup.epochProver(epoch).call().await.unwrap(), owner);
    // The owner's submission consumed the session (storage freed).
    let verifier = EpochVerifier::new(ev.epoch_verifier, provider.clone());
    assert!(!verifier.isComplete(session.id).call().await.unwrap());
}

/// A sequencer posts calldata that differs from the records it executed and proves (one
/// transfer's amount), with the header fields of the real execution. `propose` refuses the
/// proven records' evaluation for those bytes; with the posted bytes' own evaluation the
/// checkpoint lands, but no proof of the executed records begins a session for it.
#[tokio::test(flavor = "multi_thread")]
async fn posted_tx_data_that_differs_from_the_proven_records_cannot_settle() {
    use vouch_l1_contracts::bindings::Rollup;
    use vouch_l1_contracts::statement::EpochStatementFromL1;
    use vouch_prover::fixture::EPOCH_DURATION;
    use vouch_prover::proof::EpochStatement;
    use vouch_rollup::data::DataEvaluation;
    use vouch_rollup::hash::Digest;

    let fx = build(FixtureSpec {
        accounts: 4,
        checkpoints: 1,
        blocks: 1,
        transfers_per_block: 2,
        deposits_per_block: 0,
        seed: 23,
        vary: false,
    });
    let (anvil, provider, deployment, control) = fixture_rollup(&fx).await;
    let owner = anvil.dev_address(0);
    let ev = deployment.epoch_verifier.expect("the Plonky3 verifier");
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    let executed = &fx.checkpoints[0];
    let mut posted = executed.body.clone();
    posted.blocks[0].txs[0].transfer.amount += 1;
    let posted: Bytes = posted.encode().into();
    let mut header = l1_header(executed);
    // Checked with a call in the checkpoint's slot (nothing reverted is sent).
    control.mine_at(header.timestamp).await.unwrap();
    let refused = rollup
        .propose(header.clone(), posted.clone())
        .call()
        .await
        .err()
        .expect("the executed records' evaluation for other bytes");
    assert!(
        refused.to_string().contains(&alloy::hex::encode(
            <Rollup::WrongDataEvaluation as alloy::sol_types::SolError>::SELECTOR
        )),
        "{refused}"
    );
    header.dataEvaluation = rollup
        .dataEvaluation(header.clone(), posted.clone())
        .call()
        .await
        .expect("the posted bytes decode");
    control
        .set_next_block_timestamp(header.timestamp + 1)
        .await
        .unwrap();
    let receipt = rollup
        .propose(header.clone(), posted)
        .send()
        .await
        .expect("propose")
        .with_timeout(Some(Duration::from_secs(60)))
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "the posted bytes' own evaluation lands");

    let epoch = header.slot / EPOCH_DURATION;
    let values = rollup
        .epochPublicValues(epoch, header.number, header.number, owner)
        .call()
        .await
        .expect("the rollup's statement");
    // The prover executes the records and evaluates them at L1's point.
    let mut witnesses = fx.checkpoints.clone();
    witnesses[0].execution.data =
        DataEvaluation(Digest::from_b256(&header.dataEvaluation).unwrap());
    let (proof, pv) = prove_trace(&evm_config(), &witnesses, &owner).expect("prove");
    let verifier = EpochVerifier::new(ev.epoch_verifier, provider.clone());
    let cd = calldata::encode(&proof, &pv, keccak256(&values), DEFAULT_BATCH_BYTES).unwrap();
    let begun = verifier
        .begin(
            values.clone(),
            vec![to_verifier_header(&header)],
            cd.proof.clone().into(),
        )
        .call()
        .await;
    assert!(begun.is_err(), "a proof of other records began a session");
    let decoded =
        vouch_l1_contracts::epoch::EpochPublicValues::abi_decode(&values).expect("values");
    let l1 = EpochStatement::from_l1(&decoded, &[header]).expect("L1's statement");
    assert!(
        verify_trace(&evm_config(), &proof, &l1.public_values().unwrap()).is_err(),
        "Rust accepts a proof of other records"
    );
}
