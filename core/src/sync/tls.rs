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
//! A certificate the chosen roots refuse is [`Error::Tls`]: never retried, since trying again
//! meets the same certificate.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

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

/// The rustls configuration of the sync client.
pub fn client_config(roots: Roots, extra: Vec<CertificateDer<'static>>) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let setup = |e: rustls::Error| Error::Tls(format!("cannot set up TLS: {e}"));
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(setup)?;
    let config = match roots {
        Roots::Bundled => {
            let mut store = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            for cert in extra {
                store
                    .add(cert)
                    .map_err(|_| Error::invalid("extra trust anchor", "not a CA certificate"))?;
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| Error::Tls(format!("cannot set up TLS: {e}")))?;
            builder.with_webpki_verifier(verifier).with_no_client_auth()
        }
        Roots::Platform => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(platform_verifier(extra, provider)?))
            .with_no_client_auth(),
    };
    Ok(config)
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
