//! The device's own key: an Ed25519 key pair made once on the device, kept in its database
//! (PKCS#8), whose public half the server binds the device to at enrolment. It proves the
//! enrolment ([`DeviceKey::enrolment`]) and signs every push ([`DeviceKey::sign_push`]), so a
//! leaked bearer token alone cannot push.

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::error::{Error, Result};
use crate::model::DeviceId;
use crate::sync::protocol::{EnrollRequest, enrolment_message, push_message};

/// An Ed25519 key pair of this device.
pub struct DeviceKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
}

impl DeviceKey {
    /// A new key from the system's random source.
    pub fn generate() -> Result<DeviceKey> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| Error::Io(std::io::Error::other("cannot make the device key")))?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// The key kept earlier ([`DeviceKey::pkcs8`]).
    pub fn from_pkcs8(bytes: &[u8]) -> Result<DeviceKey> {
        let pair = Ed25519KeyPair::from_pkcs8(bytes)
            .map_err(|_| Error::invalid("device key", "the stored key is unreadable"))?;
        Ok(DeviceKey {
            pair,
            pkcs8: bytes.to_vec(),
        })
    }

    /// The key as kept in the device database (secret: never logged, never sent).
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key, 64 hex digits, as the server knows it.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }

    /// The enrolment request for `code`, with the key and the proof that this device holds it.
    pub fn enrolment(&self, code: &str, device_id: DeviceId) -> EnrollRequest {
        let public_key = self.public_key_hex();
        let proof = self.sign(&enrolment_message(code, device_id, &public_key));
        EnrollRequest {
            code: code.to_owned(),
            device_id,
            public_key,
            proof,
        }
    }

    /// The [`PUSH_SIGNATURE`](crate::sync::protocol::PUSH_SIGNATURE) header's value for a push
    /// whose JSON body is `body`.
    pub fn sign_push(&self, device_id: DeviceId, body: &[u8]) -> String {
        self.sign(&push_message(device_id, body))
    }

    /// The signature of `message`, in hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.pair.sign(message).as_ref())
    }
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}
