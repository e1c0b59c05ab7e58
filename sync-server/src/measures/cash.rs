//! The daily cash reconciliation per technician (现金日结): what each technician collected in
//! cash on a local day, what the customers had agreed for those visits, and what the desk
//! recorded as handed in. Pure, like the rest of the measures.
//!
//! - A settlement counts on the local day ([`MeasureConfig::local_date`]) of its time
//!   ([`EventFact::at`]: the device's clock, corrected for a measured skew, never later than
//!   the server received it). Only settlements the server accepted are facts; when a visit was
//!   settled more than once, its latest settlement stands.
//! - *Consented* is the visit's latest agreed fee consent before that settlement, as the
//!   server accepted it (its total checked against the published schedule), never a total a
//!   phone claims.
//! - The technician is the one whose device recorded the settlement.
//! - *Handed in* is the sum of the desk's hand-ins for that technician and day.

use std::collections::BTreeMap;
use std::collections::HashMap;

use chrono::NaiveDate;
use fieldkit_core::model::PaymentMethod;
use serde::{Deserialize, Serialize};

use super::{EventFact, JobFacts, MeasureConfig, ordered};
use crate::records::{CashHandIn, EventMoney};

/// One technician's cash on one day (amounts in fen).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashRow {
    pub technician_id: String,
    /// Cash settlements that day.
    pub cash_settlements: u32,
    /// The sum of those cash settlements.
    pub collected: i64,
    /// The sum of the agreed consent totals of those visits.
    pub consented: i64,
    /// What the desk recorded as handed in for that day.
    pub handed_in: i64,
    /// Collected but not handed in (negative: more handed in than collected).
    pub outstanding: i64,
    /// Settled by card, transfer or QR that day (not cash: nothing to hand in).
    pub other_methods: i64,
    /// Settlements that day (any method) whose amount differs from the consented total.
    pub differing: u32,
}

/// The reconciliation of one local day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashReconciliation {
    /// The local day (YYYY-MM-DD).
    pub date: String,
    /// The offset of the local time from UTC the day is taken in.
    pub utc_offset_minutes: i32,
    /// One row per technician with a settlement or a hand-in that day, by id.
    pub technicians: Vec<CashRow>,
    /// The rows added up (`technician_id` empty).
    pub totals: CashRow,
}

/// The reconciliation of `date`: `technician_of` maps a device id to its technician;
/// `handins` are the desk's records (any day: the day's are picked).
pub fn cash_reconciliation(
    facts: &[JobFacts],
    technician_of: &HashMap<String, String>,
    handins: &[CashHandIn],
    date: NaiveDate,
    cfg: &MeasureConfig,
) -> CashReconciliation {
    let mut rows: BTreeMap<String, CashRow> = BTreeMap::new();
    for job in facts {
        // Per (device, visit): the latest agreed consent so far, and the latest settlement.
        let mut consent: HashMap<(&str, &str), i64> = HashMap::new();
        let mut settled: BTreeMap<(&str, &str), (&EventFact, i64, PaymentMethod, i64)> =
            BTreeMap::new();
        let mut by_seq: Vec<&EventFact> = ordered(job);
        by_seq.sort_by_key(|e| (e.device_id.clone(), e.seq));
        for e in by_seq {
            let Some(visit) = e.visit_id.as_deref() else {
                continue;
            };
            let key = (e.device_id.as_str(), visit);
            match e.money {
                Some(EventMoney::Consent { total, agreed }) => {
                    consent.insert(key, if agreed { total } else { 0 });
                }
                Some(EventMoney::Settle { amount, method }) => {
                    let agreed = consent.get(&key).copied().unwrap_or(0);
                    settled.insert(key, (e, amount, method, agreed));
                }
                None => {}
            }
        }
        for ((device, _), (e, amount, method, consented)) in settled {
            if cfg.local_date(e.at()) != date {
                continue;
            }
            let Some(tech) = technician_of.get(device) else {
                continue;
            };
            let row = rows.entry(tech.clone()).or_default();
            if method == PaymentMethod::Cash {
                row.cash_settlements += 1;
                row.collected += amount;
                row.consented += consented;
            } else {
                row.other_methods += amount;
            }
            if amount != consented {
                row.differing += 1;
            }
        }
    }
    let day = date.format("%Y-%m-%d").to_string();
    for h in handins.iter().filter(|h| h.day == day) {
        rows.entry(h.technician_id.clone()).or_default().handed_in += h.amount;
    }
    let mut totals = CashRow::default();
    let technicians: Vec<CashRow> = rows
        .into_iter()
        .map(|(id, mut r)| {
            r.technician_id = id;
            r.outstanding = r.collected - r.handed_in;
            totals.cash_settlements += r.cash_settlements;
            totals.collected += r.collected;
            totals.consented += r.consented;
            totals.handed_in += r.handed_in;
            totals.outstanding += r.outstanding;
            totals.other_methods += r.other_methods;
            totals.differing += r.differing;
            r
        })
        .collect();
    CashReconciliation {
        date: day,
        utc_offset_minutes: cfg.utc_offset_minutes,
        technicians,
        totals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::JobFacts;
    use fieldkit_core::model::{JobKind, Zone};

    /// 2026-12-03 00:00 +08:00 (2026-12-02 16:00 UTC), in ms.
    const DAY: i64 = 1_796_227_200_000;
    const MIN: i64 = 60_000;

    fn ev(device: &str, visit: &str, seq: i64, at: i64, money: EventMoney) -> EventFact {
        EventFact {
            kind: match money {
                EventMoney::Consent { .. } => "consent_to_fees",
                EventMoney::Settle { .. } => "settle",
            }
            .into(),
            visit_id: Some(visit.into()),
            device_id: device.into(),
            seq,
            device_time: at,
            received_at: at + MIN,
            skew_ms: None,
            rating: None,
            complaint: false,
            money: Some(money),
            notice: None,
        }
    }

    fn job(id: &str, events: Vec<EventFact>) -> JobFacts {
        JobFacts {
            work_order_id: id.into(),
            number: id.into(),
            kind: JobKind::Repair,
            zone: Zone::Urban,
            reported_at: DAY,
            promised_start: DAY,
            promised_end: DAY,
            technician_id: None,
            cancelled: false,
            complaint_handled_at: None,
            events,
        }
    }

    fn consent(device: &str, visit: &str, seq: i64, at: i64, total: i64) -> EventFact {
        ev(
            device,
            visit,
            seq,
            at,
            EventMoney::Consent {
                total,
                agreed: true,
            },
        )
    }

    fn settle(
        device: &str,
        visit: &str,
        seq: i64,
        at: i64,
        amount: i64,
        m: PaymentMethod,
    ) -> EventFact {
        ev(
            device,
            visit,
            seq,
            at,
            EventMoney::Settle { amount, method: m },
        )
    }

    #[test]
    fn a_day_by_hand() {
        use PaymentMethod::*;
        let devices: HashMap<String, String> = [("da", "t-a"), ("db", "t-b"), ("dc", "t-c")]
            .into_iter()
            .map(|(d, t)| (d.to_owned(), t.to_owned()))
            .collect();
        let facts = vec![
            // t-a: 130.00 cash as agreed, at 10:00.
            job(
                "j1",
                vec![
                    consent("da", "v1", 1, DAY + 600 * MIN, 13_000),
                    settle("da", "v1", 2, DAY + 660 * MIN, 13_000, Cash),
                ],
            ),
            // t-a: 120.00 cash against 130.00 agreed (differs), one minute before midnight.
            job(
                "j2",
                vec![
                    consent("da", "v2", 3, DAY + 1300 * MIN, 13_000),
                    settle("da", "v2", 4, DAY + 1439 * MIN, 12_000, Cash),
                ],
            ),
            // t-a: one minute after midnight: the next day.
            job(
                "j3",
                vec![
                    consent("da", "v3", 5, DAY + 1430 * MIN, 5_000),
                    settle("da", "v3", 6, DAY + 1441 * MIN, 5_000, Cash),
                ],
            ),
            // t-a: one minute before the day started: the day before.
            job(
                "j4",
                vec![
                    consent("da", "v4", 7, DAY - 30 * MIN, 8_000),
                    settle("da", "v4", 8, DAY - MIN, 8_000, Cash),
                ],
            ),
            // t-b: 50.00 by QR (not cash), a refused consent then an agreed one, settled 80.00 cash.
            job(
                "j5",
                vec![
                    consent("db", "v5", 1, DAY + 500 * MIN, 5_000),
                    settle("db", "v5", 2, DAY + 520 * MIN, 5_000, Qr),
                ],
            ),
            job(
                "j6",
                vec![
                    ev(
                        "db",
                        "v6",
                        3,
                        DAY + 540 * MIN,
                        EventMoney::Consent {
                            total: 9_000,
                            agreed: false,
                        },
                    ),
                    consent("db", "v6", 4, DAY + 545 * MIN, 8_000),
                    settle("db", "v6", 5, DAY + 600 * MIN, 8_000, Cash),
                ],
            ),
            // t-b: settled 70.00 then corrected to 75.00 (the latest stands; 75.00 agreed).
            job(
                "j7",
                vec![
                    consent("db", "v7", 6, DAY + 700 * MIN, 7_500),
                    settle("db", "v7", 7, DAY + 720 * MIN, 7_000, Cash),
                    settle("db", "v7", 8, DAY + 725 * MIN, 7_500, Cash),
                ],
            ),
            // An unknown device's settlement counts for no one.
            job(
                "j8",
                vec![
                    consent("dx", "v8", 1, DAY + 60 * MIN, 1_000),
                    settle("dx", "v8", 2, DAY + 61 * MIN, 1_000, Cash),
                ],
            ),
        ];
        let handin = |tech: &str, day: &str, amount: i64| CashHandIn {
            id: format!("{tech}{day}{amount}"),
            technician_id: tech.into(),
            day: day.into(),
            amount,
            note: String::new(),
            recorded_by: "desk".into(),
            recorded_at: DAY,
        };
        let handins = vec![
            handin("t-a", "2026-12-03", 20_000),
            handin("t-a", "2026-12-02", 8_000),
            handin("t-c", "2026-12-03", 1_000),
        ];
        let date = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let r = cash_reconciliation(&facts, &devices, &handins, date, &MeasureConfig::default());
        assert_eq!(r.date, "2026-12-03");
        let row = |tech: &str, n, collected, consented, handed_in, other, differing| CashRow {
            technician_id: tech.into(),
            cash_settlements: n,
            collected,
            consented,
            handed_in,
            outstanding: collected - handed_in,
            other_methods: other,
            differing,
        };
        assert_eq!(
            r.technicians,
            vec![
                row("t-a", 2, 25_000, 26_000, 20_000, 0, 1),
                row("t-b", 2, 15_500, 15_500, 0, 5_000, 0),
                row("t-c", 0, 0, 0, 1_000, 0, 0),
            ]
        );
        assert_eq!(r.totals, row("", 4, 40_500, 41_500, 21_000, 5_000, 1));
        // The day before: t-a's 80.00 and its hand-in.
        let before = date.pred_opt().unwrap();
        let r = cash_reconciliation(
            &facts,
            &devices,
            &handins,
            before,
            &MeasureConfig::default(),
        );
        assert_eq!(
            r.technicians,
            vec![row("t-a", 1, 8_000, 8_000, 8_000, 0, 0)]
        );
    }
}
