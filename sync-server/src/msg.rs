//! Messages not yet written: a catalogue id and its arguments ([`Msg`]), and the things a
//! request may name that do not exist ([`Thing`]). Errors carry these and are rendered in
//! the reader's language only when the response is written, so an error made on a blocking
//! thread (outside the request's task-local language) still reads right.
//!
//! Arguments are ids, numbers, field names and limits: never personal data.

use std::borrow::Cow;
use std::fmt;

use crate::i18n::{CATALOGUE, FluentArgs, Locale, num};

/// One argument of a [`Msg`].
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Text(Cow<'static, str>),
    Num(f64),
}

impl From<&'static str> for Arg {
    fn from(s: &'static str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}

macro_rules! num_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            fn from(n: $t) -> Self {
                Arg::Num(n as f64)
            }
        }
    )*};
}
num_arg!(i32, i64, u32, u64, usize);

/// A message of the server's catalogue (an `err-…` id) with its arguments, and perhaps a
/// technical detail no one translates (a parser's words), sent apart from the message.
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub id: &'static str,
    pub args: Vec<(&'static str, Arg)>,
    /// Technical text in no particular language (never personal data): `ErrorBody.detail`.
    pub detail: Option<String>,
}

impl Msg {
    /// The message `id`, no arguments.
    pub const fn new(id: &'static str) -> Msg {
        Msg {
            id,
            args: Vec::new(),
            detail: None,
        }
    }

    /// With the argument `name` (`{ $name }` in the catalogue).
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Msg {
        self.args.push((name, value.into()));
        self
    }

    /// With a technical detail.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Msg {
        self.detail = Some(detail.into());
        self
    }

    /// The message in `locale`.
    pub fn render(&self, locale: Locale) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in &self.args {
            match value {
                Arg::Text(s) => args.set(*name, s.to_string()),
                Arg::Num(n) => args.set(*name, num(*n)),
            }
        }
        CATALOGUE.format(locale, self.id, Some(&args))
    }
}

/// In the language of the request being served ([`crate::i18n::current`]).
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(crate::i18n::current()))
    }
}

/// `msg!("err-id")`, `msg!("err-id", name = value, …)`: a [`Msg`]; values are texts (ids,
/// field names) or numbers.
#[macro_export]
macro_rules! msg {
    ($id:expr) => {
        $crate::msg::Msg::new($id)
    };
    ($id:expr, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::msg::Msg::new($id)$(.arg(stringify!($name), $value))+
    };
}

/// What a request named that does not exist (`404 not_found`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Thing {
    Account,
    Blob,
    Cache,
    Callback,
    Complaint,
    Completion,
    Device,
    EnrolmentCode,
    Replenishment,
    Settlement,
    Technician,
    TechnicianProfile,
    Tool,
    Webhook,
    WorkOrder,
}

impl Thing {
    /// Every thing (tests render each).
    pub const ALL: [Thing; 15] = [
        Thing::Account,
        Thing::Blob,
        Thing::Cache,
        Thing::Callback,
        Thing::Complaint,
        Thing::Completion,
        Thing::Device,
        Thing::EnrolmentCode,
        Thing::Replenishment,
        Thing::Settlement,
        Thing::Technician,
        Thing::TechnicianProfile,
        Thing::Tool,
        Thing::Webhook,
        Thing::WorkOrder,
    ];

    /// The "… not found" message's id.
    pub fn id(self) -> &'static str {
        match self {
            Thing::Account => "err-not-found-account",
            Thing::Blob => "err-not-found-blob",
            Thing::Cache => "err-not-found-cache",
            Thing::Callback => "err-not-found-callback",
            Thing::Complaint => "err-not-found-complaint",
            Thing::Completion => "err-not-found-completion",
            Thing::Device => "err-not-found-device",
            Thing::EnrolmentCode => "err-not-found-enrolment-code",
            Thing::Replenishment => "err-not-found-replenishment",
            Thing::Settlement => "err-not-found-settlement",
            Thing::Technician => "err-not-found-technician",
            Thing::TechnicianProfile => "err-not-found-technician-profile",
            Thing::Tool => "err-not-found-tool",
            Thing::Webhook => "err-not-found-webhook",
            Thing::WorkOrder => "err-not-found-work-order",
        }
    }
}

/// "… not found", in the language of the request being served.
impl fmt::Display for Thing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Msg::new(self.id()).render(crate::i18n::current()))
    }
}
