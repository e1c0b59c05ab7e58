//! Who is calling: device bearer tokens (stored hashed), the dispatcher's admin token,
//! one-time enrolment codes, dispatchers' passwords (argon2id), and the rate limits on
//! enrolment and login, counted per client ([`ClientAddr`]: the real client behind trusted
//! proxies, IPv6 per /64). The extractors ([`Device`], [`Dispatcher`]) read what they need from
//! any state that lends [`Keys`], so this module sits below the server's state.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::net::{Cidr, client_ip, rate_key};
use crate::storage::{DeviceRecord, Storage};

/// Prefix of device tokens (so a device token is recognised on dispatcher routes).
pub const DEVICE_TOKEN_PREFIX: &str = "fkd_";
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 12;

/// SHA-256 (hex) of a secret: what the server stores instead of the secret.
pub fn hash_secret(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A fresh admin token (written to the data dir when none is configured).
pub fn new_admin_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!("fka_{}", hex::encode(b))
}

/// A fresh enrolment code, `XXXX-XXXX-XXXX` (60 random bits, no look-alike characters).
pub fn new_enrolment_code() -> String {
    let mut b = [0u8; CODE_LEN];
    rand::rng().fill_bytes(&mut b);
    let chars: Vec<char> = b
        .iter()
        .map(|x| CODE_ALPHABET[(*x as usize) % CODE_ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed (any case, with or without dashes and spaces), normalised; `None` if
/// it cannot be a code.
pub fn normalize_code(s: &str) -> Option<String> {
    let c: String = s
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_LEN && c.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(c)
}

/// Compares two secrets (or their hashes) without an early exit.
pub(crate) fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The argon2id hash (PHC string) of a dispatcher's password (slow on purpose: call it off
/// the async workers).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// What a dispatcher's password must be: 12 to 256 characters.
pub fn password_ok(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if (12..=256).contains(&n) {
        Ok(())
    } else {
        Err("a dispatcher's password is 12 to 256 characters")
    }
}

/// What the extractors need from the server's state: the devices' records and the hash of
/// the dispatcher's token.
#[derive(Clone)]
pub struct Keys {
    pub storage: Arc<dyn Storage>,
    /// SHA-256 of the dispatcher's token.
    pub admin_token_hash: Arc<str>,
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let h = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("a bearer token is required"))?;
    let s = h
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed authorization header"))?;
    let t = s
        .strip_prefix("Bearer ")
        .ok_or(ApiError::Unauthorized("malformed authorization header"))?
        .trim();
    if t.is_empty() || t.len() > 256 {
        return Err(ApiError::Unauthorized("malformed bearer token"));
    }
    Ok(t)
}

/// An authenticated, not revoked device.
pub struct Device(pub DeviceRecord);

impl<S> FromRequestParts<S> for Device
where
    S: Send + Sync,
    Keys: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = Keys::from_ref(state);
        let token = bearer(parts)?;
        let well_formed = token
            .strip_prefix(DEVICE_TOKEN_PREFIX)
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Err(ApiError::Unauthorized("not a device token"));
        }
        let device = state
            .storage
            .device_by_token(hash_secret(token))
            .await?
            .ok_or(ApiError::Unauthorized("unknown device token"))?;
        if device.revoked_at.is_some() {
            return Err(ApiError::Unauthorized("this device's access was revoked"));
        }
        Ok(Device(device))
    }
}

/// The dispatcher (holder of the admin token).
pub struct Dispatcher;

impl<S> FromRequestParts<S> for Dispatcher
where
    S: Send + Sync,
    Keys: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = Keys::from_ref(state);
        let token = bearer(parts)?;
        if same_hash(&hash_secret(token), &state.admin_token_hash) {
            return Ok(Dispatcher);
        }
        if token.starts_with(DEVICE_TOKEN_PREFIX) {
            return Err(ApiError::Forbidden(
                "device tokens cannot use dispatcher routes",
            ));
        }
        Err(ApiError::Unauthorized("not the dispatcher's token"))
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxies`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<[Cidr]>);

/// The client a request comes from ([`crate::net::client_ip`]: the TCP peer, or behind a
/// trusted proxy the right-most untrusted `X-Forwarded-For` address), and the key its rate
/// limits count under ([`ClientAddr::key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The rate-limit key: the IPv4 address, or the IPv6 /64.
    pub fn key(&self) -> IpAddr {
        rate_key(self.0)
    }
}

impl<S> FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    TrustedProxies: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Err(ApiError::Internal(
                "no peer address on the connection".into(),
            ));
        };
        let trusted = TrustedProxies::from_ref(state);
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientAddr(client_ip(peer.ip(), forwarded, &trusted.0)))
    }
}

/// A fixed-window limit of attempts per client address.
pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// At most `per_window` attempts per address per `window`.
    pub fn new(per_window: u32, window: Duration) -> Self {
        Self {
            per_window,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; `false` when over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let e = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(e.0) >= self.window {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= self.per_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_normalise_and_tokens_are_well_formed() {
        let c = new_enrolment_code();
        assert_eq!(c.len(), 14);
        let n = normalize_code(&c.to_lowercase()).unwrap();
        assert_eq!(normalize_code(&c), Some(n));
        assert!(normalize_code("short").is_none());
        assert!(same_hash(&hash_secret("a"), &hash_secret("a")));
        assert!(!same_hash(&hash_secret("a"), &hash_secret("b")));
    }

    #[test]
    fn passwords_hash_and_check() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &h));
        assert!(!password_matches("correct horse batterY", &h));
        assert!(!password_matches(
            "correct horse battery",
            "not a phc string"
        ));
        assert!(password_ok("twelve chars").is_ok());
        assert!(password_ok("eleven char").is_err());
    }

    #[test]
    fn the_limiter_counts_per_address() {
        let l = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        assert!(l.allow(a) && l.allow(a));
        assert!(!l.allow(a));
        assert!(l.allow(b));
    }
}
