//! `vouch devnet`'s live view: one line per epoch, from checkpoints proposed to the proof on
//! L1 — leaf proofs, epoch proof, submission, landing with latency, gas and deadline slack.
//! On a terminal the lines redraw in place (indicatif); otherwise each change is one log line.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::time::Duration;
use vouch_node::model::{ProverStatus, SessionKind};
use vouch_node::{NodeStatus, SessionState};
use vouch_primitives::{EpochNumber, L1RollupConstants};

/// What one epoch has reached.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochLine {
    /// Checkpoints registered.
    pub checkpoints: usize,
    /// Their leaf proofs done.
    pub leaves: usize,
    /// The newest full session's state.
    pub state: Option<SessionState>,
    /// Seconds from the last checkpoint on L1 to the proof on L1.
    pub latency_s: Option<u64>,
    /// Seconds left before the deadline when it landed.
    pub slack_s: Option<i64>,
    /// Gas of the submission.
    pub gas: Option<u64>,
    /// Why it ended, when it did not land.
    pub reason: Option<String>,
}

impl EpochLine {
    /// Whether nothing will change any more.
    pub fn finished(&self) -> bool {
        self.state.as_ref().is_some_and(SessionState::is_terminal)
    }

    /// The line's text.
    pub fn render(&self, epoch: u64) -> String {
        let stage = |done: bool, text: &str| {
            if done {
                format!("✓ {text}")
            } else {
                format!("· {text}")
            }
        };
        let state = self.state.clone();
        let reached = |s: &[SessionState]| state.as_ref().is_some_and(|x| s.contains(x));
        use SessionState::*;
        let mut parts = vec![
            format!("epoch {epoch:>4}"),
            format!("{} checkpoints", self.checkpoints),
            format!("leaves {}/{}", self.leaves, self.checkpoints),
            stage(reached(&[Publishing, Completed, Estimated]), "epoch proof"),
            stage(reached(&[Completed]), "proven on L1"),
        ];
        match &state {
            Some(Completed) => parts.push(format!(
                "latency {} · slack {} · {:.1} M gas",
                self.latency_s.map_or("?".into(), |l| format!("{l} s")),
                self.slack_s.map_or("?".into(), |s| format!("{s} s")),
                self.gas.unwrap_or(0) as f64 / 1e6
            )),
            Some(s) if s.is_terminal() => parts.push(format!(
                "{}: {}",
                s.name(),
                self.reason.clone().unwrap_or_default()
            )),
            _ => {}
        }
        parts.join("  │  ")
    }
}

/// Every epoch's line from a snapshot.
pub fn epoch_lines(status: &NodeStatus, constants: &L1RollupConstants) -> BTreeMap<u64, EpochLine> {
    let mut lines: BTreeMap<u64, EpochLine> = BTreeMap::new();
    for c in &status.checkpoints {
        let line = lines.entry(c.epoch).or_default();
        line.checkpoints += 1;
        if c.status == ProverStatus::Proven {
            line.leaves += 1;
        }
    }
    for s in status
        .sessions
        .iter()
        .filter(|s| s.kind == SessionKind::Full)
    {
        let line = lines.entry(s.epoch).or_default();
        // A settled epoch's checkpoint records are released; its session still knows them.
        if matches!(
            s.state,
            SessionState::Publishing | SessionState::Completed | SessionState::Estimated
        ) {
            line.checkpoints = line.checkpoints.max(s.members.len());
            line.leaves = line.checkpoints;
        }
        line.state = Some(s.state.clone());
        line.reason = s.reason.clone();
        if let Some(landed) = &s.landed {
            line.latency_s = landed.latency_s();
            line.gas = Some(landed.gas);
            line.slack_s = constants
                .proof_submission_deadline_timestamp(EpochNumber(s.epoch))
                .map(|d| d as i64 - landed.l1_timestamp as i64);
        }
    }
    lines
}

/// The live view.
pub struct Progress {
    multi: Option<MultiProgress>,
    bars: BTreeMap<u64, ProgressBar>,
    shown: BTreeMap<u64, String>,
}

impl Progress {
    /// Redrawn lines on a terminal (`live`), log lines otherwise.
    pub fn new(live: bool) -> Self {
        Self {
            multi: live.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stdout())),
            bars: BTreeMap::new(),
            shown: BTreeMap::new(),
        }
    }

    /// Shows what changed.
    pub fn update(&mut self, status: &NodeStatus, constants: &L1RollupConstants) {
        for (epoch, line) in epoch_lines(status, constants) {
            let text = line.render(epoch);
            if self.shown.get(&epoch) == Some(&text) {
                continue;
            }
            self.shown.insert(epoch, text.clone());
            match &self.multi {
                Some(multi) => {
                    let bar = self.bars.entry(epoch).or_insert_with(|| {
                        let bar = multi.add(ProgressBar::new_spinner());
                        bar.set_style(
                            ProgressStyle::with_template("{spinner} {msg}")
                                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                        );
                        bar.enable_steady_tick(Duration::from_millis(120));
                        bar
                    });
                    if line.finished() {
                        bar.finish_with_message(text);
                    } else {
                        bar.set_message(text);
                    }
                }
                None => tracing::info!(epoch, "{text}"),
            }
        }
    }

    /// Stops redrawing (bars left as they are).
    pub fn finish(&mut self) {
        for bar in self.bars.values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_each_stage() {
        let mut line = EpochLine {
            checkpoints: 4,
            leaves: 3,
            ..Default::default()
        };
        let text = line.render(7);
        assert!(
            text.contains("leaves 3/4") && text.contains("· epoch proof"),
            "{text}"
        );
        line.state = Some(SessionState::Completed);
        line.latency_s = Some(9);
        line.slack_s = Some(11);
        line.gas = Some(18_400_000);
        let text = line.render(7);
        assert!(
            text.contains("✓ proven on L1") && text.contains("latency 9 s"),
            "{text}"
        );
        assert!(text.contains("18.4 M gas") && line.finished(), "{text}");
        line.state = Some(SessionState::TimedOut);
        line.reason = Some("window closed".into());
        assert!(line.render(7).contains("timed_out: window closed"));
    }
}
