//! Local agents: worker tasks that lease jobs from a [`ProvingBroker`] and run them on blocking
//! threads, heartbeating while they work.

use crate::{Completion, LeasedJob, ProvingBroker};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, debug, info, info_span, warn};

/// Why a job could not be run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    /// Worth another attempt (a transient failure) or not (the input is bad).
    pub retryable: bool,
    /// What happened.
    pub message: String,
}

impl JobError {
    /// A failure another attempt may not repeat.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
        }
    }

    /// A failure of the input itself.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
        }
    }
}

/// Runs one job's work (called on a blocking thread).
pub trait JobRunner: Send + Sync + 'static {
    /// Produces the job's output from its input.
    fn run(&self, job: &LeasedJob) -> Result<Vec<u8>, JobError>;
}

/// Local agent settings.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// How many agents (each runs one job at a time).
    pub agents: usize,
    /// Agent names are `{prefix}-{i}`; a restarted node releases the leases of this prefix.
    pub name_prefix: String,
    /// Heartbeat period (well under the broker's lease).
    pub heartbeat: Duration,
    /// How long an idle agent waits before looking again (it is also woken by new jobs).
    pub idle_poll: Duration,
}

impl AgentConfig {
    /// `agents` local agents named `local-…`.
    pub fn local(agents: usize) -> Self {
        Self {
            agents,
            name_prefix: "local".into(),
            heartbeat: Duration::from_secs(5),
            idle_poll: Duration::from_secs(1),
        }
    }
}

/// The default number of local agents: one per two cores. A Plonky3 proof already spreads
/// over every core (rayon), so more concurrent proofs than that only add memory.
pub fn default_agent_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Spawns `config.agents` agents on `tracker`; they stop when `cancel` fires (a job in
/// progress finishes first: a Plonky3 proof cannot be interrupted).
pub fn spawn_local_agents(
    broker: Arc<dyn ProvingBroker>,
    runner: Arc<dyn JobRunner>,
    config: &AgentConfig,
    tracker: &TaskTracker,
    cancel: CancellationToken,
) {
    for i in 0..config.agents {
        let name = format!("{}-{i}", config.name_prefix);
        let span = info_span!("agent", agent = %name);
        tracker.spawn(
            agent_loop(
                broker.clone(),
                runner.clone(),
                name,
                config.clone(),
                cancel.clone(),
            )
            .instrument(span),
        );
    }
}

async fn agent_loop(
    broker: Arc<dyn ProvingBroker>,
    runner: Arc<dyn JobRunner>,
    name: String,
    config: AgentConfig,
    cancel: CancellationToken,
) {
    let mut changes = broker.subscribe();
    while !cancel.is_cancelled() {
        match broker.lease(&name) {
            Ok(Some(job)) => run_one(&*broker, runner.clone(), &name, job, &config).await,
            Ok(None) => {
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = changes.changed() => {}
                    _ = tokio::time::sleep(config.idle_poll) => {}
                }
            }
            Err(e) => {
                warn!(error = %e, "cannot lease a job");
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = tokio::time::sleep(config.idle_poll) => {}
                }
            }
        }
    }
    debug!("agent stopped");
}

async fn run_one(
    broker: &dyn ProvingBroker,
    runner: Arc<dyn JobRunner>,
    name: &str,
    job: LeasedJob,
    config: &AgentConfig,
) {
    let id = job.record.id;
    let kind = job.record.kind.clone();
    let started = std::time::Instant::now();
    info!(job = %id, %kind, epoch = job.record.epoch, attempt = job.record.attempts, "job started");
    let mut work = tokio::task::spawn_blocking(move || runner.run(&job));
    let mut beat = tokio::time::interval(config.heartbeat);
    beat.tick().await;
    let result = loop {
        tokio::select! {
            r = &mut work => break r,
            _ = beat.tick() => match broker.heartbeat(&id, name) {
                Ok(true) => {}
                Ok(false) => debug!(job = %id, "lease lost (cancelled or re-leased); finishing anyway"),
                Err(e) => warn!(job = %id, error = %e, "heartbeat failed"),
            },
        }
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let outcome = match result {
        Ok(Ok(output)) => broker.complete(&id, name, output).map(|c| match c {
            Completion::Accepted => info!(job = %id, %kind, elapsed_ms, "job done"),
            Completion::Ignored => {
                info!(job = %id, %kind, elapsed_ms, "job done but no longer wanted")
            }
        }),
        Ok(Err(e)) => broker.fail(&id, name, &e.message, e.retryable).map(|_| ()),
        Err(join) => broker
            .fail(&id, name, &format!("the job panicked: {join}"), false)
            .map(|_| ()),
    };
    if let Err(e) = outcome {
        warn!(job = %id, error = %e, "cannot report the job's result; its lease will expire");
    }
}
