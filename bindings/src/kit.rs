//! The `FieldKit` object (one open device database) with its settings and housekeeping, and
//! the job observers: a callback interface, the handle that cancels it, and the fan-out that
//! runs after every successful change.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use fieldkit_core::model::WorkOrderId;

use crate::convert::job_id;
use crate::error::{FieldKitError, Result};

/// How a device installation is set up. Every field has a default.
#[derive(Clone, Debug, uniffi::Record)]
pub struct KitConfig {
    /// The technician's offset from UTC in minutes (China: +480); decides what "today" is.
    #[uniffi(default = 480)]
    pub utc_offset_minutes: i32,
    /// Make every commit survive power loss, not only sign-off and completion (slower).
    #[uniffi(default = false)]
    pub power_loss_safe: bool,
    /// Long edge of stored photos, px.
    #[uniffi(default = 2048)]
    pub photo_long_edge: i32,
    /// The 32 raw bytes that encrypt the database and the photo and signature files. The
    /// Kotlin and Swift clients always pass one (from the Android Keystore / the iOS
    /// Keychain); none keeps the data plain (tests and tools only). A plain database opened
    /// with a key is encrypted once; a wrong key fails with `WrongKey` and changes nothing.
    #[uniffi(default = None)]
    pub database_key: Option<Vec<u8>>,
    /// Closed jobs the server holds entirely are deleted from the phone this many days after
    /// their last change (`purge_synced_jobs`, run by the clients after every sync); 0 keeps
    /// them.
    #[uniffi(default = 30)]
    pub purge_after_days: u32,
    /// The technician's language, a BCP 47 tag (`zh-CN`, `en-US`…: Kotlin passes
    /// `Locale.getDefault().toLanguageTag()`, Swift `Locale.current.identifier`): every
    /// error's `reason` and every blocker's `text` is written in it. A language FieldKit does
    /// not speak gives Chinese, never an error. `set_locale` changes it.
    #[uniffi(default = "zh-CN")]
    pub locale: String,
}

impl Default for KitConfig {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 480,
            power_loss_safe: false,
            photo_long_edge: 2048,
            database_key: None,
            purge_after_days: 30,
            locale: "zh-CN".to_owned(),
        }
    }
}

/// The FieldKit core on this device: every local call is synchronous and fast. Release it
/// with `close()` / `use {}` (Kotlin) or by dropping it (Swift).
#[derive(uniffi::Object)]
pub struct FieldKit {
    pub(crate) core: Arc<fieldkit_core::FieldKit>,
    pub(crate) observers: Arc<Observers>,
}

#[uniffi::export]
impl FieldKit {
    /// Opens (creating on first use) the device database in `data_dir`.
    #[uniffi::constructor]
    pub fn open(data_dir: String, config: KitConfig) -> Result<Arc<Self>> {
        let locale = crate::error::locale_of_tag(&config.locale);
        crate::error::speak(locale);
        if data_dir.trim().is_empty() {
            return Err(FieldKitError::validation("data dir", "must not be empty"));
        }
        let mut core_config = fieldkit_core::DeviceConfig {
            utc_offset_minutes: config.utc_offset_minutes,
            locale,
            ..Default::default()
        };
        if config.power_loss_safe {
            core_config.durability = fieldkit_core::api::Durability::Full;
        }
        core_config.photo.long_edge = u32::try_from(config.photo_long_edge)
            .ok()
            .filter(|e| (64..=16_384).contains(e))
            .ok_or_else(|| FieldKitError::validation("photo long edge", "not in 64–16384"))?;
        core_config.database_key = config
            .database_key
            .as_deref()
            .map(fieldkit_core::store::DatabaseKey::from_bytes)
            .transpose()?;
        core_config.purge_after_days = Some(config.purge_after_days).filter(|d| *d > 0);
        let core = fieldkit_core::FieldKit::open(&data_dir, core_config)?;
        Ok(Arc::new(Self {
            core: Arc::new(core),
            observers: Arc::new(Observers::default()),
        }))
    }

    /// Switches the technician's language (a BCP 47 tag; see `KitConfig.locale`): every
    /// `reason` and blocker text from now on is written in it. An unknown tag gives Chinese.
    pub fn set_locale(&self, tag: String) {
        let locale = crate::error::locale_of_tag(&tag);
        self.core.set_locale(locale);
        crate::error::speak(locale);
    }

    /// The tag of the language texts are written in now (`zh-CN` or `en`).
    pub fn locale(&self) -> String {
        self.core.locale().tag().to_owned()
    }

    /// This installation's device id.
    pub fn device_id(&self) -> String {
        self.core.device_id().to_string()
    }

    /// Where an unreadable database was moved aside when this one was opened, if that
    /// happened (tell the technician; the desk can recover it).
    pub fn recovered_from(&self) -> Option<String> {
        self.core
            .recovered_from()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// How many changes wait for the server (the outbox). `pending_op_count` is the same
    /// count under the name the sync screens use.
    pub fn pending_changes(&self) -> Result<i64> {
        Ok(i64::try_from(self.core.pending_op_count()?).unwrap_or(i64::MAX))
    }

    /// Folds the write-ahead log into the database. Call when the app goes to the background.
    pub fn checkpoint(&self) -> Result<bool> {
        Ok(self.core.checkpoint()?)
    }

    /// Deletes attachment files no record refers to; returns how many.
    pub fn collect_orphans(&self) -> Result<i64> {
        Ok(self.core.collect_orphans()? as i64)
    }

    /// Deletes from the phone the closed jobs the server holds entirely (nothing of them
    /// left to send) once `purge_after_days` have passed since their last change, with their
    /// records and files; returns how many jobs went. The clients call it after every sync.
    pub fn purge_synced_jobs(&self) -> Result<i64> {
        Ok(i64::try_from(self.core.purge_synced_jobs()?.jobs).unwrap_or(i64::MAX))
    }

    /// Calls `observer` after every successful change to a job made through this object or
    /// pulled in by its `sync`,
    /// on the thread that made it, with no lock held. Keep the returned handle: cancelling
    /// or releasing it stops the calls.
    pub fn observe_jobs(&self, observer: Box<dyn JobObserver>) -> Arc<ObserverHandle> {
        self.observers.add(Arc::from(observer))
    }
}

impl FieldKit {
    /// Runs a command on one job: parses the id, maps the error, and tells the observers
    /// what changed once it succeeded.
    pub(crate) fn job_command<T>(
        &self,
        id: &str,
        action: &str,
        f: impl FnOnce(&fieldkit_core::FieldKit, WorkOrderId) -> fieldkit_core::Result<T>,
    ) -> Result<T> {
        let parsed = job_id(id)?;
        let out = f(&self.core, parsed)?;
        self.observers.notify(&parsed.to_string(), action);
        Ok(out)
    }

    /// Runs a read of one job: parses the id and maps the error.
    pub(crate) fn job_read<T>(
        &self,
        id: &str,
        f: impl FnOnce(&fieldkit_core::FieldKit, WorkOrderId) -> fieldkit_core::Result<T>,
    ) -> Result<T> {
        let parsed = job_id(id)?;
        Ok(f(&self.core, parsed)?)
    }
}

/// Told about changes to jobs. Implemented by the app (Kotlin/Swift).
#[uniffi::export(callback_interface)]
pub trait JobObserver: Send + Sync {
    /// `job_id` changed; `action` names the command ("arrive", "answer_step", …) or, for the
    /// desk's changes a sync pulled in, "pulled_work_order" (new, reassigned here or
    /// updated), "pulled_cancellation" or "pulled_removal" (assigned to someone else). Runs on
    /// the thread that made the change: hand off quickly (post to a channel or a flow).
    fn on_job_changed(&self, job_id: String, action: String) -> Result<(), FieldKitError>;
}

/// A registration of a [`JobObserver`]. `cancel()` (or releasing the handle) stops it: no
/// notification starts after `cancel` returns.
#[derive(uniffi::Object)]
pub struct ObserverHandle {
    id: u64,
    active: Arc<AtomicBool>,
    observers: Weak<Observers>,
}

#[uniffi::export]
impl ObserverHandle {
    /// Stops the notifications. Idempotent.
    pub fn cancel(&self) {
        if self.active.swap(false, Ordering::SeqCst)
            && let Some(observers) = self.observers.upgrade()
        {
            observers.remove(self.id);
        }
    }

    /// Still registered.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }
}

impl Drop for ObserverHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

struct Entry {
    id: u64,
    active: Arc<AtomicBool>,
    observer: Arc<dyn JobObserver>,
}

/// The registered observers of one `FieldKit`.
#[derive(Default)]
pub(crate) struct Observers {
    next_id: AtomicU64,
    entries: Mutex<Vec<Entry>>,
}

impl Observers {
    fn add(self: &Arc<Self>, observer: Arc<dyn JobObserver>) -> Arc<ObserverHandle> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let active = Arc::new(AtomicBool::new(true));
        self.lock().push(Entry {
            id,
            active: active.clone(),
            observer,
        });
        Arc::new(ObserverHandle {
            id,
            active,
            observers: Arc::downgrade(self),
        })
    }

    fn remove(&self, id: u64) {
        self.lock().retain(|e| e.id != id);
    }

    /// Calls every active observer, outside the lock. An observer's failure does not undo
    /// or fail the change, which is already committed.
    pub(crate) fn notify(&self, job_id: &str, action: &str) {
        let snapshot: Vec<(Arc<AtomicBool>, Arc<dyn JobObserver>)> = self
            .lock()
            .iter()
            .map(|e| (e.active.clone(), e.observer.clone()))
            .collect();
        for (active, observer) in snapshot {
            if active.load(Ordering::SeqCst) {
                let _ignored = observer.on_job_changed(job_id.to_owned(), action.to_owned());
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
