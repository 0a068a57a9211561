//! Rendition profiles: the ladder presets, JSON profile files and the
//! aspect-preserving, even-dimension output size rule.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TranscodeError};

/// H.264 profile used for a rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum H264Profile {
    /// Constrained baseline: no B-frames, no CABAC.
    Baseline,
    /// Main profile.
    Main,
    /// High profile (the default).
    #[default]
    High,
}

impl H264Profile {
    /// The name libx264 expects for its `profile` option.
    pub fn x264_name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Main => "main",
            Self::High => "high",
        }
    }
}

/// What to do with the source's audio in a rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AudioMode {
    /// Copy the source's AAC packets unchanged (the default).
    #[default]
    Copy,
    /// Decode the audio once and re-encode it to AAC at `audio_bitrate`.
    Encode,
    /// Leave the rendition silent.
    Drop,
}

/// What a rung whose box is larger than the source does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Upscale {
    /// The rung is not produced (the default): no pixels are made up or billed.
    #[default]
    Skip,
    /// The rung is produced at the source's size (rounded down to even sides).
    Clamp,
    /// The rung is produced at its box size, upscaled.
    Allow,
}

fn default_fps_den() -> u32 {
    1
}
fn default_gop_secs() -> f64 {
    2.0
}
fn default_audio_bitrate() -> u32 {
    96_000
}

/// One rung of the ladder.
///
/// `width` x `height` is a bounding box: the output keeps the source's aspect
/// ratio inside it (see [`output_dimensions`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Rendition name, used for the output file name (`[A-Za-z0-9_-]+`).
    pub name: String,
    /// Bounding-box width in pixels.
    pub width: u32,
    /// Bounding-box height in pixels.
    pub height: u32,
    /// Target video bitrate in bits per second.
    pub bitrate: u32,
    /// Output frame rate numerator; 0 means pass the source's frame rate through.
    #[serde(default)]
    pub fps: u32,
    /// Output frame rate denominator.
    #[serde(default = "default_fps_den")]
    pub fps_den: u32,
    /// GOP length in seconds; 0 means every frame is an IDR.
    #[serde(default = "default_gop_secs")]
    pub gop_secs: f64,
    /// H.264 profile.
    #[serde(default)]
    pub h264_profile: H264Profile,
    /// Audio handling.
    #[serde(default)]
    pub audio: AudioMode,
    /// Audio bitrate in bits per second when `audio` is `encode`.
    #[serde(default = "default_audio_bitrate")]
    pub audio_bitrate: u32,
    /// What to do when the box is larger than the source.
    #[serde(default)]
    pub upscale: Upscale,
}

/// Names of the built-in presets, lowest rung first.
pub const PRESET_NAMES: [&str; 5] = ["240p", "360p", "480p", "720p", "1080p"];

impl Profile {
    /// A preset by name (`240p`, `360p`, `480p`, `720p`, `1080p`), 16:9, frame
    /// rate passed through, 2 s GOP, High profile, audio copied.
    pub fn preset(name: &str) -> Result<Self> {
        let (width, height, kbps) = match name {
            "240p" => (426, 240, 250),
            "360p" => (640, 360, 800),
            "480p" => (854, 480, 1600),
            "720p" => (1280, 720, 3000),
            "1080p" => (1920, 1080, 6000),
            other => {
                return Err(TranscodeError::InvalidProfile(format!(
                    "unknown preset {other:?}; known presets: {}",
                    PRESET_NAMES.join(", ")
                )));
            }
        };
        Ok(Self {
            name: name.to_owned(),
            width,
            height,
            bitrate: kbps * 1000,
            fps: 0,
            fps_den: 1,
            gop_secs: default_gop_secs(),
            h264_profile: H264Profile::High,
            audio: AudioMode::Copy,
            audio_bitrate: default_audio_bitrate(),
            upscale: Upscale::Skip,
        })
    }

    /// Output size of this rung for a `src_w x src_h` source, or `None` when
    /// the rung would upscale and its policy is [`Upscale::Skip`].
    ///
    /// A rung upscales when the size fitted into its box is larger than the
    /// source on either side.
    pub fn output_size(&self, src_w: u32, src_h: u32) -> Option<(u32, u32)> {
        let (w, h) = output_dimensions(src_w, src_h, self.width, self.height);
        if w <= src_w.max(2) && h <= src_h.max(2) {
            return Some((w, h));
        }
        match self.upscale {
            Upscale::Allow => Some((w, h)),
            Upscale::Skip => None,
            Upscale::Clamp => Some(((src_w & !1).max(2), (src_h & !1).max(2))),
        }
    }

    /// The fixed output frame rate, or `None` for pass-through.
    pub fn frame_rate(&self) -> Option<(u32, u32)> {
        (self.fps != 0).then_some((self.fps, self.fps_den))
    }

    /// Checks that every field is in a sane range.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: String| {
            Err(TranscodeError::InvalidProfile(format!(
                "{}: {why}",
                self.name
            )))
        };
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return bad("name must be 1-64 characters of [A-Za-z0-9_-]".into());
        }
        if !(16..=7680).contains(&self.width) || !(16..=7680).contains(&self.height) {
            return bad(format!(
                "resolution {}x{} outside 16..=7680",
                self.width, self.height
            ));
        }
        if !(16_000..=100_000_000).contains(&self.bitrate) {
            return bad(format!("bitrate {} outside 16k..=100M", self.bitrate));
        }
        if self.fps > 240 || self.fps_den == 0 || self.fps_den > 1001 {
            return bad(format!(
                "frame rate {}/{} out of range",
                self.fps, self.fps_den
            ));
        }
        if !(0.0..=20.0).contains(&self.gop_secs) || self.gop_secs.is_nan() {
            return bad(format!("gop {} s outside 0..=20", self.gop_secs));
        }
        if !(8_000..=512_000).contains(&self.audio_bitrate) {
            return bad(format!("audio bitrate {} out of range", self.audio_bitrate));
        }
        Ok(())
    }
}

/// Parses a comma separated list of preset names, e.g. `"720p,480p,360p"`.
pub fn presets_from_names(list: &str) -> Result<Vec<Profile>> {
    let profiles = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Profile::preset)
        .collect::<Result<Vec<_>>>()?;
    check_ladder(profiles)
}

/// Parses a JSON profile file: either an array of profiles or
/// `{"profiles": [...]}`.
pub fn profiles_from_json(json: &str) -> Result<Vec<Profile>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum File {
        List(Vec<Profile>),
        Wrapped { profiles: Vec<Profile> },
    }
    let profiles = match serde_json::from_str::<File>(json) {
        Ok(File::List(p) | File::Wrapped { profiles: p }) => p,
        Err(e) => {
            return Err(TranscodeError::InvalidProfile(format!(
                "bad JSON profile file: {e}"
            )));
        }
    };
    check_ladder(profiles)
}

fn check_ladder(profiles: Vec<Profile>) -> Result<Vec<Profile>> {
    if profiles.is_empty() {
        return Err(TranscodeError::InvalidProfile("no profiles given".into()));
    }
    if profiles.len() > 16 {
        return Err(TranscodeError::InvalidProfile(
            "more than 16 renditions".into(),
        ));
    }
    for (i, p) in profiles.iter().enumerate() {
        p.validate()?;
        if profiles[..i].iter().any(|q| q.name == p.name) {
            return Err(TranscodeError::InvalidProfile(format!(
                "duplicate name {}",
                p.name
            )));
        }
    }
    Ok(profiles)
}

/// Output size of a rendition: the source scaled to fit the profile's box,
/// aspect ratio kept, both sides even and at least 2.
///
/// A portrait source is fitted into the transposed box, so a 720p profile of
/// a 1080x1920 source is 720 wide.
pub fn output_dimensions(src_w: u32, src_h: u32, box_w: u32, box_h: u32) -> (u32, u32) {
    let (mut bw, mut bh) = (box_w.max(2), box_h.max(2));
    if (src_h > src_w) != (bh > bw) {
        std::mem::swap(&mut bw, &mut bh);
    }
    let (sw, sh) = (f64::from(src_w.max(1)), f64::from(src_h.max(1)));
    let scale = (f64::from(bw) / sw).min(f64::from(bh) / sh);
    let even = |x: f64, cap: u32| -> u32 {
        let cap = (cap & !1).max(2);
        // Round to the nearest even integer, never below 2 nor over the box.
        let v = ((x / 2.0).round() * 2.0).clamp(2.0, f64::from(cap));
        v as u32
    };
    (even(sw * scale, bw), even(sh * scale, bh))
}

/// Frames a fixed-rate rendition of a `duration_secs` source has: one per
/// output slot `n / fps` inside the duration.
pub fn fixed_rate_frames(duration_secs: f64, fps: f64) -> u64 {
    (duration_secs * fps - 1e-6).ceil().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn presets_match_the_ladder() {
        let ladder = presets_from_names("240p, 360p,480p,720p,1080p").expect("presets");
        let got: Vec<_> = ladder
            .iter()
            .map(|p| (p.width, p.height, p.bitrate))
            .collect();
        assert_eq!(
            got,
            vec![
                (426, 240, 250_000),
                (640, 360, 800_000),
                (854, 480, 1_600_000),
                (1280, 720, 3_000_000),
                (1920, 1080, 6_000_000)
            ]
        );
        assert!(presets_from_names("144p").is_err());
        assert!(presets_from_names("").is_err());
        assert!(presets_from_names("720p,720p").is_err());
    }

    #[test]
    fn json_profiles_parse_with_defaults() {
        let json = r#"{"profiles":[{"name":"custom","width":640,"height":360,"bitrate":500000,
            "fps":24,"gop_secs":1.0,"h264_profile":"main","audio":"encode"}]}"#;
        let p = profiles_from_json(json).expect("parse");
        assert_eq!(p[0].frame_rate(), Some((24, 1)));
        assert_eq!(p[0].h264_profile, H264Profile::Main);
        assert_eq!(p[0].audio, AudioMode::Encode);
        assert_eq!(p[0].audio_bitrate, 96_000);
        let bare = r#"[{"name":"a","width":320,"height":240,"bitrate":200000}]"#;
        let p = profiles_from_json(bare).expect("parse");
        assert_eq!(p[0].frame_rate(), None);
        assert!((p[0].gop_secs - 2.0).abs() < f64::EPSILON);
        assert!(profiles_from_json(r#"[{"name":"a","width":320}]"#).is_err());
        assert!(
            profiles_from_json(r#"[{"name":"a b","width":320,"height":240,"bitrate":200000}]"#)
                .is_err()
        );
        assert!(
            profiles_from_json(r#"[{"name":"a","width":99999,"height":240,"bitrate":200000}]"#)
                .is_err()
        );
    }

    #[test]
    fn rungs_above_the_source_are_skipped_unless_configured() {
        let mut p = Profile::preset("720p").expect("preset");
        assert_eq!(p.output_size(176, 144), None);
        assert_eq!(p.output_size(1920, 1080), Some((1280, 720)));
        assert_eq!(p.output_size(1280, 720), Some((1280, 720)));
        p.upscale = Upscale::Clamp;
        assert_eq!(p.output_size(176, 144), Some((176, 144)));
        assert_eq!(p.output_size(175, 143), Some((174, 142)));
        p.upscale = Upscale::Allow;
        assert_eq!(p.output_size(176, 144), Some((880, 720)));
        let json = r#"[{"name":"a","width":640,"height":360,"bitrate":500000,"upscale":"clamp"}]"#;
        assert_eq!(
            profiles_from_json(json).expect("parse")[0].upscale,
            Upscale::Clamp
        );
        // 240p of a 640x272 source fits 426x182: no upscaling, kept.
        let low = Profile::preset("240p").expect("preset");
        assert_eq!(low.output_size(640, 272), Some((426, 182)));
        assert_eq!(low.output_size(176, 144), None);
    }

    #[test]
    fn dimensions_keep_aspect_and_parity() {
        assert_eq!(output_dimensions(1280, 720, 426, 240), (426, 240));
        assert_eq!(output_dimensions(1920, 1080, 854, 480), (854, 480));
        assert_eq!(output_dimensions(640, 480, 1280, 720), (960, 720));
        assert_eq!(output_dimensions(1080, 1920, 1280, 720), (720, 1280));
        assert_eq!(output_dimensions(1280, 720, 640, 360), (640, 360));
        assert_eq!(output_dimensions(8192, 16, 640, 360), (640, 2));
    }

    proptest! {
        #[test]
        fn output_dimensions_are_even_bounded_and_aspect_preserving(
            sw in 16u32..4096, sh in 16u32..4096, bw in 16u32..2000, bh in 16u32..2000
        ) {
            let (w, h) = output_dimensions(sw, sh, bw, bh);
            prop_assert!(w % 2 == 0 && h % 2 == 0 && w >= 2 && h >= 2);
            let (bw2, bh2) = if (sh > sw) != (bh > bw) { (bh, bw) } else { (bw, bh) };
            prop_assert!(w <= bw2 && h <= bh2);
            // One side fills the box (up to rounding to even).
            prop_assert!(w + 2 >= (bw2 & !1) || h + 2 >= (bh2 & !1));
            // Aspect ratio within the rounding error of +-1 pixel per side.
            let src = f64::from(sw) / f64::from(sh);
            if w > 8 && h > 8 {
                let lo = (f64::from(w) - 1.5) / (f64::from(h) + 1.5);
                let hi = (f64::from(w) + 1.5) / (f64::from(h) - 1.5);
                prop_assert!(src >= lo && src <= hi, "{sw}x{sh} -> {w}x{h}");
            }
        }

        #[test]
        fn preset_lists_round_trip(idx in proptest::collection::vec(0usize..5, 1..5)) {
            let mut names: Vec<&str> = idx.iter().map(|&i| PRESET_NAMES[i]).collect();
            names.dedup();
            let unique = names.iter().enumerate().all(|(i, n)| !names[..i].contains(n));
            let parsed = presets_from_names(&names.join(","));
            prop_assert_eq!(parsed.is_ok(), unique);
            if let Ok(p) = parsed {
                let json = serde_json::to_string(&p).expect("serialize");
                prop_assert_eq!(profiles_from_json(&json).expect("reparse"), p);
            }
        }

        #[test]
        fn json_parser_never_panics(s in ".{0,200}") {
            let _ = profiles_from_json(&s);
            let _ = presets_from_names(&s);
        }
    }
}
