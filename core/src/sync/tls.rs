//! Which servers the sync client trusts: the TLS configuration of its HTTPS connections.
//!
//! Every platform trusts the public web PKI plus the extra anchors a deployment gives in
//! [`SyncOptions::extra_trust_anchors`](super::client::SyncOptions) (a company's private CA,
//! as field-service servers often have):
//! - iOS, macOS, Windows, Linux: the platform's own verifier (its trust store, revocation and
//!   policy; on Linux the system's roots) with the extra anchors added.
//! - Android: the Mozilla roots compiled into the library (`webpki-roots`) with the extra
//!   anchors. The platform verifier would need the JNI environment and an application
//!   `Context` handed to Rust, plus its own Kotlin component, before the first request, or the
//!   first HTTPS call panics; and it cannot take extra anchors on Android at all. An app on
//!   Android 7+ trusts only the system's roots by default anyway (user-installed CAs need a
//!   network security config), so the bundled roots plus explicit anchors give the same
//!   answer without the initialisation or a path to crash. The roots are refreshed with each
//!   release of the library.
//!
//! A deployment may also pin its server's keys ([`SyncOptions::pinned_spki_sha256`](super::client::SyncOptions)):
//! after the normal verification the chain must hold a certificate whose public key
//! (SubjectPublicKeyInfo) hashes to a pin.
//!
//! A certificate the chosen roots refuse, or a chain with no pinned key, is [`Error::Tls`]:
//! never retried, since trying again meets the same certificate.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::{Error, Result};

/// Where the roots come from (the default is the platform's choice, see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Roots {
    /// The platform's verifier and trust store, with the extra anchors.
    Platform,
    /// The Mozilla roots compiled in, with the extra anchors.
    Bundled,
}

impl Roots {
    /// Android: bundled; elsewhere: the platform's.
    pub const fn native() -> Self {
        if cfg!(target_os = "android") {
            Roots::Bundled
        } else {
            Roots::Platform
        }
    }
}

/// The certificates in PEM texts (each may hold several `CERTIFICATE` blocks). A text with no
/// certificate, or one that does not parse, is a validation error naming its position.
pub fn anchors_from_pem(pems: &[String]) -> Result<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        let bad =
            |why: &str| Error::invalid("extra trust anchor", format!("number {}: {why}", i + 1));
        let mut n = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            out.push(cert.map_err(|_| bad("not a PEM certificate"))?);
            n += 1;
        }
        if n == 0 {
            return Err(bad("holds no PEM certificate"));
        }
    }
    Ok(out)
}

/// A pin: the SHA-256 of a certificate's SubjectPublicKeyInfo.
pub type Pin = [u8; 32];

/// The pins as given (64 hex digits, or 44 characters of standard base64 as in HPKP and
/// `openssl … | base64`). A pin in neither form is a validation error naming its position.
pub fn pins(given: &[String]) -> Result<Vec<Pin>> {
    given
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let p = p.trim();
            let bytes = if p.len() == 64 {
                hex::decode(p).ok()
            } else {
                base64_decode(p)
            };
            bytes
                .and_then(|b| Pin::try_from(b.as_slice()).ok())
                .ok_or_else(|| {
                    Error::invalid(
                        "certificate pin",
                        format!("number {}: not a SHA-256 in hex or base64", i + 1),
                    )
                })
        })
        .collect()
}

/// Standard base64 with padding (the pin format); `None` if it is not.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if s.is_empty() || !s.len().is_multiple_of(4) {
        return None;
    }
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The SHA-256 of a certificate's SubjectPublicKeyInfo; `None` for a certificate that does
/// not parse.
pub fn spki_sha256(cert: &CertificateDer<'_>) -> Option<Pin> {
    use sha2::Digest;
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    Some(sha2::Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// The normal verification, then: some certificate of the chain has a pinned key.
#[derive(Debug)]
struct Pinned {
    inner: Arc<dyn ServerCertVerifier>,
    pins: Vec<Pin>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let pinned = std::iter::once(end_entity)
            .chain(intermediates)
            .filter_map(spki_sha256)
            .any(|h| self.pins.contains(&h));
        if pinned {
            Ok(verified)
        } else {
            Err(rustls::Error::General(
                "the server's certificate does not match a pinned key".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The rustls configuration of the sync client (`pins` empty: no pinning).
pub fn client_config(
    roots: Roots,
    extra: Vec<CertificateDer<'static>>,
    pins: Vec<Pin>,
) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let setup = |e: rustls::Error| Error::Tls(format!("cannot set up TLS: {e}"));
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(setup)?;
    let verifier: Arc<dyn ServerCertVerifier> = match roots {
        Roots::Bundled => {
            let mut store = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            for cert in extra {
                store
                    .add(cert)
                    .map_err(|_| Error::invalid("extra trust anchor", "not a CA certificate"))?;
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| Error::Tls(format!("cannot set up TLS: {e}")))?
        }
        Roots::Platform => Arc::new(platform_verifier(extra, provider)?),
    };
    let verifier = if pins.is_empty() {
        verifier
    } else {
        Arc::new(Pinned {
            inner: verifier,
            pins,
        })
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

#[cfg(not(target_os = "android"))]
fn platform_verifier(
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier> {
    rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
        .map_err(|_| Error::invalid("extra trust anchor", "not a usable CA certificate"))
}

#[cfg(target_os = "android")]
fn platform_verifier(
    _extra: Vec<CertificateDer<'static>>,
    _provider: Arc<CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier> {
    // Never chosen on Android (see `Roots::native`); refused rather than risk the JNI panic.
    Err(Error::Tls(
        "the platform verifier is not used on Android".into(),
    ))
}

/// Whether a failed request failed on the server's certificate (or the TLS handshake),
/// with the reason: rustls's error somewhere in the error's chain.
pub fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t.to_string());
        }
        // The connector wraps rustls's error in I/O errors (one in another), whose `source`
        // skips the error they carry: look inside.
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests;
