//! Spawning anvil as a child process.

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the install script puts the native anvil, relative to a checkout.
const REPO_ANVIL: &str = "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";

/// The native anvil binary, found at run time: `$VOUCH_ANVIL`; else the one
/// `anvil-scripts/install-toolchain.sh` put under `node_modules/` of a checkout containing the
/// current directory or the running executable; else `anvil` on `PATH`. The native binary is
/// preferred to the npm wrapper so that killing the child kills anvil. `None` when none exists.
pub fn anvil_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("VOUCH_ANVIL") {
        return Some(PathBuf::from(path));
    }
    let starts = [
        std::env::current_dir().ok(),
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf)),
    ];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            let candidate = dir.join(REPO_ANVIL);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("anvil"))
            .find(|candidate| candidate.is_file())
    })
}

/// anvil's default mnemonic accounts' private keys (the first few), for local devnets only.
const DEV_KEYS: [&str; 4] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

/// How to start anvil.
#[derive(Clone, Debug)]
pub struct AnvilConfig {
    /// TCP port; `None` picks a free one.
    pub port: Option<u16>,
    /// Chain id.
    pub chain_id: u64,
    /// Seconds between blocks; `None` mines on every transaction.
    pub block_time: Option<u64>,
    /// Load state from this file at start and dump to it on exit (`--state`).
    pub state_file: Option<PathBuf>,
    /// Where anvil's stdout/stderr go; `None` discards them.
    pub log_file: Option<PathBuf>,
    /// How long to wait for anvil to answer JSON-RPC.
    pub startup_timeout: Duration,
}

impl Default for AnvilConfig {
    fn default() -> Self {
        Self {
            port: None,
            chain_id: 31337,
            block_time: None,
            state_file: None,
            log_file: None,
            startup_timeout: Duration::from_secs(20),
        }
    }
}

/// Why anvil could not be started.
#[derive(Debug, thiserror::Error)]
pub enum AnvilError {
    /// The binary is missing.
    #[error(
        "no anvil binary: set VOUCH_ANVIL, run anvil-scripts/install-toolchain.sh in the checkout, or put anvil on PATH"
    )]
    MissingBinary,
    /// Spawning or port selection failed.
    #[error("starting anvil: {0}")]
    Io(#[from] std::io::Error),
    /// anvil exited before answering.
    #[error("anvil exited during startup with {0}")]
    Exited(std::process::ExitStatus),
    /// anvil did not answer in time.
    #[error("anvil did not answer on port {port} within {timeout:?}")]
    Timeout {
        /// The port it should listen on.
        port: u16,
        /// How long we waited.
        timeout: Duration,
    },
}

/// A running anvil child process; killed (and reaped) on drop.
#[derive(Debug)]
pub struct AnvilProcess {
    child: Child,
    port: u16,
    chain_id: u64,
}

impl AnvilProcess {
    /// Starts anvil and waits until its JSON-RPC port accepts connections.
    pub fn spawn(config: &AnvilConfig) -> Result<Self, AnvilError> {
        let binary = anvil_binary().ok_or(AnvilError::MissingBinary)?;
        let port = match config.port {
            Some(port) => port,
            None => TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
        };
        let mut cmd = Command::new(&binary);
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--host")
            .arg("127.0.0.1")
            .arg("--chain-id")
            .arg(config.chain_id.to_string())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        if let Some(block_time) = config.block_time {
            cmd.arg("--block-time").arg(block_time.to_string());
        }
        if let Some(state) = &config.state_file {
            cmd.arg("--state").arg(state);
        }
        match &config.log_file {
            Some(path) => {
                let log = File::create(path)?;
                cmd.stdout(log.try_clone()?).stderr(log);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        // If this process dies without running destructors (kill -9), the kernel kills anvil
        // too, so no L1 outlives its owner. The kernel means the spawning *thread*: spawn from
        // a thread that lives as long as anvil should (not a blocking-pool thread).
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        let mut process = Self {
            child,
            port,
            chain_id: config.chain_id,
        };
        process.wait_ready(config.startup_timeout)?;
        tracing::debug!(port, "anvil ready");
        Ok(process)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), AnvilError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(AnvilError::Exited(status));
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(AnvilError::Timeout {
                    port: self.port,
                    timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// HTTP JSON-RPC URL.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// WebSocket JSON-RPC URL.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The port anvil listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The chain id anvil was started with.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Signer of anvil's dev account `index` (0..4), funded with 10 000 ETH at start.
    pub fn dev_signer(&self, index: usize) -> PrivateKeySigner {
        DEV_KEYS[index].parse().expect("valid dev key")
    }

    /// Address of anvil's dev account `index`.
    pub fn dev_address(&self, index: usize) -> Address {
        self.dev_signer(index).address()
    }

    /// Stops anvil (SIGKILL) and reaps it. Idempotent.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops anvil gracefully (SIGTERM) so it writes its `--state` dump, then reaps it.
    pub fn stop_and_dump(&mut self, timeout: Duration) -> std::io::Result<()> {
        let pid = self.child.id().to_string();
        Command::new("kill").arg("-TERM").arg(&pid).status()?;
        let deadline = Instant::now() + timeout;
        while self.child.try_wait()?.is_none() {
            if Instant::now() >= deadline {
                self.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for AnvilProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
