use super::*;
use crate::agent::{AgentConfig, JobError, JobRunner, spawn_local_agents};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use vouch_storage::{MemoryKv, RocksKv};

fn spec(tag: u8, kind: &str, epoch: u64, rank: u8) -> JobSpec {
    JobSpec {
        id: JobId([tag; 32]),
        kind: kind.into(),
        epoch,
        rank,
        input: vec![tag],
    }
}

struct Fixture {
    broker: KvBroker<MemoryKv>,
    now: Arc<AtomicU64>,
}

fn fixture(max_attempts: u32) -> Fixture {
    let now = Arc::new(AtomicU64::new(1_000));
    let clock = now.clone();
    let broker = KvBroker::with_clock(
        Arc::new(MemoryKv::default()),
        BrokerConfig {
            lease: Duration::from_secs(10),
            max_attempts,
        },
        Arc::new(move || clock.load(Ordering::SeqCst)),
    );
    Fixture { broker, now }
}

#[test]
fn identical_work_is_submitted_once_and_its_output_reused() {
    let f = fixture(3);
    let first = f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap();
    let again = f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap();
    assert_eq!(first.seq, again.seq);
    let job = f.broker.lease("a").unwrap().unwrap();
    assert_eq!(job.input, vec![1]);
    assert!(
        f.broker.lease("b").unwrap().is_none(),
        "one job, leased once"
    );
    assert_eq!(
        f.broker
            .complete(&job.record.id, "a", b"proof".to_vec())
            .unwrap(),
        Completion::Accepted
    );
    let reused = f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap();
    assert_eq!(reused.state, JobState::Done);
    assert_eq!(
        f.broker.output(&reused.id).unwrap(),
        Some(b"proof".to_vec())
    );
    assert!(
        f.broker.lease("a").unwrap().is_none(),
        "done work is not leased again"
    );
    let mut clash = spec(1, "epoch", 1, 0);
    clash.input = vec![9];
    assert!(matches!(
        f.broker.submit(clash),
        Err(BrokerError::IdCollision { .. })
    ));
}

#[test]
fn an_epoch_proof_goes_before_later_leaves_and_older_epochs_first() {
    let f = fixture(3);
    f.broker.submit(spec(1, "checkpoint", 2, 1)).unwrap();
    f.broker.submit(spec(2, "checkpoint", 3, 1)).unwrap();
    f.broker.submit(spec(3, "epoch", 2, 0)).unwrap();
    f.broker.submit(spec(4, "checkpoint", 1, 1)).unwrap();
    let order: Vec<u8> = std::iter::from_fn(|| f.broker.lease("a").unwrap())
        .map(|j| j.record.id.0[0])
        .collect();
    assert_eq!(order, vec![4, 3, 1, 2]);
}

#[test]
fn an_expired_lease_is_leased_again_and_the_dead_agent_loses_it() {
    let f = fixture(3);
    f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap();
    let job = f.broker.lease("dead").unwrap().unwrap();
    assert!(f.broker.lease("b").unwrap().is_none(), "lease still valid");
    f.now.fetch_add(5_000, Ordering::SeqCst);
    assert!(
        f.broker.heartbeat(&job.record.id, "dead").unwrap(),
        "heartbeat extends"
    );
    f.now.fetch_add(9_000, Ordering::SeqCst);
    assert!(
        f.broker.lease("b").unwrap().is_none(),
        "extended by the heartbeat"
    );
    f.now.fetch_add(2_000, Ordering::SeqCst);
    let again = f
        .broker
        .lease("b")
        .unwrap()
        .expect("expired lease re-leased");
    assert_eq!(again.record.attempts, 2);
    assert!(!f.broker.heartbeat(&job.record.id, "dead").unwrap());
    // The dead agent's error no longer counts; the live one's result does.
    assert_eq!(
        f.broker
            .fail(&job.record.id, "dead", "late", false)
            .unwrap(),
        Some(again.record.state.clone())
    );
    assert_eq!(
        f.broker.complete(&job.record.id, "b", vec![7]).unwrap(),
        Completion::Accepted
    );
}

#[test]
fn retries_are_bounded_and_the_job_ends_failed_with_its_error() {
    let f = fixture(2);
    let id = f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap().id;
    f.broker.lease("a").unwrap().unwrap();
    assert_eq!(
        f.broker.fail(&id, "a", "oom", true).unwrap(),
        Some(JobState::Queued)
    );
    f.broker.lease("a").unwrap().unwrap();
    let end = f.broker.fail(&id, "a", "oom again", true).unwrap();
    assert_eq!(
        end,
        Some(JobState::Failed {
            error: "oom again".into()
        })
    );
    assert!(f.broker.lease("a").unwrap().is_none());
    // A permanent error fails at once.
    let id2 = f.broker.submit(spec(2, "checkpoint", 1, 1)).unwrap().id;
    f.broker.lease("a").unwrap().unwrap();
    assert!(matches!(
        f.broker.fail(&id2, "a", "bad input", false).unwrap(),
        Some(JobState::Failed { .. })
    ));
    // Failure is a property of the content: resubmitting does not retry it.
    assert!(matches!(
        f.broker.submit(spec(2, "checkpoint", 1, 1)).unwrap().state,
        JobState::Failed { .. }
    ));
}

#[test]
fn cancelled_jobs_ignore_late_results_and_come_back_when_resubmitted() {
    let f = fixture(3);
    let id = f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap().id;
    f.broker.lease("a").unwrap().unwrap();
    assert!(f.broker.cancel(&id).unwrap());
    assert!(!f.broker.cancel(&id).unwrap());
    assert_eq!(
        f.broker.complete(&id, "a", vec![1]).unwrap(),
        Completion::Ignored
    );
    assert_eq!(f.broker.output(&id).unwrap(), None);
    assert!(f.broker.lease("a").unwrap().is_none());
    assert_eq!(
        f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap().state,
        JobState::Queued
    );
    assert!(f.broker.lease("a").unwrap().is_some());
}

#[test]
fn epoch_clean_up_removes_its_jobs_and_outputs_only() {
    let f = fixture(3);
    let a = f.broker.submit(spec(1, "checkpoint", 1, 1)).unwrap().id;
    f.broker.submit(spec(2, "epoch", 1, 0)).unwrap();
    f.broker.submit(spec(3, "checkpoint", 2, 1)).unwrap();
    f.broker.lease("x").unwrap().unwrap(); // epoch 1's epoch job (rank 0)
    let leaf = f.broker.lease("x").unwrap().unwrap();
    assert_eq!(leaf.record.id, a);
    f.broker.complete(&a, "x", vec![1]).unwrap();
    assert_eq!(f.broker.remove_epoch(1).unwrap(), 2);
    assert_eq!(f.broker.output(&a).unwrap(), None);
    let left: Vec<u64> = f.broker.jobs().unwrap().iter().map(|j| j.epoch).collect();
    assert_eq!(left, vec![2]);
    let next = f.broker.lease("x").unwrap().unwrap();
    assert_eq!(next.record.epoch, 2, "removed jobs leave the queue");
}

#[test]
fn jobs_survive_a_reopen_and_a_restart_releases_its_dead_agents_leases() {
    let dir = tempfile::tempdir().unwrap();
    let done;
    {
        let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
        let broker = KvBroker::new(kv, BrokerConfig::default());
        done = broker.submit(spec(1, "checkpoint", 1, 1)).unwrap().id;
        broker.submit(spec(2, "checkpoint", 1, 1)).unwrap();
        broker.lease("local-0").unwrap().unwrap();
        broker.complete(&done, "local-0", b"p".to_vec()).unwrap();
        broker.lease("local-0").unwrap().unwrap(); // in progress when the process dies
    }
    let kv = Arc::new(RocksKv::open(dir.path(), &TABLES).unwrap());
    let broker = KvBroker::new(kv, BrokerConfig::default());
    assert_eq!(broker.output(&done).unwrap(), Some(b"p".to_vec()));
    assert!(broker.lease("local-0").unwrap().is_none(), "still leased");
    assert_eq!(broker.release_leases("remote").unwrap(), 0);
    assert_eq!(broker.release_leases("local").unwrap(), 1);
    let again = broker.lease("local-1").unwrap().unwrap();
    assert_eq!(again.record.id, JobId([2; 32]));
    assert_eq!(again.record.attempts, 2);
}

#[test]
fn a_corrupt_record_is_an_error_not_a_panic() {
    let kv = Arc::new(MemoryKv::default());
    let broker = KvBroker::new(kv.clone(), BrokerConfig::default());
    let id = broker.submit(spec(1, "checkpoint", 1, 1)).unwrap().id;
    kv.write(vec![(JOBS, id.0.to_vec(), Some(b"{not json".to_vec()))])
        .unwrap();
    assert!(matches!(
        broker.status(&id),
        Err(BrokerError::Corrupt { .. })
    ));
    assert!(matches!(
        broker.lease("a"),
        Err(BrokerError::Corrupt { .. })
    ));
}

struct Doubler;
impl JobRunner for Doubler {
    fn run(&self, job: &LeasedJob) -> Result<Vec<u8>, JobError> {
        match job.input.first() {
            Some(0) => Err(JobError::permanent("zero is not provable")),
            Some(x) => Ok(vec![x * 2]),
            None => Err(JobError::permanent("empty")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_agents_run_jobs_and_report_failures() {
    let broker: Arc<dyn ProvingBroker> = Arc::new(KvBroker::new(
        Arc::new(MemoryKv::default()),
        BrokerConfig::default(),
    ));
    let tracker = TaskTracker::new();
    let cancel = CancellationToken::new();
    let mut config = AgentConfig::local(2);
    config.idle_poll = Duration::from_millis(50);
    spawn_local_agents(
        broker.clone(),
        Arc::new(Doubler),
        &config,
        &tracker,
        cancel.clone(),
    );
    for tag in [3u8, 0, 5] {
        broker.submit(spec(tag, "checkpoint", 1, 1)).unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let jobs = broker.jobs().unwrap();
        if jobs.iter().all(|j| j.state.is_terminal()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs not finished: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(broker.output(&JobId([3; 32])).unwrap(), Some(vec![6]));
    assert_eq!(broker.output(&JobId([5; 32])).unwrap(), Some(vec![10]));
    assert_eq!(
        broker.status(&JobId([0; 32])).unwrap().unwrap().state,
        JobState::Failed {
            error: "zero is not provable".into()
        }
    );
    cancel.cancel();
    tracker.close();
    tokio::time::timeout(Duration::from_secs(5), tracker.wait())
        .await
        .expect("agents stop on cancel");
}
