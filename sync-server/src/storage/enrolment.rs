//! What an enrolment does, decided the same way by every backend from the rows it read
//! inside its transaction: a first enrolment, a repeat of one (answered, nothing changed), a
//! re-enrolment of a known device with a new code, or a refusal.

use crate::msg;
use fieldkit_core::model::DeviceId;

use super::StorageError;

/// An enrolment the server checked (the code's form, the key's proof): what to store.
#[derive(Clone, Debug)]
pub struct Enrolment {
    pub code_hash: String,
    pub device_id: DeviceId,
    /// The device's Ed25519 public key (hex).
    pub public_key: String,
    /// The hash of the token derived for this (code, device, key): a repeat derives the same.
    pub token_hash: String,
    pub now: i64,
}

/// The code's row.
#[derive(Clone, Debug)]
pub struct CodeRow {
    pub technician_id: String,
    pub expires_at: i64,
    pub used_by: Option<String>,
    pub revoked_at: Option<i64>,
}

/// The device's row, when the device id is known.
#[derive(Clone, Debug)]
pub struct DeviceRow {
    pub technician_id: String,
    pub public_key: Option<String>,
    pub enrol_code_hash: Option<String>,
    pub revoked_at: Option<i64>,
}

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The same code, device and key again (its answer was lost): nothing changes.
    Repeat,
    /// A new device.
    Insert,
    /// A known device of the code's technician enrols again (a new key, a new token; its
    /// sequence and everything it pushed are kept, so its unsent ops still count).
    Rebind,
}

/// Decides an enrolment. Refusals: an unknown, revoked, expired or other device's code, or a
/// code superseded by a later enrolment of the device → [`StorageError::InvalidCode`]; the
/// same code with another key, or a device of another technician → `Conflict`.
pub fn decide(
    e: &Enrolment,
    code: Option<&CodeRow>,
    device: Option<&DeviceRow>,
) -> Result<Step, StorageError> {
    let Some(code) = code else {
        return Err(StorageError::InvalidCode);
    };
    if code.revoked_at.is_some() {
        return Err(StorageError::InvalidCode);
    }
    let dev = e.device_id.to_string();
    match code.used_by.as_deref() {
        Some(used) if used == dev => {
            let Some(d) = device else {
                return Err(StorageError::InvalidCode);
            };
            if d.enrol_code_hash.as_deref() != Some(e.code_hash.as_str()) || d.revoked_at.is_some()
            {
                return Err(StorageError::InvalidCode);
            }
            if d.public_key.as_deref() != Some(e.public_key.as_str()) {
                return Err(StorageError::Conflict(msg!("err-enrolment-code-other-key")));
            }
            Ok(Step::Repeat)
        }
        Some(_) => Err(StorageError::InvalidCode),
        None if code.expires_at < e.now => Err(StorageError::InvalidCode),
        None => match device {
            None => Ok(Step::Insert),
            Some(d) if d.technician_id == code.technician_id => Ok(Step::Rebind),
            Some(_) => Err(StorageError::Conflict(msg!("err-device-other-technician"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolment(key: &str) -> Enrolment {
        Enrolment {
            code_hash: "c1".into(),
            device_id: DeviceId(uuid::Uuid::nil()),
            public_key: key.into(),
            token_hash: "t".into(),
            now: 1_000,
        }
    }

    fn code(used_by: Option<&str>) -> CodeRow {
        CodeRow {
            technician_id: "tech".into(),
            expires_at: 2_000,
            used_by: used_by.map(str::to_owned),
            revoked_at: None,
        }
    }

    fn device(key: &str, code_hash: &str) -> DeviceRow {
        DeviceRow {
            technician_id: "tech".into(),
            public_key: Some(key.into()),
            enrol_code_hash: Some(code_hash.into()),
            revoked_at: None,
        }
    }

    #[test]
    fn every_case() {
        let e = enrolment("k1");
        let me = e.device_id.to_string();
        let used = code(Some(&me));
        assert_eq!(decide(&e, Some(&code(None)), None).unwrap(), Step::Insert);
        assert_eq!(
            decide(&e, Some(&used), Some(&device("k1", "c1"))).unwrap(),
            Step::Repeat
        );
        // A repeat is answered even once the code has expired: it gives nothing new.
        let mut late = enrolment("k1");
        late.now = 5_000;
        assert_eq!(
            decide(&late, Some(&used), Some(&device("k1", "c1"))).unwrap(),
            Step::Repeat
        );
        assert!(matches!(
            decide(&e, Some(&used), Some(&device("k2", "c1"))),
            Err(StorageError::Conflict(_))
        ));
        assert!(matches!(
            decide(&e, Some(&used), Some(&device("k1", "c0"))),
            Err(StorageError::InvalidCode)
        ));
        assert!(matches!(
            decide(&e, Some(&code(Some("other"))), None),
            Err(StorageError::InvalidCode)
        ));
        assert!(matches!(
            decide(&late, Some(&code(None)), None),
            Err(StorageError::InvalidCode)
        ));
        assert!(matches!(
            decide(&e, None, None),
            Err(StorageError::InvalidCode)
        ));
        let mut revoked = code(None);
        revoked.revoked_at = Some(1);
        assert!(matches!(
            decide(&e, Some(&revoked), None),
            Err(StorageError::InvalidCode)
        ));
        // A known device re-enrols with a new code of its technician, not of another's.
        assert_eq!(
            decide(&e, Some(&code(None)), Some(&device("k0", "c0"))).unwrap(),
            Step::Rebind
        );
        let mut theirs = device("k0", "c0");
        theirs.technician_id = "other".into();
        assert!(matches!(
            decide(&e, Some(&code(None)), Some(&theirs)),
            Err(StorageError::Conflict(_))
        ));
    }
}
