//! Prometheus metrics (`/metrics`) and health (`/health`).
//!
//! Counters and histograms are recorded where things happen (follower, broker, runner, core)
//! through the `metrics` facade; the gauges that describe a state (sessions by state, queue
//! depth, tips, lag) are set here from the node's snapshot once a second.

use crate::rpc::status_view;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vouch_broker::JobState;
use vouch_node::model::ProverStatus;
use vouch_node::{NodeHandle, SessionState};

/// How a metric is registered before it first moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A counter without labels.
    Counter,
    /// A counter per job kind (`kind="checkpoint"|"epoch"`).
    CounterByJobKind,
    /// A counter per session state (`state="…"`).
    CounterBySessionState,
    /// A gauge (set from the node's snapshot, or on an event).
    Gauge,
    /// A histogram.
    Histogram,
}

/// Every metric the node exports, with its help text (the dashboard queries only these; a test
/// checks that a running node exports each of them).
pub const METRICS: &[(&str, Kind, &str)] = &[
    (
        "vouch_build_info",
        Kind::Gauge,
        "Always 1; the version is a label.",
    ),
    (
        "vouch_l1_head_block",
        Kind::Gauge,
        "L1 head seen by the follower.",
    ),
    (
        "vouch_l1_synced_block",
        Kind::Gauge,
        "Last L1 block processed.",
    ),
    (
        "vouch_follower_lag_slots",
        Kind::Gauge,
        "Slots between the wall clock and the synced slot.",
    ),
    (
        "vouch_l1_reorgs_total",
        Kind::Counter,
        "L1 reorgs the follower unwound.",
    ),
    (
        "vouch_l1_reorged_blocks_total",
        Kind::Counter,
        "L1 blocks unwound by reorgs.",
    ),
    (
        "vouch_l1_sync_errors_total",
        Kind::Counter,
        "Failed L1 syncs (each rotates the RPC URL).",
    ),
    (
        "vouch_l2_pending_checkpoint",
        Kind::Gauge,
        "Last proposed checkpoint.",
    ),
    (
        "vouch_l2_proven_checkpoint",
        Kind::Gauge,
        "Last proven checkpoint.",
    ),
    (
        "vouch_l2_finalized_checkpoint",
        Kind::Gauge,
        "Proven checkpoint as of the finalized L1 block.",
    ),
    (
        "vouch_prunes_total",
        Kind::Counter,
        "Checkpoint prunes seen (window prunes and reorgs).",
    ),
    (
        "vouch_checkpoints",
        Kind::Gauge,
        "Registered checkpoints by prover status.",
    ),
    ("vouch_sessions", Kind::Gauge, "Epoch sessions by state."),
    (
        "vouch_sessions_ended_total",
        Kind::CounterBySessionState,
        "Sessions ended, by final state.",
    ),
    (
        "vouch_oldest_unproven_deadline_slack_seconds",
        Kind::Gauge,
        "Seconds left before the oldest open epoch's window closes.",
    ),
    (
        "vouch_checkpoint_proving_seconds",
        Kind::Histogram,
        "Checkpoint (leaf) proving time, witness included.",
    ),
    (
        "vouch_checkpoint_proofs_total",
        Kind::Counter,
        "Checkpoint proofs made.",
    ),
    (
        "vouch_epoch_proving_seconds",
        Kind::Histogram,
        "Epoch proving time, witnesses included.",
    ),
    (
        "vouch_epoch_proofs_total",
        Kind::Counter,
        "Epoch proofs made.",
    ),
    (
        "vouch_reproved_leaves_total",
        Kind::Counter,
        "Leaf proofs of checkpoints already proven when the node started.",
    ),
    (
        "vouch_broker_jobs",
        Kind::Gauge,
        "Broker jobs by kind and state (queued, active).",
    ),
    (
        "vouch_broker_jobs_retried",
        Kind::Gauge,
        "Held jobs leased more than once, by kind.",
    ),
    (
        "vouch_broker_job_retries_total",
        Kind::CounterByJobKind,
        "Retryable job failures re-queued, by kind.",
    ),
    (
        "vouch_broker_lease_timeouts_total",
        Kind::CounterByJobKind,
        "Expired leases leased again, by kind.",
    ),
    (
        "vouch_broker_jobs_failed_total",
        Kind::CounterByJobKind,
        "Jobs given up, by kind.",
    ),
    ("vouch_broker_agents", Kind::Gauge, "Local proving agents."),
    (
        "vouch_publishing_paused",
        Kind::Gauge,
        "1 while an operator paused publishing.",
    ),
    (
        "vouch_epoch_proofs_landed_total",
        Kind::Counter,
        "Epoch proofs this node landed on L1.",
    ),
    (
        "vouch_epoch_latency_seconds",
        Kind::Histogram,
        "Last checkpoint on L1 to its epoch proof on L1.",
    ),
    (
        "vouch_deadline_slack_seconds",
        Kind::Histogram,
        "Seconds left before the deadline when a proof landed.",
    ),
    (
        "vouch_last_deadline_slack_seconds",
        Kind::Gauge,
        "The same, of the last landed proof.",
    ),
    (
        "vouch_l1_gas_used_total",
        Kind::Counter,
        "Gas of landed submissions.",
    ),
    (
        "vouch_l1_fees_gwei_total",
        Kind::Counter,
        "Fees of landed submissions (gwei).",
    ),
    (
        "vouch_l1_txs_total",
        Kind::Counter,
        "Transactions of landed submissions.",
    ),
    (
        "vouch_l1_tx_replacements_total",
        Kind::Counter,
        "Fee bumps signed.",
    ),
    (
        "vouch_lost_races_total",
        Kind::Counter,
        "Submissions superseded by another prover.",
    ),
    (
        "vouch_proofs_republished_total",
        Kind::Counter,
        "Landed proofs an L1 reorg removed, sent again while their window was open.",
    ),
    (
        "vouch_admin_unauthorized_total",
        Kind::Counter,
        "Mutating admin calls refused for a missing or bad JWT.",
    ),
];

/// The process's recorder (installed once; every node of a process shares it).
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let seconds = [
            0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0,
        ];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
            .expect("non-empty buckets");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (a test harness): ours still renders what is
        // recorded through it... which is nothing, so say so.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
        }
        for (name, _, help) in METRICS {
            metrics::describe_gauge!(*name, *help);
        }
        handle
    })
}

/// Registers every counter at 0, so that dashboards and alerts see them before they first move.
fn register_counters() {
    for (name, kind, _) in METRICS {
        let name = *name;
        match kind {
            Kind::Counter => metrics::counter!(name).increment(0),
            Kind::CounterByJobKind => {
                for job in ["checkpoint", "epoch"] {
                    metrics::counter!(name, "kind" => job).increment(0);
                }
            }
            Kind::CounterBySessionState => {
                for state in SessionState::ALL {
                    metrics::counter!(name, "state" => state.name()).increment(0);
                }
            }
            // A histogram exists once it has a sample; registering it makes it render empty.
            Kind::Histogram => drop(metrics::histogram!(name)),
            Kind::Gauge => {}
        }
    }
    // Set on each landing; present (adding 0 keeps a value already set) before the first.
    metrics::gauge!("vouch_last_deadline_slack_seconds").increment(0.0);
}

/// Sets the state gauges from one snapshot.
pub fn update_gauges(node: &NodeHandle) {
    let status = node.status();
    let view = status_view(node, &status);
    metrics::gauge!("vouch_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    metrics::gauge!("vouch_l1_synced_block").set(view.synced_l1_block.unwrap_or(0) as f64);
    metrics::gauge!("vouch_l1_head_block").set(view.l1_head as f64);
    metrics::gauge!("vouch_follower_lag_slots").set(view.follower_lag_slots.unwrap_or(0) as f64);
    metrics::gauge!("vouch_l2_pending_checkpoint").set(view.pending_checkpoint as f64);
    metrics::gauge!("vouch_l2_proven_checkpoint").set(view.proven_checkpoint as f64);
    metrics::gauge!("vouch_l2_finalized_checkpoint").set(view.finalized_checkpoint as f64);
    metrics::gauge!("vouch_oldest_unproven_deadline_slack_seconds").set(
        view.oldest_unproven_epoch
            .as_ref()
            .map_or(0.0, |e| e.deadline_slack_s as f64),
    );
    metrics::gauge!("vouch_broker_agents").set(view.agents as f64);
    metrics::gauge!("vouch_publishing_paused").set(if view.publishing_paused { 1.0 } else { 0.0 });
    for state in SessionState::ALL {
        let n = status.sessions.iter().filter(|s| s.state == state).count();
        metrics::gauge!("vouch_sessions", "state" => state.name()).set(n as f64);
    }
    for status_name in ProverStatus::NAMES {
        let n = status
            .checkpoints
            .iter()
            .filter(|c| c.status.name() == status_name)
            .count();
        metrics::gauge!("vouch_checkpoints", "status" => status_name).set(n as f64);
    }
    for kind in ["checkpoint", "epoch"] {
        let of_kind = || status.jobs.iter().filter(move |j| j.kind == kind);
        let queued = of_kind().filter(|j| j.state == JobState::Queued).count();
        let active = of_kind()
            .filter(|j| matches!(j.state, JobState::Leased { .. }))
            .count();
        let retried = of_kind().filter(|j| j.attempts > 1).count();
        metrics::gauge!("vouch_broker_jobs", "kind" => kind, "state" => "queued")
            .set(queued as f64);
        metrics::gauge!("vouch_broker_jobs", "kind" => kind, "state" => "active")
            .set(active as f64);
        metrics::gauge!("vouch_broker_jobs_retried", "kind" => kind).set(retried as f64);
    }
}

/// Health thresholds.
#[derive(Clone, Copy, Debug)]
pub struct HealthConfig {
    /// Slots the synced slot may trail the wall clock.
    pub max_lag_slots: u64,
}

/// Why the node is unhealthy (empty: healthy).
pub fn health_problems(node: &NodeHandle, config: HealthConfig) -> Vec<String> {
    let status = node.status();
    let view = status_view(node, &status);
    let mut problems = Vec::new();
    match view.follower_lag_slots {
        None => problems.push("not synced yet: no L1 block processed".to_string()),
        Some(lag) if lag > config.max_lag_slots => problems.push(format!(
            "L1 sync trails by {lag} slots (at most {} allowed)",
            config.max_lag_slots
        )),
        Some(_) => {}
    }
    if view.agents == 0 {
        problems.push("the broker has no proving agents".into());
    }
    problems
}

#[derive(Clone)]
struct HttpState {
    node: Arc<NodeHandle>,
    health: HealthConfig,
}

async fn metrics_page() -> impl IntoResponse {
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        recorder().render(),
    )
}

async fn health_page(State(state): State<HttpState>) -> impl IntoResponse {
    let problems = health_problems(&state.node, state.health);
    let body = serde_json::json!({ "healthy": problems.is_empty(), "reasons": problems });
    let code = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [(http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

/// Serves `/metrics` and `/health` on `listener` and refreshes the gauges every second, until
/// `cancel`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: Arc<NodeHandle>,
    health: HealthConfig,
    cancel: CancellationToken,
) {
    let handle = recorder();
    register_counters();
    let refresher = {
        let node = node.clone();
        let cancel = cancel.clone();
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tick.tick() => {}
                }
                update_gauges(&node);
                handle.run_upkeep();
            }
        }
    };
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics_page))
        .route("/health", axum::routing::get(health_page))
        .with_state(HttpState { node, health });
    let server = axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned());
    let (_, served) = tokio::join!(refresher, server);
    if let Err(e) = served {
        tracing::error!(error = %e, "metrics server stopped");
    }
}
