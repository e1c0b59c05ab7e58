//! Who is calling: device bearer tokens (stored hashed), the dispatcher's admin token,
//! one-time enrolment codes, dispatchers' passwords (argon2id, hashed and checked through
//! the [`PasswordGate`]: a few at a time, a bounded line behind them), and the limits on
//! enrolment and login (per client, [`ClientAddr`]: the real client behind trusted proxies,
//! IPv6 per /64, in a [`RateLimiter`] counted in storage so every instance on the database
//! shares it; per account: [`LoginBackoff`]). The extractors
//! ([`Device`], [`Dispatcher`]) read what they need from any state that lends [`Keys`], so
//! this module sits below the server's state.

use crate::msg;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::net::{Cidr, client_ip, rate_key};
use crate::records::LoginFailures;
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
/// the async workers; the server goes through [`PasswordGate::hash`]).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    hash_password_in(password, &mut Vec::new())
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn password_matches(password: &str, hash: &str) -> bool {
    password_matches_in(password, hash, &mut Vec::new())
}

/// The most argon2 memory a stored hash may ask for (256 MiB): a hash asking more is
/// refused rather than allocated.
const MAX_BLOCKS: usize = 256 * 1024;

/// `blocks` grown to at least `n` blocks (it never shrinks: it is reused).
fn memory(blocks: &mut Vec<Block>, n: usize) -> Option<&mut [Block]> {
    if n > MAX_BLOCKS {
        return None;
    }
    if blocks.len() < n {
        blocks.resize(n, Block::default());
    }
    blocks.get_mut(..n)
}

/// [`hash_password`] with `blocks` as argon2's memory.
fn hash_password_in(password: &str, blocks: &mut Vec<Block>) -> Result<String, ApiError> {
    let fail = |e: &dyn std::fmt::Display| ApiError::Internal(format!("argon2: {e}"));
    let params = Params::default();
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let mem = memory(blocks, params.block_count()).ok_or_else(|| fail(&"memory"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, mem)
        .map_err(|e| fail(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| fail(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| fail(&e))?),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(phc.to_string())
}

/// [`password_matches`] with `blocks` as argon2's memory.
fn password_matches_in(password: &str, hash: &str, blocks: &mut Vec<Block>) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&h.salt, &h.hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&h),
        Algorithm::try_from(h.algorithm.as_str()),
    ) else {
        return false;
    };
    let Ok(version) = h.version.map_or(Ok(Version::default()), Version::try_from) else {
        return false;
    };
    let Some(mem) = memory(blocks, params.block_count()) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, mem)
        .is_ok()
        // `Output`'s equality is constant-time.
        && Output::new(&out).is_ok_and(|o| o == *expected)
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

/// Runs password hashes and checks (argon2id: about 19 MiB and tens of milliseconds each) on
/// the blocking pool, at most `permits` at once, so a flood of logins cannot take the memory
/// of hundreds of them at a time. Callers beyond the permits wait in line, up to `queue` of
/// them; past that they are refused at once ([`ApiError::Busy`]: 503 with `Retry-After`).
///
/// Argon2's memory is the gate's own: one buffer per permit, made on first use and reused
/// (the allocator, asked for 19 MiB per check from ever-changing blocking threads, keeps
/// many of them: a few hundred MiB after a burst of sequential logins were measured). So
/// the server's memory for passwords is at most `permits` × 19 MiB, held once used.
pub struct PasswordGate {
    permits: Arc<tokio::sync::Semaphore>,
    /// Permits plus line: the most callers inside at a time.
    capacity: usize,
    inside: Arc<AtomicUsize>,
    /// Argon2 memory not in use (at most one per permit).
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
}

/// One caller counted inside the gate until dropped.
struct Inside(Arc<AtomicUsize>);

impl Drop for Inside {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordGate {
    /// At most `permits` hashes at once (at least 1) and `queue` callers waiting.
    pub fn new(permits: usize, queue: usize) -> Self {
        let permits = permits.max(1);
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(permits)),
            capacity: permits.saturating_add(queue),
            inside: Arc::new(AtomicUsize::new(0)),
            buffers: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The default number of permits: two per core, at least 2.
    pub fn default_permits() -> usize {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .saturating_mul(2)
            .max(2)
    }

    /// Runs `f` (a hash or a check, given argon2's memory) once a permit is free; the permit
    /// (and the caller's place) is held until `f` returns, even if the caller gave up
    /// meanwhile.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let inside = Inside(self.inside.clone());
        if self.inside.fetch_add(1, Ordering::SeqCst) >= self.capacity {
            return Err(ApiError::Busy {
                retry_after_secs: 1,
            });
        }
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("password gate: {e}")))?;
        let buffers = self.buffers.clone();
        tokio::task::spawn_blocking(move || {
            let _held = (permit, inside);
            let pool = || buffers.lock().unwrap_or_else(|e| e.into_inner());
            let mut blocks = pool().pop().unwrap_or_default();
            let out = f(&mut blocks);
            pool().push(blocks);
            out
        })
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing: {e}")))
    }

    /// [`hash_password`] through the gate.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move |b| hash_password_in(&password, b)).await?
    }

    /// [`password_matches`] through the gate.
    pub async fn matches(&self, password: String, hash: String) -> Result<bool, ApiError> {
        self.run(move |b| password_matches_in(&password, &hash, b))
            .await
    }
}

/// The per-account login backoff: after `free` failed logins in a row for one login name
/// (from any address), each further attempt must wait `base_ms`, doubling with every
/// failure up to `max_ms`; attempts while it waits are refused unchecked and not counted, so
/// an attacker gains at most one guess per `max_ms` and the real user is kept out at most
/// `max_ms` after the attacker's last try. A success, or `reset_after_ms` without a failure,
/// starts over.
#[derive(Clone, Copy, Debug)]
pub struct LoginBackoff {
    pub free: i64,
    pub base_ms: i64,
    pub max_ms: i64,
    pub reset_after_ms: i64,
}

impl Default for LoginBackoff {
    fn default() -> Self {
        Self {
            free: 5,
            base_ms: 30_000,
            max_ms: 15 * 60_000,
            reset_after_ms: 24 * 60 * 60_000,
        }
    }
}

impl LoginBackoff {
    /// How long after its last failure a login name with `failures` in a row is refused.
    pub fn delay_ms(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = (failures - self.free).min(32) as u32;
        self.base_ms
            .saturating_mul(1i64 << doublings)
            .min(self.max_ms)
            .max(0)
    }

    /// How much longer (ms, > 0) the login name must wait at `now`, or `None` when it may
    /// try.
    pub fn wait_ms(&self, f: Option<&LoginFailures>, now: i64) -> Option<i64> {
        let f = f?;
        if now.saturating_sub(f.last_failure_at) >= self.reset_after_ms {
            return None;
        }
        let until = f.last_failure_at.saturating_add(self.delay_ms(f.failures));
        (until > now).then(|| until - now)
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
        .ok_or(ApiError::Unauthorized(msg!("err-auth-token-required")))?;
    let s = h
        .to_str()
        .map_err(|_| ApiError::Unauthorized(msg!("err-auth-header-malformed")))?;
    let t = s
        .strip_prefix("Bearer ")
        .ok_or(ApiError::Unauthorized(msg!("err-auth-header-malformed")))?
        .trim();
    if t.is_empty() || t.len() > 256 {
        return Err(ApiError::Unauthorized(msg!("err-auth-token-malformed")));
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
            return Err(ApiError::Unauthorized(msg!("err-auth-not-device-token")));
        }
        let device = state
            .storage
            .device_by_token(hash_secret(token))
            .await?
            .ok_or(ApiError::Unauthorized(msg!(
                "err-auth-unknown-device-token"
            )))?;
        if device.revoked_at.is_some() {
            return Err(ApiError::Unauthorized(msg!("err-auth-device-revoked")));
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
            return Err(ApiError::Forbidden(msg!(
                "err-auth-device-on-dispatcher-route"
            )));
        }
        Err(ApiError::Unauthorized(msg!(
            "err-auth-not-dispatcher-token"
        )))
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
        client_of(parts, &TrustedProxies::from_ref(state))
            .map(ClientAddr)
            .ok_or_else(|| ApiError::Internal("no peer address on the connection".into()))
    }
}

/// The real client of a request ([`crate::net::client_ip`] of the TCP peer and its
/// `X-Forwarded-For`); `None` when the connection lent no peer address.
pub fn client_of(parts: &Parts, trusted: &TrustedProxies) -> Option<IpAddr> {
    let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    Some(client_ip(peer.ip(), forwarded, &trusted.0))
}

/// A fixed-window limit of attempts per client address. Counted in storage when built
/// with [`RateLimiter::shared`] (one count for every instance on the database, windows on
/// the server's clock), else in this process; a shared count the storage cannot take is
/// counted here instead (the limit still holds per instance).
pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    shared: Option<Shared>,
}

/// Where a shared limiter counts.
struct Shared {
    storage: Arc<dyn Storage>,
    scope: &'static str,
    clock: Clock,
    hits: AtomicU64,
}

/// Every so many shared hits, the windows that ended are swept from storage.
const SWEEP_EVERY: u64 = 1024;

impl RateLimiter {
    /// At most `per_window` attempts per address per `window`, counted in this process.
    pub fn new(per_window: u32, window: Duration) -> Self {
        Self {
            per_window,
            window,
            seen: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// At most `per_window` attempts per address per `window`, counted in `storage` under
    /// `scope` (`enroll`, `login`): shared by every instance on the database.
    pub fn shared(
        per_window: u32,
        window: Duration,
        storage: Arc<dyn Storage>,
        scope: &'static str,
        clock: Clock,
    ) -> Self {
        Self {
            shared: Some(Shared {
                storage,
                scope,
                clock,
                hits: AtomicU64::new(0),
            }),
            ..Self::new(per_window, window)
        }
    }

    /// Counts an attempt; `false` when over the limit.
    pub async fn allow(&self, ip: IpAddr) -> bool {
        let Some(sh) = &self.shared else {
            return self.allow_here(ip);
        };
        let window = i64::try_from(self.window.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let now = sh.clock.now_ms();
        let start = now - now.rem_euclid(window);
        if sh.hits.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1
            && let Err(e) = sh.storage.sweep_rate_limits(start - window).await
        {
            tracing::warn!(error = %e, "rate limits: sweeping old windows failed");
        }
        match sh
            .storage
            .hit_rate_limit(sh.scope.to_owned(), ip.to_string(), start)
            .await
        {
            Ok(hits) => hits <= i64::from(self.per_window),
            Err(e) => {
                tracing::warn!(error = %e, scope = sh.scope, "shared rate limit not counted; counted here");
                self.allow_here(ip)
            }
        }
    }

    /// Counts an attempt in this process; `false` when over the limit.
    fn allow_here(&self, ip: IpAddr) -> bool {
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
        // A hash made by the argon2 crate's own hasher (the accounts made before the gate)
        // checks the same through the gate's memory.
        let theirs = {
            use argon2::password_hash::PasswordHasher;
            Argon2::default()
                .hash_password(b"correct horse battery")
                .unwrap()
                .to_string()
        };
        let mut blocks = Vec::new();
        assert!(password_matches_in(
            "correct horse battery",
            &theirs,
            &mut blocks
        ));
        assert!(!password_matches_in(
            "correct horse batterY",
            &theirs,
            &mut blocks
        ));
        assert_eq!(blocks.len(), Params::default().block_count());
        assert!(password_ok("twelve chars").is_ok());
        assert!(password_ok("eleven char").is_err());
    }

    #[test]
    fn the_backoff_doubles_up_to_its_bound_and_forgets() {
        let b = LoginBackoff::default();
        assert_eq!(b.delay_ms(4), 0);
        assert_eq!(b.delay_ms(5), 30_000);
        assert_eq!(b.delay_ms(6), 60_000);
        assert_eq!(b.delay_ms(10_000), 15 * 60_000);
        let f = LoginFailures {
            failures: 6,
            last_failure_at: 1_000,
        };
        assert_eq!(b.wait_ms(Some(&f), 1_000), Some(60_000));
        assert_eq!(b.wait_ms(Some(&f), 61_000), None);
        assert_eq!(b.wait_ms(None, 0), None);
        let many = LoginFailures {
            failures: 1_000,
            last_failure_at: 0,
        };
        assert_eq!(b.wait_ms(Some(&many), 15 * 60_000), None, "bounded");
    }

    #[tokio::test]
    async fn the_gate_refuses_beyond_its_line() {
        let gate = Arc::new(PasswordGate::new(1, 1));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(Mutex::new(rx));
        let first = {
            let (gate, rx) = (gate.clone(), rx.clone());
            tokio::spawn(async move { gate.run(move |_| rx.lock().unwrap().recv().is_ok()).await })
        };
        // Wait until the first holds the permit.
        while gate.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let second = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(|_| true).await })
        };
        while gate.inside.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            gate.run(|_| true).await,
            Err(ApiError::Busy { .. })
        ));
        tx.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        assert!(second.await.unwrap().unwrap());
        assert!(gate.run(|_| true).await.unwrap(), "room again");
        assert_eq!(gate.buffers.lock().unwrap().len(), 1, "one buffer, reused");
    }

    #[test]
    fn the_limiter_counts_per_address() {
        let l = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        assert!(l.allow_here(a) && l.allow_here(a));
        assert!(!l.allow_here(a));
        assert!(l.allow_here(b));
    }
}
