//! The admin JSON-RPC methods over a running [`NodeHandle`].
//!
//! Parameters are parsed here rather than by the macro so that a bad one is answered with
//! `-32602 Invalid params` naming the parameter and what was expected; positional and named
//! (object) parameters are both accepted.

use crate::api::{
    BrokerView, CheckpointView, EpochSlack, EventView, ProofView, SessionFilter, SessionView,
    StatusView,
};
use crate::auth::Auth;
use jsonrpsee::types::Params;
use jsonrpsee::types::error::{ErrorObjectOwned, INVALID_PARAMS_CODE};
use jsonrpsee::{Extensions, RpcModule, SubscriptionMessage};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use vouch_broker::JobState;
use vouch_node::{NodeError, NodeEvent, NodeHandle, NodeStatus, SessionState};
use vouch_primitives::EpochNumber;

/// JSON-RPC code of a request the node refused (a valid request it cannot carry out now).
pub const REFUSED_CODE: i32 = -32000;
/// Sessions returned when the caller sets no limit.
const DEFAULT_SESSION_LIMIT: usize = 100;

/// What the methods share.
pub struct AdminContext {
    /// The node.
    pub node: Arc<NodeHandle>,
    /// The running configuration, secrets already redacted.
    pub config: Value,
}

fn invalid(message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message, None::<()>)
}

fn refused(e: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(REFUSED_CODE, e.to_string(), None::<()>)
}

/// A call's parameters: none, positional or named.
struct Args {
    value: Value,
    names: &'static [&'static str],
}

impl Args {
    fn parse(params: &Params, names: &'static [&'static str]) -> Result<Self, ErrorObjectOwned> {
        let value = match params.as_str() {
            None => Value::Null,
            Some(text) => serde_json::from_str(text)
                .map_err(|e| invalid(format!("params are not JSON: {e}")))?,
        };
        match &value {
            Value::Null => {}
            Value::Array(items) if items.len() > names.len() => {
                return Err(invalid(format!(
                    "expected at most {} parameter(s) ({}), got {}",
                    names.len(),
                    names.join(", "),
                    items.len()
                )));
            }
            Value::Array(_) => {}
            Value::Object(map) => {
                if let Some(unknown) = map.keys().find(|k| !names.contains(&k.as_str())) {
                    return Err(invalid(format!(
                        "unknown parameter `{unknown}`; expected {}",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    )));
                }
            }
            _ => return Err(invalid("params must be an array or an object".into())),
        }
        Ok(Self { value, names })
    }

    /// Parameter `index` (named `names[index]`), absent or null as `None`.
    fn optional<T: DeserializeOwned>(
        &self,
        index: usize,
        expected: &str,
    ) -> Result<Option<T>, ErrorObjectOwned> {
        let name = self.names[index];
        let raw = match &self.value {
            Value::Array(items) => items.get(index),
            Value::Object(map) => map.get(name),
            _ => None,
        };
        match raw {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|_| {
                invalid(format!(
                    "`{name}`: expected {expected}, got {}",
                    describe(v)
                ))
            }),
        }
    }

    fn required<T: DeserializeOwned>(
        &self,
        index: usize,
        expected: &str,
    ) -> Result<T, ErrorObjectOwned> {
        self.optional(index, expected)?
            .ok_or_else(|| invalid(format!("`{}` is required: {expected}", self.names[index])))
    }
}

/// A short description of a JSON value for error messages.
fn describe(v: &Value) -> String {
    let text = v.to_string();
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "the number",
        Value::String(_) => "the string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    if matches!(v, Value::Number(_) | Value::String(_)) && text.len() <= 40 {
        format!("{kind} {text}")
    } else {
        kind.to_string()
    }
}

const U64: &str = "a non-negative integer below 2^64";

fn now_s() -> u64 {
    vouch_broker::now_ms() / 1000
}

/// The epoch the wall clock is in (the newest an operator can name).
fn current_epoch(node: &NodeHandle) -> Option<u64> {
    let c = node.constants();
    c.epoch_at_timestamp(now_s()).map(|e| e.get())
}

fn check_not_future(node: &NodeHandle, epoch: u64) -> Result<(), ErrorObjectOwned> {
    match current_epoch(node) {
        Some(current) if epoch > current => Err(invalid(format!(
            "`epoch`: epoch {epoch} is in the future (the current epoch is {current})"
        ))),
        _ => Ok(()),
    }
}

/// The status view of a snapshot.
pub fn status_view(node: &NodeHandle, status: &NodeStatus) -> StatusView {
    let constants = node.constants();
    let now = now_s();
    let follower_lag_slots = status.synced_slot.and_then(|synced| {
        constants
            .slot_at_timestamp(now)
            .map(|current| current.get().saturating_sub(synced))
    });
    let proven = status.tips.proven.get();
    let last_proven_epoch = (proven > 0).then(|| {
        status
            .checkpoints
            .iter()
            .find(|c| c.id.number == proven)
            .map(|c| c.epoch)
            .or_else(|| {
                status
                    .sessions
                    .iter()
                    .filter(|s| s.state == SessionState::Completed && s.to() <= proven)
                    .map(|s| s.epoch)
                    .max()
            })
    });
    let open: Vec<_> = status
        .sessions
        .iter()
        .filter(|s| !s.state.is_terminal())
        .collect();
    let oldest_unproven_epoch = open.iter().map(|s| s.epoch).min().map(|epoch| EpochSlack {
        epoch,
        deadline_slack_s: constants
            .proof_submission_deadline_timestamp(EpochNumber(epoch))
            .map_or(i64::MAX, |d| d as i64 - now as i64),
    });
    let mut broker = BrokerView::default();
    for job in &status.jobs {
        let kind = broker.by_kind.entry(job.kind.clone()).or_default();
        if job.attempts > 1 {
            kind.retried += 1;
        }
        match job.state {
            JobState::Queued => {
                broker.queued += 1;
                kind.queued += 1;
            }
            JobState::Leased { .. } => {
                broker.active += 1;
                kind.active += 1;
            }
            JobState::Done => broker.done += 1,
            JobState::Failed { .. } => broker.failed += 1,
            JobState::Cancelled => {}
        }
    }
    StatusView {
        version: env!("CARGO_PKG_VERSION").into(),
        l1_head: status.l1_head,
        synced_l1_block: status.tips.synced_l1_block,
        synced_slot: status.synced_slot,
        follower_lag_slots,
        pending_checkpoint: status.tips.pending.get(),
        proven_checkpoint: proven,
        finalized_checkpoint: status.tips.finalized.get(),
        last_proven_epoch: last_proven_epoch.flatten(),
        open_sessions: open.len(),
        oldest_unproven_epoch,
        broker,
        agents: status.agents,
        publishing_enabled: status.publishing_enabled,
        publishing_paused: status.publishing_paused,
    }
}

fn sessions(
    status: &NodeStatus,
    filter: &SessionFilter,
) -> Result<Vec<SessionView>, ErrorObjectOwned> {
    if let Some(state) = &filter.state
        && !SessionState::ALL.iter().any(|s| s.name() == state)
    {
        return Err(invalid(format!(
            "`filter.state`: unknown state `{state}`; expected one of {}",
            SessionState::ALL.map(|s| s.name()).join(", ")
        )));
    }
    let limit = filter.limit.unwrap_or(DEFAULT_SESSION_LIMIT);
    Ok(status
        .sessions
        .iter()
        .rev()
        .filter(|s| filter.epoch.is_none_or(|e| s.epoch == e))
        .filter(|s| {
            filter
                .state
                .as_deref()
                .is_none_or(|st| s.state.name() == st)
        })
        .filter(|s| filter.open.is_none_or(|open| open != s.state.is_terminal()))
        .take(limit)
        .map(SessionView::of)
        .collect())
}

fn event_view(event: NodeEvent) -> EventView {
    match event {
        NodeEvent::Session(s) => EventView::Session {
            session: SessionView::of(&s),
        },
        NodeEvent::Checkpoint(c) => EventView::Checkpoint {
            checkpoint: CheckpointView::of(&c),
        },
        NodeEvent::CheckpointRemoved(id) => EventView::CheckpointRemoved {
            number: id.number,
            archive: id.archive,
        },
        NodeEvent::PublishingPaused(paused) => EventView::Publishing { paused },
    }
}

fn node_error(e: NodeError) -> ErrorObjectOwned {
    refused(e)
}

/// The `vouch_` methods.
pub fn module(
    context: AdminContext,
) -> Result<RpcModule<AdminContext>, jsonrpsee::core::RegisterMethodError> {
    let mut m = RpcModule::new(context);
    m.register_method("vouch_status", |params, ctx, _| {
        Args::parse(&params, &[])?;
        Ok::<_, ErrorObjectOwned>(status_view(&ctx.node, &ctx.node.status()))
    })?;
    m.register_method("vouch_getSessions", |params, ctx, _| {
        let args = Args::parse(&params, &["filter"])?;
        let filter: SessionFilter = args
            .optional(0, "an object with optional epoch, state, open and limit")?
            .unwrap_or_default();
        sessions(&ctx.node.status(), &filter)
    })?;
    m.register_method("vouch_getSession", |params, ctx, _| {
        let args = Args::parse(&params, &["id"])?;
        let id: u64 = args.required(0, U64)?;
        let status = ctx.node.status();
        status
            .sessions
            .iter()
            .find(|s| s.id == id)
            .map(SessionView::of)
            .ok_or_else(|| {
                invalid(format!(
                    "`id`: no session {id} (the node holds {} sessions{})",
                    status.sessions.len(),
                    match (status.sessions.first(), status.sessions.last()) {
                        (Some(a), Some(b)) => format!(", ids {}..={}", a.id, b.id),
                        _ => String::new(),
                    }
                ))
            })
    })?;
    m.register_method("vouch_getCheckpoints", |params, ctx, _| {
        let args = Args::parse(&params, &["epoch"])?;
        let epoch: u64 = args.required(0, U64)?;
        check_not_future(&ctx.node, epoch)?;
        Ok::<_, ErrorObjectOwned>(
            ctx.node
                .status()
                .checkpoints
                .iter()
                .filter(|c| c.epoch == epoch)
                .map(CheckpointView::of)
                .collect::<Vec<_>>(),
        )
    })?;
    m.register_method("vouch_getCheckpointProof", |params, ctx, _| {
        let args = Args::parse(&params, &["number"])?;
        let number: u64 = args.required(0, U64)?;
        let pending = ctx.node.status().tips.pending.get();
        if number == 0 || number > pending {
            return Err(invalid(format!(
                "`number`: checkpoint {number} is not on L1 (checkpoints are 1..={pending})"
            )));
        }
        match ctx.node.checkpoint_proof(number).map_err(node_error)? {
            Some((c, proof)) => Ok(ProofView {
                kind: "checkpoint".into(),
                epoch: c.epoch,
                from: number,
                to: number,
                session: None,
                proof: proof.into(),
            }),
            None => Err(refused(format!(
                "no proof of checkpoint {number} is held: not proven yet, or its epoch expired"
            ))),
        }
    })?;
    m.register_method("vouch_getEpochProof", |params, ctx, _| {
        let args = Args::parse(&params, &["epoch"])?;
        let epoch: u64 = args.required(0, U64)?;
        check_not_future(&ctx.node, epoch)?;
        match ctx.node.epoch_proof(epoch).map_err(node_error)? {
            Some((s, proof)) => Ok(ProofView {
                kind: "epoch".into(),
                epoch,
                from: s.from(),
                to: s.to(),
                session: Some(s.id),
                proof: proof.into(),
            }),
            None => Err(refused(format!(
                "no proof of epoch {epoch} is held: not proven yet, or its window closed"
            ))),
        }
    })?;
    m.register_method("vouch_getConfig", |params, ctx, _| {
        Args::parse(&params, &[])?;
        Ok::<_, ErrorObjectOwned>(ctx.config.clone())
    })?;
    m.register_async_method(
        "vouch_startProof",
        |params, ctx, ext: Extensions| async move {
            Auth::require(&ext, "vouch_startProof")?;
            let args = Args::parse(&params, &["epoch", "toCheckpoint"])?;
            let epoch: u64 = args.required(0, U64)?;
            let to: Option<u64> = args.optional(1, U64)?;
            check_not_future(&ctx.node, epoch)?;
            ctx.node.start_proof(epoch, to).await.map_err(node_error)
        },
    )?;
    m.register_async_method(
        "vouch_cancelSession",
        |params, ctx, ext: Extensions| async move {
            Auth::require(&ext, "vouch_cancelSession")?;
            let args = Args::parse(&params, &["id"])?;
            let id: u64 = args.required(0, U64)?;
            let Some(session) = ctx.node.status().sessions.into_iter().find(|s| s.id == id) else {
                return Err(invalid(format!("`id`: no session {id}")));
            };
            if session.state.is_terminal() {
                return Ok(false);
            }
            ctx.node.cancel_session(id).await.map_err(node_error)?;
            Ok(true)
        },
    )?;
    m.register_method("vouch_pausePublishing", |params, ctx, ext| {
        Auth::require(ext, "vouch_pausePublishing")?;
        Args::parse(&params, &[])?;
        Ok::<_, ErrorObjectOwned>(ctx.node.set_publishing_paused(true))
    })?;
    m.register_method("vouch_resumePublishing", |params, ctx, ext| {
        Auth::require(ext, "vouch_resumePublishing")?;
        Args::parse(&params, &[])?;
        Ok::<_, ErrorObjectOwned>(ctx.node.set_publishing_paused(false))
    })?;
    m.register_subscription(
        "vouch_subscribeEvents",
        "vouch_event",
        "vouch_unsubscribeEvents",
        |params, pending, ctx, _| async move {
            if let Err(e) = Args::parse(&params, &[]) {
                pending.reject(e).await;
                return Ok(());
            }
            let mut events = ctx.node.subscribe();
            let sink = pending.accept().await?;
            loop {
                let view = tokio::select! {
                    _ = sink.closed() => return Ok(()),
                    e = events.recv() => match e {
                        Ok(e) => event_view(e),
                        Err(RecvError::Lagged(missed)) => EventView::Lagged { missed },
                        Err(RecvError::Closed) => return Ok(()),
                    },
                };
                let message: SubscriptionMessage = serde_json::value::to_raw_value(&view)?.into();
                if sink.send(message).await.is_err() {
                    return Ok(());
                }
            }
        },
    )?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(json: &str, names: &'static [&'static str]) -> Result<Args, ErrorObjectOwned> {
        Args::parse(&Params::new(Some(json)), names)
    }

    #[test]
    fn params_name_what_is_wrong() {
        let a = args("[-1]", &["epoch"]).unwrap();
        let e = a.required::<u64>(0, U64).unwrap_err();
        assert_eq!(e.code(), INVALID_PARAMS_CODE);
        assert!(
            e.message().contains("`epoch`") && e.message().contains("-1"),
            "{}",
            e.message()
        );
        let a = args("[18446744073709551616]", &["epoch"]).unwrap();
        assert!(a.required::<u64>(0, U64).is_err());
        let a = args(r#"["5"]"#, &["epoch"]).unwrap();
        let e = a.required::<u64>(0, U64).unwrap_err();
        assert!(e.message().contains("the string \"5\""), "{}", e.message());
        let a = args(
            r#"{"epoch": 3, "toCheckpoint": 9}"#,
            &["epoch", "toCheckpoint"],
        )
        .unwrap();
        assert_eq!(a.required::<u64>(0, U64).unwrap(), 3);
        assert_eq!(a.optional::<u64>(1, U64).unwrap(), Some(9));
        let e = args(r#"{"epoc": 3}"#, &["epoch"]).err().unwrap();
        assert!(
            e.message().contains("unknown parameter `epoc`"),
            "{}",
            e.message()
        );
        let e = args("[1, 2, 3]", &["epoch", "toCheckpoint"]).err().unwrap();
        assert!(e.message().contains("at most 2"), "{}", e.message());
        let a = args("[]", &["id"]).unwrap();
        let e = a.required::<u64>(0, U64).unwrap_err();
        assert!(e.message().contains("`id` is required"), "{}", e.message());
    }
}
