//! Lays the customer's copy out on A4 pages (a list of drawing items per page, breaking
//! pages where the next block does not fit) and hands them to [`super::pdf`] to write.

use chrono::{FixedOffset, Offset};
use qrcode::{Color as QrColor, EcLevel, QrCode};

use super::pdf::{Mark, Picture};
use super::{CopyContent, ReportError};
use crate::model::{Cents, Timestamp};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const BODY: f32 = 9.5;
const LABEL_W: f32 = 150.0;
const QR_SIZE: f32 = 132.0;

/// One thing drawn on a page (y grows downwards; text `y` is the baseline).
enum Item {
    /// Text or an image, as the PDF writer takes it.
    Mark(Mark),
    Rule {
        y: f32,
    },
    /// Dark modules of a QR code: `n`×`n`, row-major.
    Qr {
        x: f32,
        y: f32,
        size: f32,
        n: usize,
        dark: Vec<bool>,
    },
}

/// Pages being filled top to bottom.
struct Pages<'m> {
    pages: Vec<Vec<Item>>,
    y: f32,
    metrics: &'m Metrics<'m>,
}

impl<'m> Pages<'m> {
    fn new(metrics: &'m Metrics<'m>) -> Self {
        Self {
            pages: vec![Vec::new()],
            y: MARGIN,
            metrics,
        }
    }

    fn wrap(&self, text: &str, width: f32, size: f32) -> Vec<String> {
        let text = self.metrics.drawable(text);
        wrap(&text, width, size, &|c| self.metrics.advance(c))
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.push(item);
        }
    }

    /// Starts a new page unless `h` more points fit on this one.
    fn room(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    /// Wrapped text across `width` from `x`, advancing the cursor.
    fn text(&mut self, x: f32, width: f32, size: f32, text: &str) {
        for line in self.wrap(text, width, size) {
            self.room(size * 1.45);
            self.y += size * 1.45;
            self.push(Item::Mark(Mark::Text {
                x,
                y: self.y - size * 0.35,
                size,
                text: line,
            }));
        }
    }

    /// A label on the left and its value wrapped on the right.
    fn field(&mut self, label: &str, value: &str) {
        let lines = self.wrap(value, PAGE_W - 2.0 * MARGIN - LABEL_W, BODY);
        self.room(BODY * 1.45 * lines.len().clamp(1, 3) as f32);
        let top = self.y;
        self.text(MARGIN, LABEL_W - 8.0, BODY, label);
        let after_label = self.y;
        self.y = top;
        self.text(
            MARGIN + LABEL_W,
            PAGE_W - 2.0 * MARGIN - LABEL_W,
            BODY,
            value,
        );
        self.y = self.y.max(after_label);
    }

    fn heading(&mut self, text: &str) {
        self.room(40.0);
        self.y += 10.0;
        self.text(MARGIN, PAGE_W - 2.0 * MARGIN, 12.0, text);
        self.y += 2.0;
        self.push(Item::Rule { y: self.y });
        self.y += 4.0;
    }
}

/// The font's advance widths, for line breaking, and which characters it can draw.
struct Metrics<'a> {
    face: ttf_parser::Face<'a>,
    per_em: f32,
}

/// Characters the copy's own labels and hashes need: a font without them cannot make a
/// readable copy.
const REQUIRED: &str = "服务单客户联工单号签字核验0123456789abcdefABCDEFWO-Servicerdopy";

impl<'a> Metrics<'a> {
    fn new(font: &'a [u8], index: u32) -> Result<Self, ReportError> {
        let face = ttf_parser::Face::parse(font, index).map_err(|e| {
            ReportError::Font(format!("not a usable TrueType/OpenType font or face: {e}"))
        })?;
        let per_em = f32::from(face.units_per_em().max(1));
        let m = Metrics { face, per_em };
        if let Some(c) = REQUIRED.chars().find(|c| !m.covers(*c)) {
            return Err(ReportError::Font(format!(
                "the font has no glyph for U+{:04X}: it must cover Chinese and Latin",
                c as u32
            )));
        }
        Ok(m)
    }

    fn covers(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// The advance of `c` in ems (characters the font lacks are drawn as `?`).
    fn advance(&self, c: char) -> f32 {
        let c = if self.covers(c) { c } else { '?' };
        self.face
            .glyph_index(c)
            .and_then(|g| self.face.glyph_hor_advance(g))
            .map_or(1.0, |a| f32::from(a) / self.per_em)
    }

    /// `text` with characters the font cannot draw replaced by `?`.
    fn drawable(&self, text: &str) -> String {
        text.chars()
            .map(|c| {
                if self.covers(c) || c.is_whitespace() {
                    c
                } else {
                    '?'
                }
            })
            .collect()
    }
}

/// Breaks `text` into lines no wider than `width` at `size` (advances in ems from
/// `advance`): at spaces where possible, anywhere in a run of CJK (or a word longer than
/// the line).
fn wrap(text: &str, width: f32, size: f32, advance: &dyn Fn(char) -> f32) -> Vec<String> {
    let max = (width / size).max(1.0);
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut w = 0.0f32;
        let mut last_space: Option<usize> = None;
        for c in para.chars() {
            if c.is_control() {
                continue;
            }
            let a = advance(c);
            while w + a > max && !line.is_empty() {
                match last_space.filter(|_| !c.is_whitespace()) {
                    Some(i) if i > 0 => {
                        let rest = line.split_off(i);
                        out.push(line.trim_end().to_owned());
                        line = rest.trim_start().to_owned();
                    }
                    _ => {
                        out.push(line.trim_end().to_owned());
                        line = String::new();
                    }
                }
                w = line.chars().map(advance).sum();
                last_space = None;
            }
            if c.is_whitespace() && line.is_empty() {
                continue;
            }
            if c.is_whitespace() {
                last_space = Some(line.len());
            }
            line.push(c);
            w += a;
        }
        out.push(line.trim_end().to_owned());
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

fn time(t: Timestamp, offset_minutes: i32) -> String {
    let offset = FixedOffset::east_opt(offset_minutes.clamp(-1439, 1439) * 60)
        .unwrap_or_else(|| chrono::Utc.fix());
    t.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M (UTC%:z)")
        .to_string()
}

fn money(cents: Cents, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", c / 100, c % 100)
}

fn method_label(m: crate::model::PaymentMethod) -> &'static str {
    use crate::model::PaymentMethod as M;
    match m {
        M::Cash => "现金 / Cash",
        M::Card => "银行卡 / Card",
        M::Transfer => "转账 / Bank transfer",
        M::Qr => "扫码支付 / QR payment",
    }
}

fn kind_label(kind: &str) -> String {
    match kind {
        "delivery" => "送货 / Delivery".into(),
        "installation" => "安装调试 / Installation".into(),
        "repair" => "维修 / Repair".into(),
        "return_exchange" => "退换货 / Return or exchange".into(),
        "follow_up" => "回访 / Follow-up visit".into(),
        other => other.into(),
    }
}

fn billing_label(billing: &str) -> String {
    match billing {
        "warranty" => "保修 / Under warranty".into(),
        "paid" => "收费 / Paid service".into(),
        other => other.into(),
    }
}

fn old_part_label(fate: &str) -> &str {
    match fate {
        "none" => "无 / none",
        "returned" => "已回收 / returned",
        "scrapped" => "已报废 / scrapped",
        "left_with_customer" => "留给客户 / left with the customer",
        other => other,
    }
}

/// Lays out the copy and writes the PDF.
pub(super) fn render(c: &CopyContent, font: Vec<u8>, index: u32) -> Result<Vec<u8>, ReportError> {
    let pages = {
        let metrics = Metrics::new(&font, index)?;
        layout(c, &metrics)?.pages
    };
    let pages: Vec<Vec<Mark>> = pages
        .into_iter()
        .map(|items| items.into_iter().flat_map(marks).collect())
        .collect();
    super::pdf::write(&pages, (PAGE_W, PAGE_H), &font, index)
}

/// What an item draws.
fn marks(item: Item) -> Vec<Mark> {
    match item {
        Item::Mark(mark) => vec![mark],
        Item::Rule { y } => vec![Mark::Fill {
            x: MARGIN,
            y,
            w: PAGE_W - 2.0 * MARGIN,
            h: 0.6,
        }],
        Item::Qr {
            x,
            y,
            size,
            n,
            dark,
        } => {
            let m = size / (n as f32 + 8.0);
            dark.iter()
                .enumerate()
                .filter(|(_, d)| **d)
                .map(|(i, _)| Mark::Fill {
                    x: x + (4 + i % n) as f32 * m,
                    y: y + (4 + i / n) as f32 * m,
                    w: m,
                    h: m,
                })
                .collect()
        }
    }
}

fn layout<'m>(c: &CopyContent, metrics: &'m Metrics<'m>) -> Result<Pages<'m>, ReportError> {
    let off = c.utc_offset_minutes;
    let full = PAGE_W - 2.0 * MARGIN;
    let mut p = Pages::new(metrics);
    p.text(MARGIN, full, 16.0, &c.company);
    p.text(
        MARGIN,
        full,
        13.0,
        "服务单 客户联 / Service record, customer's copy",
    );
    if let Some(h) = c
        .technician
        .as_ref()
        .and_then(|t| t.service_hotline.as_deref())
    {
        p.text(
            MARGIN,
            full,
            BODY,
            &format!("服务热线 / Service hotline: {h}"),
        );
    }
    p.y += 4.0;

    p.heading("工单 / Work order");
    p.field("工单号 / Job number", &c.number);
    p.field("工单 ID / Job id", &c.work_order_id);
    p.field("服务类型 / Service", &kind_label(&c.kind));
    p.field("收费方式 / Billing", &billing_label(&c.billing));
    let product = match &c.product_serial {
        Some(s) => format!("{} (S/N {s})", c.product_model),
        None => c.product_model.clone(),
    };
    p.field("产品 / Product", &product);
    p.field("故障现象 / Reported fault", &c.reported_fault);
    if let Some(t) = &c.technician {
        let who = match &t.employee_number {
            Some(n) => format!("{} (工号 / No. {n})", t.name),
            None => t.name.clone(),
        };
        p.field("服务技师 / Technician", &who);
    }
    p.field(
        "预约时间 / Scheduled",
        &format!(
            "{} – {}",
            time(c.scheduled.0, off),
            time(c.scheduled.1, off)
        ),
    );
    for (label, t) in [
        ("到达 / Arrived", c.arrived_at),
        ("开始维修 / Work started", c.work_started_at),
        ("完成 / Finished", c.ended_at),
    ] {
        if let Some(t) = t {
            p.field(label, &time(t, off));
        }
    }

    if !c.findings.is_empty() {
        p.heading("检查发现 / Findings");
        for (kind, description) in &c.findings {
            p.field(kind, description);
        }
    }

    p.heading("服务步骤 / Checklist");
    for s in &c.steps {
        let value = match &s.exception {
            Some(reason) => format!("例外 / Exception: {reason}"),
            None => s.answer.clone(),
        };
        p.room(BODY * 1.45 * 2.0);
        p.text(
            MARGIN,
            full,
            BODY,
            &format!("{} / {}", s.label_zh, s.label_en),
        );
        p.text(MARGIN + 18.0, full - 18.0, BODY, &value);
    }

    p.heading("使用配件 / Parts used");
    if c.parts.is_empty() {
        p.text(MARGIN, full, BODY, "无 / none");
    }
    for part in &c.parts {
        let mut v = format!(
            "{} × {}  旧件 / old part: {}",
            part.quantity,
            part.name,
            old_part_label(&part.old_part)
        );
        if let Some(sn) = &part.new_serial {
            v.push_str(&format!("  S/N {sn}"));
        }
        p.field(&part.sku, &v);
    }

    if let Some(f) = &c.fees {
        p.heading("费用 / Fees");
        for (zh, en, amount) in &f.items {
            p.field(&format!("{zh} / {en}"), &money(*amount, &f.currency));
        }
        p.field("合计 / Total", &money(f.total, &f.currency));
        p.field(
            "客户同意 / Customer consent",
            if f.agreed {
                "已同意 / agreed"
            } else {
                "未同意 / refused"
            },
        );
    }

    if let Some(st) = &c.settlement {
        let currency = c.fees.as_ref().map_or("CNY", |f| f.currency.as_str());
        p.heading("结算 / Settlement");
        p.field("金额 / Amount", &money(st.amount, currency));
        p.field("方式 / Method", method_label(st.method));
        match (&st.receipt_no, st.invoice_due) {
            (Some(no), _) => p.field("收据或发票号 / Receipt or invoice no.", no),
            (None, Some(due)) => p.field(
                "发票 / Invoice",
                &format!("后续开具，截止 / to follow by {}", time(due, off)),
            ),
            (None, None) => {}
        }
        p.text(
            MARGIN,
            full,
            BODY,
            "结算在客户签字之后记录，不在签字内容之内 / Recorded after the signature: not part of the signed content",
        );
    }

    if let Some(tb) = &c.take_back {
        p.heading("取回维修收据 / Take-back receipt");
        p.field("收据号 / Receipt no.", &tb.receipt_no);
        p.field("原因 / Reason", &tb.reason);
        p.field("进出商品簿 / Goods book", &tb.goods_book_ref);
        match &tb.loaner {
            Some((model, serial)) => {
                p.field("替补品 / Loaner", &format!("{model}  S/N {serial}"));
            }
            None => p.field("替补品 / Loaner", "无 / none"),
        }
    }

    if !c.thumbnails.is_empty() {
        p.heading("照片 / Photos");
        let (w, gap) = (92.0f32, 8.0f32);
        let mut x = MARGIN;
        let mut row_h = 0.0f32;
        for bytes in &c.thumbnails {
            let picture = Picture::jpeg(bytes)
                .map_err(|e| ReportError::Render(format!("photo thumbnail: {e}")))?;
            let (iw, ih) = picture.size();
            let h = w * ih.max(1) as f32 / iw.max(1) as f32;
            if x + w > PAGE_W - MARGIN {
                p.y += row_h + gap;
                x = MARGIN;
                row_h = 0.0;
            }
            if row_h == 0.0 {
                p.room(h + gap);
            }
            p.push(Item::Mark(Mark::Image {
                x,
                y: p.y + gap,
                w,
                h,
                picture,
            }));
            row_h = row_h.max(h);
            x += w + gap;
        }
        p.y += row_h + gap;
    }

    p.heading("客户签字 / Customer's signature");
    let picture = Picture::png(&c.signature_png)
        .map_err(|e| ReportError::Render(format!("signature image: {e}")))?;
    let (iw, ih) = picture.size();
    let w = 200.0f32;
    let h = (w * ih.max(1) as f32 / iw.max(1) as f32).min(120.0);
    p.room(h + 40.0);
    p.push(Item::Mark(Mark::Image {
        x: MARGIN,
        y: p.y + 4.0,
        w,
        h,
        picture,
    }));
    p.y += h + 6.0;
    p.field("签字人 / Signed by", &c.signer_name);
    p.field("签字时间 / Signed at", &time(c.signed_at, off));

    p.heading("核验 / Verification");
    let code = QrCode::with_error_correction_level(c.verify_url.as_bytes(), EcLevel::M)
        .map_err(|e| ReportError::Render(format!("QR code: {e}")))?;
    let n = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|m| m == QrColor::Dark)
        .collect();
    p.room(QR_SIZE + 12.0);
    let top = p.y;
    p.push(Item::Qr {
        x: MARGIN,
        y: top + 4.0,
        size: QR_SIZE,
        n,
        dark,
    });
    let x = MARGIN + QR_SIZE + 14.0;
    let w = PAGE_W - MARGIN - x;
    p.y = top + 10.0;
    p.text(
        x,
        w,
        BODY,
        "签字内容哈希 (SHA-256) / Hash of the signed content:",
    );
    p.text(x, w, 8.0, &c.signed_sha256);
    p.y += 6.0;
    p.text(
        x,
        w,
        BODY,
        "扫码核验此单据与服务器记录是否一致 / Scan to check this copy against the server's record:",
    );
    p.text(x, w, 7.5, &c.verify_url);
    p.y = p.y.max(top + QR_SIZE + 8.0);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_lines_within_width_and_loses_no_text() {
        let text =
            "洗衣机不排水 / washer does not drain, replaced the drain pump and tested a full cycle";
        let advance = |c: char| if (c as u32) >= 0x2E80 { 1.0 } else { 0.55 };
        for width in [30.0, 80.0, 200.0] {
            let lines = wrap(text, width, 10.0, &advance);
            for l in &lines {
                let w: f32 = l.chars().map(advance).sum::<f32>() * 10.0;
                assert!(
                    w <= width.max(10.0) + 0.01,
                    "{l:?} is {w} wide, max {width}"
                );
            }
            let joined: String = lines
                .concat()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let orig: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(joined, orig);
        }
    }

    #[test]
    fn money_prints_cents() {
        assert_eq!(money(13000, "CNY"), "130.00 CNY");
        assert_eq!(money(-5, "CNY"), "-0.05 CNY");
    }
}
