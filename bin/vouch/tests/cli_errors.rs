//! Bad operator input gets a clear message and a non-zero exit, never a panic.

use std::process::{Command, Output};

fn vouch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env_remove("VOUCH_L1_RPC_URL")
        .env_remove("VOUCH_VERIFIER")
        .env_remove("VOUCH_PRIVATE_KEY")
        .output()
        .expect("run vouch")
}

fn assert_rejected(args: &[&str], expected: &str) {
    let out = vouch(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr.contains(expected),
        "{args:?}: stderr lacks {expected:?}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
}

const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

#[test]
fn deploy_requires_rpc_url() {
    assert_rejected(
        &[
            "deploy",
            "--private-key",
            KEY,
            "--verifier",
            "insecure-mock",
        ],
        "--rpc-url",
    );
}

#[test]
fn deploy_rejects_malformed_rpc_url() {
    assert_rejected(
        &[
            "deploy",
            "--rpc-url",
            "localhost:8545",
            "--private-key",
            KEY,
            "--verifier",
            "insecure-mock",
        ],
        "has no scheme",
    );
    assert_rejected(
        &[
            "deploy",
            "--rpc-url",
            "ftp://x",
            "--private-key",
            KEY,
            "--verifier",
            "insecure-mock",
        ],
        "unsupported scheme",
    );
}

#[test]
fn deploy_reports_unreachable_rpc() {
    // Port 1 on loopback refuses connections.
    assert_rejected(
        &[
            "deploy",
            "--rpc-url",
            "http://127.0.0.1:1",
            "--private-key",
            KEY,
            "--verifier",
            "insecure-mock",
        ],
        "cannot reach L1 RPC",
    );
}

#[test]
fn deploy_requires_explicit_verifier() {
    assert_rejected(
        &[
            "deploy",
            "--rpc-url",
            "http://127.0.0.1:1",
            "--private-key",
            KEY,
        ],
        "--verifier",
    );
}

#[test]
fn deploy_rejects_invalid_verifier() {
    for bad in [
        "0x1234",
        "mock",
        "0x0000000000000000000000000000000000000000",
    ] {
        assert_rejected(
            &[
                "deploy",
                "--rpc-url",
                "http://127.0.0.1:1",
                "--private-key",
                KEY,
                "--verifier",
                bad,
            ],
            "a 0x-prefixed 20-byte address",
        );
    }
}

#[test]
fn deploy_rejects_invalid_private_key() {
    assert_rejected(
        &[
            "deploy",
            "--rpc-url",
            "http://127.0.0.1:1",
            "--private-key",
            "0xnope",
            "--verifier",
            "insecure-mock",
        ],
        "not a 32-byte hex private key",
    );
}

#[test]
fn rollup_info_rejects_bad_address() {
    assert_rejected(
        &[
            "rollup-info",
            "--rpc-url",
            "http://127.0.0.1:1",
            "--rollup",
            "0x12",
        ],
        "--rollup",
    );
}
