//! JWT authentication of mutating admin calls, as the Engine API does it: HS256 with a 32-byte
//! hex secret shared through a file, `iat` within ±60 s of the server's clock.
//!
//! An HTTP layer reads `Authorization: Bearer <token>` once per HTTP request (or once per
//! WebSocket upgrade) and leaves its verdict in the request's extensions, where jsonrpsee hands
//! it to every call; mutating methods require [`Auth::Valid`]. Read methods stay open: the
//! server is bound to loopback unless the operator says otherwise.

use alloy_rpc_types_engine::{Claims, JwtSecret};
use jsonrpsee::types::ErrorObjectOwned;
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll};

/// JSON-RPC error code of a refused mutating call.
pub const UNAUTHORIZED_CODE: i32 = -32001;

/// Why a secret file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Reading, creating or parsing failed.
    #[error("JWT secret {path}: {detail}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        detail: String,
    },
}

/// Reads the secret at `path`, or creates one there (mode 0600) when the file is absent.
pub fn load_or_create_secret(path: &Path) -> Result<JwtSecret, SecretError> {
    let err = |detail: String| SecretError::File {
        path: path.display().to_string(),
        detail,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => JwtSecret::from_hex(text.trim()).map_err(|e| {
            err(format!(
                "not a 32-byte hex secret ({e}); `openssl rand -hex 32` makes one"
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
            }
            let secret = JwtSecret::random();
            let hex: String = secret
                .as_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            write_private(path, hex.as_bytes()).map_err(|e| err(e.to_string()))?;
            tracing::info!(path = %path.display(), "generated a JWT secret for the admin API");
            Ok(secret)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// A fresh token for `secret` (`iat` now), as clients send it.
pub fn token(secret: &JwtSecret) -> Result<String, String> {
    secret
        .encode(&Claims::with_current_timestamp())
        .map_err(|e| e.to_string())
}

/// The verdict on a request's credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// A valid token.
    Valid,
    /// No `Authorization` header.
    Missing,
    /// A token that does not verify (wrong secret, expired `iat`, malformed).
    Rejected(String),
}

impl Auth {
    /// Checks the `Authorization` header.
    pub fn of(headers: &http::HeaderMap, secret: &JwtSecret) -> Self {
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            return Self::Missing;
        };
        let Some(token) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
            return Self::Rejected("the Authorization header is not `Bearer <jwt>`".into());
        };
        match secret.validate(token.trim()) {
            Ok(()) => Self::Valid,
            Err(e) => Self::Rejected(e.to_string()),
        }
    }

    /// `Ok` when the request may mutate; otherwise the error to answer with.
    pub fn require(extensions: &http::Extensions, method: &str) -> Result<(), ErrorObjectOwned> {
        let reason = match extensions.get::<Auth>() {
            Some(Self::Valid) => return Ok(()),
            Some(Self::Rejected(r)) => format!("the JWT was rejected: {r}"),
            Some(Self::Missing) | None => {
                "no JWT: send `Authorization: Bearer <jwt>` signed with the node's secret".into()
            }
        };
        // Counted, and logged at most every 10 s: a flood of bad calls must not flood the logs.
        metrics::counter!("vouch_admin_unauthorized_total").increment(1);
        static LAST_WARNED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let now = vouch_broker::now_ms();
        let last = LAST_WARNED.load(std::sync::atomic::Ordering::Relaxed);
        if now.saturating_sub(last) >= 10_000
            && LAST_WARNED
                .compare_exchange(
                    last,
                    now,
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_ok()
        {
            tracing::warn!(method, %reason, "refused an unauthenticated admin call (more are counted in vouch_admin_unauthorized_total)");
        }
        Err(ErrorObjectOwned::owned(
            UNAUTHORIZED_CODE,
            format!("unauthorized: {method} needs a valid JWT ({reason})"),
            None::<()>,
        ))
    }
}

/// The tower layer that records [`Auth`] on every HTTP request.
#[derive(Clone)]
pub struct AuthLayer {
    secret: Arc<JwtSecret>,
}

impl AuthLayer {
    /// A layer checking tokens against `secret`.
    pub fn new(secret: JwtSecret) -> Self {
        Self {
            secret: Arc::new(secret),
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            secret: self.secret.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    secret: Arc<JwtSecret>,
}

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let auth = Auth::of(request.headers(), &self.secret);
        request.extensions_mut().insert(auth);
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn tokens_are_checked() {
        let secret = JwtSecret::random();
        let good = token(&secret).unwrap();
        assert_eq!(
            Auth::of(&headers(&format!("Bearer {good}")), &secret),
            Auth::Valid
        );
        assert_eq!(Auth::of(&http::HeaderMap::new(), &secret), Auth::Missing);
        // Signed with another secret.
        let other = token(&JwtSecret::random()).unwrap();
        assert!(matches!(
            Auth::of(&headers(&format!("Bearer {other}")), &secret),
            Auth::Rejected(_)
        ));
        // Issued two minutes ago.
        let stale = secret
            .encode(&Claims {
                iat: Claims::with_current_timestamp().iat - 120,
                exp: None,
            })
            .unwrap();
        assert!(matches!(
            Auth::of(&headers(&format!("Bearer {stale}")), &secret),
            Auth::Rejected(_)
        ));
        assert!(matches!(
            Auth::of(&headers(&good), &secret),
            Auth::Rejected(_)
        ));
    }

    #[test]
    fn secret_file_is_created_private_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/jwt.hex");
        let created = load_or_create_secret(&path).unwrap();
        let again = load_or_create_secret(&path).unwrap();
        assert_eq!(created.as_bytes(), again.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        let e = load_or_create_secret(&path).unwrap_err().to_string();
        assert!(e.contains("32-byte hex"), "{e}");
    }
}
