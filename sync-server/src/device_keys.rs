//! Devices' keys: the proof a device gives at enrolment that it holds the Ed25519 key it
//! sends, the signature every push carries, and the device token, derived from the server's
//! own secret so that a repeat of the same enrolment gets the same token back.

use crate::msg;
use axum::http::HeaderMap;
use fieldkit_core::model::DeviceId;
use fieldkit_core::sync::protocol::{
    EnrollRequest, PUBLIC_KEY_HEX_LEN, PUSH_SIGNATURE, SIGNATURE_HEX_LEN, enrolment_message,
    push_message,
};
use ring::hmac;
use ring::signature::{ED25519, UnparsedPublicKey};

use crate::auth::DEVICE_TOKEN_PREFIX;
use crate::error::ApiError;
use crate::records::DeviceRecord;

/// The name of the server's token-deriving secret in storage.
pub const TOKEN_KEY: &str = "device_token_key";

/// The device token for an enrolment: HMAC-SHA256 under the server's secret of the code's
/// hash, the device and its key. The same enrolment repeated derives the same token; a new
/// code or another key derives another.
pub fn derive_token(secret: &[u8], code_hash: &str, device: DeviceId, public_key: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let message = format!("fieldkit-device-token-v1\n{code_hash}\n{device}\n{public_key}");
    let tag = hmac::sign(&key, message.as_bytes());
    format!("{DEVICE_TOKEN_PREFIX}{}", hex::encode(tag.as_ref()))
}

/// Checks an enrolment's key (64 lowercase hex digits) and its proof (the key's signature of
/// the enrolment message). A bad form is a 400; a proof that does not verify, a 401.
pub fn check_enrolment(req: &EnrollRequest) -> Result<(), ApiError> {
    let key = hex_of(&req.public_key, PUBLIC_KEY_HEX_LEN)
        .ok_or_else(|| ApiError::BadRequest(msg!("err-public-key")))?;
    let proof = hex_of(&req.proof, SIGNATURE_HEX_LEN)
        .ok_or_else(|| ApiError::BadRequest(msg!("err-proof")))?;
    let message = enrolment_message(&req.code, req.device_id, &req.public_key);
    UnparsedPublicKey::new(&ED25519, &key)
        .verify(&message, &proof)
        .map_err(|_| ApiError::Unauthorized(msg!("err-enrolment-proof")))
}

/// Checks a push's signature header against the device's key over the exact body. A device
/// enrolled before keys existed has none and must enrol again.
pub fn check_push(device: &DeviceRecord, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let key = device
        .public_key
        .as_deref()
        .and_then(|k| hex_of(k, PUBLIC_KEY_HEX_LEN))
        .ok_or(ApiError::Unauthorized(msg!("err-device-no-key")))?;
    let signature = headers
        .get(PUSH_SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex_of(v.trim(), SIGNATURE_HEX_LEN))
        .ok_or(ApiError::Unauthorized(msg!("err-push-signature-missing")))?;
    UnparsedPublicKey::new(&ED25519, &key)
        .verify(&push_message(device.id, body), &signature)
        .map_err(|_| ApiError::Unauthorized(msg!("err-push-signature-mismatch")))
}

/// `s` as bytes when it is exactly `len` lowercase hex digits.
fn hex_of(s: &str, len: usize) -> Option<Vec<u8>> {
    if s.len() != len || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    hex::decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn pair() -> Ed25519KeyPair {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
    }

    fn device(key: &Ed25519KeyPair) -> DeviceRecord {
        DeviceRecord {
            id: DeviceId(uuid::Uuid::now_v7()),
            technician_id: "t".into(),
            enrolled_at: 0,
            revoked_at: None,
            last_seq: 0,
            public_key: Some(hex::encode(key.public_key().as_ref())),
        }
    }

    #[test]
    fn a_push_is_accepted_only_with_its_own_signature() {
        let key = pair();
        let d = device(&key);
        let body = br#"{"ops":[]}"#;
        let sig = hex::encode(key.sign(&push_message(d.id, body)).as_ref());
        let mut h = HeaderMap::new();
        h.insert(PUSH_SIGNATURE, sig.parse().unwrap());
        assert!(check_push(&d, &h, body).is_ok());
        // Another body, another device, another key, no header, no key: refused.
        assert!(check_push(&d, &h, br#"{"ops":[ ]}"#).is_err());
        let mut other = d.clone();
        other.id = DeviceId(uuid::Uuid::now_v7());
        assert!(check_push(&other, &h, body).is_err());
        assert!(check_push(&device(&pair()), &h, body).is_err());
        assert!(check_push(&d, &HeaderMap::new(), body).is_err());
        let mut keyless = d.clone();
        keyless.public_key = None;
        assert!(check_push(&keyless, &h, body).is_err());
    }

    #[test]
    fn tokens_are_derived_per_code_device_and_key() {
        let d = DeviceId(uuid::Uuid::now_v7());
        let t = derive_token(b"secret", "c", d, "k");
        assert_eq!(t, derive_token(b"secret", "c", d, "k"));
        assert!(t.starts_with(DEVICE_TOKEN_PREFIX) && t.len() == DEVICE_TOKEN_PREFIX.len() + 64);
        assert_ne!(t, derive_token(b"secret", "c2", d, "k"));
        assert_ne!(t, derive_token(b"secret", "c", d, "k2"));
        assert_ne!(t, derive_token(b"other", "c", d, "k"));
    }
}
