//! Operator commands against a running node's admin API: `vouch status`, `sessions`, `prove`,
//! `cancel`, `publishing`, `proof`. Tables for people, `--json` for scripts.

use crate::cli::{
    CancelArgs, ClientArgs, ProofArgs, ProveArgs, PublishingAction, PublishingArgs, SessionsArgs,
};
use anyhow::{Context, Result};
use jsonrpsee::http_client::{HeaderMap, HeaderValue, HttpClient, HttpClientBuilder};
use vouch_admin::api::{SessionFilter, SessionView, StatusView, VouchApiClient};

/// A client; with a fresh JWT when `authenticated`.
fn client(args: &ClientArgs, authenticated: bool) -> Result<HttpClient> {
    let mut headers = HeaderMap::new();
    if authenticated {
        let path = args.jwt_secret.as_ref().context(
            "this command changes the node: pass --jwt-secret (the node's <datadir>/jwt.hex)",
        )?;
        let secret = alloy_rpc_types_engine::JwtSecret::from_file(path)
            .with_context(|| format!("JWT secret {}", path.display()))?;
        let token = vouch_admin::auth::token(&secret).map_err(anyhow::Error::msg)?;
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
    }
    HttpClientBuilder::default()
        .set_headers(headers)
        .max_response_size(64 << 20)
        .request_timeout(std::time::Duration::from_secs(30))
        .build(args.rpc_url.as_str())
        .with_context(|| format!("admin API at {}", args.rpc_url))
}

/// Explains an RPC failure with the node's address.
fn rpc<T>(args: &ClientArgs, r: Result<T, jsonrpsee::core::ClientError>) -> Result<T> {
    r.map_err(|e| match e {
        jsonrpsee::core::ClientError::Call(err) => anyhow::anyhow!("{}", err.message()),
        other => anyhow::anyhow!("cannot reach the node at {}: {other}", args.rpc_url),
    })
}

/// Prints `rows` as aligned columns under `header`.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.iter().map(|r| line(r.clone())));
    out.join("\n")
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// `vouch status`.
pub async fn status(args: ClientArgs) -> Result<()> {
    let s = rpc(&args, client(&args, false)?.status().await)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!("{}", render_status(&s));
    Ok(())
}

fn render_status(s: &StatusView) -> String {
    let rows = vec![
        vec!["version".into(), s.version.clone()],
        vec![
            "L1".into(),
            format!(
                "head {} · synced {} (slot {}, {} slots behind)",
                s.l1_head,
                opt(s.synced_l1_block),
                opt(s.synced_slot),
                opt(s.follower_lag_slots)
            ),
        ],
        vec![
            "checkpoints".into(),
            format!(
                "pending {} · proven {} · finalized {}",
                s.pending_checkpoint, s.proven_checkpoint, s.finalized_checkpoint
            ),
        ],
        vec!["last proven epoch".into(), opt(s.last_proven_epoch)],
        vec![
            "open sessions".into(),
            match &s.oldest_unproven_epoch {
                Some(e) => format!(
                    "{} (oldest: epoch {}, {} s before its deadline)",
                    s.open_sessions, e.epoch, e.deadline_slack_s
                ),
                None => s.open_sessions.to_string(),
            },
        ],
        vec![
            "broker".into(),
            format!(
                "{} queued · {} active · {} done · {} failed · {} agents",
                s.broker.queued, s.broker.active, s.broker.done, s.broker.failed, s.agents
            ),
        ],
        vec![
            "publishing".into(),
            match (s.publishing_enabled, s.publishing_paused) {
                (false, _) => "disabled".into(),
                (true, true) => "PAUSED".into(),
                (true, false) => "on".into(),
            },
        ],
    ];
    table(&["", ""], &rows)
        .lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `vouch sessions`.
pub async fn sessions(args: SessionsArgs) -> Result<()> {
    let filter = SessionFilter {
        epoch: args.epoch,
        state: args.state.clone(),
        open: args.open.then_some(true),
        limit: Some(args.limit),
    };
    let c = client(&args.client, false)?;
    let list = rpc(&args.client, c.get_sessions(Some(filter)).await)?;
    if args.client.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    println!("{}", render_sessions(&list));
    Ok(())
}

fn render_sessions(list: &[SessionView]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.epoch.to_string(),
                format!("{}..={}", s.from, s.to),
                s.kind.clone(),
                s.state.clone(),
                s.landed
                    .as_ref()
                    .map_or("-".into(), |l| format!("{:.1} M", l.gas as f64 / 1e6)),
                s.landed
                    .as_ref()
                    .and_then(|l| l.latency_s)
                    .map_or("-".into(), |l| format!("{l} s")),
                s.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "ID", "EPOCH", "RANGE", "KIND", "STATE", "GAS", "LATENCY", "REASON",
        ],
        &rows,
    )
}

/// `vouch prove`.
pub async fn prove(args: ProveArgs) -> Result<()> {
    let c = client(&args.client, true)?;
    let id = rpc(&args.client, c.start_proof(args.epoch, args.to).await)?;
    if args.client.json {
        println!("{}", serde_json::json!({ "session": id }));
    } else {
        println!("session {id} proves epoch {}", args.epoch);
    }
    Ok(())
}

/// `vouch cancel`.
pub async fn cancel(args: CancelArgs) -> Result<()> {
    let c = client(&args.client, true)?;
    let cancelled = rpc(&args.client, c.cancel_session(args.id).await)?;
    if args.client.json {
        println!("{}", serde_json::json!({ "cancelled": cancelled }));
    } else if cancelled {
        println!("session {} cancelled", args.id);
    } else {
        println!("session {} had already ended", args.id);
    }
    Ok(())
}

/// `vouch publishing pause|resume`.
pub async fn publishing(args: PublishingArgs) -> Result<()> {
    let c = client(&args.client, true)?;
    let (changed, word) = match args.action {
        PublishingAction::Pause => (rpc(&args.client, c.pause_publishing().await)?, "paused"),
        PublishingAction::Resume => (rpc(&args.client, c.resume_publishing().await)?, "resumed"),
    };
    if args.client.json {
        println!(
            "{}",
            serde_json::json!({ "changed": changed, "publishing": word })
        );
    } else if changed {
        println!("publishing {word}");
    } else {
        println!("publishing was already {word}");
    }
    Ok(())
}

/// `vouch proof`.
pub async fn proof(args: ProofArgs) -> Result<()> {
    let c = client(&args.client, false)?;
    let view = match args.checkpoint {
        Some(n) => rpc(&args.client, c.get_checkpoint_proof(n).await)?,
        None => rpc(&args.client, c.get_epoch_proof(args.epoch).await)?,
    };
    std::fs::write(&args.out, &view.proof)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    if args.client.json {
        println!(
            "{}",
            serde_json::json!({
                "kind": view.kind, "epoch": view.epoch, "from": view.from, "to": view.to,
                "session": view.session, "bytes": view.proof.len(), "out": args.out,
            })
        );
    } else {
        println!(
            "{} proof of checkpoints {}..={} (epoch {}): {} bytes written to {}",
            view.kind,
            view.from,
            view.to,
            view.epoch,
            view.proof.len(),
            args.out.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(
            &["A", "LONGER"],
            &[
                vec!["xyz".into(), "1".into()],
                vec!["q".into(), "22".into()],
            ],
        );
        assert_eq!(t, "A    LONGER\nxyz  1\nq    22");
    }
}
