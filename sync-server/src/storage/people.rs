//! What the desk keeps of technicians as people (migration 0010): one profile per technician
//! (a JSON record, with its employee number beside it, unique). Both backends implement
//! [`PeopleStorage`]; the rules live in [`crate::people`].

use super::Fut;
pub use crate::people::TechnicianProfile;

/// The profiles' storage.
pub trait PeopleStorage: Send + Sync {
    /// Stores (or replaces) a technician's profile. `NotFound` without such a technician;
    /// `Conflict` when another technician has the employee number (nothing is written then).
    fn save_technician_profile(&self, p: TechnicianProfile) -> Fut<'_, ()>;
    /// A technician's profile, if one was saved.
    fn technician_profile(&self, technician_id: String) -> Fut<'_, Option<TechnicianProfile>>;
    /// Every profile saved.
    fn technician_profiles(&self) -> Fut<'_, Vec<TechnicianProfile>>;
}

/// The `Conflict` of an employee number in use (never quoting a person).
pub(crate) fn number_taken() -> super::StorageError {
    super::StorageError::Conflict(crate::msg!("err-employee-number-taken"))
}
