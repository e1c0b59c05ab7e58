//! The page cipher of the device database: what SQLCipher runs on every page it writes or
//! reads. SQLCipher's own scheme (AES-256-CBC, HMAC) is serial and cost ~8 µs a page, most of
//! an answer's encrypted overhead (BENCHMARKS.md §6); this module installs a faster one in
//! SQLCipher's crypto provider, keeps the provider's own for files written before (format 1,
//! read only to migrate them) and says which one each new connection uses.
//!
//! Format 2 (`seal`): AES-256 in counter mode and an AES-256-GCM tag as the page MAC, under
//! two keys of its own derived from the database key, run by `ring` (AES-NI/VAES and
//! carry-less multiply on x86, the ARMv8 crypto extensions on phones); a page write is one
//! pass. SQLCipher still lays the page out (data, then a 16-byte IV and the 16-byte MAC in
//! the page's reserved bytes), draws a fresh IV for every write (from a ChaCha12 generator
//! seeded by the operating system, here), checks the MAC before decrypting and copies WAL
//! frames into the database as they are; its own key derivation still runs but format 2 does
//! not use its keys. `PRAGMA rekey` is refused (a format-2 codec keeps the key it was made
//! with; FieldKit never rekeys).

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uchar, c_void};
use std::sync::{Mutex, OnceLock};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use ring::rand::{SecureRandom, SystemRandom};

use self::seal::{IV_LEN, PageKeys, Pages, TAG_LEN};
use super::DatabaseKey;
use crate::error::{Error, Result};

mod seal;

/// Which page format a connection's codec uses; chosen when the connection is keyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// SQLCipher's own (AES-256-CBC pages, HMAC-SHA256): databases encrypted before format 2,
    /// opened only to be exported into format 2.
    Legacy,
    /// AES-256-CTR pages with an AES-GCM tag as their MAC (this module).
    Fast,
}

/// What the next codec made on this thread gets (see [`keyed_as`]).
struct Next {
    format: Format,
    keys: Option<PageKeys>,
}

thread_local! {
    static NEXT: RefCell<Option<Next>> = const { RefCell::new(None) };
}

/// Runs `f`, which keys a connection or attaches a database with `key`, so that the codecs
/// it creates use `format` (format 2 with its keys derived from `key`). SQLCipher creates a
/// codec synchronously, on the calling thread, when a connection is keyed (`PRAGMA key`,
/// `ATTACH … KEY`). A codec made any other way gets no format-2 keys and refuses every page.
pub(crate) fn keyed_as<T>(format: Format, key: &DatabaseKey, f: impl FnOnce() -> T) -> Result<T> {
    install()?;
    // SAFETY: reads one pointer of the registered provider, which SQLCipher keeps until
    // `sqlite3_shutdown` (never called here). A provider that is not ours any more (SQLite
    // shut down and re-initialised) must not silently write SQLCipher's own format.
    let ours = unsafe {
        let p = sqlcipher_get_provider();
        !p.is_null()
            && (*p)
                .ctx_init
                .is_some_and(|f| std::ptr::fn_addr_eq(f, ctx_init as CtxFn))
    };
    if !ours {
        return Err(internal(
            "SQLCipher's provider was replaced; page format 2 is not installed",
        ));
    }
    let keys = match format {
        Format::Fast => {
            Some(PageKeys::derive(key.raw()).ok_or_else(|| internal("page key derivation"))?)
        }
        Format::Legacy => None,
    };
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            NEXT.with(|n| n.borrow_mut().take());
        }
    }
    NEXT.with(|n| *n.borrow_mut() = Some(Next { format, keys }));
    let _reset = Reset;
    Ok(f())
}

/// Installs format 2 into SQLCipher's provider, once per process, before any codec exists.
pub(crate) fn install() -> Result<()> {
    static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            // SAFETY: `sqlite3_initialize` is safe to call at any time; it registers SQLCipher's
            // provider (its `SQLITE_EXTRA_INIT`).
            let rc = unsafe { rusqlite::ffi::sqlite3_initialize() };
            if rc != 0 {
                return Err(format!("sqlite3_initialize: {rc}"));
            }
            // SAFETY: SQLCipher documents `sqlcipher_get_provider` for this use ("fetch the
            // current registered provider and make minor changes to it"); it is registered by
            // now. The struct layout below is SQLCipher 4's (`sqlcipher.h`). This runs once,
            // before any codec: nothing reads the provider while it is patched.
            unsafe {
                let p = sqlcipher_get_provider();
                if p.is_null() {
                    return Err("no SQLCipher provider".into());
                }
                let p = &mut *p;
                let orig = Orig {
                    get_provider_name: p.get_provider_name.ok_or("provider lacks a name")?,
                    add_random: p.add_random.ok_or("provider lacks add_random")?,
                    random: p.random.ok_or("provider lacks random")?,
                    hmac: p.hmac.ok_or("provider lacks hmac")?,
                    kdf: p.kdf.ok_or("provider lacks kdf")?,
                    cipher: p.cipher.ok_or("provider lacks cipher")?,
                    get_cipher: p.get_cipher.ok_or("provider lacks get_cipher")?,
                    get_key_sz: p.get_key_sz.ok_or("provider lacks get_key_sz")?,
                    get_iv_sz: p.get_iv_sz.ok_or("provider lacks get_iv_sz")?,
                    get_block_sz: p.get_block_sz.ok_or("provider lacks get_block_sz")?,
                    get_hmac_sz: p.get_hmac_sz.ok_or("provider lacks get_hmac_sz")?,
                    ctx_init: p.ctx_init.ok_or("provider lacks ctx_init")?,
                    ctx_free: p.ctx_free.ok_or("provider lacks ctx_free")?,
                    fips_status: p.fips_status.ok_or("provider lacks fips_status")?,
                    get_provider_version: p
                        .get_provider_version
                        .ok_or("provider lacks a version")?,
                };
                if ORIG.set(orig).is_err() {
                    return Err("installed twice".into());
                }
                p.get_provider_name = Some(get_provider_name);
                p.add_random = Some(add_random);
                p.random = Some(random);
                p.hmac = Some(hmac);
                p.kdf = Some(kdf);
                p.cipher = Some(cipher);
                p.get_cipher = Some(get_cipher);
                p.get_key_sz = Some(get_key_sz);
                p.get_iv_sz = Some(get_iv_sz);
                p.get_block_sz = Some(get_block_sz);
                p.get_hmac_sz = Some(get_hmac_sz);
                p.fips_status = Some(fips_status);
                p.get_provider_version = Some(get_provider_version);
                // Last: every codec from here on gets a context of ours.
                p.ctx_free = Some(ctx_free);
                p.ctx_init = Some(ctx_init);
            }
            Ok(())
        })
        .clone()
        .map_err(internal)
}

/// A failure to set up the page cipher: a storage error (SQLite's "internal"), with its
/// technical detail.
fn internal(detail: impl Into<String>) -> Error {
    Error::Storage(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERNAL),
        Some(detail.into()),
    ))
}

// ---- SQLCipher's provider (sqlcipher.h, SQLCipher 4.19) -------------------------------------

type Ptr = *mut c_void;

#[repr(C)]
struct Provider {
    init: Option<unsafe extern "C" fn() -> c_int>,
    shutdown: Option<unsafe extern "C" fn()>,
    get_provider_name: Option<unsafe extern "C" fn(Ptr) -> *const c_char>,
    add_random: Option<unsafe extern "C" fn(Ptr, *const c_void, c_int) -> c_int>,
    random: Option<unsafe extern "C" fn(Ptr, *mut c_void, c_int) -> c_int>,
    hmac: Option<HmacFn>,
    kdf: Option<KdfFn>,
    cipher: Option<CipherFn>,
    get_cipher: Option<unsafe extern "C" fn(Ptr) -> *const c_char>,
    get_key_sz: Option<unsafe extern "C" fn(Ptr) -> c_int>,
    get_iv_sz: Option<unsafe extern "C" fn(Ptr) -> c_int>,
    get_block_sz: Option<unsafe extern "C" fn(Ptr) -> c_int>,
    get_hmac_sz: Option<unsafe extern "C" fn(Ptr, c_int) -> c_int>,
    ctx_init: Option<CtxFn>,
    ctx_free: Option<CtxFn>,
    fips_status: Option<unsafe extern "C" fn(Ptr) -> c_int>,
    get_provider_version: Option<unsafe extern "C" fn(Ptr) -> *const c_char>,
    next: *mut Provider,
}

type CtxFn = unsafe extern "C" fn(*mut Ptr) -> c_int;
type HmacFn = unsafe extern "C" fn(
    Ptr,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    c_int,
    *mut c_uchar,
) -> c_int;
type KdfFn = unsafe extern "C" fn(
    Ptr,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    c_int,
    c_int,
    c_int,
    *mut c_uchar,
) -> c_int;
type CipherFn = unsafe extern "C" fn(
    Ptr,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    *const c_uchar,
    c_int,
    *mut c_uchar,
) -> c_int;

unsafe extern "C" {
    fn sqlcipher_get_provider() -> *mut Provider;
}

/// The provider's own functions, which format 1 and everything but the page cipher use.
struct Orig {
    get_provider_name: unsafe extern "C" fn(Ptr) -> *const c_char,
    add_random: unsafe extern "C" fn(Ptr, *const c_void, c_int) -> c_int,
    random: unsafe extern "C" fn(Ptr, *mut c_void, c_int) -> c_int,
    hmac: HmacFn,
    kdf: KdfFn,
    cipher: CipherFn,
    get_cipher: unsafe extern "C" fn(Ptr) -> *const c_char,
    get_key_sz: unsafe extern "C" fn(Ptr) -> c_int,
    get_iv_sz: unsafe extern "C" fn(Ptr) -> c_int,
    get_block_sz: unsafe extern "C" fn(Ptr) -> c_int,
    get_hmac_sz: unsafe extern "C" fn(Ptr, c_int) -> c_int,
    ctx_init: CtxFn,
    ctx_free: CtxFn,
    fips_status: unsafe extern "C" fn(Ptr) -> c_int,
    get_provider_version: unsafe extern "C" fn(Ptr) -> *const c_char,
}

static ORIG: OnceLock<Orig> = OnceLock::new();

/// The provider's own functions; set before any function below is installed, so never
/// missing when one runs (they answer an error, or null, if it were).
fn orig() -> Option<&'static Orig> {
    ORIG.get()
}

const OK: c_int = 0;
const ERROR: c_int = 1;
/// SQLCipher's `SQLCIPHER_ENCRYPT` (its decrypt is 0).
const ENCRYPT: c_int = 1;

/// One codec's context: its format, the provider's own context, and format 2's pages.
struct Ctx {
    format: Format,
    inner: Ptr,
    state: Mutex<State>,
}

struct State {
    /// Format 2's keys and what the last call left; `None` for a codec made outside
    /// [`keyed_as`] (every page refused).
    pages: Option<Pages>,
    /// The key SQLCipher passed first: another one later is a rekey, which format 2 refuses.
    sqlcipher_key: Option<[u8; 32]>,
}

/// The context behind `ctx` and the provider's own. A null `ctx` is a codec made before
/// [`install`] (none is, in this crate): it keeps the provider's format.
///
/// # Safety
/// `ctx` is null or came from [`ctx_init`] and is not yet freed.
unsafe fn split<'a>(ctx: Ptr) -> (Option<&'a Ctx>, Ptr) {
    if ctx.is_null() {
        (None, ctx)
    } else {
        // SAFETY: per this function's contract.
        let c = unsafe { &*(ctx as *const Ctx) };
        (Some(c), c.inner)
    }
}

fn fast(ctx: Option<&Ctx>) -> Option<&Ctx> {
    ctx.filter(|c| c.format == Format::Fast)
}

unsafe extern "C" fn ctx_init(ctx: *mut Ptr) -> c_int {
    let mut inner: Ptr = std::ptr::null_mut();
    let Some(o) = orig() else { return ERROR };
    // SAFETY: the provider's own initializer, on its own out-pointer.
    let rc = unsafe { (o.ctx_init)(&mut inner) };
    if rc != OK {
        return rc;
    }
    let next = NEXT.with(|n| n.borrow_mut().take());
    let (format, keys) = match next {
        Some(Next { format, keys }) => (format, keys),
        None => (Format::Fast, None),
    };
    let c = Box::new(Ctx {
        format,
        inner,
        state: Mutex::new(State {
            pages: keys.map(Pages::new),
            sqlcipher_key: None,
        }),
    });
    // SAFETY: SQLCipher passes a valid out-pointer.
    unsafe { *ctx = Box::into_raw(c).cast() };
    OK
}

unsafe extern "C" fn ctx_free(ctx: *mut Ptr) -> c_int {
    let Some(o) = orig() else { return ERROR };
    // SAFETY: SQLCipher passes the out-pointer it gave `ctx_init`.
    let p = unsafe { *ctx };
    if p.is_null() {
        // SAFETY: a context of the provider's own.
        return unsafe { (o.ctx_free)(ctx) };
    }
    // SAFETY: made by `ctx_init` from a Box, freed once (SQLCipher nulls it after).
    let mut c = unsafe { Box::from_raw(p as *mut Ctx) };
    if let Ok(state) = c.state.get_mut() {
        if let Some(pages) = state.pages.as_mut() {
            pages.wipe();
        }
        if let Some(k) = state.sqlcipher_key.as_mut() {
            wipe(k);
        }
    }
    let mut inner = c.inner;
    // SAFETY: the provider's own context, freed once.
    let rc = unsafe { (o.ctx_free)(&mut inner) };
    // SAFETY: as above.
    unsafe { *ctx = std::ptr::null_mut() };
    rc
}

/// Zeroes `bytes` in a way the compiler keeps (key material, recovered data).
pub(super) fn wipe(bytes: &mut [u8]) {
    for b in bytes {
        // SAFETY: a valid, exclusive reference to one byte.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
}

/// Runs `f` on a format-2 codec's pages: an error (never a panic) when it has none, fails or
/// panics.
fn with_pages(c: &Ctx, f: impl FnOnce(&mut State) -> Option<()>) -> c_int {
    let run = || -> Option<()> {
        let mut state = c.state.lock().ok()?;
        f(&mut state)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Some(())) => OK,
        _ => ERROR,
    }
}

unsafe extern "C" fn cipher(
    ctx: Ptr,
    mode: c_int,
    key: *const c_uchar,
    key_sz: c_int,
    iv: *const c_uchar,
    input: *const c_uchar,
    in_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    // SAFETY: SQLCipher's contract for this call.
    let (c, inner) = unsafe { split(ctx) };
    let Some(c) = fast(c) else {
        let Some(o) = orig() else { return ERROR };
        // SAFETY: forwarded as received.
        return unsafe { (o.cipher)(inner, mode, key, key_sz, iv, input, in_sz, out) };
    };
    let (Ok(key_len), Ok(len)) = (usize::try_from(key_sz), usize::try_from(in_sz)) else {
        return ERROR;
    };
    if key.is_null() || iv.is_null() || input.is_null() || out.is_null() {
        return ERROR;
    }
    // SAFETY: SQLCipher passes `key_sz` key bytes, an IV of the provider's IV size (16),
    // `in_sz` input bytes and an output buffer as long, which does not overlap the input.
    let (key, iv, input, out) = unsafe {
        (
            std::slice::from_raw_parts(key, key_len),
            &*(iv as *const [u8; IV_LEN]),
            std::slice::from_raw_parts(input, len),
            std::slice::from_raw_parts_mut(out, len),
        )
    };
    with_pages(c, |state| {
        let key: [u8; 32] = key.try_into().ok()?;
        match state.sqlcipher_key {
            None => state.sqlcipher_key = Some(key),
            Some(first) if first != key => return None,
            Some(_) => {}
        }
        let pages = state.pages.as_mut()?;
        if mode == ENCRYPT {
            pages.encrypt(iv, input, out)
        } else {
            pages.decrypt(iv, input, out)
        }
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    ctx: Ptr,
    algorithm: c_int,
    key: *const c_uchar,
    key_sz: c_int,
    input: *const c_uchar,
    in_sz: c_int,
    in2: *const c_uchar,
    in2_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    // SAFETY: SQLCipher's contract for this call.
    let (c, inner) = unsafe { split(ctx) };
    let Some(c) = fast(c) else {
        let Some(o) = orig() else { return ERROR };
        // SAFETY: forwarded as received.
        return unsafe {
            (o.hmac)(
                inner, algorithm, key, key_sz, input, in_sz, in2, in2_sz, out,
            )
        };
    };
    let (Ok(len), Ok(len2)) = (usize::try_from(in_sz), usize::try_from(in2_sz)) else {
        return ERROR;
    };
    if input.is_null() || out.is_null() || in2.is_null() || len < IV_LEN {
        return ERROR;
    }
    // SAFETY: SQLCipher passes the encrypted page and its IV (`in_sz` bytes, the IV last),
    // the page number (`in2_sz` bytes) and room for the MAC size this provider reported (16
    // in format 2). Its own MAC key is not used: format 2 has its own.
    let (input, in2, out) = unsafe {
        (
            std::slice::from_raw_parts(input, len),
            std::slice::from_raw_parts(in2, len2),
            std::slice::from_raw_parts_mut(out, TAG_LEN),
        )
    };
    with_pages(c, |state| state.pages.as_mut()?.mac(input, in2, out))
}

unsafe extern "C" fn get_hmac_sz(ctx: Ptr, algorithm: c_int) -> c_int {
    // SAFETY: SQLCipher's contract for this call.
    let (c, inner) = unsafe { split(ctx) };
    match fast(c) {
        Some(_) => TAG_LEN as c_int,
        None => match orig() {
            // SAFETY: forwarded as received.
            Some(o) => unsafe { (o.get_hmac_sz)(inner, algorithm) },
            None => ERROR,
        },
    }
}

// ---- The rest is the provider's own, on its own context. ------------------------------------

unsafe extern "C" fn get_provider_name(ctx: Ptr) -> *const c_char {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.get_provider_name)(split(ctx).1) },
        None => std::ptr::null(),
    }
}
unsafe extern "C" fn add_random(ctx: Ptr, buf: *const c_void, len: c_int) -> c_int {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.add_random)(split(ctx).1, buf, len) },
        None => ERROR,
    }
}
unsafe extern "C" fn random(ctx: Ptr, buf: *mut c_void, len: c_int) -> c_int {
    // SAFETY: SQLCipher's contract for this call.
    let (c, inner) = unsafe { split(ctx) };
    if c.is_none() {
        return match orig() {
            // SAFETY: forwarded with the provider's own context.
            Some(o) => unsafe { (o.random)(inner, buf, len) },
            None => ERROR,
        };
    }
    let Ok(n) = usize::try_from(len) else {
        return ERROR;
    };
    if buf.is_null() {
        return if n == 0 { OK } else { ERROR };
    }
    // SAFETY: SQLCipher passes a buffer of `len` writable bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n) };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fill_random(out))) {
        Ok(true) => OK,
        _ => ERROR,
    }
}

/// Page writes between two reseeds of a thread's generator from the operating system.
const RESEED_EVERY: u32 = 1 << 16;

thread_local! {
    /// This thread's generator, the process it was seeded in, and fills since.
    static RNG: std::cell::RefCell<Option<(u32, u32, StdRng)>> =
        const { std::cell::RefCell::new(None) };
}

/// Fills `out` with random bytes (the IVs, above all): ChaCha12 (`StdRng`, a CSPRNG) seeded
/// from the operating system, reseeded every [`RESEED_EVERY`] fills and in a forked child
/// (two processes must never draw the same IVs). Not OpenSSL's generator, whose reseeding
/// cost ~40 µs every ~130 page writes, most of an answer's p99 overhead; not a system call
/// per page either (0.4 µs, a quarter of format 2's cost per page).
fn fill_random(out: &mut [u8]) -> bool {
    let pid = std::process::id();
    RNG.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return false;
        };
        let fresh = match slot.as_ref() {
            Some((seeded_in, uses, _)) => *seeded_in != pid || *uses >= RESEED_EVERY,
            None => true,
        };
        if fresh {
            let mut seed = <StdRng as SeedableRng>::Seed::default();
            if SystemRandom::new().fill(&mut seed).is_err() {
                return false;
            }
            *slot = Some((pid, 0, StdRng::from_seed(seed)));
            wipe(&mut seed);
        }
        match slot.as_mut() {
            Some((_, uses, rng)) => {
                *uses += 1;
                rng.fill_bytes(out);
                true
            }
            None => false,
        }
    })
}
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    ctx: Ptr,
    algorithm: c_int,
    pass: *const c_uchar,
    pass_sz: c_int,
    salt: *const c_uchar,
    salt_sz: c_int,
    workfactor: c_int,
    key_sz: c_int,
    key: *mut c_uchar,
) -> c_int {
    let Some(o) = orig() else { return ERROR };
    // SAFETY: forwarded with the provider's own context.
    unsafe {
        (o.kdf)(
            split(ctx).1,
            algorithm,
            pass,
            pass_sz,
            salt,
            salt_sz,
            workfactor,
            key_sz,
            key,
        )
    }
}
unsafe extern "C" fn get_cipher(ctx: Ptr) -> *const c_char {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.get_cipher)(split(ctx).1) },
        None => std::ptr::null(),
    }
}
unsafe extern "C" fn get_key_sz(ctx: Ptr) -> c_int {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.get_key_sz)(split(ctx).1) },
        None => 0,
    }
}
unsafe extern "C" fn get_iv_sz(ctx: Ptr) -> c_int {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.get_iv_sz)(split(ctx).1) },
        None => 0,
    }
}
unsafe extern "C" fn get_block_sz(ctx: Ptr) -> c_int {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.get_block_sz)(split(ctx).1) },
        None => 0,
    }
}
unsafe extern "C" fn fips_status(ctx: Ptr) -> c_int {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.fips_status)(split(ctx).1) },
        None => 0,
    }
}
unsafe extern "C" fn get_provider_version(ctx: Ptr) -> *const c_char {
    // SAFETY: forwarded with the provider\'s own context.
    match orig() {
        Some(o) => unsafe { (o.get_provider_version)(split(ctx).1) },
        None => std::ptr::null(),
    }
}

#[cfg(test)]
mod tests;
