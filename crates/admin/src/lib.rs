//! Operating a Vouch node: the admin JSON-RPC server, Prometheus metrics and health.
//!
//! * [`rpc`]: the `vouch_` methods (HTTP and WebSocket on one port). Reads are open on the
//!   loopback interface; mutations (`startProof`, `cancelSession`, `pause/resumePublishing`)
//!   need an Engine-API-style JWT ([`auth`]). Bodies, batches, connections and subscriptions
//!   are bounded ([`RpcLimits`]).
//! * [`metrics`]: `/metrics` (Prometheus text, every name `vouch_…`) and `/health` (200 when
//!   synced within a lag and the broker has agents, else 503 with the reasons) on a second port.
//! * [`api`]: the JSON views and a typed client ([`api::VouchApiClient`]) used by `vouch
//!   status` and friends.

pub mod api;
pub mod auth;
pub mod metrics;
pub mod rpc;

use alloy_rpc_types_engine::JwtSecret;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use vouch_node::NodeHandle;

/// Bounds on what a client may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcLimits {
    /// Largest request body (bytes).
    pub max_request_body_bytes: u32,
    /// Largest response body (bytes; a proof is a few hundred KiB).
    pub max_response_body_bytes: u32,
    /// Concurrent connections.
    pub max_connections: u32,
    /// Calls in one batch.
    pub max_batch_requests: u32,
    /// Subscriptions per WebSocket connection.
    pub max_subscriptions_per_connection: u32,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            max_request_body_bytes: 1 << 20,
            max_response_body_bytes: 64 << 20,
            max_connections: 64,
            max_batch_requests: 20,
            max_subscriptions_per_connection: 16,
        }
    }
}

/// Where and how the admin servers listen.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// JSON-RPC (HTTP and WebSocket).
    pub rpc_addr: SocketAddr,
    /// `/metrics` and `/health` (`None`: not served).
    pub metrics_addr: Option<SocketAddr>,
    /// Allow binding to a non-loopback address.
    pub allow_external: bool,
    /// The JWT secret mutations are checked against.
    pub jwt: JwtSecret,
    /// Request bounds.
    pub limits: RpcLimits,
    /// Health thresholds.
    pub health: metrics::HealthConfig,
    /// The running configuration shown by `vouch_getConfig` (secrets already redacted).
    pub config_view: serde_json::Value,
}

/// Why the servers did not start.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A non-loopback address without the operator's explicit consent.
    #[error(
        "refusing to serve the admin API on {0}: it is not a loopback address; pass \
         --rpc.allow-external (and firewall the port) if you mean it"
    )]
    External(SocketAddr),
    /// Binding or registering failed.
    #[error("admin server on {addr}: {detail}")]
    Start {
        /// Address.
        addr: SocketAddr,
        /// Why.
        detail: String,
    },
}

/// The running admin servers.
pub struct AdminServer {
    /// The JSON-RPC address actually bound (port 0 resolved).
    pub rpc_addr: SocketAddr,
    /// The metrics address actually bound.
    pub metrics_addr: Option<SocketAddr>,
    rpc: ServerHandle,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl AdminServer {
    /// Binds and starts both servers.
    pub async fn start(node: Arc<NodeHandle>, config: AdminConfig) -> Result<Self, AdminError> {
        for addr in std::iter::once(config.rpc_addr).chain(config.metrics_addr) {
            if !addr.ip().is_loopback() {
                if !config.allow_external {
                    return Err(AdminError::External(addr));
                }
                tracing::warn!(%addr, "admin endpoint bound to a non-loopback address");
            }
        }
        let limits = config.limits;
        let server_config = ServerConfig::builder()
            .max_request_body_size(limits.max_request_body_bytes)
            .max_response_body_size(limits.max_response_body_bytes)
            .max_connections(limits.max_connections)
            .max_subscriptions_per_connection(limits.max_subscriptions_per_connection)
            .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch_requests))
            .build();
        let server = Server::builder()
            .set_config(server_config)
            .set_http_middleware(
                tower::ServiceBuilder::new().layer(auth::AuthLayer::new(config.jwt)),
            )
            .build(config.rpc_addr)
            .await
            .map_err(|e| AdminError::Start {
                addr: config.rpc_addr,
                detail: e.to_string(),
            })?;
        let rpc_addr = server.local_addr().map_err(|e| AdminError::Start {
            addr: config.rpc_addr,
            detail: e.to_string(),
        })?;
        let module = rpc::module(rpc::AdminContext {
            node: node.clone(),
            config: config.config_view,
        })
        .map_err(|e| AdminError::Start {
            addr: rpc_addr,
            detail: e.to_string(),
        })?;
        let rpc = server.start(module);
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let metrics_addr = match config.metrics_addr {
            Some(addr) => {
                let listener =
                    tokio::net::TcpListener::bind(addr)
                        .await
                        .map_err(|e| AdminError::Start {
                            addr,
                            detail: e.to_string(),
                        })?;
                let bound = listener.local_addr().map_err(|e| AdminError::Start {
                    addr,
                    detail: e.to_string(),
                })?;
                tracker.spawn(metrics::serve(
                    listener,
                    node,
                    config.health,
                    cancel.clone(),
                ));
                Some(bound)
            }
            None => None,
        };
        tracing::info!(rpc = %rpc_addr, metrics = ?metrics_addr, "admin API listening");
        Ok(Self {
            rpc_addr,
            metrics_addr,
            rpc,
            cancel,
            tracker,
        })
    }

    /// Stops both servers and waits for them.
    pub async fn stop(self) {
        let _ = self.rpc.stop();
        self.rpc.stopped().await;
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}
