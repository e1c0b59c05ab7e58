//! The trust decisions, by handshakes in memory against a server whose certificate the test
//! makes: both root sources accept a server under the extra anchor and refuse it without.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConnection, ServerConfig, ServerConnection};

use super::*;

/// A CA and a server certificate it issued for `127.0.0.1` and `localhost`.
struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "FieldKit test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        chain: vec![leaf.der().clone(), ca_cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// Runs a whole handshake between the client config and the PKI's server, in memory.
fn handshake(
    client: ClientConfig,
    pki: &Pki,
    host: &str,
) -> std::result::Result<(), rustls::Error> {
    let server =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(pki.chain.clone(), pki.key.clone_key())
            .unwrap();
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    let name = ServerName::try_from(host.to_owned()).unwrap();
    let mut c = ClientConnection::new(Arc::new(client), name).unwrap();
    for _ in 0..20 {
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            s.read_tls(&mut rd).unwrap();
        }
        s.process_new_packets()?;
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            c.read_tls(&mut rd).unwrap();
        }
        c.process_new_packets()?;
        if !c.is_handshaking() && !s.is_handshaking() {
            return Ok(());
        }
    }
    panic!("the handshake did not finish");
}

fn anchors(pki: &Pki) -> Vec<CertificateDer<'static>> {
    anchors_from_pem(std::slice::from_ref(&pki.ca_pem)).unwrap()
}

#[test]
fn both_root_sources_trust_a_server_under_the_extra_anchor() {
    let pki = pki();
    for roots in [Roots::Bundled, Roots::Platform] {
        let config = client_config(roots, anchors(&pki), Vec::new()).unwrap();
        handshake(config, &pki, "127.0.0.1").unwrap_or_else(|e| panic!("{roots:?}: {e}"));
        let config = client_config(roots, anchors(&pki), Vec::new()).unwrap();
        handshake(config, &pki, "localhost").unwrap_or_else(|e| panic!("{roots:?}: {e}"));
    }
}

#[test]
fn without_the_anchor_the_server_is_refused_for_its_certificate() {
    let pki = pki();
    for roots in [Roots::Bundled, Roots::Platform] {
        let config = client_config(roots, Vec::new(), Vec::new()).unwrap();
        let err = handshake(config, &pki, "127.0.0.1").unwrap_err();
        assert!(
            matches!(err, rustls::Error::InvalidCertificate(_)),
            "{roots:?}: {err:?}"
        );
    }
}

#[test]
fn another_ca_is_not_this_servers_anchor() {
    let (pki, other) = (pki(), pki());
    for roots in [Roots::Bundled, Roots::Platform] {
        let config = client_config(roots, anchors(&other), Vec::new()).unwrap();
        let err = handshake(config, &pki, "127.0.0.1").unwrap_err();
        assert!(
            matches!(err, rustls::Error::InvalidCertificate(_)),
            "{roots:?}: {err:?}"
        );
    }
}

#[test]
fn a_name_the_certificate_does_not_cover_is_refused() {
    let pki = pki();
    let config = client_config(Roots::Bundled, anchors(&pki), Vec::new()).unwrap();
    let err = handshake(config, &pki, "sync.example.com").unwrap_err();
    assert!(
        matches!(err, rustls::Error::InvalidCertificate(_)),
        "{err:?}"
    );
}

#[test]
fn anchors_that_are_not_certificates_are_refused_by_position() {
    let pki = pki();
    let both = format!("{}\n{}", pki.ca_pem, self::pki().ca_pem);
    assert_eq!(anchors_from_pem(&[both]).unwrap().len(), 2);
    for bad in [
        "",
        "hello",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    ] {
        let err = anchors_from_pem(&[pki.ca_pem.clone(), bad.to_owned()]).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Invalid { .. }), "{text}");
        assert!(text.contains("number 2"), "{text}");
    }
}

#[test]
fn the_bundled_roots_are_the_web_pki() {
    // The Android choice carries the public roots, so a public server is trusted with no
    // extra anchor (Mozilla's list has well over 100 roots).
    assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
    assert_eq!(Roots::native(), Roots::Platform, "this host is not Android");
}

#[test]
fn a_tls_error_is_found_inside_an_io_error() {
    let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
    // As hyper-rustls hands it over: an I/O error carrying an I/O error carrying rustls's.
    let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
    let io = std::io::Error::other(io);
    assert!(tls_failure(&io).unwrap().contains("UnknownIssuer"));
    let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    assert_eq!(tls_failure(&plain), None);
}

/// The SHA-256 of the key of `cert` as `openssl … | base64` prints it (rcgen's own SPKI, so
/// the pin does not come from the code under test).
fn pin_of(key: &KeyPair) -> String {
    use rcgen::PublicKeyData;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.subject_public_key_info());
    standard_base64(&digest)
}

fn standard_base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | b as u32) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_pinned_key_must_be_in_the_chain() {
    // A PKI whose keys the test keeps, to pin them.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let ca_pin = pin_of(&ca_key);
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let pki = Pki {
        ca_pem: ca_cert.pem(),
        chain: vec![leaf.der().clone(), ca_cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    };
    let leaf_pin = pin_of(&key);
    let stranger = pin_of(&KeyPair::generate().unwrap());
    let leaf_hex = hex::encode(spki_sha256(&pki.chain[0]).unwrap());

    for roots in [Roots::Bundled, Roots::Platform] {
        for good in [
            vec![leaf_pin.clone()],
            vec![stranger.clone(), ca_pin.clone()],
            vec![leaf_hex.clone()],
        ] {
            let config = client_config(roots, anchors(&pki), pins(&good).unwrap()).unwrap();
            assert!(
                handshake(config, &pki, "127.0.0.1").is_ok(),
                "{roots:?}: {good:?}"
            );
        }
        let config = client_config(
            roots,
            anchors(&pki),
            pins(std::slice::from_ref(&stranger)).unwrap(),
        )
        .unwrap();
        let err = handshake(config, &pki, "127.0.0.1").unwrap_err();
        assert!(err.to_string().contains("pinned"), "{roots:?}: {err}");
    }
    // A pin never overrides the normal verification: pinned, but untrusted, is refused.
    let config = client_config(Roots::Bundled, Vec::new(), pins(&[leaf_pin]).unwrap()).unwrap();
    assert!(handshake(config, &pki, "127.0.0.1").is_err());
}

#[test]
fn pins_in_neither_form_are_refused_by_position() {
    let good = standard_base64(&[7u8; 32]);
    assert_eq!(pins(std::slice::from_ref(&good)).unwrap(), vec![[7u8; 32]]);
    assert_eq!(pins(&["07".repeat(32)]).unwrap(), vec![[7u8; 32]]);
    for bad in [
        "",
        "abc",
        "zz".repeat(32).as_str(),
        &standard_base64(&[7u8; 31]),
    ] {
        let err = pins(&[good.clone(), bad.to_owned()]).unwrap_err();
        assert!(err.to_string().contains("number 2"), "{bad:?}: {err}");
    }
}
