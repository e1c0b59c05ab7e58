//! Photo ingest: FieldKit `media::photo::ingest_file` against libvips and Pillow, side by side
//! in one run, on the same synthetic 12 MP and 50 MP camera JPEGs, each producing the same
//! outputs (2048 px q82 image + 320 px q70 thumbnail made from it + SHA-256 of both, EXIF
//! orientation applied, metadata dropped).
//!
//! `cargo bench -p fieldkit-core --bench photo_ingest` (`.ci/bench-photo.sh` installs the
//! anchors first).
//!
//! - FieldKit: `ingest_file` in this process (reads the file, decodes with DCT scaling where the
//!   target allows, resizes, orients, encodes both, hashes both).
//! - libvips: `vipsthumbnail IN -s 2048 -o main.jpg[Q=82,strip]` then
//!   `vipsthumbnail main.jpg -s 320 -o thumb.jpg[Q=70,strip]`, then SHA-256 of both files here.
//!   Timed as processes, start-up included; "excl. start-up" subtracts twice the median of
//!   `vips --version` (a process start with libvips loaded), measured in the same run.
//! - Pillow: one long-lived `python3` process; per photo, timed inside Python (interpreter
//!   start-up excluded): `Image.open`, `draft('RGB', aspect-correct box)`, `resize(LANCZOS)`,
//!   EXIF orientation on the resized image, `save(quality=82, optimize=False)`, thumbnail
//!   `resize(LANCZOS)` from it, `save(quality=70)`, `hashlib.sha256` of both.
//!
//! The three are alternated within each round (the order rotates), after one warm-up round.
//! Peak RSS of FieldKit is measured in a child process (this binary re-executed) from
//! `/proc/self/status` `VmHWM`, for one ingest of each input.
//!
//! Environment: `BENCH_RUNS` (default 5, the median is reported), `FIELDKIT_BENCH_DIR` (where
//! the inputs go; default the temp dir).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use fieldkit_core::media::photo::{PhotoConfig, ingest_file};
use sha2::{Digest, Sha256};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const RSS_CHILD_ENV: &str = "FIELDKIT_PHOTO_RSS_CHILD";

fn main() -> Res<()> {
    if let Some(path) = std::env::var_os(RSS_CHILD_ENV) {
        return rss_child(Path::new(&path));
    }
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let dir = match std::env::var_os("FIELDKIT_BENCH_DIR") {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir()?,
    };

    println!("# photo_ingest: FieldKit vs libvips vs Pillow (draft mode)\n");
    let t = Instant::now();
    let inputs = [
        (
            "12 MP (4000×3000)",
            synth_jpeg(dir.path(), "12mp.jpg", 4000, 3000, false, 1)?,
        ),
        (
            "12 MP, EXIF orientation 6 (portrait)",
            synth_jpeg(dir.path(), "12mp-o6.jpg", 4000, 3000, false, 6)?,
        ),
        (
            "50 MP (8160×6120)",
            synth_jpeg(dir.path(), "50mp.jpg", 8160, 6120, false, 1)?,
        ),
    ];
    println!(
        "Inputs generated in {:.1} s: baseline JPEG q92 4:2:0 with texture and noise, an EXIF \
         APP1 (orientation, GPS) like a phone's:",
        t.elapsed().as_secs_f64()
    );
    for (label, path) in &inputs {
        println!(
            "- {label}: {:.1} MB",
            std::fs::metadata(path)?.len() as f64 / 1e6
        );
    }

    let cfg = PhotoConfig::default();
    let vips = Vips::find();
    let mut pillow = Pillow::start(dir.path());
    let vips_startup = vips.as_ref().map(|v| v.startup(runs.max(5)));
    if vips.is_none() {
        println!("\n(libvips: `vipsthumbnail` not found — run .ci/bench-photo.sh)");
    }
    if pillow.is_none() {
        println!("\n(Pillow: `python3 -c 'import PIL'` failed — run .ci/bench-photo.sh)");
    }

    let mut rows = Vec::new();
    for (label, path) in &inputs {
        let mut fk = Vec::new();
        let mut vp = Vec::new();
        let mut pl = Vec::new();
        let mut sizes = Sizes::default();
        for round in 0..=runs {
            // Round 0 warms caches and is not counted; the order rotates each round.
            for k in 0..3 {
                match (round + k) % 3 {
                    0 => {
                        let start = Instant::now();
                        let out = ingest_file(path, &cfg)?;
                        let d = start.elapsed();
                        sizes.fieldkit =
                            (out.jpeg.len(), out.thumbnail.len(), out.width, out.height);
                        if round > 0 {
                            fk.push(d);
                        }
                    }
                    1 => {
                        if let Some(v) = &vips {
                            let (d, main, thumb) = v.run(path, dir.path())?;
                            sizes.vips = (main, thumb);
                            if round > 0 {
                                vp.push(d);
                            }
                        }
                    }
                    _ => {
                        if let Some(p) = pillow.as_mut() {
                            let (d, main, thumb) = p.run(path)?;
                            sizes.pillow = (main, thumb);
                            if round > 0 {
                                pl.push(d);
                            }
                        }
                    }
                }
            }
        }
        rows.push((
            *label,
            median(&mut fk),
            median(&mut vp),
            median(&mut pl),
            sizes,
        ));
    }
    drop(pillow);

    println!("\n### Wall time per photo, median of {runs} (ms)\n");
    println!(
        "| input | FieldKit `ingest_file` | libvips `vipsthumbnail` ×2, incl. start-up | libvips excl. start-up (≈) | Pillow draft + LANCZOS (in-process) | FieldKit / faster anchor | FieldKit / libvips excl. start-up |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let startup = vips_startup.unwrap_or(Duration::ZERO) * 2;
    for (label, fk, vp, pl, _) in &rows {
        let vp_excl = vp.map(|v| v.saturating_sub(startup));
        let faster = [*vp, *pl].into_iter().flatten().min();
        let faster_name = match (vp, pl) {
            (Some(v), Some(p)) if v <= p => "vips",
            (Some(_), Some(_)) => "Pillow",
            (Some(_), None) => "vips",
            (None, Some(_)) => "Pillow",
            _ => "",
        };
        let r = |a: Option<Duration>| match (fk, a) {
            (Some(f), Some(a)) => ratio(*f, a),
            _ => "-".into(),
        };
        println!(
            "| {label} | **{}** | {} | {} | {} | **{}** ({faster_name}) | {} |",
            ms(*fk),
            ms(*vp),
            ms(vp_excl),
            ms(*pl),
            r(faster),
            r(vp_excl),
        );
    }
    if let Some(s) = vips_startup {
        println!(
            "\nlibvips start-up (median of `vips --version`): {:.1} ms per process, 2 processes \
             per photo.",
            s.as_secs_f64() * 1e3
        );
    }

    println!("\n### Outputs (bytes: main / thumbnail)\n");
    println!("| input | FieldKit | libvips | Pillow | FieldKit dims (after orientation) |");
    println!("|---|---:|---:|---:|---|");
    for (label, _, _, _, s) in &rows {
        println!(
            "| {label} | {} / {} | {} / {} | {} / {} | {}×{} |",
            s.fieldkit.0,
            s.fieldkit.1,
            s.vips.0,
            s.vips.1,
            s.pillow.0,
            s.pillow.1,
            s.fieldkit.2,
            s.fieldkit.3
        );
    }

    // Peak RSS, one ingest per child process.
    println!("\n### FieldKit peak RSS (VmHWM of a process doing one `ingest_file`)\n");
    println!("| input | process before ingest | peak | limit |");
    println!("|---|---:|---:|---|");
    let progressive = synth_jpeg(dir.path(), "50mp-progressive.jpg", 8160, 6120, true, 1)?;
    let mut rss_rows: Vec<(&str, PathBuf)> = inputs
        .iter()
        .filter(|(label, _)| !label.contains("orientation"))
        .cloned()
        .collect();
    rss_rows.push(("50 MP progressive (informative)", progressive));
    for (label, path) in &rss_rows {
        let (before, peak) = rss_of_child(path)?;
        let limit = if label.starts_with("50 MP (") {
            if peak < 150 * 1024 {
                "< 150 MB ✅"
            } else {
                "< 150 MB ❌"
            }
        } else {
            ""
        };
        println!(
            "| {label} | {:.1} MB | **{:.1} MB** | {limit} |",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
    Ok(())
}

#[derive(Default)]
struct Sizes {
    fieldkit: (usize, usize, u32, u32),
    vips: (usize, usize),
    pillow: (usize, usize),
}

fn median(v: &mut [Duration]) -> Option<Duration> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{:.0}", d.as_secs_f64() * 1e3))
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        "-".into()
    } else {
        format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64())
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// A camera-like JPEG: smooth structures at several scales plus per-pixel noise (so the file
/// size is realistic, ≈ 0.4 bytes per pixel at q92), and an EXIF block with orientation 1 and
/// a GPS position.
fn synth_jpeg(
    dir: &Path,
    name: &str,
    w: u32,
    h: u32,
    progressive: bool,
    orientation: u8,
) -> Res<PathBuf> {
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let (sx, sy) = (w as f32 / 4000.0, h as f32 / 3000.0);
    for y in 0..h {
        let fy = y as f32 / sy;
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let n = ((s & 31) as i32) - 16;
            let fx = x as f32 / sx;
            let r = 128.0 + 70.0 * (fx / 97.0).sin() * (fy / 131.0).cos() + 20.0 * (fx / 9.0).sin();
            let g = 120.0 + 60.0 * ((fx + fy) / 211.0).sin() + 15.0 * (fy / 7.0).cos();
            let b = 100.0 + 80.0 * ((fx * 0.7 - fy) / 57.0).cos();
            for c in [r, g, b] {
                px.push((c as i32 + n).clamp(0, 255) as u8);
            }
        }
    }
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 92);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    enc.set_progressive(progressive);
    enc.add_exif_metadata(&exif_orientation_gps(orientation))?;
    enc.encode(&px, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)?;
    let path = dir.join(name);
    std::fs::write(&path, &jpeg)?;
    Ok(path)
}

/// Big-endian TIFF: IFD0 { Orientation, GPS IFD pointer }, GPS IFD { GPSLatitudeRef "N" }.
fn exif_orientation_gps(orientation: u8) -> Vec<u8> {
    let mut t = b"MM\0\x2A\0\0\0\x08".to_vec();
    t.extend_from_slice(&[0, 2]);
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0]);
    t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(&[0, 1]);
    t.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    t
}

// ---------------------------------------------------------------------------------------------
// Peak RSS

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn rss_child(path: &Path) -> Res<()> {
    let before = vm_hwm_kb();
    let out = ingest_file(path, &PhotoConfig::default())?;
    let peak = vm_hwm_kb();
    println!("{before} {peak} {}", out.sha256);
    Ok(())
}

fn rss_of_child(path: &Path) -> Res<(u64, u64)> {
    let out = Command::new(std::env::current_exe()?)
        .env(RSS_CHILD_ENV, path)
        .output()?;
    if !out.status.success() {
        return Err(format!("RSS child failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8(out.stdout)?;
    let mut f = text.split_whitespace();
    let before = f.next().ok_or("no output")?.parse()?;
    let peak = f.next().ok_or("no output")?.parse()?;
    Ok((before, peak))
}

// ---------------------------------------------------------------------------------------------
// Anchors

fn sha256_file(path: &Path) -> Res<(String, usize)> {
    let bytes = std::fs::read(path)?;
    Ok((hex::encode(Sha256::digest(&bytes)), bytes.len()))
}

struct Vips {
    thumbnail: PathBuf,
    vips: Option<PathBuf>,
}

impl Vips {
    fn find() -> Option<Self> {
        let which = |name: &str| -> Option<PathBuf> {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        };
        Some(Self {
            thumbnail: which("vipsthumbnail")?,
            vips: which("vips"),
        })
    }

    /// Median wall time of `vips --version` (process start with libvips loaded).
    fn startup(&self, n: usize) -> Duration {
        let Some(vips) = &self.vips else {
            return Duration::ZERO;
        };
        let mut v: Vec<Duration> = (0..n + 1)
            .filter_map(|_| {
                let start = Instant::now();
                let ok = Command::new(vips)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .status()
                    .ok()?
                    .success();
                ok.then(|| start.elapsed())
            })
            .skip(1)
            .collect();
        median(&mut v).unwrap_or(Duration::ZERO)
    }

    fn run(&self, input: &Path, dir: &Path) -> Res<(Duration, usize, usize)> {
        let main = dir.join("vips-main.jpg");
        let thumb = dir.join("vips-thumb.jpg");
        let start = Instant::now();
        let ok = Command::new(&self.thumbnail)
            .arg(input)
            .args(["-s", "2048", "-o"])
            .arg(format!("{}[Q=82,strip]", main.display()))
            .status()?
            .success()
            && Command::new(&self.thumbnail)
                .arg(&main)
                .args(["-s", "320", "-o"])
                .arg(format!("{}[Q=70,strip]", thumb.display()))
                .status()?
                .success();
        if !ok {
            return Err("vipsthumbnail failed".into());
        }
        let (_, main_len) = sha256_file(&main)?;
        let (_, thumb_len) = sha256_file(&thumb)?;
        Ok((start.elapsed(), main_len, thumb_len))
    }
}

const PILLOW_SCRIPT: &str = r#"
import hashlib, io, sys, time
from PIL import Image

TRANSPOSE = {2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
             4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
             6: [Image.Transpose.ROTATE_270], 7: [Image.Transpose.TRANSVERSE],
             8: [Image.Transpose.ROTATE_90]}

def fit(w, h, long):
    if max(w, h) <= long:
        return w, h
    if w >= h:
        return long, max(1, round(h * long / w))
    return max(1, round(w * long / h)), long

def ingest(path):
    t = time.perf_counter()
    im = Image.open(path)
    orientation = im.getexif().get(0x0112, 1)
    tw, th = fit(im.width, im.height, 2048)
    im.draft("RGB", (tw, th))
    im = im.convert("RGB").resize((tw, th), Image.LANCZOS)
    for op in TRANSPOSE.get(orientation, []):
        im = im.transpose(op)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=82, optimize=False)
    main = buf.getvalue()
    th_w, th_h = fit(im.width, im.height, 320)
    thumb_im = im.resize((th_w, th_h), Image.LANCZOS)
    buf = io.BytesIO()
    thumb_im.save(buf, "JPEG", quality=70, optimize=False)
    thumb = buf.getvalue()
    hashlib.sha256(main).hexdigest()
    hashlib.sha256(thumb).hexdigest()
    return time.perf_counter() - t, len(main), len(thumb)

print("ready", flush=True)
for line in sys.stdin:
    secs, main, thumb = ingest(line.rstrip("\n"))
    print(f"{secs} {main} {thumb}", flush=True)
"#;

struct Pillow {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Pillow {
    fn start(dir: &Path) -> Option<Self> {
        let script = dir.join("pillow_ingest.py");
        std::fs::write(&script, PILLOW_SCRIPT).ok()?;
        let mut child = Command::new("python3")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let mut stdout = BufReader::new(child.stdout.take()?);
        let mut line = String::new();
        stdout.read_line(&mut line).ok()?;
        if line.trim() != "ready" {
            let _ = child.wait();
            return None;
        }
        Some(Self {
            child,
            stdin: Some(stdin),
            stdout,
        })
    }

    fn run(&mut self, path: &Path) -> Res<(Duration, usize, usize)> {
        let stdin = self.stdin.as_mut().ok_or("pillow stdin closed")?;
        writeln!(stdin, "{}", path.display())?;
        stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let mut f = line.split_whitespace();
        let secs: f64 = f.next().ok_or("pillow: no answer")?.parse()?;
        let main = f.next().ok_or("pillow: no answer")?.parse()?;
        let thumb = f.next().ok_or("pillow: no answer")?.parse()?;
        Ok((Duration::from_secs_f64(secs), main, thumb))
    }
}

impl Drop for Pillow {
    fn drop(&mut self) {
        drop(self.stdin.take()); // EOF ends the script's loop
        let _ = self.child.wait();
    }
}
