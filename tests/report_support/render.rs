//! Rendering checks for the HTML report: html5lib in strict mode, headless Chromium
//! screenshots (bounded in time) and a small PNG decoder that counts the colours.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Parses `file` with html5lib in strict mode (any parse error fails); returns its output.
pub fn html5lib_parse(file: &Path) -> Output {
    let python = std::env::var("SCANDYCTL_SECANTUS_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python").into());
    Command::new(python)
        .args([
            "-c",
            "import html5lib,sys; html5lib.HTMLParser(strict=True).parse(open(sys.argv[1],'rb'))",
        ])
        .arg(file)
        .output()
        .expect("run python with html5lib")
}

/// Runs `cmd`, killing it after `limit`; returns whether it exited successfully.
pub fn run_bounded(mut cmd: Command, limit: Duration) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let _ = reader.join();
            return status.success();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A headless Chromium screenshot of `page` into `png`.
pub fn screenshot(chromium: &Path, page: &Path, png: &Path, profile: &Path) {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--screenshot={}", png.display()))
    .arg("--window-size=1200,1600")
    .arg(format!("file://{}", page.display()));
    assert!(
        run_bounded(cmd, Duration::from_secs(180)),
        "chromium failed"
    );
}

/// The distinct pixel values of a PNG (8-bit RGB/RGBA/grey), decoded with flate2.
pub fn png_colors(png: &[u8]) -> usize {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut width, mut height, mut channels) = (0usize, 0usize, 0usize);
    let mut idat = Vec::new();
    let mut pos = 8;
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "bit depth");
                channels = match data[9] {
                    0 => 1,
                    2 => 3,
                    4 => 2,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
                assert_eq!(data[12], 0, "interlaced PNG");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .expect("inflate");
    let stride = width * channels;
    assert_eq!(raw.len(), height * (stride + 1), "image data size");
    let mut previous = vec![0u8; stride];
    let mut colors: HashSet<Vec<u8>> = HashSet::new();
    for y in 0..height {
        let filter = raw[y * (stride + 1)];
        let mut line = raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)].to_vec();
        for i in 0..stride {
            let a = if i >= channels {
                i32::from(line[i - channels])
            } else {
                0
            };
            let b = i32::from(previous[i]);
            let c = if i >= channels {
                i32::from(previous[i - channels])
            } else {
                0
            };
            let predictor = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("filter {other}"),
            };
            line[i] = line[i].wrapping_add(predictor as u8);
        }
        for pixel in line.chunks(channels) {
            colors.insert(pixel.to_vec());
        }
        previous = line;
    }
    colors.len()
}
