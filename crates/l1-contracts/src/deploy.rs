//! Deploying the L1 contracts.
//!
//! The verifier must always be named: [`VerifierChoice::Plonky3`] deploys the real epoch-proof
//! verifier (the generated constraint evaluator and `EpochVerifier`) behind a
//! `VerifierGateway` route; [`VerifierChoice::Existing`] takes an already deployed `IVerifier`;
//! [`VerifierChoice::InsecureMock`] deploys `MockVerifier` (accepts every proof), for
//! development and tests only. The devnet and the deploy script name `plonky3`.

use crate::bindings::Rollup::{self, RollupConfig};
use crate::bindings::{
    EpochConstraints, EpochConstraintsData0, EpochConstraintsData1, EpochConstraintsData2,
    EpochConstraintsData3, EpochVerifier, MockVerifier, VerifierGateway,
};
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use tracing::info;
use vouch_primitives::L1RollupConstants;

/// Which epoch-proof verifier the rollup calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifierChoice {
    /// Deploy the Plonky3 epoch-proof verifier and a `VerifierGateway` (owned by the deployer)
    /// routing [`plonky3_epoch_selector`] to it; the rollup calls the gateway.
    Plonky3,
    /// An `IVerifier` already deployed at this address.
    Existing(Address),
    /// Deploy `MockVerifier`, which accepts any proof. INSECURE: development only.
    InsecureMock,
}

/// The spelling that selects [`VerifierChoice::InsecureMock`].
pub const INSECURE_MOCK_VERIFIER: &str = "insecure-mock";
/// The spelling that selects [`VerifierChoice::Plonky3`].
pub const PLONKY3_VERIFIER: &str = "plonky3";

/// A verifier argument that is neither an address nor `insecure-mock`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid verifier {given:?}: expected `{PLONKY3_VERIFIER}`, a 0x-prefixed 20-byte address or `{INSECURE_MOCK_VERIFIER}`"
)]
pub struct InvalidVerifierChoice {
    /// What was given.
    pub given: String,
}

impl FromStr for VerifierChoice {
    type Err = InvalidVerifierChoice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == INSECURE_MOCK_VERIFIER {
            return Ok(Self::InsecureMock);
        }
        if s == PLONKY3_VERIFIER {
            return Ok(Self::Plonky3);
        }
        let invalid = || InvalidVerifierChoice {
            given: s.to_string(),
        };
        if !s.starts_with("0x") || s.len() != 42 {
            return Err(invalid());
        }
        let address = Address::from_str(s).map_err(|_| invalid())?;
        if address == Address::ZERO {
            return Err(invalid());
        }
        Ok(Self::Existing(address))
    }
}

impl fmt::Display for VerifierChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Existing(address) => write!(f, "{address}"),
            Self::InsecureMock => f.write_str(INSECURE_MOCK_VERIFIER),
            Self::Plonky3 => f.write_str(PLONKY3_VERIFIER),
        }
    }
}

/// Parameters of a `Rollup` deployment.
#[derive(Clone, Debug)]
pub struct RollupDeployConfig {
    /// L1 timestamp of slot 0. `None`: the latest block's timestamp.
    pub genesis_time: Option<u64>,
    /// Seconds per slot.
    pub slot_duration: u64,
    /// Slots per epoch.
    pub epoch_duration: u64,
    /// Epochs an epoch stays provable after it ends.
    pub proof_submission_epochs: u64,
    /// Archive root of checkpoint 0.
    pub genesis_archive: B256,
    /// L2 state root of checkpoint 0.
    pub genesis_state_root: B256,
    /// Sequencer allow-list.
    pub sequencers: Vec<Address>,
    /// The verifier; always explicit.
    pub verifier: VerifierChoice,
}

impl RollupDeployConfig {
    /// The rollup the prover's test fixtures ([`vouch_prover::fixture`]) are built for: their
    /// genesis, slot and epoch lengths and genesis time, one submission epoch, the real
    /// verifier and `sequencer` allowed (benchmarks and tests on anvil).
    pub fn for_fixture(genesis: &vouch_rollup::genesis::GenesisRoots, sequencer: Address) -> Self {
        use vouch_prover::fixture::{EPOCH_DURATION, GENESIS_TIME, SLOT_DURATION};
        Self {
            genesis_time: Some(GENESIS_TIME),
            slot_duration: SLOT_DURATION,
            epoch_duration: EPOCH_DURATION,
            proof_submission_epochs: 1,
            genesis_archive: genesis.archive.to_b256(),
            genesis_state_root: genesis.state_root.to_b256(),
            sequencers: vec![sequencer],
            verifier: VerifierChoice::Plonky3,
        }
    }
}

/// Where the contracts landed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// L1 chain id.
    pub chain_id: u64,
    /// The `Rollup` contract.
    pub rollup: Address,
    /// The verifier the rollup calls (the gateway with [`VerifierChoice::Plonky3`]).
    pub verifier: Address,
    /// `true` when the verifier is the insecure `MockVerifier`.
    pub verifier_is_insecure_mock: bool,
    /// The Plonky3 epoch verifier behind the gateway, when deployed here: provers send their
    /// verification sessions to `epoch_verifier.epoch_verifier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_verifier: Option<EpochVerifierDeployment>,
    /// The account that deployed (and owns) the rollup.
    pub deployer: Address,
    /// The rollup's timing constants; `l1_start_block` is the deployment block.
    pub constants: L1RollupConstants,
}

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Invalid parameters; nothing was sent.
    #[error("invalid deployment parameters: {0}")]
    InvalidConfig(String),
    /// The named verifier has no code.
    #[error("verifier {0} has no contract code on this chain")]
    VerifierHasNoCode(Address),
    /// The provider has no signing account.
    #[error("the provider has no account to deploy from")]
    NoDeployer,
    /// Talking to the node failed.
    #[error("rpc error: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// A deployment transaction failed.
    #[error("deploying {contract}: {source}")]
    Contract {
        /// Which contract.
        contract: &'static str,
        /// The underlying error.
        #[source]
        source: alloy::contract::Error,
    },
    /// The deployment receipt had no block number.
    #[error("deployment of {0} was not mined")]
    NotMined(&'static str),
}

/// The proof-version selector under which [`deploy_epoch_verifier`]'s verifier is routed by the
/// `VerifierGateway`: the first 4 bytes of `keccak256("vouch.plonky3.epoch.v1")`.
pub fn plonky3_epoch_selector() -> [u8; 4] {
    alloy::primitives::keccak256(b"vouch.plonky3.epoch.v1").0[..4]
        .try_into()
        .expect("4 bytes")
}

/// The epoch-proof verifier contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochVerifierDeployment {
    /// `EpochVerifier`: the sessions `begin` / `verifyQueries` / `verify`.
    pub epoch_verifier: Address,
    /// The generated constraint evaluator it calls.
    pub constraints: Address,
    /// The `VerifierGateway` routing [`plonky3_epoch_selector`] to `epoch_verifier`, when one
    /// was deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Address>,
}

async fn deployed<P: Provider>(
    contract: &'static str,
    builder: alloy::contract::RawCallBuilder<&P>,
) -> Result<Address, DeployError> {
    let receipt = builder
        .send()
        .await
        .map_err(|source| DeployError::Contract { contract, source })?
        .get_receipt()
        .await
        .map_err(|e| DeployError::Contract {
            contract,
            source: e.into(),
        })?;
    if !receipt.status() {
        return Err(DeployError::InvalidConfig(format!(
            "the {contract} constructor reverted"
        )));
    }
    receipt
        .contract_address
        .ok_or(DeployError::NotMined(contract))
}

/// Deploys the real epoch-proof verifier: the generated constraint evaluator (its op-stream
/// data contracts, then `EpochConstraints`) and `EpochVerifier`.
pub async fn deploy_epoch_verifier<P: Provider>(
    provider: &P,
) -> Result<EpochVerifierDeployment, DeployError> {
    let d0 = deployed(
        "EpochConstraintsData0",
        EpochConstraintsData0::deploy_builder(provider),
    )
    .await?;
    let d1 = deployed(
        "EpochConstraintsData1",
        EpochConstraintsData1::deploy_builder(provider),
    )
    .await?;
    let d2 = deployed(
        "EpochConstraintsData2",
        EpochConstraintsData2::deploy_builder(provider),
    )
    .await?;
    let d3 = deployed(
        "EpochConstraintsData3",
        EpochConstraintsData3::deploy_builder(provider),
    )
    .await?;
    let constraints = deployed(
        "EpochConstraints",
        EpochConstraints::deploy_builder(provider, d0, d1, d2, d3),
    )
    .await?;
    let epoch_verifier = deployed(
        "EpochVerifier",
        EpochVerifier::deploy_builder(provider, constraints),
    )
    .await?;
    info!(%epoch_verifier, %constraints, "deployed the Plonky3 epoch verifier");
    Ok(EpochVerifierDeployment {
        epoch_verifier,
        constraints,
        gateway: None,
    })
}

/// [`deploy_epoch_verifier`], then a `VerifierGateway` owned by `owner` with the route
/// [`plonky3_epoch_selector`] → the epoch verifier. A rollup points at the gateway.
pub async fn deploy_epoch_verifier_with_gateway<P: Provider>(
    provider: &P,
    owner: Address,
) -> Result<EpochVerifierDeployment, DeployError> {
    let mut d = deploy_epoch_verifier(provider).await?;
    let gateway = deployed(
        "VerifierGateway",
        VerifierGateway::deploy_builder(provider, owner),
    )
    .await?;
    let route = VerifierGateway::new(gateway, provider)
        .addRoute(plonky3_epoch_selector().into(), d.epoch_verifier)
        .send()
        .await
        .map_err(|source| DeployError::Contract {
            contract: "VerifierGateway",
            source,
        })?
        .get_receipt()
        .await
        .map_err(|e| DeployError::Contract {
            contract: "VerifierGateway",
            source: e.into(),
        })?;
    if !route.status() {
        return Err(DeployError::InvalidConfig(
            "VerifierGateway.addRoute reverted".into(),
        ));
    }
    info!(%gateway, "routed the Plonky3 epoch verifier through a VerifierGateway");
    d.gateway = Some(gateway);
    Ok(d)
}

/// Deploys `Rollup` (and `MockVerifier` when chosen) from the provider's default account.
pub async fn deploy_rollup<P: Provider>(
    provider: &P,
    config: &RollupDeployConfig,
) -> Result<Deployment, DeployError> {
    if config.slot_duration == 0 || config.epoch_duration == 0 {
        return Err(DeployError::InvalidConfig(format!(
            "slot duration ({}) and epoch duration ({}) must be positive",
            config.slot_duration, config.epoch_duration
        )));
    }
    let deployer = provider
        .get_accounts()
        .await?
        .first()
        .copied()
        .ok_or(DeployError::NoDeployer)?;
    let chain_id = provider.get_chain_id().await?;

    let mut epoch_verifier = None;
    let verifier = match config.verifier {
        VerifierChoice::Plonky3 => {
            let d = deploy_epoch_verifier_with_gateway(provider, deployer).await?;
            epoch_verifier = Some(d);
            d.gateway.expect("deployed with a gateway")
        }
        VerifierChoice::Existing(address) => {
            if provider.get_code_at(address).await?.is_empty() {
                return Err(DeployError::VerifierHasNoCode(address));
            }
            address
        }
        VerifierChoice::InsecureMock => {
            let mock =
                MockVerifier::deploy(provider)
                    .await
                    .map_err(|source| DeployError::Contract {
                        contract: "MockVerifier",
                        source,
                    })?;
            tracing::warn!(address = %mock.address(), "deployed INSECURE MockVerifier: accepts every proof");
            *mock.address()
        }
    };

    let genesis_time = match config.genesis_time {
        Some(t) => t,
        None => {
            let latest = provider
                .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                .await?
                .ok_or(DeployError::NotMined("latest block"))?;
            latest.header.timestamp
        }
    };
    let rollup_config = RollupConfig {
        genesisTime: genesis_time,
        slotDuration: config.slot_duration,
        epochDuration: config.epoch_duration,
        proofSubmissionEpochs: config.proof_submission_epochs,
        genesisArchive: config.genesis_archive,
        genesisStateRoot: config.genesis_state_root,
        verifier,
        sequencers: config.sequencers.clone(),
    };
    let receipt = Rollup::deploy_builder(provider, rollup_config)
        .send()
        .await
        .map_err(|source| DeployError::Contract {
            contract: "Rollup",
            source,
        })?
        .get_receipt()
        .await
        .map_err(|e| DeployError::Contract {
            contract: "Rollup",
            source: e.into(),
        })?;
    let rollup = receipt
        .contract_address
        .ok_or(DeployError::NotMined("Rollup"))?;
    let l1_start_block = receipt
        .block_number
        .ok_or(DeployError::NotMined("Rollup"))?;
    if !receipt.status() {
        return Err(DeployError::InvalidConfig(
            "the Rollup constructor reverted (check durations and verifier)".into(),
        ));
    }
    info!(%rollup, %verifier, l1_start_block, "deployed Rollup");
    Ok(Deployment {
        chain_id,
        rollup,
        verifier,
        verifier_is_insecure_mock: config.verifier == VerifierChoice::InsecureMock,
        epoch_verifier,
        deployer,
        constants: L1RollupConstants {
            l1_start_block,
            genesis_time,
            slot_duration: config.slot_duration,
            epoch_duration: config.epoch_duration,
            proof_submission_epochs: config.proof_submission_epochs,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_choice_parses_address_or_mock() {
        assert_eq!(
            "insecure-mock".parse::<VerifierChoice>(),
            Ok(VerifierChoice::InsecureMock)
        );
        assert_eq!(
            "plonky3".parse::<VerifierChoice>(),
            Ok(VerifierChoice::Plonky3)
        );
        assert_eq!(VerifierChoice::Plonky3.to_string(), "plonky3");
        let addr = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        assert_eq!(
            addr.parse::<VerifierChoice>(),
            Ok(VerifierChoice::Existing(addr.parse().unwrap()))
        );
    }

    #[test]
    fn verifier_choice_rejects_garbage() {
        for bad in [
            "",
            "mock",
            "0x1234",
            "5FbDB2315678afecb367f032d93F642f64180aa3",
            "0xZZbDB2315678afecb367f032d93F642f64180aa3",
            "0x0000000000000000000000000000000000000000",
        ] {
            let err = bad.parse::<VerifierChoice>().unwrap_err();
            assert!(
                err.to_string().contains("a 0x-prefixed 20-byte address"),
                "{bad}: {err}"
            );
        }
    }
}
