//! `labcap grade --html DIR` on the made-up class of `fixtures/class/`: the files (a page per
//! student, every link resolves, nothing fetched from elsewhere, the failed student's page
//! shows FAIL and a sequence diagram), then both kinds of page rendered by a real headless
//! browser (Debian's chromium; `.ci/run` installs it) and the screenshots decoded: the right
//! size, not blank, with the PASS green and the FAIL red painted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::fixture;

const BIN: &str = env!("CARGO_BIN_EXE_labcap");
/// The browser window, and so the screenshot.
const WINDOW: (u32, u32) = (1000, 1400);
/// Longest a screenshot may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(25);

/// A fresh folder under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("labcap-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every `href="…"` of a page.
fn links(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

#[test]
fn the_html_report_links_up_and_renders_in_a_headless_browser() {
    let started = Instant::now();
    let out_dir = TempDir::new("html");
    let html = out_dir.0.join("report");
    let out = Command::new(BIN)
        .args(["grade", "--spec", "tugas1", "--class"])
        .arg(fixture("class"))
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Some students failed: exit 1, as without --html; the table still on stdout.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("dewi"));
    assert!(
        stderr.contains("index.html written, with 6 student pages"),
        "{stderr}"
    );

    // The files: the class page and one page per student, nothing else.
    let files: BTreeSet<String> = std::fs::read_dir(&html)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = ["index", "ani", "budi", "citra", "dewi", "eko", "fajar"]
        .iter()
        .map(|n| format!("{n}.html"))
        .collect();
    assert_eq!(files, expected);
    let read = |name: &str| std::fs::read_to_string(html.join(name)).unwrap();
    let index = read("index.html");
    // Every student is linked from the class page, the failed ones first.
    let linked = links(&index);
    for student in ["ani", "budi", "citra", "dewi", "eko", "fajar"] {
        assert!(
            linked.contains(&format!("{student}.html")),
            "{student} is not linked"
        );
    }
    let first_passed = index.find("href=\"ani.html\"").unwrap();
    for failed in ["budi", "citra", "dewi", "fajar"] {
        assert!(index.find(&format!("href=\"{failed}.html\"")).unwrap() < first_passed);
    }
    assert!(
        index.contains("<td class=\"n fail\">30/100</td>"),
        "dewi's total"
    );
    // Every link of every page resolves: to a file of the report, and to an id in it.
    for name in &files {
        let page = read(name);
        assert!(page.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(page.contains("<meta name=\"viewport\""), "{name}");
        // Self-contained: nothing loaded, nothing run.
        assert!(
            !page.contains("<script") && !page.contains(" src="),
            "{name}"
        );
        assert!(!page.contains("<link"), "{name}");
        for link in links(&page) {
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() { name.as_str() } else { file };
            assert!(files.contains(target), "{name}: {link} goes nowhere");
            if !anchor.is_empty() {
                assert!(
                    read(target).contains(&format!("id=\"{anchor}\"")),
                    "{name}: {link} has no target"
                );
            }
        }
    }
    // The failed student's page: FAIL, the reason, and the picture of the wrong echo.
    let dewi = read("dewi.html");
    assert!(dewi.contains(">FAIL</td>"), "no FAIL check");
    assert!(dewi.contains("got 6 back (different bytes)"));
    assert!(dewi.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(
        dewi.contains("b&#39;OK\\n&#39;"),
        "the server's answer under its arrow"
    );
    // The DNS task shows its transactions.
    assert!(dewi.contains("DNS transactions") && dewi.contains("www.espnfc.cosm"));
    // A missing capture says so.
    let budi = read("budi.html");
    assert!(budi.contains("FAIL capture:</strong> no capture of mesin3"));

    // Rendered by a real browser.
    let browser = chromium();
    for (page, colours) in [
        ("index.html", &[GREEN, RED][..]),
        ("dewi.html", &[GREEN, RED][..]),
    ] {
        let png = out_dir.0.join(page.replace(".html", ".png"));
        screenshot(&browser, &html.join(page), &png, &out_dir.0);
        let bytes = std::fs::read(&png).unwrap();
        assert!(
            bytes.len() > 10 * 1024,
            "{page}: a {}-byte screenshot is blank",
            bytes.len()
        );
        let image = decode_png(&bytes);
        assert_eq!((image.width, image.height), WINDOW, "{page}");
        let white = image.count(|[r, g, b]| r > 245 && g > 245 && b > 245);
        let dark = image.count(|[r, g, b]| r < 80 && g < 80 && b < 80);
        let all = (image.width * image.height) as usize;
        assert!(white > all / 2, "{page}: not black on white");
        assert!(dark > all / 200, "{page}: no text ({dark} dark pixels)");
        for (name, is) in colours {
            let n = image.count(is);
            assert!(n > 200, "{page}: nothing {name} painted ({n} pixels)");
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

/// A colour test for the screenshot: the PASS cells' green, the FAIL cells' red.
type Colour = (&'static str, fn([u8; 3]) -> bool);
const GREEN: Colour = ("green", |[r, g, b]| {
    g > 200 && r < 235 && b < 235 && g > r + 10
});
const RED: Colour = ("red", |[r, g, b]| {
    r > 230 && g < 235 && b < 235 && r > g + 10
});

/// Chromium, which the CI installs: the test fails without it rather than pass untested.
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "chromium is not installed: this test renders the HTML report in a headless \
                 browser. Install it (`sudo apt-get install -y chromium`; `bash .ci/run` \
                 installs it when missing) and run the tests again."
            )
        })
}

/// Renders `page` into the PNG `png` with a fresh profile under `scratch`.
fn screenshot(browser: &Path, page: &Path, png: &Path, scratch: &Path) {
    let profile = scratch.join(format!(
        "profile-{}",
        png.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium took more than {BROWSER_TIMEOUT:?} on {}",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        png.is_file(),
        "chromium wrote no screenshot of {} ({}):\n{}{}",
        page.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An 8-bit RGB(A) picture.
struct Image {
    width: u32,
    height: u32,
    /// RGB of each pixel, row by row.
    pixels: Vec<[u8; 3]>,
}

impl Image {
    fn count(&self, is: impl Fn([u8; 3]) -> bool) -> usize {
        self.pixels.iter().filter(|&&p| is(p)).count()
    }
}

/// Decodes a non-interlaced 8-bit RGB or RGBA PNG (what chromium writes): the chunks, the
/// zlib stream of the IDATs, and the five scanline filters.
fn decode_png(bytes: &[u8]) -> Image {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let mut at = 8;
    let (mut width, mut height, mut channels) = (0u32, 0u32, 0usize);
    let mut data = Vec::new();
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let body = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(body[0..4].try_into().unwrap());
                height = u32::from_be_bytes(body[4..8].try_into().unwrap());
                let (depth, colour, interlace) = (body[8], body[9], body[12]);
                assert_eq!((depth, interlace), (8, 0), "an unexpected PNG");
                channels = match colour {
                    2 => 3,
                    6 => 4,
                    other => panic!("PNG colour type {other}"),
                };
            }
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&data).expect("a zlib stream");
    let stride = width as usize * channels;
    assert_eq!(raw.len(), (stride + 1) * height as usize, "PNG data size");
    let mut prev = vec![0u8; stride];
    let mut pixels = Vec::with_capacity((width * height) as usize);
    for row in raw.chunks(stride + 1) {
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("PNG filter {other}"),
            };
            cur[i] = line[i].wrapping_add(predicted);
        }
        pixels.extend(cur.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        prev = cur;
    }
    Image {
        width,
        height,
        pixels,
    }
}
